//! The departments' callback lists (SPEC Y5; schema 14). The call records'
//! intake adds and resolves entries in the same transaction that stores the
//! records (`domain::callback` says which records do what); members claim,
//! release and resolve them by hand.

use rusqlite::{params, Connection, OptionalExtension};

use super::{Store, StoreError};
use crate::domain::callback::{effect, Effect, MAX_OPEN};
use crate::domain::cdr::Cdr;
use crate::domain::dialplan::{DiallingPlan, Form};

pub use crate::domain::callback::{Callback, CallbackList, Refused, Resolution, Step};

const COLUMNS: &str = "id, number, called, calls, first_at, last_at, claimed_by, claimed_at, resolved_by, \
                       resolved_at, resolution";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Callback> {
    let resolution: Option<String> = r.get(10)?;
    Ok(Callback {
        id: r.get(0)?,
        number: r.get(1)?,
        called: r.get(2)?,
        calls: r.get(3)?,
        first_at: r.get(4)?,
        last_at: r.get(5)?,
        claimed_by: r.get(6)?,
        claimed_at: r.get(7)?,
        resolved_by: r.get(8)?,
        resolved_at: r.get(9)?,
        resolution: resolution.as_deref().and_then(Resolution::from_code),
    })
}

impl Store {
    /// A department's list: up to `open` open entries and the newest `done`
    /// resolved ones.
    pub async fn callbacks(&self, department: i64, open: u32, done: u32) -> Result<CallbackList, StoreError> {
        self.read(move |c| {
            let open = c
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM callback WHERE department_id = ?1 AND resolved_at IS NULL
                     ORDER BY first_at, id LIMIT ?2"
                ))?
                .query_map(params![department, open], row)?
                .collect::<rusqlite::Result<_>>()?;
            let done = c
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM callback WHERE department_id = ?1 AND resolved_at IS NOT NULL
                     ORDER BY resolved_at DESC, id DESC LIMIT ?2"
                ))?
                .query_map(params![department, done], row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(CallbackList { open, done })
        })
        .await
    }

    /// A member (`ext`) claims, releases or resolves entry `id` of his
    /// department's list.
    pub async fn callback_step(
        &self,
        department: i64,
        id: i64,
        ext: &str,
        step: Step,
        at: i64,
    ) -> Result<Result<(), Refused>, StoreError> {
        let ext = ext.to_owned();
        self.write(move |c| {
            let sql = match step {
                Step::Claim => {
                    "UPDATE callback SET claimed_by = ?3, claimed_at = ?4 WHERE id = ?1 AND department_id = ?2
                     AND resolved_at IS NULL AND (claimed_by IS NULL OR claimed_by = ?3)"
                }
                // Every statement takes the same four parameters (`at` is unused here).
                Step::Release => {
                    "UPDATE callback SET claimed_by = NULL, claimed_at = NULL WHERE id = ?1 AND department_id = ?2
                     AND resolved_at IS NULL AND claimed_by = ?3 AND ?4 IS NOT NULL"
                }
                Step::Resolve => {
                    "UPDATE callback SET resolved_by = ?3, resolved_at = ?4, resolution = 'by_hand'
                     WHERE id = ?1 AND department_id = ?2 AND resolved_at IS NULL"
                }
            };
            if c.execute(sql, params![id, department, ext, at])? == 1 {
                return Ok(Ok(()));
            }
            let claimed: Option<Option<String>> = c
                .query_row(
                    "SELECT claimed_by FROM callback WHERE id = ?1 AND department_id = ?2 AND resolved_at IS NULL",
                    params![id, department],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(Err(match claimed.flatten() {
                Some(other) if other != ext => Refused::ClaimedBy(other),
                _ => Refused::Gone,
            }))
        })
        .await
    }

    /// "Call back later" from a ringing call's popup: the number goes on the
    /// member's department's list, claimed by him (an open entry for it is
    /// claimed, unless another member has it). False when the number is not
    /// one to call back or the list is full.
    pub async fn callback_later(
        &self,
        department: i64,
        number: &str,
        ext: &str,
        at: i64,
    ) -> Result<bool, StoreError> {
        let key = self.plan().canonical(number, Form::Written);
        let (number, ext) = (number.to_owned(), ext.to_owned());
        self.write(move |c| {
            if key.is_empty() {
                return Ok(false);
            }
            let open = c.execute(
                "UPDATE callback SET claimed_by = coalesce(claimed_by, ?3), claimed_at = coalesce(claimed_at, ?4)
                 WHERE department_id = ?1 AND lookup = ?2 AND resolved_at IS NULL",
                params![department, key, ext, at],
            )?;
            if open == 1 {
                return Ok(true);
            }
            if open_count(c, department)? >= MAX_OPEN {
                return Ok(false);
            }
            c.execute(
                "INSERT INTO callback (department_id, number, lookup, called, calls, first_at, last_at, claimed_by, claimed_at)
                 VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5, ?4, ?5)",
                params![department, number, key, ext, at],
            )?;
            Ok(true)
        })
        .await
    }

    /// Deletes resolved entries resolved before `before`; returns how many went.
    pub async fn prune_callbacks(&self, before: i64) -> Result<usize, StoreError> {
        self.write_records(move |c| {
            c.execute("DELETE FROM callback WHERE resolved_at IS NOT NULL AND resolved_at < ?1", [before])
        })
        .await
    }
}

/// The open entries' keys made again by `plan` (see `use_dialling_plan`): an
/// entry whose new key another open entry of its list has already keeps its own.
pub(super) fn rekey(c: &Connection, plan: &DiallingPlan) -> rusqlite::Result<usize> {
    let mut read = c.prepare("SELECT id, number, lookup FROM callback WHERE resolved_at IS NULL")?;
    let rows =
        read.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
    let mut update = c.prepare("UPDATE OR IGNORE callback SET lookup = ?2 WHERE id = ?1")?;
    let mut changed = 0;
    for row in rows {
        let (id, number, old) = row?;
        let new = plan.canonical(&number, Form::Written);
        if new != old && !new.is_empty() {
            changed += update.execute(params![id, new])?;
        }
    }
    Ok(changed)
}

fn open_count(c: &Connection, department: i64) -> rusqlite::Result<u32> {
    c.prepare_cached("SELECT count(*) FROM callback WHERE department_id = ?1 AND resolved_at IS NULL")?
        .query_row([department], |r| r.get(0))
}

/// What a newly stored call record does to its extension's department's list;
/// the department, when it changed.
pub(super) fn apply(c: &Connection, plan: &DiallingPlan, cdr: &Cdr) -> rusqlite::Result<Option<i64>> {
    let Some(effect) = effect(cdr, plan) else { return Ok(None) };
    let department: Option<i64> = c
        .prepare_cached("SELECT department_id FROM extension WHERE number = ?1")?
        .query_row([&cdr.extension], |r| r.get(0))
        .optional()?
        .flatten();
    let Some(department) = department else { return Ok(None) };
    let changed = match effect {
        Effect::Missed { number, key } => {
            // A group call that rang several members is one call: one start.
            let seen = c.prepare_cached(
                "UPDATE callback SET calls = calls + (last_at <> ?3), last_at = max(last_at, ?3), called = ?4,
                 number = ?5 WHERE department_id = ?1 AND lookup = ?2 AND resolved_at IS NULL",
            )?
            .execute(params![department, key, cdr.started_at, cdr.extension, number])?;
            if seen == 0 && open_count(c, department)? < MAX_OPEN {
                c.prepare_cached(
                    "INSERT INTO callback (department_id, number, lookup, called, calls, first_at, last_at)
                     VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)",
                )?
                .execute(params![department, number, key, cdr.extension, cdr.started_at])?;
            }
            true
        }
        Effect::Reached { key, how } => {
            c.prepare_cached(
                "UPDATE callback SET resolved_by = ?3, resolved_at = ?4, resolution = ?5
                 WHERE department_id = ?1 AND lookup = ?2 AND resolved_at IS NULL AND first_at <= ?4",
            )?
            .execute(params![department, key, cdr.extension, cdr.started_at, how.code()])?
                == 1
        }
    };
    Ok(changed.then_some(department))
}
