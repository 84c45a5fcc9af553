//! Backup, restore and the health report of the database file.
//!
//! A backup is SQLite's online backup of one consistent snapshot, taken while the
//! service runs (a WAL reader never blocks the writer); never a file copy, which
//! could catch the database between a commit and its checkpoint. A restore checks
//! the file's integrity and schema version before anything is replaced, needs the
//! service stopped, and keeps the previous database beside the new one.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

use super::migrate::{self, SCHEMA_VERSION};
use super::StoreError;

/// What `webcti check` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub integrity: String,
    pub schema_version: i64,
    pub page_size: i64,
    pub pages: i64,
    pub free_pages: i64,
    pub db_bytes: u64,
    pub wal_bytes: u64,
    pub cdrs: i64,
    pub voicemails: i64,
    pub extensions: i64,
}

impl Report {
    pub fn is_ok(&self) -> bool {
        self.integrity == "ok"
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "integrity:      {}", self.integrity)?;
        writeln!(f, "schema version: {} (this program: {SCHEMA_VERSION})", self.schema_version)?;
        writeln!(
            f,
            "database:       {} bytes ({} pages of {}, {} free)",
            self.db_bytes, self.pages, self.page_size, self.free_pages
        )?;
        writeln!(f, "write-ahead log: {} bytes", self.wal_bytes)?;
        writeln!(f, "extensions:     {}", self.extensions)?;
        writeln!(f, "call records:   {}", self.cdrs)?;
        write!(f, "voicemails:     {}", self.voicemails)
    }
}

fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite { path: path.to_path_buf(), source }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    if !path.exists() {
        return Err(StoreError::Io { path: path.to_path_buf(), source: std::io::ErrorKind::NotFound.into() });
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sqlite(path))?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(sqlite(path))?;
    Ok(conn)
}

/// The schema version of the database at `db`, read without changing it; none
/// when there is no database yet.
pub fn schema_version(db: &Path) -> Result<Option<i64>, StoreError> {
    if !db.exists() {
        return Ok(None);
    }
    let conn = open_read_only(db)?;
    migrate::read_version(&conn).map(Some).map_err(sqlite(db))
}

/// Checks a database file and reports its sizes; works while the service runs.
pub fn check(db: &Path) -> Result<Report, StoreError> {
    let conn = open_read_only(db)?;
    let q =
        |sql: &str| -> Result<i64, StoreError> { conn.query_row(sql, [], |r| r.get(0)).map_err(sqlite(db)) };
    let integrity: String = conn
        .query_row("PRAGMA integrity_check(1)", [], |r| r.get(0))
        .map_err(|e| StoreError::Corrupt { path: db.to_path_buf(), detail: e.to_string() })?;
    let schema_version = migrate::read_version(&conn).map_err(sqlite(db))?;
    let count = |table: &str| -> Result<i64, StoreError> {
        if schema_version < 2 {
            return Ok(0);
        }
        q(&format!("SELECT count(*) FROM {table}"))
    };
    let wal = wal_path(db);
    Ok(Report {
        schema_version,
        page_size: q("PRAGMA page_size")?,
        pages: q("PRAGMA page_count")?,
        free_pages: q("PRAGMA freelist_count")?,
        db_bytes: fs::metadata(db).map(|m| m.len()).unwrap_or(0),
        wal_bytes: fs::metadata(&wal).map(|m| m.len()).unwrap_or(0),
        cdrs: count("cdr")?,
        voicemails: count("voicemail")?,
        extensions: count("extension")?,
        integrity,
    })
}

/// Writes a consistent copy of the database at `db` to `dest`, while the service
/// runs. The copy is checked before this returns.
pub fn backup(db: &Path, dest: &Path) -> Result<Report, StoreError> {
    let src = open_read_only(db)?;
    let tmp = dest.with_extension("partial");
    let _ = fs::remove_file(&tmp);
    {
        let mut out = Connection::open(&tmp).map_err(sqlite(&tmp))?;
        let backup = Backup::new(&src, &mut out).map_err(sqlite(&tmp))?;
        // All pages in one step: one read transaction, so one consistent snapshot,
        // which in WAL mode does not hold up the service's writer.
        backup.step(-1).map_err(sqlite(&tmp))?;
        drop(backup);
        // A backup file stands alone: no write-ahead log beside it.
        out.execute_batch("PRAGMA journal_mode = DELETE;").map_err(sqlite(&tmp))?;
    }
    fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(io(&tmp))?;
    let report = check(&tmp)?;
    if !report.is_ok() {
        let _ = fs::remove_file(&tmp);
        return Err(StoreError::Corrupt { path: dest.to_path_buf(), detail: report.integrity });
    }
    fs::rename(&tmp, dest).map_err(io(dest))?;
    Ok(report)
}

/// Replaces the database at `db` with the backup at `from`. The service must be
/// stopped. Returns where the previous database was kept.
pub fn restore(db: &Path, from: &Path) -> Result<Option<PathBuf>, StoreError> {
    // Everything about the backup is checked before anything is touched.
    let report = check(from).map_err(|e| match e {
        StoreError::Sqlite { source, .. } => {
            StoreError::Corrupt { path: from.to_path_buf(), detail: format!("not a webcti backup: {source}") }
        }
        other => other,
    })?;
    if !report.is_ok() {
        return Err(StoreError::Corrupt { path: from.to_path_buf(), detail: report.integrity });
    }
    if report.schema_version == 0 {
        return Err(StoreError::Corrupt {
            path: from.to_path_buf(),
            detail: "not a webcti backup (no schema)".into(),
        });
    }
    if report.schema_version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: from.to_path_buf(),
            found: report.schema_version,
            supported: SCHEMA_VERSION,
        });
    }
    // The service holds this lock while it runs.
    let _lock = super::lock(db)?;

    let kept = if db.exists() {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let kept = PathBuf::from(format!("{}.before-restore-{stamp}", db.display()));
        // The log and shared memory move with the file, so the kept copy stays whole.
        for suffix in ["", "-wal", "-shm"] {
            let a = PathBuf::from(format!("{}{suffix}", db.display()));
            let b = PathBuf::from(format!("{}{suffix}", kept.display()));
            if a.exists() {
                fs::rename(&a, &b).map_err(io(&a))?;
            }
        }
        Some(kept)
    } else {
        None
    };
    let src = open_read_only(from)?;
    let mut out = Connection::open(db).map_err(sqlite(db))?;
    Backup::new(&src, &mut out).and_then(|b| b.step(-1).map(|_| ())).map_err(sqlite(db))?;
    out.execute_batch(migrate::PRAGMAS).map_err(sqlite(db))?;
    drop(out);
    if let Some(dir) = db.parent() {
        hand_to_owner_of(dir, db);
    }
    Ok(kept)
}

fn wal_path(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}-wal", db.display()))
}

/// A restore run as root leaves the new file owned by the data directory's owner
/// (the service user), so the service can open it.
fn hand_to_owner_of(dir: &Path, db: &Path) {
    use std::os::unix::fs::MetadataExt;
    if !nix::unistd::geteuid().is_root() {
        return;
    }
    if let Ok(meta) = fs::metadata(dir) {
        let uid = nix::unistd::Uid::from_raw(meta.uid());
        let gid = nix::unistd::Gid::from_raw(meta.gid());
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", db.display()));
            if p.exists() {
                let _ = nix::unistd::chown(&p, Some(uid), Some(gid));
            }
        }
    }
}
