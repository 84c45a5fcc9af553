//! The extensions' presence statuses (SPEC C7, C8): each extension's stack, as
//! `domain::presence` reads it. A status ended by hand or by its end time is
//! deleted; the import's statuses are replaced whole when the file is read again.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params, Connection, Row};

use super::{Store, StoreError};
use crate::domain::presence::{Divert, Entry, Status, MAX_ENTRIES};

const COLUMNS: &str = "id, extension, status, info, start, end_at, set_at, set_by, divert, import_id";

fn entry(r: &Row<'_>) -> rusqlite::Result<(String, Entry)> {
    let status: u8 = r.get(2)?;
    let divert: String = r.get(8)?;
    let divert = match divert.as_str() {
        "" => None,
        "dnd" => Some(Divert::Dnd),
        n => Some(Divert::Number(n.to_owned())),
    };
    Ok((
        r.get(1)?,
        Entry {
            id: r.get(0)?,
            status: Status::from_id(status).unwrap_or(Status::Msg),
            info: r.get(3)?,
            start: r.get(4)?,
            end: r.get(5)?,
            set_at: r.get(6)?,
            set_by: r.get(7)?,
            divert,
            import_id: r.get(9)?,
        },
    ))
}

fn insert(c: &Connection, ext: &str, e: &Entry) -> rusqlite::Result<i64> {
    let divert = e.divert.as_ref().map(Divert::text).unwrap_or_default();
    c.prepare_cached(
        "INSERT INTO presence (extension, status, info, start, end_at, set_at, set_by, divert, import_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        ext,
        e.status.id(),
        e.info,
        e.start,
        e.end,
        e.set_at,
        e.set_by,
        divert,
        e.import_id
    ])?;
    Ok(c.last_insert_rowid())
}

fn count(c: &Connection, ext: &str) -> rusqlite::Result<usize> {
    let n: i64 = c
        .prepare_cached("SELECT count(*) FROM presence WHERE extension = ?1")?
        .query_row([ext], |r| r.get(0))?;
    Ok(n as usize)
}

/// What storing a status did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Stored(i64),
    /// The extension holds [`MAX_ENTRIES`] statuses already.
    Full,
}

impl Store {
    /// One extension's statuses, now and to come.
    pub async fn presence(&self, ext: &str) -> Result<Vec<Entry>, StoreError> {
        let key = ext.to_owned();
        let ext = key.clone();
        self.read_kept(
            |k| &k.presence,
            self.settings_stamp(),
            key,
            move |c| {
                let mut q = c.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM presence WHERE extension = ?1 ORDER BY id"
                ))?;
                let rows = q.query_map([&ext], entry)?;
                rows.map(|r| r.map(|(_, e)| e)).collect()
            },
        )
        .await
    }

    /// Every extension's statuses, by extension (those with none are left out).
    pub async fn presences(&self) -> Result<BTreeMap<String, Vec<Entry>>, StoreError> {
        self.read(|c| {
            let mut q = c.prepare_cached(&format!("SELECT {COLUMNS} FROM presence ORDER BY id"))?;
            let mut all: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
            for row in q.query_map([], entry)? {
                let (ext, e) = row?;
                all.entry(ext).or_default().push(e);
            }
            Ok(all)
        })
        .await
    }

    /// Stores a status on top of the extension's stack, unless it is full.
    pub async fn add_presence(&self, ext: &str, e: Entry) -> Result<Added, StoreError> {
        let ext = ext.to_owned();
        self.write(move |c| {
            if count(c, &ext)? >= MAX_ENTRIES {
                return Ok(Added::Full);
            }
            insert(c, &ext, &e).map(Added::Stored)
        })
        .await
    }

    /// Ends (deletes) these statuses of the extension; how many there were.
    pub async fn end_presence(&self, ext: &str, ids: Vec<i64>) -> Result<usize, StoreError> {
        let ext = ext.to_owned();
        self.write(move |c| {
            let mut q = c.prepare_cached("DELETE FROM presence WHERE extension = ?1 AND id = ?2")?;
            let mut n = 0;
            for id in ids {
                n += q.execute(params![ext, id])?;
            }
            Ok(n)
        })
        .await
    }

    /// The extensions whose shown status may have changed between `after`
    /// (excluded) and `until`: a status started or ended then.
    pub async fn presence_due(&self, after: i64, until: i64) -> Result<BTreeSet<String>, StoreError> {
        self.read(move |c| {
            let mut q = c.prepare_cached(
                "SELECT extension FROM presence WHERE start > ?1 AND start <= ?2 \
                 UNION SELECT extension FROM presence WHERE end_at > ?1 AND end_at <= ?2",
            )?;
            let rows = q.query_map([after, until], |r| r.get(0))?;
            rows.collect()
        })
        .await
    }

    /// Deletes the statuses whose end has come.
    pub async fn prune_presence(&self, now: i64) -> Result<usize, StoreError> {
        self.write(move |c| c.execute("DELETE FROM presence WHERE end_at <= ?1", [now])).await
    }

    /// The import file's statuses in place of the ones it set before, in one job;
    /// the extensions whose statuses changed (before's and now's).
    pub async fn replace_imported(
        &self,
        lines: Vec<(String, Entry)>,
    ) -> Result<BTreeSet<String>, StoreError> {
        self.write(move |c| {
            let mut touched: BTreeSet<String> = {
                let mut q =
                    c.prepare_cached("SELECT DISTINCT extension FROM presence WHERE import_id IS NOT NULL")?;
                let rows = q.query_map([], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            c.execute("DELETE FROM presence WHERE import_id IS NOT NULL", [])?;
            for (ext, e) in &lines {
                insert(c, ext, e)?;
                touched.insert(ext.clone());
            }
            Ok(touched)
        })
        .await
    }
}
