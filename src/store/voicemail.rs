//! The voicemail index: what the core reports as deposited and heard, listed per
//! extension, pruned by age or count like call records.

use rusqlite::{params, Connection};

use super::{Store, StoreError};

pub use crate::domain::voicemail::Voicemail;

impl Store {
    /// Adds a deposited message; the same core id twice is stored once.
    pub async fn insert_voicemail(&self, v: Voicemail) -> Result<bool, StoreError> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO voicemail (core_id, extension, caller, received_at, duration_secs, heard_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (core_id) DO NOTHING",
                params![v.core_id as i64, v.extension, v.caller, v.received_at, v.duration_secs, v.heard_at],
            )
            .map(|n| n == 1)
        })
        .await
    }

    /// Marks a message heard.
    pub async fn voicemail_heard(&self, core_id: u64, at: i64) -> Result<bool, StoreError> {
        self.write(move |c| {
            c.execute(
                "UPDATE voicemail SET heard_at = ?2 WHERE core_id = ?1 AND heard_at IS NULL",
                params![core_id as i64, at],
            )
            .map(|n| n == 1)
        })
        .await
    }

    /// Whether message `core_id` is in `extension`'s index (never another's).
    pub async fn has_voicemail(&self, extension: &str, core_id: u64) -> Result<bool, StoreError> {
        let extension = extension.to_owned();
        self.read(move |c| {
            c.prepare_cached("SELECT EXISTS (SELECT 1 FROM voicemail WHERE core_id = ?1 AND extension = ?2)")?
                .query_row(params![core_id as i64, extension], |r| r.get(0))
        })
        .await
    }

    /// Takes message `core_id` out of `extension`'s index.
    pub async fn delete_voicemail(&self, extension: &str, core_id: u64) -> Result<bool, StoreError> {
        let extension = extension.to_owned();
        self.write(move |c| {
            c.execute(
                "DELETE FROM voicemail WHERE core_id = ?1 AND extension = ?2",
                params![core_id as i64, extension],
            )
            .map(|n| n == 1)
        })
        .await
    }

    /// An extension's messages, newest first.
    pub async fn voicemails(&self, extension: &str, limit: u32) -> Result<Vec<Voicemail>, StoreError> {
        let extension = extension.to_owned();
        self.read(move |c| list(c, &extension, limit)).await
    }

    /// Deletes one batch of index entries older than `before` or beyond the newest
    /// `keep`; returns how many went.
    pub async fn prune_voicemail(
        &self,
        before: Option<i64>,
        keep: Option<u64>,
        batch: u32,
    ) -> Result<u64, StoreError> {
        self.write(move |c| super::cdr::prune(c, "voicemail", "id", before, keep, batch)).await
    }
}

pub(super) fn list(c: &Connection, extension: &str, limit: u32) -> rusqlite::Result<Vec<Voicemail>> {
    let mut stmt = c.prepare_cached(
        "SELECT core_id, extension, caller, received_at, duration_secs, heard_at FROM voicemail
         WHERE extension = ?1 ORDER BY received_at DESC, id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![extension, limit], |r| {
        Ok(Voicemail {
            core_id: r.get::<_, i64>(0)? as u64,
            extension: r.get(1)?,
            caller: r.get(2)?,
            received_at: r.get(3)?,
            duration_secs: r.get(4)?,
            heard_at: r.get(5)?,
        })
    })?;
    rows.collect()
}
