//! The store as the service and an installer depend on it: migrations, refusals
//! with messages a user can act on, group commit, call history, retention,
//! backup and restore, and durability across SIGKILL.

mod support;

use std::path::Path;

use webcti::config::Retention;
use webcti::domain::cdr::{Cdr, Direction, Disposition, HistoryKind};
use webcti::store::cdr::{HistoryQuery, Intake};
use webcti::store::{backup, Store, StoreError, SCHEMA_VERSION};

fn cdr(core_id: u64, ext: &str, dir: Direction, disp: Disposition, peer: &str, at: i64) -> Cdr {
    Cdr {
        core_id,
        extension: ext.to_owned(),
        direction: dir,
        disposition: disp,
        peer: peer.to_owned(),
        external: peer.len() > 4,
        withheld: false,
        voicemail_listen: false,
        answered_by: None,
        started_at: at,
        ring_secs: 3,
        talk_secs: if disp == Disposition::Answered { 60 } else { 0 },
    }
}

fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("open raw")
}

#[tokio::test]
async fn a_new_database_is_migrated_to_the_current_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("webcti.db");
    let store = Store::open(&db).await.expect("open");
    assert_eq!(store.schema_version().await.expect("version"), SCHEMA_VERSION);
    store.close().await.expect("close");
    // Opening again runs nothing and keeps the data.
    let store = Store::open(&db).await.expect("reopen");
    assert_eq!(store.schema_version().await.expect("version"), SCHEMA_VERSION);
    let mode: String = raw(&db).query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("mode");
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn a_database_from_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("webcti.db");
    Store::open(&db).await.expect("open").close().await.expect("close");
    raw(&db).execute("INSERT INTO schema_version VALUES (99, 0)", []).expect("bump");
    let err = Store::open(&db).await.err().expect("refused").to_string();
    assert!(err.contains("schema version 99") && err.contains("newer"), "{err}");
    // Nothing was changed by the refusal.
    let v: i64 = raw(&db).query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0)).expect("v");
    assert_eq!(v, 99);
}

#[tokio::test]
async fn a_damaged_file_is_refused_with_how_to_restore() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("webcti.db");
    std::fs::write(&db, b"this is not a database, it is a shopping list").expect("write");
    let err = Store::open(&db).await.err().expect("refused");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("damaged") && msg.contains("webcti restore"), "{msg}");
    assert_eq!(std::fs::read(&db).expect("read"), b"this is not a database, it is a shopping list");
}

#[test]
fn the_service_refuses_a_damaged_database_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    std::fs::write(data.join("webcti.db"), vec![0x55u8; 8192]).expect("write");
    let board = dir.path().join("board.toml");
    std::fs::write(&board, support::board_file(&data, "")).expect("board");
    let out = support::command().args(["serve", "--board"]).arg(&board).output().expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("damaged") && err.contains("webcti restore"), "{err}");
}

#[tokio::test]
async fn a_second_process_cannot_open_the_same_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("webcti.db");
    let _first = Store::open(&db).await.expect("open");
    let err = Store::open(&db).await.err().expect("refused").to_string();
    assert!(err.contains("in use"), "{err}");
}

#[tokio::test]
async fn concurrent_writes_are_all_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("webcti.db")).await.expect("open");
    let mut tasks = Vec::new();
    for i in 0..200u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let c = cdr(i, "100", Direction::Incoming, Disposition::Answered, "200", 1_000 + i as i64);
            store.insert_cdrs(vec![c]).await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("join").expect("stored"), vec![Intake::Stored]);
    }
    assert_eq!(store.cdr_count().await.expect("count"), 200);
}

#[tokio::test]
async fn a_record_sent_twice_is_stored_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("webcti.db")).await.expect("open");
    let c = cdr(42, "100", Direction::Incoming, Disposition::Missed, "0221234567", 100);
    assert_eq!(store.insert_cdrs(vec![c.clone()]).await.expect("first"), vec![Intake::Stored]);
    let again = store
        .insert_cdrs(vec![c.clone(), cdr(43, "100", Direction::Outgoing, Disposition::Answered, "7", 101)]);
    assert_eq!(again.await.expect("second"), vec![Intake::Duplicate, Intake::Stored]);
    assert_eq!(store.cdr_count().await.expect("count"), 2);
}

#[tokio::test]
async fn history_filters_and_pages_one_extension_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("webcti.db")).await.expect("open");
    let mut cdrs = Vec::new();
    for i in 0..30u64 {
        let (dir_, disp) = match i % 4 {
            0 => (Direction::Outgoing, Disposition::Answered),
            1 => (Direction::Incoming, Disposition::Answered),
            2 => (Direction::Incoming, Disposition::Missed),
            _ => (Direction::Incoming, Disposition::AnsweredElsewhere),
        };
        cdrs.push(cdr(i, "100", dir_, disp, &format!("06012345{:02}", i), 1_000 + i as i64 * 10));
        cdrs.push(cdr(1000 + i, "101", dir_, disp, "555", 1_000 + i as i64 * 10));
    }
    store.insert_cdrs(cdrs).await.expect("insert");
    let q = |f: fn(&mut HistoryQuery)| {
        let mut q = HistoryQuery { extension: "100".into(), limit: 100, ..Default::default() };
        f(&mut q);
        q
    };
    let all = store.history(q(|_| {})).await.expect("all");
    assert_eq!(all.len(), 30);
    assert!(all.iter().all(|r| r.cdr.extension == "100"), "another extension's calls leaked in");
    assert!(all.windows(2).all(|w| w[0].cdr.started_at >= w[1].cdr.started_at), "newest first");

    let missed = store.history(q(|q| q.kind = Some(HistoryKind::Missed))).await.expect("missed");
    assert_eq!(missed.len(), 7);
    assert!(missed.iter().all(|r| r.cdr.kind() == HistoryKind::Missed));
    let elsewhere = store.history(q(|q| q.kind = Some(HistoryKind::AnsweredElsewhere))).await.expect("else");
    assert_eq!(elsewhere.len(), 7);

    let range = store
        .history(q(|q| {
            q.from = Some(1_100);
            q.to = Some(1_200)
        }))
        .await
        .expect("range");
    assert_eq!(range.len(), 10);
    let number = store.history(q(|q| q.number = Some("0123451".into()))).await.expect("number");
    let want: Vec<String> = (10..20).rev().map(|i| format!("06012345{i}")).collect();
    assert_eq!(number.iter().map(|r| r.cdr.peer.clone()).collect::<Vec<_>>(), want);
    // Keyset paging walks every call exactly once.
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let mut page = HistoryQuery { extension: "100".into(), limit: 7, before, ..Default::default() };
        page.before = before;
        let rows = store.history(page).await.expect("page");
        if rows.is_empty() {
            break;
        }
        before = rows.last().map(|r| (r.cdr.started_at, r.id));
        seen.extend(rows.into_iter().map(|r| r.cdr.core_id));
    }
    assert_eq!(seen.len(), 30);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 30);
}

#[tokio::test]
async fn retention_prunes_by_age_and_count_in_batches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("webcti.db")).await.expect("open");
    let day = 86_400;
    let now = 1_000 * day;
    // 100 records a day apart, the newest today.
    let cdrs = (0..100u64)
        .map(|i| cdr(i, "100", Direction::Outgoing, Disposition::Answered, "1", now - i as i64 * day));
    store.insert_cdrs(cdrs.collect()).await.expect("insert");
    let policy = Retention { cdr_max_age_days: 60, cdr_max_count: 0, batch: 7, ..Retention::default() };
    let pruned = webcti::services::retention::prune(&store, &policy, now).await.expect("prune");
    assert_eq!(pruned.cdrs, 39, "days 61..=99 are older than 60 days");
    assert_eq!(store.cdr_count().await.expect("count"), 61);

    let policy = Retention { cdr_max_age_days: 0, cdr_max_count: 25, batch: 7, ..Retention::default() };
    webcti::services::retention::prune(&store, &policy, now).await.expect("prune");
    let left = store
        .history(HistoryQuery { extension: "100".into(), limit: 200, ..Default::default() })
        .await
        .expect("h");
    assert_eq!(left.len(), 25);
    assert_eq!(left.last().expect("oldest").cdr.started_at, now - 24 * day, "the newest are kept");
}

#[tokio::test]
async fn a_backup_taken_during_writes_restores_to_a_consistent_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("webcti.db");
    let store = Store::open(&db).await.expect("open");
    store
        .insert_cdrs(
            (0..100)
                .map(|i| cdr(i, "100", Direction::Outgoing, Disposition::Answered, "1", i as i64))
                .collect(),
        )
        .await
        .expect("seed");
    // Writes keep going while the backup runs on its own thread.
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 100..1100u64 {
                store
                    .insert_cdrs(vec![cdr(
                        i,
                        "100",
                        Direction::Outgoing,
                        Disposition::Answered,
                        "1",
                        i as i64,
                    )])
                    .await
                    .expect("write");
            }
        })
    };
    let dest = dir.path().join("backup.db");
    let (db2, dest2) = (db.clone(), dest.clone());
    let report = tokio::task::spawn_blocking(move || backup::backup(&db2, &dest2))
        .await
        .expect("join")
        .expect("backup");
    writer.await.expect("writer");
    assert!(report.is_ok());
    assert!(report.cdrs >= 100 && report.cdrs <= 1100, "{report:?}");
    // The snapshot is whole: its records are exactly ids 0..n with none missing.
    let conn = raw(&dest);
    let (n, max): (i64, i64) = conn
        .query_row("SELECT count(*), max(core_id) FROM cdr", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("q");
    assert_eq!(n, max + 1);
    drop(conn);

    // Restore needs the service stopped.
    let err = backup::restore(&db, &dest).expect_err("refused while open").to_string();
    assert!(err.contains("in use"), "{err}");
    store.close().await.expect("close");
    drop(store);
    let kept = backup::restore(&db, &dest).expect("restore").expect("previous kept");
    assert_eq!(
        raw(&kept).query_row("SELECT count(*) FROM cdr", [], |r| r.get::<_, i64>(0)).expect("kept"),
        1100
    );
    let store = Store::open(&db).await.expect("open restored");
    assert_eq!(store.cdr_count().await.expect("count"), n);
}

#[tokio::test]
async fn restore_refuses_bad_backups_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("webcti.db");
    let store = Store::open(&db).await.expect("open");
    store
        .insert_cdrs(vec![cdr(1, "100", Direction::Outgoing, Disposition::Answered, "1", 1)])
        .await
        .expect("seed");
    store.close().await.expect("close");
    drop(store);
    let before = std::fs::read(&db).expect("read");

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, b"PK\x03\x04 a zip file, not a backup").expect("write");
    let err = backup::restore(&db, &garbage).expect_err("refused").to_string();
    assert!(err.contains("garbage.db"), "{err}");

    let newer = dir.path().join("newer.db");
    backup::backup(&db, &newer).expect("backup");
    raw(&newer).execute("INSERT INTO schema_version VALUES (99, 0)", []).expect("bump");
    let err = backup::restore(&db, &newer).expect_err("refused").to_string();
    assert!(err.contains("newer"), "{err}");

    let empty = dir.path().join("empty.db");
    raw(&empty).execute_batch("CREATE TABLE t (x)").expect("other db");
    let err = backup::restore(&db, &empty).expect_err("refused").to_string();
    assert!(err.contains("not a webcti backup"), "{err}");

    assert_eq!(std::fs::read(&db).expect("read"), before, "the database is untouched");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().contains("before-restore"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn backup_restore_and_check_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let svc = support::Service::start(dir.path(), "");
    let board = dir.path().join("board.toml");
    let file = dir.path().join("nightly.backup");
    let out =
        support::command().arg("backup").arg(&file).arg("--board").arg(&board).output().expect("backup");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("integrity:      ok"));

    let out =
        support::command().arg("restore").arg(&file).arg("--board").arg(&board).output().expect("restore");
    assert!(!out.status.success(), "restore while the service runs must be refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("stop it first"));

    let (status, _) = svc.stop();
    assert!(status.success());
    let out =
        support::command().arg("restore").arg(&file).arg("--board").arg(&board).output().expect("restore");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("previous database"));

    let out = support::command().arg("check").arg("--board").arg(&board).output().expect("check");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("integrity:      ok") && text.contains(&format!("schema version: {SCHEMA_VERSION}")),
        "{text}"
    );
}

#[tokio::test]
async fn the_journal_is_pruned_by_age_and_filtered_by_topic() {
    use webcti::domain::journal::{Change, Topic};
    use webcti::store::journal::{Author, Changes};
    use webcti::store::org::Member;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("webcti.db")).await.expect("open");
    let day = 86_400;
    let now = 1_000 * day;
    store.upsert_extension("100", "Anna", now).await.expect("extension");
    // Ten changes a day apart, the newest today.
    for i in 0..10i64 {
        let m = Member {
            number: "100".into(),
            comment: format!("comment {i}"),
            description: String::new(),
            email: String::new(),
            mobile: String::new(),
            notify_answered: false,
            notify_missed: false,
        };
        let change =
            Change { topic: Topic::Profile, field: "comment", old: String::new(), new: m.comment.clone() };
        let by = Author { actor: "manager:101".into(), via: "web" };
        assert!(store.save_member(m, Changes { by, list: vec![change] }, now - i * day).await.expect("save"));
    }
    let policy = Retention { journal_max_age_days: 5, batch: 3, ..Retention::default() };
    let pruned = webcti::services::retention::prune(&store, &policy, now).await.expect("prune");
    assert_eq!(pruned.journal, 4, "days 6..=9 are older than 5 days");
    let left = store.journal("100", None, None, 100).await.expect("journal");
    assert_eq!(left.len(), 6);
    let mut kept: Vec<&str> = left.iter().map(|e| e.new.as_str()).collect();
    kept.sort_unstable();
    assert_eq!(kept, ["comment 0", "comment 1", "comment 2", "comment 3", "comment 4", "comment 5"]);
    assert_eq!(store.journal("100", None, Some(Topic::Profile), 100).await.expect("profile").len(), 6);
    assert!(store.journal("100", None, Some(Topic::Rights), 100).await.expect("rights").is_empty());
}

/// Version 9 keeps the phonebook's search text beside each contact: contacts
/// written by an older version are found once it has migrated them.
#[tokio::test]
async fn contacts_of_an_older_schema_are_found_after_the_migration() {
    use webcti::phonebook::{BookKind, Contact, Number, NumberKind};
    use webcti::store::journal::Author;
    use webcti::store::phonebook::View;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("webcti.db");
    let store = Store::open(&db).await.expect("open");
    store.upsert_extension("100", "Anna", 0).await.expect("extension");
    let contact = Contact {
        first_name: "ŁUKASZ".into(),
        last_name: "Żak".into(),
        company: "Hurtownia".into(),
        numbers: vec![Number { kind: NumberKind::Mobile, number: "+48 601-234/567".into() }],
        ..Default::default()
    };
    let by = Author { actor: "ext:100".into(), via: "web" };
    store.add_contact("100", BookKind::Private, contact, by, 0).await.expect("add").expect("allowed");
    store.close().await.expect("close");
    // Back to version 8, as an older release left the file.
    raw(&db)
        .execute_batch(
            "DROP INDEX contact_order; ALTER TABLE contact DROP COLUMN search; ALTER TABLE contact_number DROP COLUMN digits;
             ALTER TABLE api_token DROP COLUMN scopes; ALTER TABLE api_token DROP COLUMN expires_at;
             ALTER TABLE api_token DROP COLUMN last_used_at; ALTER TABLE api_token DROP COLUMN last_used_from;
             DROP INDEX cdr_arrival; DROP INDEX cdr_before_arrival; ALTER TABLE cdr DROP COLUMN arrival;
             DROP INDEX cdr_history_by_kind; CREATE INDEX cdr_history ON cdr(extension, started_at);
             DROP TABLE cost_alert; DROP TABLE tariff_rate; DROP TABLE tariff; DROP TABLE cost_account;
             CREATE TABLE tariff (prefix TEXT PRIMARY KEY) WITHOUT ROWID;
             CREATE TABLE cost_account (extension TEXT PRIMARY KEY) WITHOUT ROWID;
             DROP INDEX contact_note_trash; ALTER TABLE book DROP COLUMN last_sync;
             DROP TABLE cti_group_subscriber; DROP INDEX cti_group_member_account;
             ALTER TABLE account DROP COLUMN journal_mark;
             DROP INDEX cti_group_book_book; ALTER TABLE book DROP COLUMN everyone;
             DELETE FROM schema_version WHERE version >= 9;",
        )
        .expect("downgrade");
    let store = Store::open(&db).await.expect("migrate");
    assert_eq!(store.schema_version().await.expect("version"), SCHEMA_VERSION);
    for search in ["łukasz", "ŻAK", "hurtow", "601234567", "234 567", "nobody"] {
        let found = store.phonebook("100", View::Private, search).await.expect("search");
        let names: Vec<String> = found.iter().map(|e| e.contact.display_name()).collect();
        let expected = if search == "nobody" { 0 } else { 1 };
        assert_eq!(names.len(), expected, "{search}: {names:?}");
    }
}

/// Every page is checked after the start, not before it (its time grows with the
/// data): a whole database says so in the log; one damaged inside is served
/// anyway, logged with the way out, and `/healthz` says the store is damaged.
#[test]
fn damage_inside_the_database_is_found_after_the_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    support::portal::seeded_db(&data);
    let db = data.join("webcti.db");
    let svc = support::Service::start(dir.path(), "");
    svc.wait_log("integrity check: the database is whole", 1);
    let (status, log) = svc.stop();
    assert!(status.success(), "{log}");

    // The call records' table, overwritten: the schema still reads.
    let (page, size): (i64, i64) = raw(&db)
        .query_row(
            "SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_master WHERE name = 'cdr'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("page");
    let mut bytes = std::fs::read(&db).expect("read");
    let at = ((page - 1) * size) as usize;
    bytes[at..at + size as usize].fill(0xa5);
    std::fs::write(&db, bytes).expect("write");

    let svc = support::Service::start(dir.path(), "");
    svc.wait_log("integrity check: the database is damaged", 1);
    let h = svc.client().get(svc.lan_https, "/healthz").expect("healthz");
    assert_eq!(h.status, 503, "{}", h.body);
    assert!(h.body.contains("\"store\":\"damaged\""), "{}", h.body);
    let (_, log) = svc.stop();
    assert!(log.contains("webcti restore FILE"), "{log}");
}

#[tokio::test]
async fn the_billing_cursor_gives_every_record_once_in_the_order_they_arrived() {
    use webcti::domain::cdr::CdrCursor;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("webcti.db");
    let store = Store::open(&db).await.expect("open");
    let c = |id| {
        cdr(id, if id % 2 == 0 { "100" } else { "101" }, Direction::Outgoing, Disposition::Answered, "7", 100)
    };
    // Two records from before arrivals were numbered (as a board upgraded
    // from schema 10 has them), then three that arrive now.
    store.insert_cdrs(vec![c(20), c(21)]).await.expect("old ones");
    store.close().await.expect("close");
    raw(&db).execute("UPDATE cdr SET arrival = NULL", []).expect("as before version 11");
    let store = Store::open(&db).await.expect("open again");
    store.insert_cdrs(vec![c(30), c(31), c(32)]).await.expect("new ones");
    let ids = |page: &[(CdrCursor, webcti::domain::cdr::Cdr, i64)]| {
        page.iter().map(|(_, c, _)| c.core_id).collect::<Vec<_>>()
    };
    let mut read = Vec::new();
    let mut at = CdrCursor::Start;
    loop {
        let page = store.cdrs_after(at, None, 2).await.expect("page");
        if page.is_empty() {
            break;
        }
        read.extend(ids(&page));
        at = page.last().expect("a record").0;
    }
    assert_eq!(read, [20, 21, 30, 31, 32], "the older records first, then by arrival, each once");
    // A record the core resends late, with an id below the last one read:
    // the reader that kept its cursor gets it next, and only it.
    store.insert_cdrs(vec![c(25), c(31)]).await.expect("a late one and a duplicate");
    let page = store.cdrs_after(at, None, 100).await.expect("since");
    assert_eq!(ids(&page), [25]);
    assert!(store.cdrs_after(page[0].0, None, 100).await.expect("nothing new").is_empty());
    // One extension's, across both kinds of record.
    let even = store.cdrs_after(CdrCursor::Start, Some("100".into()), 100).await.expect("100's");
    assert_eq!(ids(&even), [20, 30, 32]);
    // Arrivals keep growing after every record was pruned.
    let last = page[0].0;
    assert_eq!(store.prune_cdrs(None, Some(0), 100).await.expect("prune"), 6);
    store.insert_cdrs(vec![c(1)]).await.expect("after the prune");
    assert_eq!(ids(&store.cdrs_after(last, None, 100).await.expect("after")), [1]);
}

/// Where the records stand (the CTI offline journal's mark) is the last
/// arrival, through duplicates, a prune that empties the table, and a restart.
#[tokio::test]
async fn the_last_arrival_is_known_without_a_read_and_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("webcti.db");
    let store = Store::open(&db).await.expect("open");
    assert_eq!(store.arrived(), 0, "nothing yet");
    let c = |id| cdr(id, "100", Direction::Incoming, Disposition::Missed, "0221234567", 100);
    store.insert_cdrs(vec![c(1), c(2), c(3)]).await.expect("three");
    assert_eq!(store.arrived(), 3);
    store.insert_cdrs(vec![c(2)]).await.expect("a duplicate");
    assert_eq!(store.arrived(), 3, "a duplicate does not arrive");
    assert_eq!(store.prune_cdrs(None, Some(0), 100).await.expect("prune"), 3);
    store.close().await.expect("close");
    let store = Store::open(&db).await.expect("open again");
    assert_eq!(store.arrived(), 3, "kept across the prune and the restart");
    store.insert_cdrs(vec![c(4)]).await.expect("one more");
    assert_eq!(store.arrived(), 4);
}

#[tokio::test]
async fn the_generation_grows_with_every_write_but_the_call_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("webcti.db")).await.expect("open");
    let start = store.generation();
    store.upsert_extension("100", "Anna", 0).await.expect("extension");
    let after_write = store.generation();
    assert!(after_write > start, "a write moves it");
    let c = cdr(1, "100", Direction::Incoming, Disposition::Missed, "0221234567", 100);
    store.insert_cdrs(vec![c]).await.expect("cdr");
    assert_eq!(store.generation(), after_write, "call records leave it");
    store.set_administrator("100", true, 0).await.expect("admin");
    assert!(store.generation() > after_write, "a right changed moves it");
}

/// The store keeps its hot reads in memory (a program, presence statuses, a
/// profile, cost accounts, names, the phonebook's lists, history pages): what
/// it gives out after any write is what that write left, never the read from
/// before it.
#[tokio::test]
async fn what_the_store_keeps_in_memory_is_never_older_than_the_file() {
    use webcti::domain::dialplan::Form;
    use webcti::domain::phonebook::View;
    use webcti::phonebook::{BookKind, Contact, Number, NumberKind};
    use webcti::store::journal::{Author, Changes};

    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("webcti.db")).await.expect("open");
    store.upsert_extension("100", "Anna Nowak", 0).await.expect("extension");
    let by = || Author { actor: "ext:100".into(), via: "web" };

    // The program, read twice (the second from memory), then changed.
    let before = store.program("100").await.expect("read").expect("program");
    assert_eq!(store.program("100").await.expect("again"), Some(before.clone()));
    let mut changed = before.clone();
    changed.forward_always = Some("101".into());
    store.save_program("100", changed, Changes { by: by(), list: Vec::new() }, 1).await.expect("save");
    assert_eq!(
        store.program("100").await.expect("read").expect("program").forward_always.as_deref(),
        Some("101")
    );

    // The profile.
    assert_eq!(store.profile("100").await.expect("read").expect("profile").description, "");
    store.update_profile("100", "Front desk", "", 2).await.expect("update");
    assert_eq!(store.profile("100").await.expect("read").expect("profile").description, "Front desk");

    // Names and the phonebook's list as opened: a contact added shows at once.
    let number = || vec![("0221234567".to_owned(), Form::Written)];
    assert!(store.names_for("100", number()).await.expect("names").is_empty());
    let list = store.phonebook("100", View::Private, "").await.expect("list");
    assert!(list.is_empty());
    let contact = Contact {
        first_name: "Jan".into(),
        last_name: "Kowalski".into(),
        numbers: vec![Number { kind: NumberKind::Work, number: "0221234567".into() }],
        ..Default::default()
    };
    store.add_contact("100", BookKind::Private, contact, by(), 3).await.expect("add").expect("allowed");
    assert_eq!(
        store.names_for("100", number()).await.expect("names").get("0221234567").map(String::as_str),
        Some("Kowalski Jan")
    );
    assert_eq!(store.phonebook("100", View::Private, "").await.expect("list").len(), 1);

    // A history page: a call record arrives (no generation moves for it), then
    // a note on it.
    let q = || HistoryQuery { extension: "100".into(), limit: 50, ..Default::default() };
    assert!(store.history(q()).await.expect("history").is_empty());
    store
        .insert_cdrs(vec![cdr(7, "100", Direction::Incoming, Disposition::Missed, "0221234567", 10)])
        .await
        .expect("insert");
    let page = store.history(q()).await.expect("history");
    assert_eq!(page.len(), 1, "the record that arrived");
    store.set_call_note(7, "100", Some("call back".into()), "ext:100".into(), 11).await.expect("note");
    assert_eq!(store.history(q()).await.expect("history")[0].note.as_deref(), Some("call back"));

    // The cost account.
    assert_eq!(store.cost_account("100").await.expect("read"), None);
    store
        .change_cost_account("100", 0, Changes { by: by(), list: Vec::new() }, 12, |a| {
            a.spent = 250;
            Vec::new()
        })
        .await
        .expect("change");
    assert_eq!(store.cost_account("100").await.expect("read").map(|a| a.spent), Some(250));
    store.close().await.expect("close");
}

/// A history page is kept while other extensions' calls come in (a busy
/// exchange's records would otherwise drop every page, every second), and read
/// again once a call of its own is stored.
#[tokio::test]
async fn a_kept_history_page_stands_while_only_other_extensions_calls_come_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("webcti.db");
    let store = Store::open(&path).await.expect("open");
    let call =
        |id, ext: &str| cdr(id, ext, Direction::Incoming, Disposition::Missed, "0221234567", 100 + id as i64);
    store.insert_cdrs(vec![call(1, "100"), call(2, "101")]).await.expect("stored");
    let q = HistoryQuery { extension: "100".into(), limit: 10, ..Default::default() };
    let peers =
        |rows: Vec<webcti::domain::cdr::HistoryRow>| rows.into_iter().map(|r| r.cdr.peer).collect::<Vec<_>>();
    assert_eq!(peers(store.history(q.clone()).await.expect("page")), ["0221234567"]);
    // Changed behind the store's back: only a page read again shows it.
    raw(&path).execute("UPDATE cdr SET peer = '0229999999' WHERE core_id = 1", []).expect("raw");
    store.insert_cdrs(vec![call(3, "101"), call(4, "102")]).await.expect("stored");
    assert_eq!(peers(store.history(q.clone()).await.expect("page")), ["0221234567"], "kept");
    // A record of 100's sent again is no new call of his.
    store.insert_cdrs(vec![call(1, "100")]).await.expect("duplicate");
    assert_eq!(peers(store.history(q.clone()).await.expect("page")), ["0221234567"], "still kept");
    store.insert_cdrs(vec![call(5, "100")]).await.expect("stored");
    assert_eq!(peers(store.history(q).await.expect("page")), ["0221234567", "0229999999"], "read again");
    let other = HistoryQuery { extension: "101".into(), limit: 10, ..Default::default() };
    assert_eq!(store.history(other).await.expect("page").len(), 2);
}
