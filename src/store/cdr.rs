//! Call records: intake in batches (duplicates recognised by the core's record
//! id), a subscriber's history served from the `(extension, started_at)` index,
//! and pruning by age or count in small batches.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{Store, StoreError};
use crate::domain::cdr::{note_mark, Cdr, CdrCursor, Direction, Disposition, HistoryKind, NoteEdit};
use crate::domain::dialplan::{DiallingPlan, Form};

const FLAG_EXTERNAL: i64 = 1;
const FLAG_WITHHELD: i64 = 2;
const FLAG_VOICEMAIL_LISTEN: i64 = 4;

/// Where the last arrival a prune took away is kept (`setting`).
const ARRIVAL_SETTING: &str = "cdr.arrival";

/// The largest history page served.
pub const MAX_PAGE: u32 = 200;

pub use crate::domain::cdr::{HistoryQuery, HistoryRow};

/// Which numbers of the panel rows are shown, each with how it is written.
pub type ShownNumbers = fn(&PanelRows) -> Vec<(String, Form)>;

/// What the start page's panels are made of ([`Store::panel_rows`]).
#[derive(Debug, Clone, Default)]
pub struct PanelRows {
    pub missed: Vec<HistoryRow>,
    pub incoming: Vec<HistoryRow>,
    pub outgoing: Vec<HistoryRow>,
    pub voicemails: Vec<crate::domain::voicemail::Voicemail>,
    /// The names known for the numbers shown, when asked for.
    pub names: HashMap<String, String>,
}

/// What intake did with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    Stored,
    /// Stored, and it changed the callback list of this department
    /// (`store::callback`).
    StoredOnList(i64),
    /// The core sent a record it had already sent: stored once, nothing changed.
    Duplicate,
}

impl Store {
    /// Stores a batch of records in one job of the writer; returns, after the
    /// commit, what happened to each.
    pub async fn insert_cdrs(&self, cdrs: Vec<Cdr>) -> Result<Vec<Intake>, StoreError> {
        let plan = self.plan();
        let exts: Vec<String> = cdrs.iter().map(|c| c.extension.clone()).collect();
        let (intake, arrived) = self.write_records(move |c| insert(c, &plan, &cdrs)).await?;
        let stored = exts.iter().zip(&intake).filter(|(_, i)| **i != Intake::Duplicate);
        self.touch(stored.map(|(e, _)| e.as_str()), arrived);
        self.inner.arrived.fetch_max(arrived, std::sync::atomic::Ordering::AcqRel);
        Ok(intake)
    }

    /// A page of one extension's history, newest first: kept until a call
    /// record of that extension, a note or anything else is written (a page
    /// opened again, or by its subscriber's other devices, is not read again;
    /// the other extensions' calls leave it be).
    pub async fn history(&self, q: HistoryQuery) -> Result<Vec<HistoryRow>, StoreError> {
        let stamp = self.records_stamp(&q.extension);
        self.read_kept(|k| &k.histories, stamp, q.clone(), move |c| history(c, &q)).await
    }

    /// Up to `limit` records after `after`, in the order they arrived, each
    /// with the cursor that stands just after it; only `extension`'s when given.
    pub async fn cdrs_after(
        &self,
        after: CdrCursor,
        extension: Option<String>,
        limit: u32,
    ) -> Result<Vec<(CdrCursor, Cdr, i64)>, StoreError> {
        self.read(move |c| cdrs_after(c, after, extension.as_deref(), limit.clamp(1, MAX_PAGE))).await
    }

    /// The start page's panels' rows in one read (one snapshot, one trip to a
    /// reader): the newest `missed` missed calls, the newest `recent` incoming
    /// and outgoing ones, and the newest `recent` voicemail messages; and,
    /// given `shown` (which numbers of them the panels show), the names the
    /// extension's subscriber knows for those.
    pub async fn panel_rows(
        &self,
        extension: &str,
        missed: u32,
        recent: u32,
        shown: Option<ShownNumbers>,
    ) -> Result<PanelRows, StoreError> {
        let extension = extension.to_owned();
        self.read_with_mobiles(move |c, plan, mobiles| {
            let q = |kind, limit| HistoryQuery {
                extension: extension.clone(),
                kind: Some(kind),
                limit,
                ..Default::default()
            };
            let mut rows = PanelRows {
                missed: history(c, &q(HistoryKind::Missed, missed))?,
                incoming: history(c, &q(HistoryKind::Incoming, recent))?,
                outgoing: history(c, &q(HistoryKind::Outgoing, recent))?,
                voicemails: super::voicemail::list(c, &extension, recent)?,
                names: HashMap::new(),
            };
            if let Some(shown) = shown {
                rows.names = super::phonebook::names(c, plan, mobiles, &extension, shown(&rows))?;
            }
            Ok(rows)
        })
        .await
    }

    /// How many records are stored.
    pub async fn cdr_count(&self) -> Result<i64, StoreError> {
        self.read(|c| c.query_row("SELECT count(*) FROM cdr", [], |r| r.get(0))).await
    }

    /// Whether a record with this core id is stored.
    pub async fn has_cdr(&self, core_id: u64) -> Result<bool, StoreError> {
        self.read(move |c| {
            c.query_row("SELECT count(*) FROM cdr WHERE core_id = ?1", [core_id as i64], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n > 0)
        })
        .await
    }

    /// Keeps `text` as the note on record `core_id` of `extension` (SPEC C13),
    /// in place of the one before; `None` takes it away. False: no such
    /// record of that extension.
    pub async fn set_call_note(
        &self,
        core_id: u64,
        extension: &str,
        text: Option<String>,
        author: String,
        now: i64,
    ) -> Result<bool, StoreError> {
        let edit = NoteEdit { id: core_id, text, shown: None };
        Ok(self.set_call_notes(extension, vec![edit], author, now).await?.is_some())
    }

    /// Keeps notes on records of `extension` in one transaction: each edit
    /// that changes its note and whose `shown` mark, if it has one, is still
    /// the stored note's (else another page changed it since: left alone).
    /// How many changed; `None` if a record is not one of `extension`'s
    /// (then nothing changes). An unchanged note writes nothing.
    pub async fn set_call_notes(
        &self,
        extension: &str,
        edits: Vec<NoteEdit>,
        author: String,
        now: i64,
    ) -> Result<Option<usize>, StoreError> {
        let extension = extension.to_owned();
        self.write(move |c| {
            let mut changed = 0;
            for edit in &edits {
                let id = edit.id as i64;
                let found = c
                    .prepare_cached("SELECT 1 FROM cdr WHERE core_id = ?1 AND extension = ?2")?
                    .exists(params![id, extension])?;
                if !found {
                    return Ok(None);
                }
                let stored: Option<String> = c
                    .prepare_cached("SELECT text FROM call_note WHERE cdr_core_id = ?1")?
                    .query_row([id], |r| r.get(0))
                    .optional()?;
                let stored = stored.unwrap_or_default();
                let still = edit.shown.as_ref().is_none_or(|m| *m == note_mark(&stored));
                if !still || edit.text.as_deref().unwrap_or("") == stored {
                    continue;
                }
                c.prepare_cached("DELETE FROM call_note WHERE cdr_core_id = ?1")?.execute([id])?;
                if let Some(text) = &edit.text {
                    c.prepare_cached(
                        "INSERT INTO call_note (cdr_core_id, author, text, created_at) VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![id, author, text, now])?;
                }
                changed += 1;
            }
            Ok(Some(changed))
        })
        .await
    }

    /// Deletes up to `batch` records older than `before` (Unix seconds) or beyond
    /// the newest `keep`; returns how many went. Call again until it returns 0.
    pub async fn prune_cdrs(
        &self,
        before: Option<i64>,
        keep: Option<u64>,
        batch: u32,
    ) -> Result<u64, StoreError> {
        self.write(move |c| {
            let last = last_arrival(c)?;
            let removed = prune(c, "cdr", "core_id", before, keep, batch)?;
            // Their notes go with them (notes are few: a scan of them).
            if removed > 0 {
                c.prepare_cached(
                    "DELETE FROM call_note WHERE NOT EXISTS (SELECT 1 FROM cdr WHERE core_id = cdr_core_id)",
                )?
                .execute([])?;
            }
            // The last arrival outlives the records: the next one is greater still.
            if let (Some(last), true) = (last, removed > 0) {
                c.prepare_cached(
                    "INSERT INTO setting (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )?
                .execute(params![ARRIVAL_SETTING, last.to_string()])?;
            }
            Ok(removed)
        })
        .await
    }
}

/// What happened to each record, and the last arrival after them.
fn insert(c: &Connection, plan: &DiallingPlan, cdrs: &[Cdr]) -> rusqlite::Result<(Vec<Intake>, i64)> {
    let mut arrival = arrived(c)?.saturating_add(1);
    let mut stmt = c.prepare_cached(
        "INSERT INTO cdr (core_id, extension, direction, disposition, flags, peer, answered_by,
                          started_at, ring_secs, talk_secs, arrival)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (core_id) DO NOTHING",
    )?;
    let mut out = Vec::with_capacity(cdrs.len());
    let mut pricing = super::costs::Pricing::default();
    for cdr in cdrs {
        let n = stmt.execute(params![
            cdr.core_id as i64,
            cdr.extension,
            cdr.direction.code(),
            cdr.disposition.code(),
            flags(cdr),
            cdr.peer,
            cdr.answered_by,
            cdr.started_at,
            cdr.ring_secs,
            cdr.talk_secs,
            arrival,
        ])?;
        arrival = arrival.saturating_add(n as i64);
        if n == 1 {
            super::costs::charge(c, &mut pricing, cdr)?;
        }
        out.push(match n {
            1 => super::callback::apply(c, plan, cdr)?.map_or(Intake::Stored, Intake::StoredOnList),
            _ => Intake::Duplicate,
        });
    }
    Ok((out, arrival - 1))
}

/// The last arrival so far: arrivals only grow, one more than the last stored
/// or than the last one a prune took away (0: none yet).
pub(super) fn arrived(c: &Connection) -> rusqlite::Result<i64> {
    let pruned: Option<i64> = c
        .prepare_cached("SELECT CAST(value AS INTEGER) FROM setting WHERE key = ?1")?
        .query_row([ARRIVAL_SETTING], |r| r.get(0))
        .optional()?;
    Ok(last_arrival(c)?.unwrap_or(0).max(pruned.unwrap_or(0)))
}

/// The newest `limit` records of `extensions` that arrived after `mark`, in
/// the order they arrived, and whether they are all there were.
pub(super) fn arrived_after(
    c: &Connection,
    mark: i64,
    extensions: &[String],
    limit: u32,
) -> rusqlite::Result<(Vec<HistoryRow>, bool)> {
    let marks = vec!["?"; extensions.len()].join(", ");
    let mut stmt = c.prepare(&format!(
        "SELECT core_id, core_id, {COLUMNS} FROM cdr WHERE arrival > ? AND extension IN ({marks})
         ORDER BY arrival DESC LIMIT ?"
    ))?;
    let mut values: Vec<rusqlite::types::Value> = vec![mark.into()];
    values.extend(extensions.iter().map(|e| e.clone().into()));
    values.push((i64::from(limit) + 1).into());
    let mut rows =
        stmt.query_map(rusqlite::params_from_iter(values), row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    let all = rows.len() <= limit as usize;
    rows.truncate(limit as usize);
    rows.reverse();
    Ok((rows, all))
}

/// The greatest arrival stored, if any record has one.
fn last_arrival(c: &Connection) -> rusqlite::Result<Option<i64>> {
    c.prepare_cached("SELECT arrival FROM cdr WHERE arrival IS NOT NULL ORDER BY arrival DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()
}

fn flags(cdr: &Cdr) -> i64 {
    let mut f = 0;
    if cdr.external {
        f |= FLAG_EXTERNAL;
    }
    if cdr.withheld {
        f |= FLAG_WITHHELD;
    }
    if cdr.voicemail_listen {
        f |= FLAG_VOICEMAIL_LISTEN;
    }
    f
}

/// The SQL condition for a history type.
fn kind_condition(kind: HistoryKind) -> &'static str {
    match kind {
        HistoryKind::Outgoing => "direction = 0",
        HistoryKind::Incoming => "direction = 1 AND disposition = 0",
        HistoryKind::AnsweredElsewhere => "direction = 1 AND disposition = 3",
        HistoryKind::Missed => "direction = 1 AND disposition NOT IN (0, 3)",
    }
}

fn history(c: &Connection, q: &HistoryQuery) -> rusqlite::Result<Vec<HistoryRow>> {
    let mut sql = format!(
        "SELECT core_id, core_id, {COLUMNS}
         FROM cdr WHERE extension = ?1 AND started_at >= ?2 AND started_at < ?3",
    );
    if let Some(kind) = q.kind {
        sql.push_str(" AND ");
        sql.push_str(kind_condition(kind));
    }
    if q.number.is_some() {
        sql.push_str(" AND instr(peer, ?4) > 0");
    }
    if q.before.is_some() {
        sql.push_str(" AND (started_at < ?5 OR (started_at = ?5 AND core_id < ?6))");
    }
    sql.push_str(" ORDER BY started_at DESC, core_id DESC LIMIT ?7");
    let (before_t, before_id) = q.before.unwrap_or((i64::MAX, i64::MAX));
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            q.extension,
            q.from.unwrap_or(i64::MIN),
            q.to.unwrap_or(i64::MAX),
            q.number.as_deref().unwrap_or(""),
            before_t,
            before_id,
            q.limit.clamp(1, MAX_PAGE),
        ],
        row,
    )?;
    rows.collect()
}

/// A record's columns as [`row`] reads them, its call note last.
const COLUMNS: &str =
    "extension, direction, disposition, flags, peer, answered_by, started_at, ring_secs, talk_secs, cost_cents,
     (SELECT text FROM call_note WHERE cdr_core_id = cdr.core_id ORDER BY id DESC LIMIT 1)";

fn cdrs_after(
    c: &Connection,
    after: CdrCursor,
    extension: Option<&str>,
    limit: u32,
) -> rusqlite::Result<Vec<(CdrCursor, Cdr, i64)>> {
    let only = if extension.is_some() { "AND extension = ?3" } else { "AND ?3 IS NULL" };
    let mut out = Vec::new();
    // The records from before arrivals were numbered, by core id.
    let unnumbered = match after {
        CdrCursor::Start => Some(i64::MIN),
        CdrCursor::Unnumbered(id) => Some(id),
        CdrCursor::Arrived(_) => None,
    };
    if let Some(id) = unnumbered {
        let mut stmt = c.prepare_cached(&format!(
            "SELECT core_id, core_id, {COLUMNS} FROM cdr
             WHERE arrival IS NULL AND core_id > ?1 {only} ORDER BY core_id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![id, limit, extension], row)?;
        for r in rows {
            let r = r?;
            out.push((CdrCursor::Unnumbered(r.id), r.cdr, r.cost));
        }
    }
    let left = limit as usize - out.len();
    if left > 0 {
        let from = match after {
            CdrCursor::Arrived(n) => n,
            _ => i64::MIN,
        };
        let mut stmt = c.prepare_cached(&format!(
            "SELECT arrival, core_id, {COLUMNS} FROM cdr
             WHERE arrival > ?1 {only} ORDER BY arrival LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![from, left as i64, extension], row)?;
        for r in rows {
            let r = r?;
            out.push((CdrCursor::Arrived(r.id), r.cdr, r.cost));
        }
    }
    Ok(out)
}

fn row(r: &Row<'_>) -> rusqlite::Result<HistoryRow> {
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Integer, what.to_owned().into())
    };
    let flags: i64 = r.get(5)?;
    Ok(HistoryRow {
        id: r.get(0)?,
        cdr: Cdr {
            core_id: r.get::<_, i64>(1)? as u64,
            extension: r.get(2)?,
            direction: Direction::from_code(r.get(3)?).ok_or_else(|| bad(3, "unknown direction"))?,
            disposition: Disposition::from_code(r.get(4)?).ok_or_else(|| bad(4, "unknown disposition"))?,
            external: flags & FLAG_EXTERNAL != 0,
            withheld: flags & FLAG_WITHHELD != 0,
            voicemail_listen: flags & FLAG_VOICEMAIL_LISTEN != 0,
            peer: r.get(6)?,
            answered_by: r.get(7)?,
            started_at: r.get(8)?,
            ring_secs: r.get(9)?,
            talk_secs: r.get(10)?,
        },
        cost: r.get(11)?,
        note: r.get(12)?,
    })
}

/// Deletes one batch from `table` (which has `id` and a time column): first what is
/// older than `before`, then what lies beyond the newest `keep`.
pub(super) fn prune(
    c: &Connection,
    table: &'static str,
    id: &'static str,
    before: Option<i64>,
    keep: Option<u64>,
    batch: u32,
) -> rusqlite::Result<u64> {
    let time = match table {
        "cdr" => "started_at",
        "journal" => "at",
        _ => "received_at",
    };
    let mut removed = 0u64;
    if let Some(before) = before {
        removed += c.execute(
            &format!("DELETE FROM {table} WHERE {id} IN (SELECT {id} FROM {table} WHERE {time} < ?1 ORDER BY {time} LIMIT ?2)"),
            params![before, batch],
        )? as u64;
    }
    let left = (batch as u64).saturating_sub(removed);
    if let (Some(keep), true) = (keep, left > 0) {
        let count: i64 = c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        let excess = (count as u64).saturating_sub(keep).min(left);
        if excess > 0 {
            removed += c.execute(
                &format!(
                    "DELETE FROM {table} WHERE {id} IN (SELECT {id} FROM {table} ORDER BY {time}, {id} LIMIT ?1)"
                ),
                [excess as i64],
            )? as u64;
        }
    }
    Ok(removed)
}
