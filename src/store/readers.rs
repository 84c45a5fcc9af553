//! A small pool of read-only connections. Reads run on blocking threads, never on
//! the async runtime; in WAL mode they see the last commit and never wait for the
//! writer.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use super::StoreError;

/// Reads that may run at once: the board has two cores.
pub const READERS: usize = 2;

pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl Readers {
    pub fn open(path: &Path) -> Result<Readers, StoreError> {
        let mut idle = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            idle.push(open_reader(path)?);
        }
        Ok(Readers {
            path: path.to_path_buf(),
            idle: Mutex::new(idle),
            permits: Arc::new(Semaphore::new(READERS)),
        })
    }

    /// Runs `f` on an idle reader, on a blocking thread.
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| StoreError::Closed)?;
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = this.idle.lock().map_err(|e| StoreError::Worker(e.to_string()))?.pop();
            let conn = conn.ok_or(StoreError::Closed)?;
            let result = in_one_snapshot(&conn, f)
                .map_err(|source| StoreError::Sqlite { path: this.path.clone(), source });
            if let Ok(mut idle) = this.idle.lock() {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Worker(e.to_string()))?
    }

    /// Waits for running reads to finish and closes every reader.
    pub async fn close(&self) {
        if let Ok(all) = self.permits.acquire_many(READERS as u32).await {
            all.forget();
            self.permits.close();
        }
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }
}

/// Runs `f` in one read transaction: its queries see one snapshot, and the
/// database's locks (a file lock and the log's read mark) are taken once for all
/// of them, not once per statement (that was a third of a page's time).
fn in_one_snapshot<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    if !conn.is_autocommit() {
        // A transaction left open by a failed end: end it before a new one.
        conn.prepare_cached("ROLLBACK")?.execute([])?;
    }
    conn.prepare_cached("BEGIN")?.execute([])?;
    let result = f(conn);
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = conn.prepare_cached(end).and_then(|mut s| s.execute([]));
    let value = result?;
    ended?;
    Ok(value)
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let sqlite = |source| StoreError::Sqlite { path: path.to_path_buf(), source };
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(sqlite)?;
    conn.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;").map_err(sqlite)?;
    super::migrate::connection_settings(&conn).map_err(sqlite)?;
    Ok(conn)
}
