//! Two-factor login's rows: the TOTP secret, whether it is confirmed, the last
//! step used (advanced only forwards, in one statement, so a code cannot be
//! accepted twice even by two requests at once), and the recovery codes' hashes.

use rusqlite::{params, OptionalExtension};

use super::journal::{self, Changes};
use super::{Store, StoreError};

/// An extension's second factor as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondFactor {
    pub secret: Vec<u8>,
    pub enabled: bool,
    pub last_step: i64,
}

impl Store {
    pub async fn second_factor(&self, ext: &str) -> Result<Option<SecondFactor>, StoreError> {
        let ext = ext.to_owned();
        self.read(move |c| {
            c.query_row(
                "SELECT secret, enabled, last_step FROM two_factor WHERE extension = ?1",
                [&ext],
                |r| Ok(SecondFactor { secret: r.get(0)?, enabled: r.get(1)?, last_step: r.get(2)? }),
            )
            .optional()
        })
        .await
    }

    /// Starts an enrolment with a new secret (not enabled until confirmed);
    /// an enabled factor is never replaced this way.
    pub async fn begin_second_factor(
        &self,
        ext: &str,
        secret: Vec<u8>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let ext = ext.to_owned();
        self.write(move |c| {
            let n = c.execute(
                "INSERT INTO two_factor (extension, secret, enabled, last_step, created_at) VALUES (?1, ?2, 0, 0, ?3)
                 ON CONFLICT (extension) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at
                 WHERE two_factor.enabled = 0",
                params![ext, secret, now],
            )?;
            Ok(n == 1)
        })
        .await
    }

    /// Confirms the enrolment with the step of its first code, and keeps the
    /// recovery codes' hashes, with the journal's entry.
    pub async fn confirm_second_factor(
        &self,
        ext: &str,
        step: i64,
        recovery_hashes: Vec<String>,
        changes: Changes,
        now: i64,
    ) -> Result<bool, StoreError> {
        let ext = ext.to_owned();
        self.write(move |c| {
            let n = c.execute(
                "UPDATE two_factor SET enabled = 1, last_step = ?2 WHERE extension = ?1 AND enabled = 0",
                params![ext, step],
            )?;
            if n != 1 {
                return Ok(false);
            }
            c.execute("DELETE FROM recovery_code WHERE extension = ?1", [&ext])?;
            for h in &recovery_hashes {
                c.execute("INSERT INTO recovery_code (extension, hash) VALUES (?1, ?2)", params![ext, h])?;
            }
            journal::record(c, &ext, &changes.by, &changes.list, now)?;
            Ok(true)
        })
        .await
    }

    /// Uses the code of `step`: true if no code of this step or a later one was used.
    pub async fn use_step(&self, ext: &str, step: i64) -> Result<bool, StoreError> {
        let ext = ext.to_owned();
        self.write(move |c| {
            let n = c.execute(
                "UPDATE two_factor SET last_step = ?2 WHERE extension = ?1 AND enabled = 1 AND last_step < ?2",
                params![ext, step],
            )?;
            Ok(n == 1)
        })
        .await
    }

    /// Uses a recovery code (by its hash): true once, then never again.
    pub async fn use_recovery_code(&self, ext: &str, hash: &str, now: i64) -> Result<bool, StoreError> {
        let (ext, hash) = (ext.to_owned(), hash.to_owned());
        self.write(move |c| {
            let n = c.execute(
                "UPDATE recovery_code SET used_at = ?3 WHERE extension = ?1 AND hash = ?2 AND used_at IS NULL",
                params![ext, hash, now],
            )?;
            Ok(n == 1)
        })
        .await
    }

    /// Recovery codes not used yet.
    pub async fn recovery_codes_left(&self, ext: &str) -> Result<i64, StoreError> {
        let ext = ext.to_owned();
        self.read(move |c| {
            c.query_row(
                "SELECT count(*) FROM recovery_code WHERE extension = ?1 AND used_at IS NULL",
                [&ext],
                |r| r.get(0),
            )
        })
        .await
    }
}
