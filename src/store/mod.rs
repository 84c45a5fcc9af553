//! The only code that opens SQLite: the database on the board's flash.
//!
//! [`Store::open`] takes the data directory's lock, opens (or creates) the
//! database, refuses one that is damaged or from a newer schema, and runs the
//! numbered migrations. Writes go through one writer thread that commits in
//! batches ([`writer`]); reads come from a small pool ([`readers`]); neither runs
//! on the async runtime. [`Store::close`] is the last step of a clean stop.
//!
//! Durability (see ARCHITECTURE.md, "Storage"): WAL with `synchronous = FULL`, so a
//! commit is on flash before it returns, and a write is acknowledged to its caller
//! only after its commit.

pub mod accounts;
pub mod backup;
pub mod callback;
pub mod cdr;
pub mod costs;
pub mod cti;
pub mod cti_group;
pub mod directory;
pub mod journal;
pub mod kept;
pub mod migrate;
pub mod org;
pub mod phonebook;
pub mod presence;
pub mod program;
pub mod public_book;
mod readers;
pub mod tokens;
pub mod two_factor;
pub mod voicemail;
mod writer;

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nix::fcntl::{Flock, FlockArg};
use rusqlite::{Connection, OptionalExtension};

use crate::domain::dialplan::DiallingPlan;
pub use migrate::SCHEMA_VERSION;
use readers::Readers;
use writer::Writer;

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error(
        "database {path} has schema version {found}, newer than this program's {supported}; \
         install the newer firmware again or restore a backup made by this version"
    )]
    TooNew { path: PathBuf, found: i64, supported: i64 },
    #[error(
        "database {path} has schema version {found}, this program {supported}: \
         restart the service with this program first"
    )]
    Behind { path: PathBuf, found: i64, supported: i64 },
    #[error(
        "database {path} is damaged ({detail}); restore the last backup with \
         `webcti restore FILE`, which keeps the damaged file beside it"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("database {path} is in use by another webcti process; stop it first")]
    Locked { path: PathBuf },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the write was not stored: {0}")]
    Write(String),
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
    writer: Writer,
    readers: Arc<Readers>,
    /// Held from open to close: one process per database.
    lock: std::sync::Mutex<Option<Flock<File>>>,
    /// What the integrity check found, once it has found damage.
    damage: std::sync::OnceLock<String>,
    /// Grows after every write but the call records' ([`Store::generation`]).
    generation: std::sync::atomic::AtomicU64,
    /// How contacts' numbers are made canonical ([`Store::use_dialling_plan`]).
    plan: std::sync::RwLock<Arc<DiallingPlan>>,
    /// The last call record's arrival ([`Store::arrived`]).
    arrived: std::sync::atomic::AtomicI64,
    /// Per extension, the arrival of its last call record ([`Store::records_stamp`]).
    touched: std::sync::Mutex<Touched>,
    /// Hot reads kept while the stamp stands ([`kept`]).
    kept: Keeps,
}

/// The arrival of each extension's last call record stored in this run; an
/// extension without one stands at `floor` (the arrival at the open, or when
/// the map was last emptied). Bounded: past [`MAX_TOUCHED`] extensions the map
/// is emptied and the floor moves to the last arrival, which moves every
/// extension's stamp: a kept read is read again, never given out stale.
struct Touched {
    last: HashMap<String, i64>,
    floor: i64,
}

/// Extensions whose last call record's arrival is remembered at most.
const MAX_TOUCHED: usize = 10_000;

impl Touched {
    fn new(floor: i64) -> Touched {
        Touched { last: HashMap::new(), floor }
    }

    fn of(&self, ext: &str) -> i64 {
        self.last.get(ext).copied().unwrap_or(self.floor)
    }

    fn touch<'a>(&mut self, exts: impl IntoIterator<Item = &'a str>, arrived: i64) {
        for ext in exts {
            if self.last.len() >= MAX_TOUCHED && !self.last.contains_key(ext) {
                self.last.clear();
                self.floor = arrived;
            }
            self.last.insert(ext.to_owned(), arrived);
        }
    }
}

/// The reads the store keeps ([`kept`]), one set per open database.
struct Keeps {
    programs: kept::Kept<String, Option<crate::domain::program::ExtensionProgram>>,
    presence: kept::Kept<String, Vec<crate::domain::presence::Entry>>,
    cost_accounts: kept::Kept<String, Option<crate::domain::tariff::CostAccount>>,
    profiles: kept::Kept<String, Option<crate::domain::account::Profile>>,
    /// The users' own numbers besides their extensions ([`phonebook::Mobiles`]):
    /// every name lookup reads them.
    mobiles: kept::Kept<(), Arc<phonebook::Mobiles>>,
    /// The name each number has for an owner (`None`: none), by the owner, the
    /// number and its form.
    names: kept::Kept<(String, String, crate::domain::dialplan::Form), Option<String>>,
    /// The phonebook's lists as opened (no search), by owner, view and rows:
    /// up to 200 entries each, so only a few.
    lists: kept::Kept<
        (String, crate::domain::phonebook::View, crate::domain::phonebook::Rows),
        Vec<crate::domain::phonebook::Entry>,
    >,
    /// The departments and contact groups the phonebook page lists, by owner.
    book_groups: kept::Kept<String, phonebook::BookGroups>,
    /// History pages by their query: up to 200 records each (about 50 KB).
    histories: kept::Kept<crate::domain::cdr::HistoryQuery, Vec<crate::domain::cdr::HistoryRow>>,
}

/// History pages kept at most.
const KEPT_HISTORIES: usize = 64;

/// Phonebook lists kept at most: each holds up to 200 entries (about 60 KB).
const KEPT_LISTS: usize = 32;

impl Default for Keeps {
    fn default() -> Self {
        Keeps {
            programs: Default::default(),
            presence: Default::default(),
            cost_accounts: Default::default(),
            profiles: Default::default(),
            mobiles: Default::default(),
            names: Default::default(),
            lists: kept::Kept::holding(KEPT_LISTS),
            book_groups: Default::default(),
            histories: kept::Kept::holding(KEPT_HISTORIES),
        }
    }
}

impl Store {
    /// Opens the database at `path`, creating it if absent, and brings its schema up
    /// to date. Fails if another process has it open.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let path = path.to_path_buf();
        let p = path.clone();
        let inner = tokio::task::spawn_blocking(move || -> Result<Inner, StoreError> {
            let lock = lock(&p)?;
            let conn = migrate::open(&p)?;
            let arrived =
                cdr::arrived(&conn).map_err(|source| StoreError::Sqlite { path: p.clone(), source })?;
            let readers = Arc::new(Readers::open(&p)?);
            let writer = Writer::start(conn, p.clone())?;
            Ok(Inner {
                path: p,
                writer,
                readers,
                lock: std::sync::Mutex::new(Some(lock)),
                damage: Default::default(),
                generation: Default::default(),
                plan: Default::default(),
                arrived: arrived.into(),
                touched: std::sync::Mutex::new(Touched::new(arrived)),
                kept: Keeps::default(),
            })
        })
        .await
        .map_err(|e| StoreError::Worker(e.to_string()))??;
        let _ = path;
        Ok(Store { inner: Arc::new(inner) })
    }

    /// Opens the database beside the service that has it open (`webcti token`
    /// on the board's console): without the one-process lock and without
    /// migrating, so its schema must be this program's. SQLite's own locking
    /// orders the two processes' writes. When no process has the file open,
    /// this is [`Store::open`].
    pub async fn open_beside(path: &Path) -> Result<Store, StoreError> {
        match Store::open(path).await {
            Err(StoreError::Locked { .. }) => {}
            other => return other,
        }
        let p = path.to_path_buf();
        let inner = tokio::task::spawn_blocking(move || -> Result<Inner, StoreError> {
            let conn = migrate::open_current(&p)?;
            let readers = Arc::new(Readers::open(&p)?);
            let writer = Writer::start(conn, p.clone())?;
            Ok(Inner {
                path: p,
                writer,
                readers,
                lock: std::sync::Mutex::new(None),
                damage: Default::default(),
                generation: Default::default(),
                plan: Default::default(),
                arrived: Default::default(),
                touched: std::sync::Mutex::new(Touched::new(0)),
                kept: Keeps::default(),
            })
        })
        .await
        .map_err(|e| StoreError::Worker(e.to_string()))??;
        Ok(Store { inner: Arc::new(inner) })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The dialling plan contacts' numbers are kept canonical by.
    pub(crate) fn plan(&self) -> Arc<DiallingPlan> {
        self.inner.plan.read().map(|p| p.clone()).unwrap_or_default()
    }

    /// Checks every page of the database on a reader while the service serves
    /// (`PRAGMA quick_check`: its time grows with the data, so the start does not
    /// wait for it). Damage found is kept for [`Store::damage`] and returned.
    pub async fn check_integrity(&self) -> Result<Option<String>, StoreError> {
        let found = self.read(|c| Ok(migrate::quick_check(c))).await?;
        if let Some(detail) = &found {
            let _ = self.inner.damage.set(detail.clone());
        }
        Ok(found)
    }

    /// What the integrity check found, when it found the database damaged.
    pub fn damage(&self) -> Option<&str> {
        self.inner.damage.get().map(String::as_str)
    }

    /// Runs `f` in the writer's next batch; returns after the batch is committed.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let result = self.inner.writer.write(f).await;
        // After the commit (or its failure): whoever reads the generation
        // from now on reads what this job wrote.
        self.inner.generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        result
    }

    /// Runs `f` in a writer's job that writes call records only (and what
    /// comes with them, and the CTI accounts' journal marks: no cache reads
    /// those), which leaves [`Store::generation`] as it is.
    pub(crate) async fn write_records<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.inner.writer.write(f).await
    }

    /// The arrival (schema version 11) of the last call record stored, kept in
    /// memory: where the CTI server's offline journal marks an account.
    pub fn arrived(&self) -> i64 {
        self.inner.arrived.load(std::sync::atomic::Ordering::Acquire)
    }

    /// A number that grows after every committed write except the call
    /// records' intake: what was read while it stood still is still what the
    /// database holds, but for call records. Caches of settings and rights
    /// (`services::accounts`) read it first and are good while it stays.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Where the store stands now: what was read after it stood here is what the
    /// database holds while it stays ([`kept`]).
    pub fn stamp(&self) -> kept::Stamp {
        // The arrival before the generation: both only grow, and a read made
        // after both were taken is at least as new as either.
        let arrived = self.arrived();
        kept::Stamp { generation: self.generation(), arrived }
    }

    /// As [`Store::stamp`], for a read of `ext`'s call records alone (and what
    /// comes with them: its cost account): it stands while other extensions'
    /// records come in.
    pub(crate) fn records_stamp(&self, ext: &str) -> kept::Stamp {
        let arrived = self.inner.touched.lock().unwrap_or_else(|e| e.into_inner()).of(ext);
        kept::Stamp { generation: self.generation(), arrived }
    }

    /// Marks the extensions whose call records were stored, up to `arrived`
    /// (after the commit, before [`Store::arrived`] moves).
    pub(crate) fn touch<'a>(&self, exts: impl IntoIterator<Item = &'a str>, arrived: i64) {
        self.inner.touched.lock().unwrap_or_else(|e| e.into_inner()).touch(exts, arrived);
    }

    /// As [`Store::stamp`], for a read of no call record (nor of what comes
    /// with them): it stands while call records come in.
    pub fn settings_stamp(&self) -> kept::Stamp {
        kept::Stamp { generation: self.generation(), arrived: 0 }
    }

    /// `f`'s read for `key`, from `which` while `stamp` (one of
    /// [`Store::stamp`] and [`Store::settings_stamp`], taken now) stands, else
    /// made on a reader now and kept.
    async fn read_kept<K, V, F>(
        &self,
        which: impl Fn(&Keeps) -> &kept::Kept<K, V>,
        stamp: kept::Stamp,
        key: K,
        f: F,
    ) -> Result<V, StoreError>
    where
        K: Eq + std::hash::Hash,
        V: Clone + Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<V> + Send + 'static,
    {
        if let Some(v) = which(&self.inner.kept).get(&key, stamp) {
            return Ok(v);
        }
        let v = self.read(f).await?;
        which(&self.inner.kept).keep(key, stamp, v.clone());
        Ok(v)
    }

    /// Runs `f` on a reader.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.inner.readers.read(f).await
    }

    /// Answers whether the database can be read: for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| c.query_row("SELECT count(*) FROM schema_version", [], |_| Ok(()))).await
    }

    /// The schema version of the open database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        self.read(migrate::read_version).await
    }

    /// The database file's size and its write-ahead log's, in bytes.
    pub fn file_sizes(&self) -> (u64, u64) {
        let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let mut wal = self.inner.path.as_os_str().to_owned();
        wal.push("-wal");
        (size(&self.inner.path), size(std::path::Path::new(&wal)))
    }

    /// Reads a run-time setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.read(move |c| {
            c.query_row("SELECT value FROM setting WHERE key = ?1", [key], |r| r.get(0)).optional()
        })
        .await
    }

    /// Writes a run-time setting.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO setting (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            .map(|_| ())
        })
        .await
    }

    /// Finishes queued writes, checkpoints the log and closes the database. Later
    /// calls fail with [`StoreError::Closed`].
    pub async fn close(&self) -> Result<(), StoreError> {
        self.inner.readers.close().await;
        self.inner.writer.close().await?;
        if let Ok(mut lock) = self.inner.lock.lock() {
            lock.take();
        }
        Ok(())
    }
}

/// The lock file beside the database: held for as long as a process has it open.
pub fn lock_path(db: &Path) -> PathBuf {
    db.with_extension("lock")
}

fn lock(db: &Path) -> Result<Flock<File>, StoreError> {
    let path = lock_path(db);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| StoreError::Io { path: path.clone(), source })?;
    Flock::lock(file, FlockArg::LockExclusiveNonblock)
        .map_err(|_| StoreError::Locked { path: db.to_path_buf() })
}
