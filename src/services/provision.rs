//! Bulk provisioning (SPEC V2): the exchange's departments and what an
//! administrator sets about each extension, exported and imported whole.
//! Departments are named, not numbered, so a file moves between boards. An
//! import is checked row by row with the same rules as the employees page
//! (`employees::checked`); a dry run stops there and reports; otherwise the
//! whole file is written in one store job, or nothing is when any row is
//! refused. What an export gives, imported again, changes nothing.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::bus::{Changed, Live};
use super::employees::{checked, core_licences, employee_changes, EmployeeChange};
use super::features::program_core;
use super::{Context, Invalid, ServiceError};
use crate::domain::access::{Action, Actor, Area, Target};
use crate::domain::account::{check_department, EmployeeProblem};
use crate::domain::cti::{
    check_account, check_rights, devices_text, monitors_text, parse_devices, parse_monitors, AccountProblem,
    BlfSource, Data, Device, Kind, Monitor, Rights, RightsProblem,
};
use crate::domain::directory::{check_name as check_book_name, SourceProblem};
use crate::domain::group::{check_name as check_group_name, MAX_GROUPS};
use crate::domain::licence::LicenceProblem;
use crate::domain::phonebook::{BookAccess, MAX_KEPT_BOOKS};
use crate::store::cti::SavedAccount;
use crate::store::cti_group::SavedGroup;
use crate::store::org::{
    EmployeeSaved, ImportedAccount, ImportedBook, ImportedEmployee, ImportedGroup, OrgImport, OrgImported,
};

/// Rows a file holds at most, of each kind.
pub const MAX_ROWS: usize = 5000;
/// Books a file names at most: the sources' and those kept here.
pub const MAX_BOOKS: usize = crate::domain::directory::MAX_SOURCES + MAX_KEPT_BOOKS;

/// One extension as a bulk file gives it. A field the file does not give
/// (`None`) keeps its value: a file of numbers and e-mail addresses changes
/// the addresses and nothing else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtensionRow {
    /// Where it is in the file (1 for the first), for the report.
    pub row: usize,
    pub number: String,
    pub name: Option<String>,
    pub comment: Option<String>,
    pub email: Option<String>,
    /// The department's name; `Some(None)` for the pool.
    pub department: Option<Option<String>>,
    pub is_admin: Option<bool>,
    pub public_book: Option<String>,
    pub mobile: Option<String>,
    pub restriction: Option<String>,
    pub caller_ids: Option<Vec<String>>,
    /// The names of the departments he manages.
    pub manages: Option<Vec<String>>,
    pub recordings: Option<bool>,
    pub licences: Option<Vec<String>>,
}

/// A CTI group as a bulk file gives it (SPEC C6), by its name: made when
/// missing. A field the file does not give keeps its value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupRow {
    /// Where it is in the file (1 for the first), for the report.
    pub row: usize,
    pub name: String,
    pub show_numbers: Option<bool>,
    /// Its members: CTI accounts by name, subscribers by extension.
    pub members: Option<Vec<String>>,
}

/// A CTI account as a bulk file gives it (SPEC C1-C5), by its name: made
/// when missing, with its rights. A field the file does not give keeps its
/// value (a new account: empty, no rights). No password travels in a file:
/// an account that logs in and has none (a new one) is handed one at its
/// first login, as is one the file marks `hand_over`; `false` takes no mark
/// away (the login or a password set on the page does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountRow {
    /// Where it is in the file (1 for the first), for the report.
    pub row: usize,
    pub name: String,
    /// `computer`, `user` or `nologin`; needed for a new account.
    pub kind: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub sip_user: Option<String>,
    pub department_note: Option<String>,
    pub hand_over: Option<bool>,
    pub devices: Option<Vec<Device>>,
    pub monitors: Option<Vec<Monitor>>,
    pub offline_journal: Option<bool>,
    pub server_journal: Option<bool>,
    pub hot_desking: Option<bool>,
    /// `in_use`, `first` or `not_softphone`.
    pub blf: Option<String>,
}

/// A shared book as a bulk file gives it (SPEC C9-C11), by its name, with
/// who may read it: a book kept here is made when missing; a source's book
/// (a CSV file, an LDAP directory) must be set up on the books page, whose
/// settings (and password) do not travel. A field the file does not give
/// keeps its value. The contacts are not in it: a kept book is filled from a
/// contact file on its page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookRow {
    /// Where it is in the file (1 for the first), for the report.
    pub row: usize,
    pub name: String,
    /// `kept` (made when missing), `csv` or `ldap`; left out: kept.
    pub kind: Option<String>,
    /// What everyone may do with it: `none`, `read` or `offline`.
    pub everyone: Option<String>,
    /// Each CTI group's access (`read`, `offline`, `write`), by the group's
    /// name: the list whole, a group it leaves out reads nothing.
    pub groups: Option<Vec<(String, String)>>,
}

/// A whole bulk file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bulk {
    /// Departments by name: made when missing. Departments that extension
    /// rows name are made too.
    pub departments: Vec<String>,
    pub extensions: Vec<ExtensionRow>,
    /// CTI groups, written after the extensions.
    pub groups: Vec<GroupRow>,
    /// The file names every CTI group (a configuration document): those it
    /// does not name go.
    pub groups_whole: bool,
    /// CTI accounts, written before the groups (a group may name one).
    pub accounts: Vec<AccountRow>,
    /// The file names every CTI account (a configuration document): those
    /// it does not name go.
    pub accounts_whole: bool,
    /// Shared books and who may read them, written after the groups.
    pub books: Vec<BookRow>,
    /// The file names every book (a configuration document): kept books it
    /// does not name go (their notes to the trash); sources' books stay.
    pub books_whole: bool,
}

/// What an import does (or would do) with one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    /// The fields that change.
    Changed(Vec<&'static str>),
    Unchanged,
    /// Not in a configuration document, so it goes.
    Removed,
    Refused(Refusal),
}

/// Why a row is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A rule said no, as it would on the page.
    Rule(Invalid),
    NoSuchExtension,
    /// The same extension or department is in the file twice.
    Twice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Department,
    Extension,
    /// A CTI group.
    CtiGroup,
    /// A CTI account.
    CtiAccount,
    /// A shared book.
    Book,
    /// An extension's forwarding, in a configuration document.
    Forwarding,
    /// A board-wide setting, in a configuration document.
    Board,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowReport {
    pub row: usize,
    pub kind: RowKind,
    /// The extension's number or the department's name.
    pub key: String,
    pub outcome: Outcome,
}

/// The report of an import: what each row did, and whether the file went in
/// (never on a dry run, never when a row is refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub applied: bool,
    pub rows: Vec<RowReport>,
}

impl ImportReport {
    pub fn refused(&self) -> bool {
        self.rows.iter().any(|r| matches!(r.outcome, Outcome::Refused(_)))
    }
}

#[derive(Clone)]
pub struct Provision {
    ctx: Context,
    /// The CTI server's licences (the board file's), shared by every copy.
    cti_licences: Arc<AtomicUsize>,
    /// The import under way (imports take turns at the API and the page).
    running: Arc<Counter>,
    /// The last import's report, whoever made it.
    last: Arc<std::sync::Mutex<Option<Arc<LastImport>>>>,
}

/// What an import is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// None is under way.
    Idle,
    /// Each row checked against the rules.
    Checking,
    /// The whole file written, in one store job.
    Writing,
    /// The core programmed with each changed extension.
    Programming,
}

impl Phase {
    const ALL: [Phase; 4] = [Phase::Idle, Phase::Checking, Phase::Writing, Phase::Programming];

    pub fn code(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Checking => "checking",
            Phase::Writing => "writing",
            Phase::Programming => "programming",
        }
    }
}

/// How far an import under way is: `done` of `total` in its phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub phase: Phase,
    pub done: usize,
    pub total: usize,
}

/// The last import, as the page and the API show it.
#[derive(Debug, Clone)]
pub struct LastImport {
    /// Who made it (an actor's label) and how.
    pub by: String,
    pub via: &'static str,
    pub at: i64,
    pub dry_run: bool,
    pub report: ImportReport,
}

/// The progress counters, one set for the service.
#[derive(Debug, Default)]
struct Counter {
    phase: AtomicUsize,
    done: AtomicUsize,
    total: AtomicUsize,
}

impl Counter {
    /// An import begins with `total` rows to check; it ends (idle again) when
    /// the returned guard goes, however it ends.
    fn start(&self, total: usize) -> Running<'_> {
        let running = Running(self);
        running.phase(Phase::Checking, total);
        running
    }

    fn now(&self) -> Progress {
        let phase = Phase::ALL.get(self.phase.load(Ordering::Relaxed)).copied().unwrap_or(Phase::Idle);
        let total = self.total.load(Ordering::Relaxed);
        Progress { phase, done: self.done.load(Ordering::Relaxed).min(total), total }
    }
}

/// An import under way: it moves the counters on.
struct Running<'a>(&'a Counter);

impl Running<'_> {
    fn phase(&self, phase: Phase, total: usize) {
        self.0.done.store(0, Ordering::Relaxed);
        self.0.total.store(total, Ordering::Relaxed);
        self.0.phase.store(phase as usize, Ordering::Relaxed);
    }

    /// One more row done.
    fn row(&self) {
        self.0.done.fetch_add(1, Ordering::Relaxed);
    }

    /// `n` rows done in all.
    fn rows(&self, n: usize) {
        self.0.done.store(n, Ordering::Relaxed);
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.phase(Phase::Idle, 0);
    }
}

/// What the accounts of a file come to: the rows' writes, the ids of those
/// that go, and the names of those made (a group may name them).
#[derive(Default)]
struct AccountWrites {
    writes: Vec<ImportedAccount>,
    gone: Vec<i64>,
    /// The names of those that go.
    gone_names: Vec<String>,
    made: Vec<String>,
}

fn rule(i: impl Into<Invalid>) -> Outcome {
    Outcome::Refused(Refusal::Rule(i.into()))
}

impl Provision {
    pub fn new(ctx: Context) -> Provision {
        Provision {
            ctx,
            cti_licences: Arc::new(AtomicUsize::new(super::cti::DEFAULT_LICENCES)),
            running: Arc::default(),
            last: Arc::default(),
        }
    }

    /// The CTI server's licences, as the board file gives them.
    pub fn set_cti_licences(&self, licences: usize) {
        self.cti_licences.store(licences, Ordering::Relaxed);
    }

    /// Every department, extension, CTI account (with its rights) and CTI group, as an import takes them.
    pub async fn export(&self, actor: &Actor) -> Result<Bulk, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Extensions))?;
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Departments))?;
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Cti))?;
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Phonebook))?;
        let groups = self
            .ctx
            .store
            .cti_groups()
            .await?
            .into_iter()
            .enumerate()
            .map(|(i, g)| GroupRow {
                row: i + 1,
                name: g.name,
                show_numbers: Some(g.show_numbers),
                members: Some(g.members.iter().map(|m| m.name().to_owned()).collect()),
            })
            .collect();
        let accounts = self
            .ctx
            .store
            .cti_accounts_with_rights()
            .await?
            .into_iter()
            .enumerate()
            .map(|(i, (a, r))| AccountRow {
                row: i + 1,
                kind: Some(a.kind.code().to_owned()),
                first_name: Some(a.data.first_name),
                last_name: Some(a.data.last_name),
                phone: Some(a.data.phone),
                email: Some(a.data.email),
                sip_user: Some(a.data.sip_user),
                department_note: Some(a.data.department_note),
                hand_over: Some(a.hand_over),
                devices: Some(r.devices),
                monitors: Some(r.monitors),
                offline_journal: Some(r.offline_journal),
                server_journal: Some(r.server_journal),
                hot_desking: Some(r.hot_desking),
                blf: Some(r.blf.code().to_owned()),
                name: a.name,
            })
            .collect();
        let books = self.book_rows().await?;
        let departments = self.ctx.store.departments().await?;
        let name = |id: &i64| departments.iter().find(|(d, _)| d == id).map(|(_, n)| n.clone());
        let (employees, mut ids) =
            (self.ctx.store.employees().await?, self.ctx.store.all_caller_ids().await?);
        let extensions = employees
            .into_iter()
            .enumerate()
            .map(|(i, e)| ExtensionRow {
                row: i + 1,
                caller_ids: Some(ids.remove(&e.number).unwrap_or_default()),
                department: Some(e.department.as_ref().and_then(name)),
                manages: Some(e.manages.iter().filter_map(name).collect()),
                public_book: Some(e.public_right.code().to_owned()),
                restriction: Some(e.restriction.code().to_owned()),
                licences: Some(e.licences.iter().map(|l| l.code().to_owned()).collect()),
                number: e.number,
                name: Some(e.name),
                comment: Some(e.comment),
                email: Some(e.email),
                is_admin: Some(e.is_admin),
                mobile: Some(e.mobile),
                recordings: Some(e.recordings),
            })
            .collect();
        let mut names: Vec<String> = departments.into_iter().map(|(_, n)| n).collect();
        names.sort();
        Ok(Bulk { departments: names, extensions, groups, accounts, books, ..Bulk::default() })
    }

    /// Checks every row of `bulk`; unless `dry_run`, and unless a row is
    /// refused, writes the whole file in one store job and programs the core
    /// with what changed.
    /// The import under way is seen in [`Provision::progress`], and its
    /// report is kept there as the last import's.
    #[tracing::instrument(name = "service", skip_all, fields(call = "provision.import", actor = %actor.label(), via = actor.via.code(), dry_run))]
    pub async fn import(
        &self,
        actor: &Actor,
        bulk: &Bulk,
        dry_run: bool,
    ) -> Result<ImportReport, ServiceError> {
        let rows = bulk.extensions.len() + bulk.accounts.len() + bulk.groups.len() + bulk.books.len();
        let running = self.running.start(rows);
        let report = self.import_whole(actor, bulk, dry_run, &running).await?;
        let last = LastImport {
            by: actor.label(),
            via: actor.via.code(),
            at: self.ctx.clock.now(),
            dry_run,
            report: report.clone(),
        };
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(last));
        Ok(report)
    }

    /// What an import under way has done, and the last import's report
    /// (the API's and the page's alike).
    pub fn progress(&self, actor: &Actor) -> Result<(Progress, Option<Arc<LastImport>>), ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Extensions))?;
        let last = self.last.lock().unwrap_or_else(|e| e.into_inner()).clone();
        Ok((self.running.now(), last))
    }

    async fn import_whole(
        &self,
        actor: &Actor,
        bulk: &Bulk,
        dry_run: bool,
        running: &Running<'_>,
    ) -> Result<ImportReport, ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Extensions))?;
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Departments))?;
        if !bulk.groups.is_empty() || bulk.groups_whole || !bulk.accounts.is_empty() || bulk.accounts_whole {
            self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Cti))?;
        }
        if !bulk.books.is_empty() || bulk.books_whole {
            self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Phonebook))?;
        }
        if bulk.extensions.len() > MAX_ROWS
            || bulk.departments.len() > MAX_ROWS
            || bulk.accounts.len() > MAX_ROWS
            || bulk.groups.len() > MAX_GROUPS
            || bulk.books.len() > MAX_BOOKS
        {
            return Err(ServiceError::Invalid(Invalid::Selection));
        }
        let mut rows = Vec::new();
        // Departments: the known ones by name, the new ones with ids below zero.
        let mut known = self.ctx.store.departments().await?;
        let mut new_departments = Vec::new();
        let mut listed = HashSet::new();
        let named = bulk.departments.iter().enumerate().map(|(i, n)| (i + 1, n.trim().to_owned(), true));
        let referred = bulk.extensions.iter().flat_map(|e| {
            let department = e.department.iter().flatten();
            department.chain(e.manages.iter().flatten()).map(move |n| (e.row, n.trim().to_owned(), false))
        });
        for (row, name, listed_here) in named.chain(referred) {
            if listed_here && !listed.insert(name.clone()) {
                rows.push(dept_row(row, &name, Outcome::Refused(Refusal::Twice)));
                continue;
            }
            if known.iter().any(|(_, n)| *n == name) {
                if listed_here {
                    rows.push(dept_row(row, &name, Outcome::Unchanged));
                }
                continue;
            }
            let outcome = match check_department(&name) {
                Err(p) => rule(p),
                Ok(()) => {
                    new_departments.push(name.clone());
                    known.push((-(new_departments.len() as i64), name.clone()));
                    Outcome::Created
                }
            };
            rows.push(dept_row(row, &name, outcome));
        }
        let id_of = |name: &str| known.iter().find(|(_, n)| n == name.trim()).map(|(id, _)| id.to_string());
        // Extensions: each checked whole, as the employees page checks one.
        let mut employees: HashMap<String, _> =
            self.ctx.store.employees().await?.into_iter().map(|e| (e.number.clone(), e)).collect();
        let mut old_ids = self.ctx.store.all_caller_ids().await?;
        let mut seen = HashSet::new();
        let mut writes = Vec::new();
        let author = Context::author(actor);
        let mut adds_licence = false;
        for e in &bulk.extensions {
            running.row();
            let key = e.number.trim().to_owned();
            let report =
                |outcome| RowReport { row: e.row, kind: RowKind::Extension, key: key.clone(), outcome };
            if !seen.insert(key.clone()) {
                rows.push(report(Outcome::Refused(Refusal::Twice)));
                continue;
            }
            let Some(old) = employees.remove(&key) else {
                rows.push(report(Outcome::Refused(Refusal::NoSuchExtension)));
                continue;
            };
            let was_ids = old_ids.remove(&key).unwrap_or_default();
            let or = |given: &Option<String>, was: &str| given.clone().unwrap_or_else(|| was.to_owned());
            let change = EmployeeChange {
                name: or(&e.name, &old.name),
                comment: or(&e.comment, &old.comment),
                email: or(&e.email, &old.email),
                department: match &e.department {
                    None => old.department.map(|d| d.to_string()).unwrap_or_default(),
                    Some(d) => d.as_deref().and_then(id_of).unwrap_or_default(),
                },
                is_admin: e.is_admin.unwrap_or(old.is_admin),
                public_right: or(&e.public_book, old.public_right.code()),
                mobile: or(&e.mobile, &old.mobile),
                restriction: or(&e.restriction, old.restriction.code()),
                caller_ids: e.caller_ids.as_ref().unwrap_or(&was_ids).join("\n"),
                manages: match &e.manages {
                    None => old.manages.iter().map(i64::to_string).collect(),
                    Some(names) => names.iter().filter_map(|m| id_of(m)).collect(),
                },
                recordings: e.recordings.unwrap_or(old.recordings),
                licences: match &e.licences {
                    None => old.licences.iter().map(|l| l.code().to_owned()).collect(),
                    Some(l) => l.clone(),
                },
            };
            let (new, caller_ids) = match checked(&old, &change, &known) {
                Ok(n) => n,
                Err(ServiceError::Invalid(i)) => {
                    rows.push(report(Outcome::Refused(Refusal::Rule(i))));
                    continue;
                }
                Err(other) => return Err(other),
            };
            let list = employee_changes(&old, &new, &was_ids, &caller_ids);
            if list.is_empty() {
                rows.push(report(Outcome::Unchanged));
                continue;
            }
            rows.push(report(Outcome::Changed(list.iter().map(|c| c.field).collect())));
            adds_licence |= new.licences.iter().any(|f| !old.licences.contains(f));
            let changes = crate::store::journal::Changes { by: author.clone(), list };
            writes.push(ImportedEmployee { row: e.row, employee: new, caller_ids, changes });
        }
        running.rows(bulk.extensions.len());
        let accounts = self.accounts(bulk, &mut rows).await?;
        running.rows(bulk.extensions.len() + bulk.accounts.len());
        let (groups, gone_groups) = self.groups(bulk, &accounts, &mut rows).await?;
        running.rows(bulk.extensions.len() + bulk.accounts.len() + bulk.groups.len());
        let (books, gone_books) = self.books(bulk, &mut rows).await?;
        running.rows(bulk.extensions.len() + bulk.accounts.len() + bulk.groups.len() + bulk.books.len());
        let mut report = ImportReport { applied: false, rows };
        if dry_run || report.refused() {
            return Ok(report);
        }
        if writes.is_empty()
            && new_departments.is_empty()
            && groups.is_empty()
            && gone_groups.is_empty()
            && accounts.writes.is_empty()
            && accounts.gone.is_empty()
            && books.is_empty()
            && gone_books.is_empty()
        {
            report.applied = true;
            return Ok(report);
        }
        let counts = match adds_licence {
            true => core_licences(&self.ctx).await,
            false => None,
        };
        let changed: Vec<String> = writes.iter().map(|w| w.employee.number.clone()).collect();
        let groups_written = !groups.is_empty()
            || !gone_groups.is_empty()
            || !accounts.writes.is_empty()
            || !accounts.gone.is_empty();
        let import = OrgImport {
            departments: new_departments,
            employees: writes,
            counts,
            groups,
            gone_groups,
            accounts: accounts.writes,
            gone_accounts: accounts.gone,
            cti_licences: self.cti_licences.load(Ordering::Relaxed),
            books,
            gone_books,
        };
        running.phase(Phase::Writing, 0);
        match self.ctx.store.import_org(import, self.ctx.clock.now()).await? {
            OrgImported::Saved(made) => {
                tracing::info!(actor = %actor.label(), departments = made.len(), extensions = changed.len(), "bulk import written");
            }
            OrgImported::BookRefused { row, why } => {
                if let Some(r) = report.rows.iter_mut().find(|r| r.kind == RowKind::Book && r.row == row) {
                    r.outcome = rule(why);
                }
                return Ok(report);
            }
            OrgImported::AccountRefused { row, why } => {
                let refused = report.rows.iter_mut().filter(|r| r.kind == RowKind::CtiAccount);
                // Row 0: the licences; every row that adds a login says so.
                for r in refused.filter(|r| r.row == row || (row == 0 && adds_login(&r.outcome))) {
                    r.outcome = rule(why);
                }
                return Ok(report);
            }
            OrgImported::GroupRefused { row, why } => {
                if let Some(r) = report.rows.iter_mut().find(|r| r.kind == RowKind::CtiGroup && r.row == row)
                {
                    r.outcome = rule(why);
                }
                return Ok(report);
            }
            OrgImported::Refused { row, why } => {
                let why = match why {
                    EmployeeSaved::LastAdministrator => rule(EmployeeProblem::LastAdministrator),
                    EmployeeSaved::Licence(p) => rule(p),
                    EmployeeSaved::NoSuchExtension => Outcome::Refused(Refusal::NoSuchExtension),
                    EmployeeSaved::Saved => rule(LicenceProblem::Unknown),
                };
                if let Some(r) = report.rows.iter_mut().find(|r| r.kind == RowKind::Extension && r.row == row)
                {
                    r.outcome = why;
                }
                return Ok(report);
            }
        }
        report.applied = true;
        // What the core keeps (the restriction, the MobilePhone number) is
        // programmed now; an extension the core cannot take now gets it at
        // the next resync, as after a change on the page.
        running.phase(Phase::Programming, changed.len());
        for ext in &changed {
            running.row();
            if let Err(e) = program_core(&self.ctx, ext).await {
                tracing::warn!(extension = %ext, error = %e, "imported, not yet programmed into the core");
            }
            self.ctx.bus.publish(Live::Changed { ext: ext.clone(), what: Changed::Profile });
        }
        if groups_written {
            // Every member's clients and pages see their panels anew (an
            // account's names and devices are on its groups' panels).
            self.ctx.bus.publish(Live::Groups);
        }
        Ok(report)
    }

    /// Checks the file's CTI accounts as the page's forms check one and its
    /// rights, against the accounts there are (by name, in any case), and
    /// the licences over all of them: what each row does, and the writes.
    async fn accounts(&self, bulk: &Bulk, rows: &mut Vec<RowReport>) -> Result<AccountWrites, ServiceError> {
        let mut out = AccountWrites::default();
        if bulk.accounts.is_empty() && !bulk.accounts_whole {
            return Ok(out);
        }
        let have = self.ctx.store.cti_accounts_with_rights().await?;
        let numbers: HashSet<String> = self.ctx.store.programs().await?.into_iter().map(|(n, _)| n).collect();
        let known = |e: &str| numbers.contains(e);
        let named = |a: &str| bulk.accounts.iter().any(|r| r.name.trim().eq_ignore_ascii_case(a));
        // Logins held by accounts the file leaves alone, or removes.
        let mut logins = 0;
        for (a, _) in &have {
            if bulk.accounts_whole && !named(&a.name) {
                let outcome = Outcome::Removed;
                rows.push(RowReport { row: 0, kind: RowKind::CtiAccount, key: a.name.clone(), outcome });
                out.gone.push(a.id);
                out.gone_names.push(a.name.clone());
            } else if !named(&a.name) && a.kind.logs_in() {
                logins += 1;
            }
        }
        let licences = self.cti_licences.load(Ordering::Relaxed);
        let held_before = have.iter().filter(|(a, _)| a.kind.logs_in()).count();
        let mut seen: HashSet<String> = HashSet::new();
        for r in &bulk.accounts {
            let name = r.name.trim().to_owned();
            let mut report = |outcome| {
                rows.push(RowReport { row: r.row, kind: RowKind::CtiAccount, key: name.clone(), outcome })
            };
            if !seen.insert(name.to_lowercase()) {
                report(Outcome::Refused(Refusal::Twice));
                continue;
            }
            let old = have.iter().find(|(a, _)| a.name.eq_ignore_ascii_case(&name));
            let kind = match (&r.kind, old) {
                (Some(k), _) => Kind::from_code(k.trim()),
                (None, Some((a, _))) => Some(a.kind),
                (None, None) => None,
            };
            let Some(kind) = kind else {
                report(rule(AccountProblem::BadKind));
                continue;
            };
            let was = old.map(|(a, _)| a.data.clone()).unwrap_or_default();
            let field = |given: &Option<String>, was: &str| given.as_deref().unwrap_or(was).trim().to_owned();
            let data = Data {
                first_name: field(&r.first_name, &was.first_name),
                last_name: field(&r.last_name, &was.last_name),
                phone: field(&r.phone, &was.phone),
                email: field(&r.email, &was.email),
                sip_user: field(&r.sip_user, &was.sip_user),
                department_note: field(&r.department_note, &was.department_note),
            };
            if let Err(p) = check_account(&name, kind, &data) {
                report(rule(p));
                continue;
            }
            let was_rights = old.map(|(_, r)| r.clone()).unwrap_or_default();
            let devices = match &r.devices {
                Some(list) => devices_of(list, known),
                None => Ok(was_rights.devices.clone()),
            };
            let monitors = match &r.monitors {
                Some(list) => monitors_of(list, known),
                None => Ok(was_rights.monitors.clone()),
            };
            let blf = match &r.blf {
                Some(b) => BlfSource::from_code(b.trim()).ok_or(AccountProblem::BadKind),
                None => Ok(was_rights.blf),
            };
            let rights = match (devices, monitors, blf) {
                (Ok(devices), Ok(monitors), Ok(blf)) => Rights {
                    devices,
                    monitors,
                    offline_journal: r.offline_journal.unwrap_or(was_rights.offline_journal),
                    server_journal: r.server_journal.unwrap_or(was_rights.server_journal),
                    hot_desking: r.hot_desking.unwrap_or(was_rights.hot_desking),
                    blf,
                },
                (Err(p), ..) | (_, Err(p), _) => {
                    report(rule(p));
                    continue;
                }
                (.., Err(p)) => {
                    report(rule(p));
                    continue;
                }
            };
            if let Err(p) = check_rights(kind, &rights) {
                report(rule(p));
                continue;
            }
            // A login without a password (a new account's) is handed one.
            let bare = old.is_none_or(|(a, _)| !a.has_password);
            let hand_over = kind.logs_in() && (r.hand_over == Some(true) || bare);
            if kind.logs_in() {
                logins += 1;
                let adds = old.is_none_or(|(a, _)| !a.kind.logs_in());
                if adds && logins > licences && logins > held_before {
                    report(rule(AccountProblem::NoLicence));
                    continue;
                }
            }
            let outcome = match old {
                None => Outcome::Created,
                Some((a, was_rights)) => {
                    let mut fields = Vec::new();
                    let mut differs = |f: &'static str, d: bool| {
                        if d {
                            fields.push(f)
                        }
                    };
                    differs("kind", a.kind != kind);
                    differs("first_name", a.data.first_name != data.first_name);
                    differs("last_name", a.data.last_name != data.last_name);
                    differs("phone", a.data.phone != data.phone);
                    differs("email", a.data.email != data.email);
                    differs("sip_user", a.data.sip_user != data.sip_user);
                    differs("department_note", a.data.department_note != data.department_note);
                    differs("hand_over", hand_over && !a.hand_over);
                    differs("devices", was_rights.devices != rights.devices);
                    differs("monitors", was_rights.monitors != rights.monitors);
                    differs("offline_journal", was_rights.offline_journal != rights.offline_journal);
                    differs("server_journal", was_rights.server_journal != rights.server_journal);
                    differs("hot_desking", was_rights.hot_desking != rights.hot_desking);
                    differs("blf", was_rights.blf != rights.blf);
                    match fields.is_empty() {
                        true => Outcome::Unchanged,
                        false => Outcome::Changed(fields),
                    }
                }
            };
            let write = !matches!(outcome, Outcome::Unchanged);
            if old.is_none() {
                out.made.push(name.clone());
            }
            report(outcome);
            if write {
                // The name as the store has it (a file may write it in another case).
                let name = old.map_or(name, |(a, _)| a.name.clone());
                let account = SavedAccount { name, kind, data };
                let id = old.map_or(0, |(a, _)| a.id);
                out.writes.push(ImportedAccount { row: r.row, id, account, rights, hand_over });
            }
        }
        Ok(out)
    }

    /// Every shared book with who may read it, as a file gives it (the
    /// groups by name, in name order).
    async fn book_rows(&self) -> Result<Vec<BookRow>, ServiceError> {
        let groups = self.ctx.store.cti_groups().await?;
        let group = |id: i64| groups.iter().find(|g| g.id == id).map(|g| g.name.clone());
        let books = self.ctx.store.shared_book_list().await?;
        let sources = self.ctx.store.directory_books().await?;
        let rows = books.into_iter().enumerate().map(|(i, (b, _))| {
            let mut grants: Vec<(String, String)> = b
                .grants
                .iter()
                .filter(|(_, a)| *a > BookAccess::None)
                .filter_map(|(g, a)| Some((group(*g)?, a.code().to_owned())))
                .collect();
            grants.sort();
            let kind = match sources.iter().find(|s| s.id == b.id).map(|s| &s.source.origin) {
                Some(crate::domain::directory::Origin::Csv { .. }) => "csv",
                Some(crate::domain::directory::Origin::Ldap(_)) => "ldap",
                None => "kept",
            };
            BookRow {
                row: i + 1,
                name: b.name,
                kind: Some(kind.to_owned()),
                everyone: Some(b.everyone.code().to_owned()),
                groups: Some(grants),
            }
        });
        Ok(rows.collect())
    }

    /// Checks the file's books as the books page checks access, against the
    /// books there are (by name, in any case) and the CTI groups there are
    /// or the file makes: what each row does, the writes, and (a file that
    /// names every book) the kept books that go.
    async fn books(
        &self,
        bulk: &Bulk,
        rows: &mut Vec<RowReport>,
    ) -> Result<(Vec<ImportedBook>, Vec<i64>), ServiceError> {
        if bulk.books.is_empty() && !bulk.books_whole {
            return Ok((Vec::new(), Vec::new()));
        }
        let have = self.ctx.store.shared_book_list().await?;
        let now = self.book_rows().await?;
        let groups = self.ctx.store.cti_groups().await?;
        let group_known = |name: &str| {
            groups.iter().any(|g| g.name == name) || bulk.groups.iter().any(|g| g.name.trim() == name)
        };
        let named = |n: &str| bulk.books.iter().any(|b| b.name.trim().eq_ignore_ascii_case(n));
        let mut gone = Vec::new();
        if bulk.books_whole {
            for (b, _) in have.iter().filter(|(b, _)| b.kept && !named(&b.name)) {
                let outcome = Outcome::Removed;
                rows.push(RowReport { row: 0, kind: RowKind::Book, key: b.name.clone(), outcome });
                gone.push(b.id);
            }
        }
        let mut kept = have.iter().filter(|(b, _)| b.kept).count() - gone.len();
        let mut seen = HashSet::new();
        let mut writes = Vec::new();
        for r in &bulk.books {
            let name = r.name.trim().to_owned();
            let mut report = |outcome| {
                rows.push(RowReport { row: r.row, kind: RowKind::Book, key: name.clone(), outcome })
            };
            if !seen.insert(name.to_lowercase()) {
                report(Outcome::Refused(Refusal::Twice));
                continue;
            }
            if let Err(p) = check_book_name(&name) {
                report(rule(p));
                continue;
            }
            let old = have.iter().map(|(b, _)| b).find(|b| b.name.eq_ignore_ascii_case(&name));
            let was = now.iter().find(|b| b.name.eq_ignore_ascii_case(&name));
            let kind = r.kind.as_deref().map(str::trim).unwrap_or("kept");
            match (old, was.and_then(|w| w.kind.as_deref())) {
                (None, _) if kind != "kept" => {
                    report(rule(SourceProblem::NoSource));
                    continue;
                }
                (Some(_), Some(k)) if r.kind.is_some() && k != kind => {
                    report(rule(SourceProblem::NoSource));
                    continue;
                }
                _ => {}
            }
            let access = |code: &str| BookAccess::from_code(code.trim());
            let everyone = match r.everyone.as_deref().map(access) {
                Some(Some(a)) if a <= BookAccess::Offline => Some(a),
                Some(_) => {
                    report(rule(SourceProblem::Access));
                    continue;
                }
                None => None,
            };
            // A new book is kept here: its contacts may be changed.
            let editable = old.is_none_or(|b| b.editable);
            let mut grants = None;
            if let Some(list) = &r.groups {
                let mut out: Vec<(String, BookAccess)> = Vec::new();
                let mut problem = None;
                for (g, a) in list {
                    let g = g.trim();
                    match access(a) {
                        _ if !group_known(g) => problem = problem.or(Some(SourceProblem::NoSuchGroup)),
                        Some(a)
                            if (a < BookAccess::Write || editable) && !out.iter().any(|(o, _)| o == g) =>
                        {
                            out.push((g.to_owned(), a))
                        }
                        _ => problem = problem.or(Some(SourceProblem::Access)),
                    }
                }
                if let Some(p) = problem {
                    report(rule(p));
                    continue;
                }
                out.retain(|(_, a)| *a > BookAccess::None);
                out.sort();
                grants = Some(out);
            }
            let outcome = match (old, was) {
                (Some(_), Some(w)) => {
                    let mut fields = Vec::new();
                    if everyone.is_some_and(|e| Some(e.code()) != w.everyone.as_deref()) {
                        fields.push("everyone");
                    }
                    let given = grants
                        .as_ref()
                        .map(|l| l.iter().map(|(g, a)| (g.clone(), a.code().to_owned())).collect::<Vec<_>>());
                    if given.is_some_and(|g| Some(&g) != w.groups.as_ref()) {
                        fields.push("groups");
                    }
                    match fields.is_empty() {
                        true => Outcome::Unchanged,
                        false => Outcome::Changed(fields),
                    }
                }
                _ => {
                    if kept >= MAX_KEPT_BOOKS {
                        report(rule(SourceProblem::TooMany));
                        continue;
                    }
                    kept += 1;
                    Outcome::Created
                }
            };
            let write = !matches!(outcome, Outcome::Unchanged);
            report(outcome);
            if write {
                let id = old.map_or(0, |b| b.id);
                let name = old.map_or(name, |b| b.name.clone());
                writes.push(ImportedBook { row: r.row, id, name, everyone, grants });
            }
        }
        Ok((writes, gone))
    }

    /// Checks the file's CTI groups as the page's form checks one, against
    /// the groups there are (by name): what each row does, the writes, and
    /// (a file that names every group) the ids of those that go.
    async fn groups(
        &self,
        bulk: &Bulk,
        accounts: &AccountWrites,
        rows: &mut Vec<RowReport>,
    ) -> Result<(Vec<ImportedGroup>, Vec<i64>), ServiceError> {
        if bulk.groups.is_empty() && !bulk.groups_whole {
            return Ok((Vec::new(), Vec::new()));
        }
        let have = self.ctx.store.cti_groups().await?;
        // A file that names every group: those it does not name go.
        let mut gone = Vec::new();
        if bulk.groups_whole {
            for h in have.iter().filter(|h| !bulk.groups.iter().any(|g| g.name.trim() == h.name)) {
                let outcome = Outcome::Removed;
                rows.push(RowReport { row: 0, kind: RowKind::CtiGroup, key: h.name.clone(), outcome });
                gone.push(h.id);
            }
        }
        let lists = bulk
            .groups
            .iter()
            .map(|g| g.members.as_ref().map(|m| m.join("\n")).unwrap_or_default())
            .collect();
        let (made, removed) = (accounts.made.clone(), accounts.gone_names.clone());
        let resolved = self.ctx.store.resolve_cti_members(lists, made, removed).await?;
        let mut seen = HashSet::new();
        let mut writes = Vec::new();
        for (g, members) in bulk.groups.iter().zip(resolved) {
            let name = g.name.trim().to_owned();
            let mut report = |outcome| {
                rows.push(RowReport { row: g.row, kind: RowKind::CtiGroup, key: name.clone(), outcome })
            };
            if !seen.insert(name.clone()) {
                report(Outcome::Refused(Refusal::Twice));
                continue;
            }
            if let Err(p) = check_group_name(&name) {
                report(rule(p));
                continue;
            }
            let old = have.iter().find(|h| h.name == name);
            // Kept in one order (accounts, then subscribers, each by name),
            // so a file that lists them otherwise changes nothing.
            let members = match (&g.members, members) {
                (Some(_), Ok(mut m)) => {
                    m.sort();
                    m
                }
                (Some(_), Err(p)) => {
                    report(rule(p));
                    continue;
                }
                (None, _) => old.map(|o| o.members.clone()).unwrap_or_default(),
            };
            let show_numbers = g.show_numbers.or(old.map(|o| o.show_numbers)).unwrap_or(false);
            let outcome = match old {
                None => Outcome::Created,
                Some(o) => {
                    let mut fields = Vec::new();
                    if o.show_numbers != show_numbers {
                        fields.push("show_numbers");
                    }
                    if o.members != members {
                        fields.push("members");
                    }
                    match fields.is_empty() {
                        true => Outcome::Unchanged,
                        false => Outcome::Changed(fields),
                    }
                }
            };
            let write = !matches!(outcome, Outcome::Unchanged);
            report(outcome);
            if write {
                let members = members.iter().map(|m| m.name().to_owned()).collect::<Vec<_>>().join("\n");
                let group = SavedGroup { name, show_numbers, members };
                writes.push(ImportedGroup { row: g.row, id: old.map_or(0, |o| o.id), group });
            }
        }
        Ok((writes, gone))
    }
}

/// Whether an account row's outcome may take a licence (made, or its kind changed).
fn adds_login(o: &Outcome) -> bool {
    match o {
        Outcome::Created => true,
        Outcome::Changed(fields) => fields.contains(&"kind"),
        _ => false,
    }
}

/// Devices as a file gives them, checked as the page's form checks its lines
/// (each an extension of this exchange, once; the first a main device when
/// none is), in the order the store keeps them.
fn devices_of(list: &[Device], known: impl Fn(&str) -> bool) -> Result<Vec<Device>, RightsProblem> {
    if let Some(i) = list.iter().position(|d| d.ext.is_empty() || d.ext.contains(char::is_whitespace)) {
        return Err(RightsProblem::Line(i + 1));
    }
    let mut out = parse_devices(&devices_text(list), known)?;
    out.sort_by(|a, b| b.main.cmp(&a.main).then_with(|| a.ext.cmp(&b.ext)));
    Ok(out)
}

/// Monitored lines as a file gives them, checked as the page's form checks them.
fn monitors_of(list: &[Monitor], known: impl Fn(&str) -> bool) -> Result<Vec<Monitor>, RightsProblem> {
    if let Some(i) = list.iter().position(|m| m.ext.is_empty() || m.ext.contains(char::is_whitespace)) {
        return Err(RightsProblem::Line(i + 1));
    }
    let mut out = parse_monitors(&monitors_text(list), known)?;
    out.sort_by(|a, b| a.ext.cmp(&b.ext));
    Ok(out)
}

fn dept_row(row: usize, name: &str, outcome: Outcome) -> RowReport {
    RowReport { row, kind: RowKind::Department, key: name.to_owned(), outcome }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_moves_through_the_phases_and_is_idle_however_the_import_ends() {
        let c = Counter::default();
        let idle = Progress { phase: Phase::Idle, done: 0, total: 0 };
        assert_eq!(c.now(), idle);
        {
            let r = c.start(3);
            r.row();
            assert_eq!(c.now(), Progress { phase: Phase::Checking, done: 1, total: 3 });
            r.rows(3);
            assert_eq!(c.now(), Progress { phase: Phase::Checking, done: 3, total: 3 });
            r.phase(Phase::Writing, 0);
            assert_eq!(c.now(), Progress { phase: Phase::Writing, done: 0, total: 0 });
            r.phase(Phase::Programming, 2);
            r.row();
            assert_eq!(c.now(), Progress { phase: Phase::Programming, done: 1, total: 2 });
        }
        assert_eq!(c.now(), idle, "done");
        {
            let r = c.start(5);
            r.row();
            // An import refused or failed midway: its guard goes.
        }
        assert_eq!(c.now(), idle, "ended early");
    }
}
