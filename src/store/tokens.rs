//! The provisioning API's bearer tokens: a name, scopes, an optional expiry, and
//! a SHA-256 of the secret (never the secret). Revoked tokens stay, marked, so
//! that what they did can still be traced to them.

use rusqlite::{params, OptionalExtension, Row};

use super::{Store, StoreError};

/// A token as stored, without its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub id: i64,
    pub name: String,
    /// Scope codes separated by spaces, as stored.
    pub scopes: String,
    pub created_at: i64,
    pub created_by: String,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_from: Option<String>,
    pub revoked_at: Option<i64>,
}

/// A token to be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    pub name: String,
    pub hash: String,
    pub scopes: String,
    pub created_by: String,
    pub expires_at: Option<i64>,
}

/// At most this many tokens that are not revoked: each is a key to the exchange.
pub const MAX_TOKENS: i64 = 100;

const COLUMNS: &str =
    "id, name, scopes, created_at, created_by, expires_at, last_used_at, last_used_from, revoked_at";

fn token(r: &Row<'_>) -> rusqlite::Result<Token> {
    Ok(Token {
        id: r.get(0)?,
        name: r.get(1)?,
        scopes: r.get(2)?,
        created_at: r.get(3)?,
        created_by: r.get(4)?,
        expires_at: r.get(5)?,
        last_used_at: r.get(6)?,
        last_used_from: r.get(7)?,
        revoked_at: r.get(8)?,
    })
}

impl Store {
    /// Every token, the newest first.
    pub async fn tokens(&self) -> Result<Vec<Token>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!("SELECT {COLUMNS} FROM api_token ORDER BY id DESC"))?;
            let rows = st.query_map([], token)?;
            rows.collect()
        })
        .await
    }

    /// The token whose secret hashes to `hash`, revoked or not.
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<Token>, StoreError> {
        let hash = hash.to_owned();
        self.read(move |c| {
            c.prepare_cached(&format!("SELECT {COLUMNS} FROM api_token WHERE token_hash = ?1"))?
                .query_row([hash], token)
                .optional()
        })
        .await
    }

    /// Makes a token and returns its id; `None` when [`MAX_TOKENS`] are in force.
    pub async fn add_token(&self, t: NewToken, now: i64) -> Result<Option<i64>, StoreError> {
        self.write(move |c| {
            let live: i64 = c.query_row(
                "SELECT count(*) FROM api_token WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?1)",
                [now],
                |r| r.get(0),
            )?;
            if live >= MAX_TOKENS {
                return Ok(None);
            }
            c.execute(
                "INSERT INTO api_token (name, token_hash, scopes, created_at, created_by, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![t.name, t.hash, t.scopes, now, t.created_by, t.expires_at],
            )?;
            Ok(Some(c.last_insert_rowid()))
        })
        .await
    }

    /// Revokes a token; `false` if there is no such token or it was revoked already.
    pub async fn revoke_token(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        self.write(move |c| {
            let n = c.execute(
                "UPDATE api_token SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, now],
            )?;
            Ok(n == 1)
        })
        .await
    }

    /// Records a use of the token.
    pub async fn token_used(&self, id: i64, from: &str, now: i64) -> Result<(), StoreError> {
        let from = from.to_owned();
        self.write(move |c| {
            c.execute(
                "UPDATE api_token SET last_used_at = ?2, last_used_from = ?3 WHERE id = ?1",
                params![id, now, from],
            )?;
            Ok(())
        })
        .await
    }
}
