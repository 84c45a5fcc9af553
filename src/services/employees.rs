//! The administrator's employees (SPEC A5): every extension's name, comment,
//! e-mail, department, administrator flag, public-book right, MobilePhone
//! number, outgoing restriction and the numbers it may present. A change is
//! checked whole, stored in one job with its journal entries (the last
//! administrator cannot lose the rights), then programmed into the core.

use super::bus::{Changed, Live};
use super::features::{program_core, Programmed};
use super::{Context, ServiceError};
use crate::domain::access::{Action, Actor, Area, Target};
use crate::domain::account::{
    check_department, check_employee, DepartmentProblem, EmployeeProblem, MAX_CALLER_IDS,
};
use crate::domain::journal::{Change, Topic, OFF, ON};
use crate::domain::licence::{self, count_of, Counts, CtiFunction};
use crate::domain::number::to_dial;
use crate::domain::phonebook::PublicRight;
use crate::domain::program::Restriction;
use crate::hal::{Command, Reply};
use crate::store::org::{Employee, EmployeeSaved};

#[derive(Clone)]
pub struct Employees {
    ctx: Context,
}

/// Every employee, and the departments by id.
#[derive(Debug, Clone)]
pub struct EmployeeList {
    pub employees: Vec<Employee>,
    pub departments: Vec<(i64, String)>,
}

/// One employee with what his page offers.
#[derive(Debug, Clone)]
pub struct EmployeeView {
    pub employee: Employee,
    pub caller_ids: Vec<String>,
    pub departments: Vec<(i64, String)>,
    /// Every CTI function with how many extensions hold it and the core's count.
    pub licences: Vec<LicenceUse>,
}

/// One CTI function: how many extensions hold it, and how many the core's
/// licences allow (`None` while the core does not say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LicenceUse {
    pub function: CtiFunction,
    pub in_use: u32,
    pub count: Option<u16>,
}

/// The CTI licences the core reports: `None` when it does not say (the link is
/// down, or the core is older than protocol version 3).
pub(super) async fn core_licences(ctx: &Context) -> Option<Counts> {
    match ctx.core.command(Command::Licences).await {
        Ok(Reply::Licences { list }) => {
            Some(list.into_iter().map(|l| (l.function.into(), l.count)).collect())
        }
        Ok(_) | Err(_) => None,
    }
}

/// Every CTI function's use against the core's counts.
pub(super) async fn licence_use(ctx: &Context) -> Result<Vec<LicenceUse>, ServiceError> {
    let held = ctx.store.licences_in_use().await?;
    let counts = core_licences(ctx).await;
    Ok(CtiFunction::ALL
        .into_iter()
        .map(|function| LicenceUse {
            function,
            in_use: count_of(&held, function),
            count: counts.as_ref().map(|c| count_of(c, function)),
        })
        .collect())
}

/// The employee's page as sent: words as typed.
#[derive(Debug, Clone, Default)]
pub struct EmployeeChange {
    pub name: String,
    pub comment: String,
    pub email: String,
    /// A department's id, or empty for none.
    pub department: String,
    pub is_admin: bool,
    pub public_right: String,
    pub mobile: String,
    pub restriction: String,
    /// One number per line.
    pub caller_ids: String,
    /// The ids of the departments he manages.
    pub manages: Vec<String>,
    pub recordings: bool,
    /// The codes of the CTI functions he may use.
    pub licences: Vec<String>,
}

fn invalid(p: EmployeeProblem) -> ServiceError {
    ServiceError::Invalid(p.into())
}

impl Employees {
    pub fn new(ctx: Context) -> Employees {
        Employees { ctx }
    }

    #[tracing::instrument(name = "service", skip_all, fields(call = "employees.list", actor = %actor.label(), via = actor.via.code()))]
    pub async fn list(&self, actor: &Actor) -> Result<EmployeeList, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Extensions))?;
        let (employees, departments) =
            (self.ctx.store.employees().await?, self.ctx.store.departments().await?);
        Ok(EmployeeList { employees, departments })
    }

    /// A page of employees with the numbers they may present: at most `limit`
    /// after `after` by number, filtered as [`crate::store::Store::employees_page`].
    pub async fn records_page(
        &self,
        actor: &Actor,
        after: &str,
        limit: usize,
        department: Option<Option<i64>>,
        is_admin: Option<bool>,
    ) -> Result<Vec<(Employee, Vec<String>)>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Extensions))?;
        let page = self.ctx.store.employees_page(after, limit, department, is_admin).await?;
        let mut ids = self.ctx.store.caller_ids_of(page.iter().map(|e| e.number.clone()).collect()).await?;
        Ok(page
            .into_iter()
            .map(|e| {
                let own = ids.remove(&e.number).unwrap_or_default();
                (e, own)
            })
            .collect())
    }

    /// One employee with the numbers he may present.
    pub async fn record(&self, actor: &Actor, ext: &str) -> Result<(Employee, Vec<String>), ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Extensions))?;
        let employee = self.ctx.store.employee(ext).await?.ok_or(ServiceError::NotFound)?;
        Ok((employee, self.ctx.store.caller_ids(ext).await?))
    }

    #[tracing::instrument(name = "service", skip_all, fields(call = "employees.view", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn view(&self, actor: &Actor, ext: &str) -> Result<EmployeeView, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Extensions))?;
        let employee = self.ctx.store.employee(ext).await?.ok_or(ServiceError::NotFound)?;
        let caller_ids = self.ctx.store.caller_ids(ext).await?;
        let departments = self.ctx.store.departments().await?;
        let licences = licence_use(&self.ctx).await?;
        Ok(EmployeeView { employee, caller_ids, departments, licences })
    }

    #[tracing::instrument(name = "service", skip_all, fields(call = "employees.save", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn save(
        &self,
        actor: &Actor,
        ext: &str,
        c: EmployeeChange,
    ) -> Result<Programmed, ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Extensions))?;
        let old = self.ctx.store.employee(ext).await?.ok_or(ServiceError::NotFound)?;
        let known = self.ctx.store.departments().await?;
        let (new, caller_ids) = checked(&old, &c, &known)?;
        // The core is asked only when a function is added.
        let counts = match new.licences.iter().any(|f| !old.licences.contains(f)) {
            true => core_licences(&self.ctx).await,
            false => None,
        };
        let old_ids = self.ctx.store.caller_ids(ext).await?;
        let list = employee_changes(&old, &new, &old_ids, &caller_ids);
        let changes = Context::changes(actor, list);
        match self.ctx.store.save_employee(new, caller_ids, counts, changes, self.ctx.clock.now()).await? {
            EmployeeSaved::Saved => {}
            EmployeeSaved::Licence(p) => return Err(p.into()),
            EmployeeSaved::NoSuchExtension => return Err(ServiceError::NotFound),
            EmployeeSaved::LastAdministrator => return Err(invalid(EmployeeProblem::LastAdministrator)),
        }
        tracing::info!(actor = %actor.label(), extension = %ext, "employee changed");
        // The restriction and the MobilePhone number are part of what the core keeps.
        let programmed = program_core(&self.ctx, ext).await?;
        self.ctx.bus.publish(Live::Changed { ext: ext.to_owned(), what: Changed::Profile });
        Ok(programmed)
    }
}

/// The employee `c` makes of `old`, checked whole against the departments
/// `known`, with the numbers he may present: what the page, the API and a
/// bulk import all change an employee through.
pub(super) fn checked(
    old: &Employee,
    c: &EmployeeChange,
    known: &[(i64, String)],
) -> Result<(Employee, Vec<String>), ServiceError> {
    let (name, comment, email) = (c.name.trim(), c.comment.trim(), c.email.trim());
    check_employee(name, comment, email).map_err(invalid)?;
    let department_id =
        |d: &str| d.trim().parse::<i64>().ok().filter(|id| known.iter().any(|(k, _)| k == id));
    let department = match c.department.trim() {
        "" => None,
        d => Some(department_id(d).ok_or(invalid(EmployeeProblem::NoSuchDepartment))?),
    };
    let mut manages = Vec::new();
    for d in &c.manages {
        let id = department_id(d).ok_or(invalid(EmployeeProblem::NoSuchDepartment))?;
        if !manages.contains(&id) {
            manages.push(id);
        }
    }
    manages.sort_unstable();
    let public_right =
        PublicRight::from_code(c.public_right.trim()).ok_or(invalid(EmployeeProblem::BadChoice))?;
    let restriction =
        Restriction::from_code(c.restriction.trim()).ok_or(invalid(EmployeeProblem::BadChoice))?;
    let mobile = match c.mobile.trim() {
        "" => String::new(),
        m => to_dial(m).map_err(|_| invalid(EmployeeProblem::BadMobile))?,
    };
    let caller_ids: Vec<String> = c
        .caller_ids
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| to_dial(l).map_err(|_| invalid(EmployeeProblem::BadCallerId)))
        .collect::<Result<_, _>>()?;
    if caller_ids.len() > MAX_CALLER_IDS {
        return Err(invalid(EmployeeProblem::BadCallerId));
    }
    let licences = licence::parse_list(c.licences.iter().map(String::as_str))?;
    let new = Employee {
        number: old.number.clone(),
        name: name.to_owned(),
        comment: comment.to_owned(),
        email: email.to_owned(),
        department,
        is_admin: c.is_admin,
        public_right,
        mobile,
        restriction,
        manages,
        recordings: c.recordings,
        licences,
    };
    Ok((new, caller_ids))
}

/// A department with how many extensions it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: i64,
    pub name: String,
    pub members: i64,
}

impl Employees {
    #[tracing::instrument(name = "service", skip_all, fields(call = "employees.departments", actor = %actor.label(), via = actor.via.code()))]
    pub async fn departments(&self, actor: &Actor) -> Result<Vec<Department>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Departments))?;
        let rows = self.ctx.store.departments_with_members().await?;
        Ok(rows.into_iter().map(|(id, name, members)| Department { id, name, members }).collect())
    }

    #[tracing::instrument(name = "service", skip_all, fields(call = "employees.add_department", actor = %actor.label(), via = actor.via.code()))]
    /// Adds a department; returns its id.
    pub async fn add_department(&self, actor: &Actor, name: &str) -> Result<i64, ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Departments))?;
        let name = name.trim();
        check_department(name).map_err(dept)?;
        let Some(id) = self.ctx.store.add_department(name).await? else {
            return Err(dept(DepartmentProblem::Exists));
        };
        tracing::info!(actor = %actor.label(), department = id, "department added");
        Ok(id)
    }

    #[tracing::instrument(name = "service", skip_all, fields(call = "employees.rename_department", actor = %actor.label(), via = actor.via.code()))]
    pub async fn rename_department(&self, actor: &Actor, id: i64, name: &str) -> Result<(), ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Departments))?;
        let name = name.trim();
        check_department(name).map_err(dept)?;
        match self.ctx.store.rename_department(id, name).await? {
            Some(true) => Ok(()),
            Some(false) => Err(dept(DepartmentProblem::Exists)),
            None => Err(ServiceError::NotFound),
        }
    }

    /// Deletes a department; its extensions go to the pool. Returns them.
    #[tracing::instrument(name = "service", skip_all, fields(call = "employees.delete_department", actor = %actor.label(), via = actor.via.code()))]
    pub async fn delete_department(&self, actor: &Actor, id: i64) -> Result<Vec<String>, ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Departments))?;
        let by = Context::author(actor);
        let moved = self
            .ctx
            .store
            .delete_department(id, by, self.ctx.clock.now())
            .await?
            .ok_or(ServiceError::NotFound)?;
        tracing::info!(actor = %actor.label(), moved = moved.len(), "department deleted");
        for ext in &moved {
            self.ctx.bus.publish(Live::Changed { ext: ext.clone(), what: Changed::Profile });
        }
        Ok(moved)
    }
}

fn dept(p: DepartmentProblem) -> ServiceError {
    ServiceError::Invalid(p.into())
}

/// What an administrator's change changed, for the journal.
pub(super) fn employee_changes(
    old: &Employee,
    new: &Employee,
    old_ids: &[String],
    new_ids: &[String],
) -> Vec<Change> {
    let flag = |b: bool| if b { ON } else { OFF }.to_owned();
    let dept = |d: Option<i64>| d.map(|d| d.to_string()).unwrap_or_default();
    let ids = |m: &[i64]| m.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let functions = |l: &[CtiFunction]| l.iter().map(|f| f.code()).collect::<Vec<_>>().join(", ");
    let fields: [(Topic, &'static str, String, String); 12] = [
        (Topic::Profile, "name", old.name.clone(), new.name.clone()),
        (Topic::Profile, "comment", old.comment.clone(), new.comment.clone()),
        (Topic::Profile, "email", old.email.clone(), new.email.clone()),
        (Topic::Rights, "department", dept(old.department), dept(new.department)),
        (Topic::Rights, "is_admin", flag(old.is_admin), flag(new.is_admin)),
        (
            Topic::Rights,
            "public_book",
            old.public_right.code().to_owned(),
            new.public_right.code().to_owned(),
        ),
        (Topic::Forwarding, "mobile", old.mobile.clone(), new.mobile.clone()),
        (Topic::Rights, "restriction", old.restriction.code().to_owned(), new.restriction.code().to_owned()),
        (Topic::Rights, "caller_ids", old_ids.join(", "), new_ids.join(", ")),
        (Topic::Rights, "manages", ids(&old.manages), ids(&new.manages)),
        (Topic::Rights, "recordings", flag(old.recordings), flag(new.recordings)),
        (Topic::Rights, "licences", functions(&old.licences), functions(&new.licences)),
    ];
    fields
        .into_iter()
        .filter(|(_, _, o, n)| o != n)
        .map(|(topic, field, old, new)| Change { topic, field, old, new })
        .collect()
}
