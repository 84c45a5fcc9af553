//! The change journal's rows (SPEC Y2). Written in the same job as the change
//! it records, read newest first, and bounded: each extension keeps its newest
//! [`KEPT_PER_EXTENSION`] entries.

use rusqlite::{params, Connection};

use super::{Store, StoreError};
use crate::domain::journal::{Change, Topic};

/// Entries one extension's journal keeps.
pub const KEPT_PER_EXTENSION: i64 = 1000;

/// Who made a set of changes and from where, as the journal names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// The actor's label (`ext:100`, `admin:120`, ...).
    pub actor: String,
    /// The channel's code (`web`, `api`, ...).
    pub via: &'static str,
}

/// Changes to record, and who made them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    pub by: Author,
    pub list: Vec<Change>,
}

pub use crate::domain::journal::JournalEntry;

/// Records `changes` of `ext` inside a write job, and trims the oldest beyond the bound.
pub(crate) fn record(
    c: &Connection,
    ext: &str,
    by: &Author,
    changes: &[Change],
    now: i64,
) -> rusqlite::Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut insert = c.prepare_cached(
        "INSERT INTO journal (at, extension, actor, via, topic, field, old, new)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for ch in changes {
        insert.execute(params![now, ext, by.actor, by.via, ch.topic.code(), ch.field, ch.old, ch.new])?;
    }
    c.execute(
        "DELETE FROM journal WHERE extension = ?1 AND id <= (
             SELECT id FROM journal WHERE extension = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
        params![ext, KEPT_PER_EXTENSION],
    )?;
    Ok(())
}

impl Store {
    /// Records changes of `ext` in a job of their own (for changes written elsewhere).
    pub async fn record_changes(&self, ext: &str, changes: Changes, now: i64) -> Result<(), StoreError> {
        let ext = ext.to_owned();
        self.write(move |c| record(c, &ext, &changes.by, &changes.list, now)).await
    }

    /// `ext`'s journal, newest first: at most `limit` entries older than `before` (an id).
    /// Removes up to `batch` entries older than `before`; how many went.
    pub async fn prune_journal(&self, before: i64, batch: u32) -> Result<u64, StoreError> {
        self.write(move |c| super::cdr::prune(c, "journal", "id", Some(before), None, batch)).await
    }

    /// `ext`'s journal, newest first, older than the entry `before`.
    pub async fn journal(
        &self,
        ext: &str,
        before: Option<i64>,
        topic: Option<Topic>,
        limit: usize,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        self.journal_of(ext, false, before, topic, limit).await
    }

    /// The journals of every extension in the departments `manager` manages, newest first.
    pub async fn departments_journal(
        &self,
        manager: &str,
        before: Option<i64>,
        topic: Option<Topic>,
        limit: usize,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        self.journal_of(manager, true, before, topic, limit).await
    }

    async fn journal_of(
        &self,
        ext: &str,
        managed: bool,
        before: Option<i64>,
        topic: Option<Topic>,
        limit: usize,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        let ext = ext.to_owned();
        self.read(move |c| {
            let whose = if managed {
                "extension IN (SELECT e.number FROM extension e JOIN manager_department m
                     ON m.department_id = e.department_id WHERE m.extension = ?1)"
            } else {
                "extension = ?1"
            };
            let mut q = c.prepare_cached(&format!(
                "SELECT id, at, actor, via, topic, field, old, new, extension FROM journal
                 WHERE {whose} AND id < ?2 AND (?4 IS NULL OR topic = ?4) ORDER BY id DESC LIMIT ?3"
            ))?;
            let topic = topic.map(Topic::code);
            let rows = q.query_map(params![ext, before.unwrap_or(i64::MAX), limit as i64, topic], |r| {
                let topic: String = r.get(4)?;
                Ok(JournalEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    via: r.get(3)?,
                    topic: Topic::from_code(&topic).ok_or_else(|| {
                        rusqlite::Error::InvalidColumnType(4, "topic".into(), rusqlite::types::Type::Text)
                    })?,
                    field: r.get(5)?,
                    old: r.get(6)?,
                    new: r.get(7)?,
                    extension: r.get(8)?,
                })
            })?;
            rows.collect()
        })
        .await
    }
}
