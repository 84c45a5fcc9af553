//! The only code that opens SQLite: the database on the board's flash.
//!
//! [`Store::open`] opens (or creates) the database, refuses one that is damaged or
//! from a newer schema, and runs the numbered migrations. Work runs on blocking
//! threads, never on the async runtime. [`Store::close`] is the last step of a clean
//! stop: it checkpoints the write-ahead log and closes the file.

mod migrate;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

pub use migrate::SCHEMA_VERSION;

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "database {path} has schema version {found}, newer than this program's {supported}; \
         install the newer firmware again or restore a backup made by this version"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "database {path} is damaged ({detail}); restore the last backup with \
         `webcti restore FILE`, which keeps the damaged file beside it"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("the store is closed")]
    Closed,
    #[error("the store's worker thread failed: {0}")]
    Worker(String),
}

/// A handle to the open database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    conn: Mutex<Option<Connection>>,
}

impl Store {
    /// Opens the database at `path`, creating it if absent, and brings its schema up
    /// to date.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let path = path.to_path_buf();
        let p = path.clone();
        let conn = tokio::task::spawn_blocking(move || migrate::open(&p))
            .await
            .map_err(|e| StoreError::Worker(e.to_string()))??;
        Ok(Store {
            inner: Arc::new(Inner {
                path,
                conn: Mutex::new(Some(conn)),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` with the connection on a blocking thread.
    async fn with_conn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let guard = inner
                .conn
                .lock()
                .map_err(|e| StoreError::Worker(e.to_string()))?;
            let conn = guard.as_ref().ok_or(StoreError::Closed)?;
            f(conn).map_err(|source| StoreError::Sqlite {
                path: inner.path.clone(),
                source,
            })
        })
        .await
        .map_err(|e| StoreError::Worker(e.to_string()))?
    }

    /// Answers whether the database can be read: for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.with_conn(|c| c.query_row("SELECT count(*) FROM schema_version", [], |_| Ok(())))
            .await
    }

    /// Reads the schema version of the open database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        self.with_conn(migrate::read_version).await
    }

    /// Checkpoints the log and closes the database. Later calls fail with
    /// [`StoreError::Closed`].
    pub async fn close(&self) -> Result<(), StoreError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = inner
                .conn
                .lock()
                .map_err(|e| StoreError::Worker(e.to_string()))?
                .take();
            match conn {
                None => Ok(()),
                Some(conn) => {
                    let sqlite = |source| StoreError::Sqlite {
                        path: inner.path.clone(),
                        source,
                    };
                    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                        .map_err(sqlite)?;
                    conn.close().map_err(|(_, e)| sqlite(e))
                }
            }
        })
        .await
        .map_err(|e| StoreError::Worker(e.to_string()))?
    }
}

impl Store {
    /// Reads a run-time setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.with_conn(move |c| {
            use rusqlite::OptionalExtension;
            c.query_row("SELECT value FROM setting WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
        })
        .await
    }
}
