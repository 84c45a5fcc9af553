//! Presence (SPEC C7, C8): setting and ending statuses, the core programmed
//! with a status's divert while it applies ([`Context::core_program`]), the
//! statuses that start and end by the clock ([`Presences::tick`]), DND at the
//! phone as the same truth ([`end_at_phone`]), and `PrmImport.csv`: read when
//! it changed, looked at on the board file's interval, its bad lines reported
//! by number on the administrator's page and in the log.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::bus::{Changed, Live};
use super::features::program_core;
use super::{Context, Invalid, ServiceError};
use crate::domain::access::{Action, Actor, Area, Channel, Facet, Target, Who};
use crate::domain::presence::{
    self, current, divert_of, entry_of, local_time, parse_import, Divert, Draft, Entry, LineProblem,
    PresenceProblem, Shown, Status, MAX_ENTRIES,
};
use crate::domain::program::PhoneChange;
use crate::domain::settings::check_toll;
use crate::store::presence::Added;

/// The largest import file read.
pub const MAX_IMPORT_BYTES: u64 = 2 * 1024 * 1024;
/// The bad lines an import report keeps (the count is kept whole).
pub const MAX_REPORTED: usize = 200;
/// The longest the clock task sleeps without looking (a status set meanwhile
/// wakes it at once).
const LONGEST_SLEEP: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct Presences {
    ctx: Context,
    import: Arc<Import>,
}

struct Import {
    path: Option<PathBuf>,
    every: Duration,
    /// The file as last read: its inode, modification time (seconds and
    /// nanoseconds) and size; a file replaced by a rename is a new inode.
    seen: Mutex<Option<(u64, i64, i64, u64)>>,
    last: Mutex<Option<ImportReport>>,
    /// Up to when the clock task has applied starts and ends.
    applied_until: Mutex<i64>,
    wake: Notify,
}

/// A status as asked for in a form or by the API: times in Unix seconds.
#[derive(Debug, Clone, Default)]
pub struct SetPresence {
    /// The state's code; `available` ends the statuses that apply.
    pub status: String,
    pub info: String,
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// Or the start and end in the board's local time (`2026-12-07 14:00`), as
    /// a form writes them; empty for none.
    pub start_local: String,
    pub end_local: String,
    /// Or the end as minutes after the start.
    pub minutes: Option<u32>,
    /// A number, `dnd`, or empty.
    pub forward: String,
}

/// The most minutes a status may be set for by [`SetPresence::minutes`] (a year).
pub const MAX_MINUTES: u32 = 366 * 24 * 60;

/// What the last read of the import file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub at: i64,
    pub file: String,
    /// Statuses set from the file.
    pub applied: usize,
    /// Good lines whose end has passed, and AVAILABLE lines: nothing to set.
    pub passed: usize,
    /// Bad lines, by line number (the first [`MAX_REPORTED`]).
    pub problems: Vec<(usize, LineProblem)>,
    pub bad_lines: usize,
    /// The file could not be read at all (nothing changed).
    pub error: Option<String>,
}

impl Presences {
    /// `import`: the board file's `PrmImport.csv` and how often it is looked at.
    pub fn new(ctx: Context, import: Option<PathBuf>, every: Duration) -> Presences {
        let now = ctx.clock.now();
        Presences {
            ctx,
            import: Arc::new(Import {
                path: import,
                every,
                seen: Mutex::new(None),
                last: Mutex::new(None),
                applied_until: Mutex::new(now),
                wake: Notify::new(),
            }),
        }
    }

    /// The board's time zone, which a form's times are in.
    pub fn time_zone(&self) -> &str {
        &self.ctx.time_zone
    }

    /// The state `ext` shows now.
    pub async fn shown(&self, actor: &Actor, ext: &str) -> Result<Shown, ServiceError> {
        // The state alone: the stack's statuses are not read (every CTI client
        // following the line asks at each change).
        self.ctx.may(actor, Action::Read, ext, Facet::Presence).await?;
        self.ctx.presence_shown(ext).await
    }

    /// The state shown now, and every status of the stack (now and to come).
    pub async fn stack(&self, actor: &Actor, ext: &str) -> Result<(Shown, Vec<Entry>), ServiceError> {
        self.ctx.may(actor, Action::Read, ext, Facet::Presence).await?;
        let shown = self.ctx.presence_shown(ext).await?;
        let entries = self.ctx.store.presence(ext).await?;
        let now = self.ctx.clock.now();
        let mut entries: Vec<Entry> =
            entries.into_iter().filter(|e| e.end.is_none_or(|end| end > now)).collect();
        entries.sort_by_key(|e| std::cmp::Reverse((e.start.max(e.set_at), e.id)));
        Ok((shown, entries))
    }

    /// Sets a status (on top of the stack), or, for `available`, ends the
    /// statuses that apply now and the phone's DND. A divert must be a number
    /// the extension may have dialled on its behalf.
    #[tracing::instrument(name = "service", skip_all, fields(call = "presence.set", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn set(&self, actor: &Actor, ext: &str, s: SetPresence) -> Result<Shown, ServiceError> {
        self.ctx.may(actor, Action::Change, ext, Facet::Presence).await?;
        let status =
            Status::from_code(s.status.trim()).ok_or(Invalid::Presence(PresenceProblem::BadStatus))?;
        let stored = self.ctx.stored_program(ext).await?;
        let now = self.ctx.clock.now();
        if status == Status::Available {
            let entries = self.ctx.store.presence(ext).await?;
            let applying: Vec<i64> = entries.iter().filter(|e| e.applies_at(now)).map(|e| e.id).collect();
            self.ctx.store.end_presence(ext, applying).await?;
            if stored.dnd.is_some() {
                let mut p = stored.clone();
                p.dnd = None;
                let changes = Context::changes(actor, crate::domain::journal::program_changes(&stored, &p));
                self.ctx.store.save_program(ext, p, changes, now).await?;
                self.ctx.bus.publish(Live::Changed { ext: ext.to_owned(), what: Changed::Program });
            }
        } else {
            let divert = divert_of(&s.forward, ext).map_err(Invalid::Presence)?;
            let (start, end) = self.times(&s, now)?;
            let draft = Draft { status, info: s.info, start, end, set_by: set_by(actor), divert };
            let entry = entry_of(draft, now).map_err(Invalid::Presence)?;
            check_toll(&presence::overlay(&stored, Some(&entry)), &self.ctx.outside_prefix)?;
            if self.ctx.store.add_presence(ext, entry).await? == Added::Full {
                return Err(Invalid::Presence(PresenceProblem::TooMany).into());
            }
        }
        tracing::info!(extension = %ext, status = status.code(), "presence set");
        self.changed(ext).await?;
        self.shown(actor, ext).await
    }

    /// The start and end asked for, in Unix seconds.
    fn times(&self, s: &SetPresence, now: i64) -> Result<(Option<i64>, Option<i64>), ServiceError> {
        let zone = jiff::tz::TimeZone::get(&self.ctx.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let local = |raw: &str| -> Result<Option<i64>, ServiceError> {
            if raw.trim().is_empty() {
                return Ok(None);
            }
            let t = presence::parse_local(raw).and_then(|t| local_time(t, &zone));
            t.map(Some).ok_or(Invalid::Presence(PresenceProblem::BadTime).into())
        };
        let start = match s.start {
            Some(t) => Some(t),
            None => local(&s.start_local)?,
        };
        let end = match (s.end, s.minutes) {
            (Some(t), _) => Some(t),
            (None, Some(m)) if m == 0 || m > MAX_MINUTES => {
                return Err(Invalid::Presence(PresenceProblem::BadTime).into())
            }
            (None, Some(m)) => Some(start.unwrap_or(now) + i64::from(m) * 60),
            (None, None) => local(&s.end_local)?,
        };
        Ok((start, end))
    }

    /// Ends one status of the stack (now, or before it starts).
    #[tracing::instrument(name = "service", skip_all, fields(call = "presence.end", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn end(&self, actor: &Actor, ext: &str, id: i64) -> Result<Shown, ServiceError> {
        self.ctx.may(actor, Action::Change, ext, Facet::Presence).await?;
        if self.ctx.store.end_presence(ext, vec![id]).await? == 0 {
            return Err(ServiceError::NotFound);
        }
        self.changed(ext).await?;
        self.shown(actor, ext).await
    }

    /// Every extension's state now, for panels and lists the actor may read
    /// (an administrator's view here; groups come with the CTI server).
    pub async fn all(&self, actor: &Actor) -> Result<BTreeMap<String, Shown>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Extensions))?;
        let now = self.ctx.clock.now();
        let entries = self.ctx.store.presences().await?;
        let programs = self.ctx.store.programs().await?;
        Ok(programs
            .into_iter()
            .map(|(ext, p)| {
                let e = entries.get(&ext).and_then(|list| current(list, now));
                let shown = presence::shown(e, p.dnd.is_some());
                (ext, shown)
            })
            .collect())
    }

    /// The core is given the extension's program with what now applies, the
    /// views are told, and the clock task looks again.
    async fn changed(&self, ext: &str) -> Result<(), ServiceError> {
        program_core(&self.ctx, ext).await?;
        self.ctx.bus.publish(Live::Changed { ext: ext.to_owned(), what: Changed::Presence });
        self.import.wake.notify_one();
        Ok(())
    }

    /// Applies the starts and ends that came since the last tick: the core is
    /// programmed and the views told for each extension concerned; ended
    /// statuses are deleted. Returns the extensions concerned.
    pub async fn tick(&self) -> Result<Vec<String>, ServiceError> {
        let now = self.ctx.clock.now();
        let after = {
            let mut until = self.import.applied_until.lock().unwrap_or_else(|p| p.into_inner());
            std::mem::replace(&mut *until, now)
        };
        if now <= after {
            return Ok(Vec::new());
        }
        let due = self.ctx.store.presence_due(after, now).await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        self.ctx.store.prune_presence(now).await?;
        for ext in &due {
            program_core(&self.ctx, ext).await?;
            self.ctx.bus.publish(Live::Changed { ext: ext.clone(), what: Changed::Presence });
        }
        tracing::info!(extensions = due.len(), "presence changed by the clock");
        Ok(due.into_iter().collect())
    }

    /// What the last read of the import file did (administrators).
    pub fn last_import(&self, actor: &Actor) -> Result<(Option<String>, Option<ImportReport>), ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Extensions))?;
        let path = self.import.path.as_ref().map(|p| p.display().to_string());
        Ok((path, self.import.last.lock().unwrap_or_else(|p| p.into_inner()).clone()))
    }

    /// Reads the import file now, changed or not (an administrator's "Read now").
    pub async fn import_now(&self, actor: &Actor) -> Result<ImportReport, ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Extensions))?;
        self.read_import(true).await.ok_or(ServiceError::NotFound)
    }

    /// Reads the import file if it changed since it was last read (or was never
    /// read); `None` when there is no file to read or it did not change.
    pub async fn check_import(&self) -> Option<ImportReport> {
        self.read_import(false).await
    }

    async fn read_import(&self, always: bool) -> Option<ImportReport> {
        let path = self.import.path.clone()?;
        let now = self.ctx.clock.now();
        let file = path.display().to_string();
        let failed = |error: String| ImportReport {
            at: now,
            file: file.clone(),
            applied: 0,
            passed: 0,
            problems: Vec::new(),
            bad_lines: 0,
            error: Some(error),
        };
        let stamp = match std::fs::metadata(&path) {
            Ok(m) => (m.ino(), m.mtime(), m.mtime_nsec(), m.len()),
            Err(e) => {
                let already = self
                    .import
                    .last
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .as_ref()
                    .and_then(|r| r.error.clone());
                let report = failed(format!("cannot read the file: {e}"));
                if always || already != report.error {
                    tracing::warn!(file = %file, error = %e, "the presence import file cannot be read");
                    *self.import.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(report.clone());
                    return Some(report);
                }
                return None;
            }
        };
        if !always && *self.import.seen.lock().unwrap_or_else(|p| p.into_inner()) == Some(stamp) {
            return None;
        }
        let report = match read_bounded(&path) {
            Ok(bytes) => self.apply_import(&file, &bytes, now).await,
            Err(e) => failed(e),
        };
        if report.error.is_none() {
            *self.import.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(stamp);
        }
        // Kept before it is logged: the log line says the report is there.
        *self.import.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(report.clone());
        for (line, problem) in &report.problems {
            tracing::warn!(file = %file, line, %problem, "presence import: line skipped");
        }
        tracing::info!(file = %file, applied = report.applied, bad = report.bad_lines, "presence import read");
        Some(report)
    }

    /// Applies the file's good lines in place of what it set before.
    async fn apply_import(&self, file: &str, bytes: &[u8], now: i64) -> ImportReport {
        let mut report = ImportReport {
            at: now,
            file: file.to_owned(),
            applied: 0,
            passed: 0,
            problems: Vec::new(),
            bad_lines: 0,
            error: None,
        };
        let fail = |mut r: ImportReport, e: ServiceError| {
            r.error = Some(e.to_string());
            r
        };
        let actor = Actor::new(Who::System, Channel::Import);
        let text = crate::phonebook::text::decode(bytes);
        let (lines, mut bad) = parse_import(&text);
        let zone = jiff::tz::TimeZone::get(&self.ctx.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let (employees, programs, before) = match (
            self.ctx.store.employees().await,
            self.ctx.store.programs().await,
            self.ctx.store.presences().await,
        ) {
            (Ok(e), Ok(p), Ok(b)) => (e, p.into_iter().collect::<HashMap<_, _>>(), b),
            (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return fail(report, e.into()),
        };
        // A client is an extension's number, or the name before the @ of its
        // e-mail address when only one extension has it (the Windows login
        // name, as CTI accounts are often named).
        let mut by_login: HashMap<String, Option<String>> = HashMap::new();
        for e in &employees {
            if let Some((login, _)) = e.email.split_once('@') {
                let slot = by_login.entry(login.to_lowercase()).or_insert_with(|| Some(e.number.clone()));
                if slot.as_deref() != Some(e.number.as_str()) {
                    *slot = None;
                }
            }
        }
        let mut counts: HashMap<String, usize> = before
            .iter()
            .map(|(ext, list)| (ext.clone(), list.iter().filter(|e| e.import_id.is_none()).count()))
            .collect();
        let mut keep = Vec::new();
        for l in lines {
            let ext = if programs.contains_key(&l.client) {
                Some(l.client.clone())
            } else {
                by_login.get(&l.client.to_lowercase()).cloned().flatten()
            };
            let Some(ext) = ext else {
                bad.push((l.line, LineProblem::UnknownClient));
                continue;
            };
            if self.ctx.may(&actor, Action::Change, &ext, Facet::Presence).await.is_err() {
                bad.push((l.line, LineProblem::UnknownClient));
                continue;
            }
            // A day that does not exist (31 April) is a bad time of its column.
            let start = match l.start.map(|t| local_time(t, &zone)) {
                None => now,
                Some(Some(t)) => t,
                Some(None) => {
                    bad.push((l.line, LineProblem::BadStart));
                    continue;
                }
            };
            let end = match l.end.map(|t| local_time(t, &zone)) {
                None => None,
                Some(Some(t)) => Some(t),
                Some(None) => {
                    bad.push((l.line, LineProblem::BadEnd));
                    continue;
                }
            };
            if end.is_some_and(|e| e <= start) {
                bad.push((l.line, LineProblem::EndsBeforeStart));
                continue;
            }
            if l.status == Status::Available || end.is_some_and(|e| e <= now) {
                report.passed += 1;
                continue;
            }
            let divert = match divert_of(&l.forward, &ext) {
                Ok(d) => d,
                Err(_) => {
                    bad.push((l.line, LineProblem::BadForward));
                    continue;
                }
            };
            // The line's time of setting: when it starts, or when it was first
            // read (kept across readings, so a re-read does not cover what the
            // subscriber set since).
            let earlier = before.get(&ext).and_then(|list| {
                list.iter().find(|e| {
                    e.import_id.as_deref() == Some(l.id.as_str()) && e.status == l.status && e.end == end
                })
            });
            let set_at = match (l.start, earlier) {
                (Some(_), _) => start,
                (None, Some(e)) => e.set_at,
                (None, None) => now,
            };
            let entry = Entry {
                id: 0,
                status: l.status,
                info: l.info.clone(),
                start: if l.start.is_some() { start } else { earlier.map_or(now, |e| e.start) },
                end,
                set_at,
                set_by: l.set_by.clone(),
                divert,
                import_id: Some(l.id.clone()),
            };
            let Some(stored) = programs.get(&ext) else { continue };
            if check_toll(&presence::overlay(stored, Some(&entry)), &self.ctx.outside_prefix).is_err() {
                bad.push((l.line, LineProblem::Toll));
                continue;
            }
            let n = counts.entry(ext.clone()).or_default();
            if *n >= MAX_ENTRIES {
                bad.push((l.line, LineProblem::TooMany));
                continue;
            }
            *n += 1;
            keep.push((ext, entry));
        }
        report.applied = keep.len();
        let touched = match self.ctx.store.replace_imported(keep).await {
            Ok(t) => t,
            Err(e) => return fail(report, e.into()),
        };
        for ext in touched {
            if let Err(e) = program_core(&self.ctx, &ext).await {
                tracing::warn!(extension = %ext, error = %e, "presence import: the core is programmed at resync");
            }
            self.ctx.bus.publish(Live::Changed { ext, what: Changed::Presence });
        }
        self.import.wake.notify_one();
        bad.sort_by_key(|(n, _)| *n);
        report.bad_lines = bad.len();
        bad.truncate(MAX_REPORTED);
        report.problems = bad;
        report
    }
}

fn read_bounded(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_IMPORT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    if bytes.len() as u64 > MAX_IMPORT_BYTES {
        return Err(format!(
            "the file is larger than {} MiB; nothing was read",
            MAX_IMPORT_BYTES / 1024 / 1024
        ));
    }
    Ok(bytes)
}

/// Who set a status, as the subscriber sees it.
fn set_by(actor: &Actor) -> String {
    match &actor.who {
        Who::Subscriber { ext, .. } | Who::Manager { ext, .. } => ext.clone(),
        Who::Administrator { name } => name.clone(),
        Who::ApiToken { id, .. } => format!("API token {id}"),
        Who::CtiAccount { name, .. } => name.clone(),
        Who::System => "system".to_owned(),
    }
}

/// A change keyed in at the phone ends the statuses that divert the same way:
/// DND switched off at the phone ends a DND status, a forwarding set or
/// cancelled there ends a status's forward. The phone's change wins, so the
/// phone, the portal and the panels show one truth.
pub(crate) async fn end_at_phone(
    ctx: &Context,
    ext: &str,
    change: &PhoneChange,
) -> Result<bool, ServiceError> {
    let now = ctx.clock.now();
    let entries = ctx.store.presence(ext).await?;
    let ends: Vec<i64> = entries
        .iter()
        .filter(|e| e.applies_at(now))
        .filter(|e| {
            matches!(
                (change, e.divert()),
                (PhoneChange::Dnd(false), Some(Divert::Dnd))
                    | (PhoneChange::ForwardAlways(_), Some(Divert::Number(_)))
            )
        })
        .map(|e| e.id)
        .collect();
    if ends.is_empty() {
        return Ok(false);
    }
    ctx.store.end_presence(ext, ends).await?;
    ctx.bus.publish(Live::Changed { ext: ext.to_owned(), what: Changed::Presence });
    Ok(true)
}

/// Applies starts and ends as they come and looks at the import file on its
/// interval, until the stop.
pub async fn run(presences: Presences, mut shutdown: crate::shutdown::Shutdown) {
    let every = presences.import.every;
    if let Err(e) = presences.ctx.store.prune_presence(presences.ctx.clock.now()).await {
        tracing::warn!(error = %e, "presence: ended statuses not deleted now");
    }
    let mut next_look = tokio::time::Instant::now();
    loop {
        if tokio::time::Instant::now() >= next_look {
            presences.check_import().await;
            next_look = tokio::time::Instant::now() + every;
        }
        if let Err(e) = presences.tick().await {
            tracing::warn!(error = %e, "presence: starts and ends not applied now");
        }
        let now = presences.ctx.clock.now();
        let next = match presences.ctx.store.presences().await {
            Ok(all) => all.values().filter_map(|list| presence::next_change(list, now)).min(),
            Err(_) => None,
        };
        let until_change = next.map_or(LONGEST_SLEEP, |t| Duration::from_secs((t - now).max(1) as u64));
        let sleep = until_change
            .min(LONGEST_SLEEP)
            .min(next_look.saturating_duration_since(tokio::time::Instant::now()));
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = presences.import.wake.notified() => {}
            _ = shutdown.wait() => return,
        }
    }
}
