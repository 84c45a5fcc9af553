//! Opening the database: pragmas, the checks and numbered migrations.
//!
//! Each migration is a step from version N-1 to N, run in one transaction. A
//! database whose version is newer than [`SCHEMA_VERSION`] is refused: this program
//! would not know what its tables mean.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::StoreError;
use crate::packed::packed;

/// The migrations, in order (packed); the schema version is the number of steps applied.
const MIGRATIONS: &[&[u8]] = &[
    packed!("src/store/schema/001_base.sql"),
    packed!("src/store/schema/002_domain.sql"),
    packed!("src/store/schema/003_contact_groups_by_contact.sql"),
    packed!("src/store/schema/004_caller_ids.sql"),
    packed!("src/store/schema/005_journal.sql"),
    packed!("src/store/schema/006_temporary_passwords.sql"),
    packed!("src/store/schema/007_two_factor.sql"),
    packed!("src/store/schema/008_journal_by_time.sql"),
    packed!("src/store/schema/009_phonebook_search.sql"),
    packed!("src/store/schema/010_api_tokens.sql"),
    packed!("src/store/schema/011_cdr_arrival.sql"),
    packed!("src/store/schema/012_history_by_kind.sql"),
    packed!("src/store/schema/013_contacts_by_name.sql"),
    packed!("src/store/schema/014_callbacks.sql"),
    packed!("src/store/schema/015_costs.sql"),
    packed!("src/store/schema/016_directory_books.sql"),
    packed!("src/store/schema/017_presence.sql"),
    packed!("src/store/schema/018_cti_group_subscribers.sql"),
    packed!("src/store/schema/019_cti_journal_mark.sql"),
    packed!("src/store/schema/020_book_access.sql"),
];

/// The schema version this program writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Prepared statements each connection keeps.
pub const STATEMENTS: usize = 96;

/// The page size of a new database, in bytes.
pub const PAGE_SIZE: u32 = 1024;

/// The writer's settings; ARCHITECTURE.md ("Storage") says why each is so.
/// - WAL: readers never block the writer, and a commit appends to one file.
/// - `synchronous = FULL`: the log is fsynced at every commit, so an acknowledged
///   write survives a power cut (NORMAL would survive a crash but may lose the last
///   commits on power loss).
/// - `wal_autocheckpoint = 4096` pages (4 MiB): fewer checkpoints, so a page that
///   changes often is copied into the database once per checkpoint, not per commit.
/// - `journal_size_limit = 4 MiB`: the log file is truncated back after a
///   checkpoint instead of keeping its largest size on flash.
pub const PRAGMAS: &str = "PRAGMA journal_mode = WAL;
     PRAGMA synchronous = FULL;
     PRAGMA wal_autocheckpoint = 4096;
     PRAGMA journal_size_limit = 4194304;
     PRAGMA foreign_keys = ON;
     PRAGMA busy_timeout = 5000;";

/// Opens the database file, checks it and migrates it to [`SCHEMA_VERSION`].
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    let sqlite = |source| StoreError::Sqlite { path: path.to_path_buf(), source };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite)?;
    check_readable(&conn, path)?;
    // Only takes effect on a new, empty file: small pages make a commit that touches
    // a few scattered index entries write less.
    conn.execute_batch(&format!("PRAGMA page_size = {PAGE_SIZE};")).map_err(sqlite)?;
    conn.execute_batch(PRAGMAS).map_err(sqlite)?;
    connection_settings(&conn).map_err(sqlite)?;
    migrate(&conn, path)?;
    Ok(conn)
}

/// Opens a database another process keeps (and has checked and migrated): it
/// must exist and be at [`SCHEMA_VERSION`].
pub fn open_current(path: &Path) -> Result<Connection, StoreError> {
    let sqlite = |source| StoreError::Sqlite { path: path.to_path_buf(), source };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite)?;
    conn.execute_batch(PRAGMAS).map_err(sqlite)?;
    connection_settings(&conn).map_err(sqlite)?;
    let found = read_version(&conn).map_err(sqlite)?;
    match found.cmp(&SCHEMA_VERSION) {
        std::cmp::Ordering::Equal => Ok(conn),
        std::cmp::Ordering::Greater => {
            Err(StoreError::TooNew { path: path.to_path_buf(), found, supported: SCHEMA_VERSION })
        }
        std::cmp::Ordering::Less => {
            Err(StoreError::Behind { path: path.to_path_buf(), found, supported: SCHEMA_VERSION })
        }
    }
}

/// What every connection has, the writer and the readers:
/// - The query planner's stability guarantee: a plan never depends on the
///   values bound to it. Without it SQLite marks a statement with `LIMIT ?`
///   (every page's query) to be prepared again whenever it is bound anew, so the
///   statement cache saved nothing and a fifth of a page's time went to parsing.
/// - SQL functions of ours: `fold(text)` is the text in lower case for
///   searching, for every alphabet (SQLite's own `lower` knows only ASCII, so
///   "ŁUKASZ" would not find "Łukasz").
pub fn connection_settings(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::config::DbConfig;
    use rusqlite::functions::FunctionFlags;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    // Room for every statement the store prepares (rusqlite keeps 16): a page
    // runs more than that, and one prepared again is parsed and planned again.
    conn.set_prepared_statement_cache_capacity(STATEMENTS);
    conn.create_scalar_function(
        "fold",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(ctx.get::<Option<String>>(0)?.map(|s| fold(&s))),
    )
}

/// Text as searches compare it: SQL's `fold`, the stored search columns and the
/// searches themselves all fold with this one function.
pub(super) fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// What is checked before the service starts: the file is a database whose
/// schema reads. A file that is not a database at all fails on its first read.
/// Every page is checked after the start ([`quick_check`]): that takes time
/// proportional to the data, and the start must not (SPEC S4, issue 17).
fn check_readable(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt { path: path.to_path_buf(), detail };
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
        .map_err(|e| corrupt(e.to_string()))?;
    Ok(())
}

/// Checks every page and index of the database: none when it is whole, else
/// what SQLite found.
pub fn quick_check(conn: &Connection) -> Option<String> {
    match conn.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0)) {
        Ok(found) if found == "ok" => None,
        Ok(found) => Some(found),
        Err(e) => Some(e.to_string()),
    }
}

/// The schema version stored in the database (0 for a new file).
pub fn read_version(conn: &Connection) -> rusqlite::Result<i64> {
    let exists: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(0);
    }
    conn.query_row("SELECT coalesce(max(version), 0) FROM schema_version", [], |r| r.get(0))
}

fn migrate(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let sqlite = |source| StoreError::Sqlite { path: path.to_path_buf(), source };
    let found = read_version(conn).map_err(sqlite)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew { path: path.to_path_buf(), found, supported: SCHEMA_VERSION });
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = i as i64 + 1;
        let sql = crate::packed::text(step);
        if sql.trim().is_empty() {
            // Only a damaged binary: never count a step as taken that was not.
            return Err(StoreError::Write(format!("schema step {version} of this program does not unpack")));
        }
        let tx = conn.unchecked_transaction().map_err(sqlite)?;
        tx.execute_batch(&sql).map_err(sqlite)?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, strftime('%s','now'))",
            [version],
        )
        .map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        tracing::info!(version, "database migrated");
    }
    Ok(())
}
