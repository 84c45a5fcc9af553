//! Departments and the administrator's fields of an extension (department,
//! e-mail, MobilePhone number).

use rusqlite::{params, Connection, OptionalExtension};

use super::journal::{self, Changes};
use super::{Store, StoreError};
use crate::domain::licence::{self, CtiFunction, LicenceProblem};
use crate::domain::phonebook::PublicRight;
use crate::domain::program::Restriction;

pub use crate::domain::account::Employee;

/// What a manager sets about one of his extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub number: String,
    pub comment: String,
    pub description: String,
    pub email: String,
    pub mobile: String,
    pub notify_answered: bool,
    pub notify_missed: bool,
}

/// What [`Store::save_employee`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmployeeSaved {
    Saved,
    NoSuchExtension,
    /// Nothing was written: this was the last administrator.
    LastAdministrator,
    /// Nothing was written: the licences asked for are not to be had.
    Licence(LicenceProblem),
}

/// A bulk import as the store writes it, in one job: the departments to make,
/// then the employees to save. An employee's department ids below zero name
/// the departments made here: -1 the first, -2 the second.
#[derive(Debug, Clone)]
pub struct OrgImport {
    pub departments: Vec<String>,
    pub employees: Vec<ImportedEmployee>,
    pub counts: Option<licence::Counts>,
    /// CTI groups to make (id 0) or change, after the employees (a member
    /// may be a subscriber the file names).
    pub groups: Vec<ImportedGroup>,
    /// CTI groups that go (a configuration document does not name them).
    pub gone_groups: Vec<i64>,
    /// CTI accounts to make (id 0) or change, before the groups (a member
    /// may be an account the file makes).
    pub accounts: Vec<ImportedAccount>,
    /// CTI accounts that go (a configuration document does not name them).
    pub gone_accounts: Vec<i64>,
    /// The CTI server's licences: accounts that log in, once all are written.
    pub cti_licences: usize,
    /// Shared books to make (kept ones, id 0) or give access to, after the
    /// groups (a grant may name a group the file makes).
    pub books: Vec<ImportedBook>,
    /// Kept books that go (a configuration document does not name them);
    /// their notes go to the trash.
    pub gone_books: Vec<i64>,
}

/// A shared book of a bulk file: who may read it.
#[derive(Debug, Clone)]
pub struct ImportedBook {
    /// The file's row, for a refusal.
    pub row: usize,
    /// 0: a book kept here, to make.
    pub id: i64,
    pub name: String,
    /// What everyone may do with it; `None` keeps it.
    pub everyone: Option<crate::domain::phonebook::BookAccess>,
    /// Each CTI group's access, by the group's name, in place of what was
    /// given; `None` keeps it.
    pub grants: Option<Vec<(String, crate::domain::phonebook::BookAccess)>>,
}

/// A CTI account of a bulk file, whole, with its rights.
#[derive(Debug, Clone)]
pub struct ImportedAccount {
    /// The file's row, for a refusal.
    pub row: usize,
    pub id: i64,
    pub account: super::cti::SavedAccount,
    pub rights: crate::domain::cti::Rights,
    /// Its next login is handed a new password (a new account that logs in
    /// always is: no password travels in a file).
    pub hand_over: bool,
}

/// A CTI group of a bulk file, as the page's save takes it.
#[derive(Debug, Clone)]
pub struct ImportedGroup {
    /// The file's row, for a refusal.
    pub row: usize,
    pub id: i64,
    pub group: super::cti_group::SavedGroup,
}

#[derive(Debug, Clone)]
pub struct ImportedEmployee {
    /// The file's row, for a refusal.
    pub row: usize,
    pub employee: Employee,
    pub caller_ids: Vec<String>,
    pub changes: Changes,
}

/// What [`Store::import_org`] did: all of it, or nothing because of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgImported {
    /// The departments made, by id, in the order given.
    Saved(Vec<i64>),
    Refused {
        row: usize,
        why: EmployeeSaved,
    },
    /// A group the store refused (its name taken meanwhile, a member gone).
    GroupRefused {
        row: usize,
        why: crate::domain::group::GroupProblem,
    },
    /// A book the store refused (its name taken meanwhile, a group gone).
    BookRefused {
        row: usize,
        why: crate::domain::directory::SourceProblem,
    },
    /// An account the store refused (its name taken meanwhile); row 0: the
    /// accounts that log in would be more than the licences.
    AccountRefused {
        row: usize,
        why: crate::domain::cti::AccountProblem,
    },
}

const EMPLOYEE: &str =
    "SELECT e.number, e.name, e.comment, e.email, e.department_id, e.is_admin, e.public_book,
        e.mobile_number, coalesce(s.restriction, 'none'),
        (SELECT group_concat(m.department_id) FROM manager_department m WHERE m.extension = e.number),
        e.recordings, e.licences
     FROM extension e LEFT JOIN extension_services s ON s.extension = e.number";

fn employee_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Employee> {
    let bad = |i, what: &str| rusqlite::Error::InvalidColumnType(i, what.into(), rusqlite::types::Type::Text);
    let right: String = r.get(6)?;
    let restriction: String = r.get(8)?;
    Ok(Employee {
        number: r.get(0)?,
        name: r.get(1)?,
        comment: r.get(2)?,
        email: r.get(3)?,
        department: r.get(4)?,
        is_admin: r.get(5)?,
        public_right: PublicRight::from_code(&right).ok_or_else(|| bad(6, "public_book"))?,
        mobile: r.get(7)?,
        restriction: Restriction::from_code(&restriction).ok_or_else(|| bad(8, "restriction"))?,
        manages: r
            .get::<_, Option<String>>(9)?
            .unwrap_or_default()
            .split(',')
            .filter_map(|d| d.parse().ok())
            .collect(),
        recordings: r.get(10)?,
        licences: read_licences(&r.get::<_, String>(11)?).ok_or_else(|| bad(11, "licences"))?,
    })
}

/// An extension's CTI functions as stored: a JSON list of their codes.
fn read_licences(json: &str) -> Option<Vec<CtiFunction>> {
    let codes: Vec<String> = serde_json::from_str(json).ok()?;
    licence::parse_list(codes.iter().map(String::as_str)).ok()
}

fn write_licences(list: &[CtiFunction]) -> String {
    let codes: Vec<&str> = list.iter().map(|f| f.code()).collect();
    serde_json::to_string(&codes).unwrap_or_else(|_| "[]".into())
}

/// How many extensions other than `number` hold each CTI function.
fn licences_held(c: &Connection, except: &str) -> rusqlite::Result<Vec<(CtiFunction, u32)>> {
    let mut q = c.prepare_cached(
        "SELECT j.value, count(*) FROM extension e, json_each(e.licences) j
         WHERE e.number != ?1 GROUP BY j.value",
    )?;
    let rows = q.query_map([except], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
    let mut held = Vec::new();
    for row in rows {
        let (code, n) = row?;
        if let Some(f) = CtiFunction::from_code(&code) {
            held.push((f, n));
        }
    }
    Ok(held)
}

/// The departments `number` manages, by id.
pub(super) fn managed(c: &Connection, number: &str) -> rusqlite::Result<Vec<i64>> {
    let mut q = c.prepare_cached(
        "SELECT department_id FROM manager_department WHERE extension = ?1 ORDER BY department_id",
    )?;
    let rows = q.query_map([number], |r| r.get(0))?;
    rows.collect()
}

fn write_import(c: &Connection, import: &OrgImport, now: i64) -> rusqlite::Result<OrgImported> {
    let mut made = Vec::with_capacity(import.departments.len());
    for name in &import.departments {
        c.execute("INSERT INTO department (name) VALUES (?1)", [name])?;
        made.push(c.last_insert_rowid());
    }
    let real = |d: i64| match d {
        d if d < 0 => made.get((-d - 1) as usize).copied().unwrap_or(d),
        d => d,
    };
    for e in &import.employees {
        let mut employee = e.employee.clone();
        employee.department = employee.department.map(real);
        employee.manages = employee.manages.iter().map(|d| real(*d)).collect();
        employee.manages.sort_unstable();
        let saved = write_employee(c, &employee, &e.caller_ids, import.counts.as_ref(), now)?;
        if saved != EmployeeSaved::Saved {
            return Ok(OrgImported::Refused { row: e.row, why: saved });
        }
        journal::record(c, &employee.number, &e.changes.by, &e.changes.list, now)?;
    }
    let held_before = super::cti::logging_in_now(c)?;
    for id in &import.gone_accounts {
        c.execute("DELETE FROM account WHERE id = ?1", [id])?;
    }
    for a in &import.accounts {
        // An account deleted since the file was checked is made again.
        let exists = a.id != 0
            && c.query_row("SELECT 1 FROM account WHERE id = ?1", [a.id], |_| Ok(())).optional()?.is_some();
        let id =
            match super::cti::save_account(c, if exists { a.id } else { 0 }, &a.account, None, None, now)? {
                Ok(id) => id,
                Err(why) => return Ok(OrgImported::AccountRefused { row: a.row, why }),
            };
        super::cti::write_rights(c, id, &a.rights)?;
        if a.hand_over && a.account.kind.logs_in() {
            c.execute("UPDATE account SET hand_over = 1 WHERE id = ?1", [id])?;
        }
    }
    if !import.accounts.is_empty() || !import.gone_accounts.is_empty() {
        // More than the licences, and more than before (a board whose
        // licences were cut still takes a file that adds none).
        let held = super::cti::logging_in_now(c)?;
        if held > import.cti_licences && held > held_before {
            let why = crate::domain::cti::AccountProblem::NoLicence;
            return Ok(OrgImported::AccountRefused { row: 0, why });
        }
    }
    for id in &import.gone_groups {
        c.execute("DELETE FROM cti_group WHERE id = ?1", [id])?;
    }
    for g in &import.groups {
        // A group deleted since the file was checked is made again.
        let saved = match super::cti_group::save(c, g.id, &g.group)? {
            None => super::cti_group::save(c, 0, &g.group)?,
            saved => saved,
        };
        if let Some(Err(why)) = saved {
            return Ok(OrgImported::GroupRefused { row: g.row, why });
        }
    }
    for id in &import.gone_books {
        super::directory::remove_book(c, *id, now)?;
    }
    for b in &import.books {
        use crate::domain::directory::SourceProblem;
        let refused = |why| Ok(OrgImported::BookRefused { row: b.row, why });
        // A book deleted since the file was checked is made again (a kept one).
        let there = b.id != 0
            && c.query_row("SELECT 1 FROM book WHERE id = ?1", [b.id], |_| Ok(())).optional()?.is_some();
        let id = match there {
            true => b.id,
            false => match super::directory::add_kept(c, &b.name)? {
                Ok(id) => id,
                Err(why) => return refused(why),
            },
        };
        let mut grants = None;
        if let Some(list) = &b.grants {
            let mut ids = Vec::with_capacity(list.len());
            for (group, access) in list {
                let id: Option<i64> = c
                    .query_row("SELECT id FROM cti_group WHERE name = ?1", [group], |r| r.get(0))
                    .optional()?;
                match id {
                    Some(id) => ids.push((id, *access)),
                    None => return refused(SourceProblem::NoSuchGroup),
                }
            }
            grants = Some(ids);
        }
        super::directory::set_access(c, id, b.everyone, grants)?;
    }
    Ok(OrgImported::Saved(made))
}

fn write_employee(
    c: &Connection,
    e: &Employee,
    caller_ids: &[String],
    counts: Option<&licence::Counts>,
    now: i64,
) -> rusqlite::Result<EmployeeSaved> {
    let was: Option<(bool, String)> = c
        .query_row("SELECT is_admin, licences FROM extension WHERE number = ?1", [&e.number], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((was_admin, held)) = was else { return Ok(EmployeeSaved::NoSuchExtension) };
    if was_admin && !e.is_admin {
        let admins: i64 =
            c.query_row("SELECT count(*) FROM extension WHERE is_admin = 1", [], |r| r.get(0))?;
        if admins <= 1 {
            return Ok(EmployeeSaved::LastAdministrator);
        }
    }
    // Counted in the writer's job, so two administrators cannot both take the last licence.
    let others = licences_held(c, &e.number)?;
    let held = read_licences(&held).unwrap_or_default();
    let others = |f| licence::count_of(&others, f);
    if let Err(p) = licence::check_grant(&held, &e.licences, others, counts) {
        return Ok(EmployeeSaved::Licence(p));
    }
    c.execute(
        "UPDATE extension SET name = ?2, comment = ?3, email = ?4, department_id = ?5, is_admin = ?6,
         public_book = ?7, mobile_number = ?8, updated_at = ?9, recordings = ?10, licences = ?11
         WHERE number = ?1",
        params![
            e.number,
            e.name,
            e.comment,
            e.email,
            e.department,
            e.is_admin,
            e.public_right.code(),
            e.mobile,
            now,
            e.recordings,
            write_licences(&e.licences)
        ],
    )?;
    c.execute(
        "INSERT INTO extension_services (extension, restriction, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (extension) DO UPDATE SET restriction = excluded.restriction, updated_at = excluded.updated_at",
        params![e.number, e.restriction.code(), now],
    )?;
    super::program::write_caller_ids(c, &e.number, caller_ids, now)?;
    c.execute("DELETE FROM manager_department WHERE extension = ?1", [&e.number])?;
    for d in &e.manages {
        c.execute(
            "INSERT INTO manager_department (extension, department_id) VALUES (?1, ?2)",
            params![e.number, d],
        )?;
    }
    Ok(EmployeeSaved::Saved)
}

impl Store {
    /// The department's id, adding it if it does not exist.
    pub async fn ensure_department(&self, name: &str) -> Result<i64, StoreError> {
        let name = name.to_owned();
        self.write(move |c| {
            c.execute("INSERT INTO department (name) VALUES (?1) ON CONFLICT (name) DO NOTHING", [&name])?;
            c.query_row("SELECT id FROM department WHERE name = ?1", [&name], |r| r.get(0))
        })
        .await
    }

    /// Every extension as the administrator's list shows it, by number.
    pub async fn employees(&self) -> Result<Vec<Employee>, StoreError> {
        self.read(|c| {
            let mut q = c.prepare_cached(&format!("{EMPLOYEE} ORDER BY e.number"))?;
            let rows = q.query_map([], employee_row)?;
            rows.collect()
        })
        .await
    }

    /// At most `limit` employees after `after` by number, of one department
    /// (`Some(None)`: the pool) and administrators or not, when asked: a page
    /// read by the primary key's order, not the whole exchange.
    pub async fn employees_page(
        &self,
        after: &str,
        limit: usize,
        department: Option<Option<i64>>,
        is_admin: Option<bool>,
    ) -> Result<Vec<Employee>, StoreError> {
        let after = after.to_owned();
        let (by_department, department) = (department.is_some(), department.flatten());
        self.read(move |c| {
            let mut q = c.prepare_cached(&format!(
                "{EMPLOYEE} WHERE e.number > ?1 AND (?2 = 0 OR e.department_id IS ?3)
                   AND (?4 IS NULL OR e.is_admin = ?4) ORDER BY e.number LIMIT ?5"
            ))?;
            let rows =
                q.query_map(params![after, by_department, department, is_admin, limit as i64], employee_row)?;
            rows.collect()
        })
        .await
    }

    pub async fn employee(&self, number: &str) -> Result<Option<Employee>, StoreError> {
        let number = number.to_owned();
        self.read(move |c| {
            c.query_row(&format!("{EMPLOYEE} WHERE e.number = ?1"), [&number], employee_row).optional()
        })
        .await
    }

    /// The departments by id, with their names, by name.
    pub async fn departments(&self) -> Result<Vec<(i64, String)>, StoreError> {
        self.read(|c| {
            let mut q = c.prepare_cached("SELECT id, name FROM department ORDER BY name")?;
            let rows = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
        .await
    }

    /// The departments with how many extensions each has, by name.
    pub async fn departments_with_members(&self) -> Result<Vec<(i64, String, i64)>, StoreError> {
        self.read(|c| {
            let mut q = c.prepare_cached(
                "SELECT d.id, d.name, (SELECT count(*) FROM extension e WHERE e.department_id = d.id)
                 FROM department d ORDER BY d.name",
            )?;
            let rows = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect()
        })
        .await
    }

    /// Adds a department; false if one of that name exists (names are unique, any case).
    /// Adds a department and returns its id; `None` if one has the name already.
    pub async fn add_department(&self, name: &str) -> Result<Option<i64>, StoreError> {
        let name = name.to_owned();
        self.write(move |c| {
            let added = c.execute(
                "INSERT INTO department (name) VALUES (?1) ON CONFLICT (name) DO NOTHING",
                [&name],
            )?;
            Ok((added == 1).then(|| c.last_insert_rowid()))
        })
        .await
    }

    /// Renames a department: `None` if there is none with that id, `Some(false)`
    /// if another has the name already.
    pub async fn rename_department(&self, id: i64, name: &str) -> Result<Option<bool>, StoreError> {
        let name = name.to_owned();
        self.write(move |c| {
            let taken: bool = c.query_row(
                "SELECT count(*) FROM department WHERE name = ?1 AND id <> ?2",
                params![name, id],
                |r| r.get::<_, i64>(0),
            )? > 0;
            if taken {
                return Ok(Some(false));
            }
            let n = c.execute("UPDATE department SET name = ?2 WHERE id = ?1", params![id, name])?;
            Ok((n == 1).then_some(true))
        })
        .await
    }

    /// Deletes a department; its extensions go to the pool, each with a journal
    /// entry by `by`. The extensions moved, or `None` if there was no such department.
    pub async fn delete_department(
        &self,
        id: i64,
        by: journal::Author,
        now: i64,
    ) -> Result<Option<Vec<String>>, StoreError> {
        self.write(move |c| {
            let name: Option<String> =
                c.query_row("SELECT name FROM department WHERE id = ?1", [id], |r| r.get(0)).optional()?;
            if name.is_none() {
                return Ok(None);
            }
            let mut q =
                c.prepare_cached("SELECT number FROM extension WHERE department_id = ?1 ORDER BY number")?;
            let members: Vec<String> = q.query_map([id], |r| r.get(0))?.collect::<Result<_, _>>()?;
            c.execute("DELETE FROM department WHERE id = ?1", [id])?;
            for ext in &members {
                let moved = crate::domain::journal::Change {
                    topic: crate::domain::journal::Topic::Rights,
                    field: "department",
                    old: id.to_string(),
                    new: String::new(),
                };
                journal::record(c, ext, &by, &[moved], now)?;
            }
            Ok(Some(members))
        })
        .await
    }

    /// Stores an administrator's change of an employee in one job, with its
    /// caller IDs and journal entries, unless it would leave the exchange
    /// without an administrator or give a CTI function beyond the core's `counts`.
    pub async fn save_employee(
        &self,
        e: Employee,
        caller_ids: Vec<String>,
        counts: Option<licence::Counts>,
        changes: Changes,
        now: i64,
    ) -> Result<EmployeeSaved, StoreError> {
        self.write(move |c| {
            let saved = write_employee(c, &e, &caller_ids, counts.as_ref(), now)?;
            if saved == EmployeeSaved::Saved {
                journal::record(c, &e.number, &changes.by, &changes.list, now)?;
            }
            Ok(saved)
        })
        .await
    }

    /// A bulk import, all of it or nothing: departments made, employees saved
    /// with their journal entries. The first employee the store refuses (the
    /// last administrator, a licence not to be had) undoes the whole import.
    pub async fn import_org(&self, import: OrgImport, now: i64) -> Result<OrgImported, StoreError> {
        self.write(move |c| {
            c.execute_batch("SAVEPOINT import")?;
            let result = write_import(c, &import, now);
            match &result {
                Ok(OrgImported::Saved(_)) => c.execute_batch("RELEASE import")?,
                _ => c.execute_batch("ROLLBACK TO import; RELEASE import")?,
            }
            result
        })
        .await
    }

    /// Sets what an administrator sets about an extension.
    pub async fn set_extension_admin(
        &self,
        number: &str,
        department: Option<i64>,
        email: &str,
        mobile: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let (number, email, mobile) = (number.to_owned(), email.to_owned(), mobile.to_owned());
        self.write(move |c| {
            c.execute(
                "UPDATE extension SET department_id = ?2, email = ?3, mobile_number = ?4, updated_at = ?5 WHERE number = ?1",
                params![number, department, email, mobile, now],
            )
            .map(|n| n == 1)
        })
        .await
    }

    /// Sets the departments `number` manages (the demo and the tests; an
    /// administrator's change goes through [`Store::save_employee`]).
    pub async fn set_managed_departments(&self, number: &str, departments: &[i64]) -> Result<(), StoreError> {
        let (number, departments) = (number.to_owned(), departments.to_vec());
        self.write(move |c| {
            c.execute("DELETE FROM manager_department WHERE extension = ?1", [&number])?;
            for d in departments {
                c.execute(
                    "INSERT INTO manager_department (extension, department_id) VALUES (?1, ?2)",
                    params![number, d],
                )?;
            }
            Ok(())
        })
        .await
    }

    /// How many extensions hold each CTI function.
    pub async fn licences_in_use(&self) -> Result<Vec<(CtiFunction, u32)>, StoreError> {
        self.read(|c| licences_held(c, "")).await
    }

    /// Moves an extension of the unassigned pool into `department`, with its
    /// journal entry: false if it is not in the pool (any more).
    pub async fn take_from_pool(
        &self,
        number: &str,
        department: i64,
        changes: Changes,
        now: i64,
    ) -> Result<bool, StoreError> {
        let number = number.to_owned();
        self.write(move |c| {
            let n = c.execute(
                "UPDATE extension SET department_id = ?2, updated_at = ?3
                 WHERE number = ?1 AND department_id IS NULL",
                params![number, department, now],
            )?;
            if n == 1 {
                journal::record(c, &number, &changes.by, &changes.list, now)?;
            }
            Ok(n == 1)
        })
        .await
    }

    /// Stores what a manager sets about one of his extensions (SPEC M1), with
    /// the journal entries, in one job: false if there is no such extension.
    pub async fn save_member(&self, m: Member, changes: Changes, now: i64) -> Result<bool, StoreError> {
        self.write(move |c| {
            let n = c.execute(
                "UPDATE extension SET comment = ?2, description = ?3, email = ?4, mobile_number = ?5,
                 notify_answered = ?6, notify_missed = ?7, updated_at = ?8 WHERE number = ?1",
                params![
                    m.number,
                    m.comment,
                    m.description,
                    m.email,
                    m.mobile,
                    m.notify_answered,
                    m.notify_missed,
                    now
                ],
            )?;
            if n == 1 {
                journal::record(c, &m.number, &changes.by, &changes.list, now)?;
            }
            Ok(n == 1)
        })
        .await
    }

    /// The department an extension belongs to: `None` if there is no such
    /// extension, `Some(None)` if it is in the unassigned pool.
    pub async fn department_of(&self, number: &str) -> Result<Option<Option<i64>>, StoreError> {
        let number = number.to_owned();
        self.read(move |c| {
            use rusqlite::OptionalExtension;
            c.query_row("SELECT department_id FROM extension WHERE number = ?1", [&number], |r| r.get(0))
                .optional()
        })
        .await
    }

    /// Every extension's department (`None`: unassigned), by number.
    pub async fn departments_of_all(
        &self,
    ) -> Result<std::collections::HashMap<String, Option<i64>>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT number, department_id FROM extension")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
        .await
    }
}
