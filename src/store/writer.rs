//! The one writer: a thread that owns the writing connection and commits in
//! batches (group commit). Whatever is queued when the previous commit ends goes
//! into the next transaction, so under load many writes share one fsync, and a
//! lone write is committed at once.
//!
//! Each job runs inside a savepoint: a job that fails is rolled back alone and
//! its caller gets the error; the others in the batch still commit. A caller
//! learns of success only after the commit has returned, i.e. is durable.

use std::path::PathBuf;
use std::sync::mpsc;
use std::thread;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::StoreError;

/// At most this many jobs share one transaction, so a burst cannot hold the write
/// lock for long.
pub const MAX_BATCH: usize = 512;

/// What a job tells the writer after it ran: a completion to call with the
/// commit's outcome.
type Completion = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> Completion + Send>;

enum Msg {
    Job(Job),
    Close(oneshot::Sender<Result<(), StoreError>>),
}

/// The handle to the writer thread.
pub struct Writer {
    tx: mpsc::Sender<Msg>,
}

impl Writer {
    /// Starts the writer thread on `conn`.
    pub fn start(conn: Connection, path: PathBuf) -> Result<Writer, StoreError> {
        let (tx, rx) = mpsc::channel();
        thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run(conn, path, rx))
            .map_err(|e| StoreError::Worker(e.to_string()))?;
        Ok(Writer { tx })
    }

    /// Runs `f` in the next batch and returns its result once the batch is committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (done, result) = oneshot::channel::<Result<T, StoreError>>();
        let job: Job = Box::new(move |conn| run_job(conn, f, done));
        self.tx.send(Msg::Job(job)).map_err(|_| StoreError::Closed)?;
        // A dropped sender means the batch could not even begin: nothing was written.
        result
            .await
            .map_err(|_| StoreError::Write("the write could not begin; nothing was written".into()))?
    }

    /// Commits what is queued, checkpoints the log and closes the connection.
    pub async fn close(&self) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Close(tx)).is_err() {
            return Ok(()); // Already closed.
        }
        rx.await.unwrap_or(Ok(()))
    }
}

fn run_job<T, F>(conn: &Connection, f: F, done: oneshot::Sender<Result<T, StoreError>>) -> Completion
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> rusqlite::Result<T>,
{
    if let Err(e) = conn.execute_batch("SAVEPOINT job") {
        return Box::new(move |_| {
            let _ = done.send(Err(StoreError::Write(e.to_string())));
        });
    }
    match f(conn) {
        Ok(value) => {
            let released = conn.execute_batch("RELEASE job");
            Box::new(move |commit| {
                let result = match (released, commit) {
                    (Err(e), _) => Err(StoreError::Write(e.to_string())),
                    (Ok(()), Err(e)) => Err(StoreError::Write(e.to_string())),
                    (Ok(()), Ok(())) => Ok(value),
                };
                let _ = done.send(result);
            })
        }
        Err(e) => {
            // Undo this job alone; the rest of the batch goes on.
            let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
            Box::new(move |_| {
                let _ = done.send(Err(StoreError::Write(e.to_string())));
            })
        }
    }
}

fn run(conn: Connection, path: PathBuf, rx: mpsc::Receiver<Msg>) {
    let mut close_reply = None;
    while close_reply.is_none() {
        // Wait for work, then take whatever else is already queued.
        let Ok(first) = rx.recv() else { break };
        let mut jobs = Vec::new();
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Job(job) => jobs.push(job),
                Msg::Close(reply) => {
                    close_reply = Some(reply);
                    break;
                }
            }
            if jobs.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !jobs.is_empty() {
            commit_batch(&conn, &path, jobs);
        }
    }
    let result = close(conn, &path);
    // No job can be queued after this: a write from now on fails with `Closed`.
    drop(rx);
    if let Some(reply) = close_reply {
        let _ = reply.send(result);
    }
}

fn commit_batch(conn: &Connection, path: &std::path::Path, jobs: Vec<Job>) {
    let outcome = conn
        .execute_batch("BEGIN IMMEDIATE")
        .map_err(|source| StoreError::Sqlite { path: path.to_path_buf(), source });
    let completions: Vec<Completion> = match &outcome {
        Ok(()) => jobs.into_iter().map(|job| job(conn)).collect(),
        Err(_) => Vec::new(),
    };
    let outcome = outcome.and_then(|()| {
        conn.execute_batch("COMMIT").map_err(|source| {
            let _ = conn.execute_batch("ROLLBACK");
            StoreError::Sqlite { path: path.to_path_buf(), source }
        })
    });
    if let Err(e) = &outcome {
        tracing::error!(error = %e, "store commit failed");
    }
    for c in completions {
        c(outcome.as_ref().map(|_| ()));
    }
}

fn close(conn: Connection, path: &std::path::Path) -> Result<(), StoreError> {
    let sqlite = |source| StoreError::Sqlite { path: path.to_path_buf(), source };
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").map_err(sqlite)?;
    conn.close().map_err(|(_, e)| sqlite(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer() -> (tempfile::TempDir, Writer) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.db");
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER PRIMARY KEY CHECK (x < 1000));",
        )
        .expect("schema");
        let w = Writer::start(conn, path).expect("start");
        (dir, w)
    }

    #[tokio::test]
    async fn a_failing_job_is_rolled_back_alone() {
        let (_dir, w) = writer();
        let w = std::sync::Arc::new(w);
        let mut tasks = Vec::new();
        for x in [1, 2, 5000, 3] {
            let w = w.clone();
            tasks.push(tokio::spawn(async move {
                w.write(move |c| {
                    c.execute("INSERT INTO t VALUES (?1)", [x])?;
                    // A job that fails after a first good statement leaves nothing behind.
                    c.execute("INSERT INTO t VALUES (?1)", [x + 10])
                })
                .await
            }));
        }
        let results: Vec<bool> = futures_ok(tasks).await;
        assert_eq!(results, vec![true, true, false, true]);
        let rows = w
            .write(|c| {
                c.query_row("SELECT group_concat(x) FROM (SELECT x FROM t ORDER BY x)", [], |r| {
                    r.get::<_, String>(0)
                })
            })
            .await;
        assert_eq!(rows.expect("read"), "1,2,3,11,12,13");
        w.close().await.expect("close");
        assert!(matches!(w.write(|_| Ok(())).await, Err(StoreError::Closed)));
    }

    async fn futures_ok(tasks: Vec<tokio::task::JoinHandle<Result<usize, StoreError>>>) -> Vec<bool> {
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("join").is_ok());
        }
        out
    }
}
