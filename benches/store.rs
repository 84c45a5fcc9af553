//! Store benchmarks (`make bench`): prints figures, passes or fails nothing.
//!
//! - CDR ingest through the store's writer, against a raw rusqlite baseline
//!   (prepared insert, one transaction per batch, the same pragmas), as a ratio.
//! - Bytes written to the disk per CDR (`/proc/self/io` write_bytes, WAL and
//!   checkpoints included) for batches of 1, 10 and 100.
//! - One extension's history page with a million CDRs in the database, p50/p99.
//! - A phonebook import and search; reverse lookup in 100,000 contacts, p50/p99
//!   beside one raw indexed SELECT.
//!
//! The database lives under `target/bench-data` (a real disk: tmpfs would count
//! no bytes written).

#[path = "common/calls.rs"]
mod calls;
#[path = "common/disk.rs"]
mod disk;
#[path = "common/report.rs"]
mod report;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use calls::EXTENSIONS;
use disk::write_bytes;
use webcti::domain::cdr::{Cdr, HistoryKind};
use webcti::store::cdr::HistoryQuery;
use webcti::store::migrate::PRAGMAS;
use webcti::store::Store;

const T0: i64 = 1_700_000_000;

/// Record `id`: a million calls over about two years.
fn cdr(id: u64) -> Cdr {
    calls::cdr(id, T0 + (id as i64) * 60)
}

fn fresh(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench dir");
    dir.join("webcti.db")
}

async fn ingest_store(db: &Path, total: u64, batch: u64) -> (Duration, u64) {
    let store = Store::open(db).await.expect("open");
    let before = write_bytes();
    let start = Instant::now();
    for b in 0..total / batch {
        let cdrs = (b * batch..(b + 1) * batch).map(cdr).collect();
        store.insert_cdrs(cdrs).await.expect("insert");
    }
    let took = start.elapsed();
    // The checkpoint that a long run would do belongs to these CDRs too.
    store.close().await.expect("close");
    (took, write_bytes() - before)
}

fn ingest_raw(db: &Path, total: u64, batch: u64) -> Duration {
    // The schema comes from the store; the inserts are plain rusqlite.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    rt.block_on(async { Store::open(db).await.expect("open").close().await.expect("close") });
    let mut conn = rusqlite::Connection::open(db).expect("open raw");
    conn.execute_batch(PRAGMAS).expect("pragmas");
    let start = Instant::now();
    for b in 0..total / batch {
        let tx = conn.transaction().expect("begin");
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO cdr (core_id, extension, direction, disposition, flags, peer, answered_by,
                                      started_at, ring_secs, talk_secs) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)
                     ON CONFLICT (core_id) DO NOTHING",
                )
                .expect("prepare");
            for id in b * batch..(b + 1) * batch {
                let c = cdr(id);
                stmt.execute(rusqlite::params![
                    c.core_id as i64,
                    c.extension,
                    c.direction.code(),
                    c.disposition.code(),
                    1,
                    c.peer,
                    c.answered_by,
                    c.started_at,
                    c.ring_secs,
                    c.talk_secs
                ])
                .expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
    start.elapsed()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!("== store benchmarks (synchronous = FULL, WAL) ==");

    // 1. Ingest against the raw baseline.
    let (total, batch) = (20_000, 100);
    let (store_t, _) = ingest_store(&fresh("ingest-store"), total, batch).await;
    let raw_db = fresh("ingest-raw");
    let raw_t = tokio::task::spawn_blocking(move || ingest_raw(&raw_db, total, batch)).await.expect("raw");
    let rate = |t: Duration| total as f64 / t.as_secs_f64();
    println!(
        "ingest, batches of {batch}: store writer {:.0} CDR/s, raw rusqlite {:.0} CDR/s, ratio {:.2}",
        rate(store_t),
        rate(raw_t),
        rate(store_t) / rate(raw_t)
    );

    // Group commit: many single-record writers at once.
    let db = fresh("group");
    let store = Store::open(&db).await.expect("open");
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..64u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..100u64 {
                store.insert_cdrs(vec![cdr(t * 1000 + i)]).await.expect("insert");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let t = start.elapsed();
    println!("group commit, 64 writers x 100 single CDRs: {:.0} CDR/s", 6400.0 / t.as_secs_f64());
    store.close().await.expect("close");

    // 2. Bytes written per CDR.
    for (batch, total) in [(1u64, 2_000u64), (10, 10_000), (100, 50_000)] {
        let (_, bytes) = ingest_store(&fresh(&format!("wear-{batch}")), total, batch).await;
        let per = bytes as f64 / total as f64;
        println!("bytes written per CDR, batches of {batch:>3}: {per:.0}");
        if batch == 100 {
            report::figure("bytes written per CDR, batches of 100", format!("{per:.0}"), "(synthetic)", true);
        }
    }

    // 3. History page with a million CDRs.
    let db = fresh("history");
    let store = Store::open(&db).await.expect("open");
    let start = Instant::now();
    for b in 0..100u64 {
        store.insert_cdrs((b * 10_000..(b + 1) * 10_000).map(cdr).collect()).await.expect("seed");
    }
    println!("seeded 1,000,000 CDRs in {:.1} s", start.elapsed().as_secs_f64());
    for (label, kind, number) in [
        ("history page (50, no filter)", None, None),
        ("history page (50, missed only)", Some(HistoryKind::Missed), None),
        ("history page (50, number contains '12')", None, Some("12".to_owned())),
    ] {
        let mut times = Vec::with_capacity(1000);
        for i in 0..1000u64 {
            let q = HistoryQuery {
                extension: format!("{}", 1000 + (i * 37) % EXTENSIONS),
                kind,
                number: number.clone(),
                limit: 50,
                ..Default::default()
            };
            let start = Instant::now();
            let rows = store.history(q).await.expect("history");
            times.push(start.elapsed());
            assert!(!rows.is_empty());
        }
        times.sort();
        let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
        println!("{label}: p50 {:.2} ms, p99 {:.2} ms", p50.as_secs_f64() * 1e3, p99.as_secs_f64() * 1e3);
        report::figure(
            &format!("{label}, 1M CDRs"),
            format!("p50 {:.2} ms, p99 {:.2} ms", p50.as_secs_f64() * 1e3, p99.as_secs_f64() * 1e3),
            "p99 ≤ 5 ms",
            p99 <= Duration::from_millis(5),
        );
    }
    store.close().await.expect("close");

    // 4. A phonebook import: 10,000 contacts from an Outlook CSV (parse and store),
    // then the same file again (every contact recognised, nothing added).
    let db = fresh("phonebook");
    let store = Store::open(&db).await.expect("open");
    store.upsert_extension("100", "Bench", 0).await.expect("extension");
    let csv = calls::contacts_csv(10_000);
    for label in ["first time", "again"] {
        let start = Instant::now();
        let parsed = webcti::phonebook::parse(csv.as_bytes(), None).expect("parse");
        let parse_t = start.elapsed();
        let author = webcti::store::journal::Author { actor: "ext:100".into(), via: "web" };
        let out = store
            .import_contacts("100", webcti::phonebook::BookKind::Private, parsed.contacts, author, 0)
            .await
            .expect("store")
            .expect("allowed");
        println!(
            "phonebook import of 10,000 contacts ({label}): parse {:.0} ms, total {:.2} s ({} added, {} already there)",
            parse_t.as_secs_f64() * 1e3,
            start.elapsed().as_secs_f64(),
            out.added,
            out.unchanged
        );
    }
    // Searches by name and by number, as the phonebook page makes them.
    let mut times = Vec::with_capacity(200);
    let mut found = 0;
    for i in 0..200u32 {
        let q = if i % 2 == 0 { format!("surname{}", i % 997) } else { format!("22 {:03}", i % 10) };
        let start = Instant::now();
        found += store.phonebook("100", webcti::store::phonebook::View::All, &q).await.expect("search").len();
        times.push(start.elapsed());
    }
    times.sort();
    let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
    println!(
        "phonebook search in 10,000 contacts (name or number, {} results on average): p50 {:.1} ms, p99 {:.1} ms",
        found / 200,
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    report::figure(
        "phonebook search in 10,000 contacts",
        format!("p50 {:.2} ms, p99 {:.2} ms", p50.as_secs_f64() * 1e3, p99.as_secs_f64() * 1e3),
        "p99 ≤ 5 ms",
        p99 <= Duration::from_millis(5),
    );
    store.close().await.expect("close");

    reverse_lookup().await;
    let _ = std::fs::remove_dir_all(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"));
}

/// Contact i's work number is +48 22 AAA BB CC with AAA = i / 1000: as the
/// exchange writes it, in turns presented with the trunk prefix, international,
/// dialled outside line first; and every fourth a number nobody has (Köln).
fn asked(i: u32) -> (String, webcti::domain::dialplan::Form) {
    use webcti::domain::dialplan::Form;
    let national = format!("22{:03}{:02}{:02}", i / 1000, (i / 10) % 100, i % 100);
    match i % 4 {
        0 => (format!("0{national}"), Form::Written),
        1 => (format!("0048{national}"), Form::Written),
        2 => (format!("00{national}"), Form::Dialled),
        _ => (format!("0049221{i:06}"), Form::Written),
    }
}

/// The fifth part, reverse lookup (issue 15), with 100,000 contacts across the public book and
/// two private books: who is calling, for numbers in the forms the exchange
/// writes them (presented with the trunk prefix, international, dialled outside
/// line first) and for numbers nobody has, through the store's one lookup;
/// beside it, one indexed SELECT of raw rusqlite on the same file with the
/// canonical form made beforehand.
async fn reverse_lookup() {
    use webcti::domain::dialplan::DiallingPlan;
    use webcti::phonebook::BookKind;
    let db = fresh("lookup");
    let store = Store::open(&db).await.expect("open");
    let plan = DiallingPlan { country_code: "48".into(), national_digits: 9, ..DiallingPlan::default() };
    store.use_dialling_plan(plan.clone()).await.expect("plan");
    for ext in ["100", "101"] {
        store.upsert_extension(ext, "Bench", 0).await.expect("extension");
    }
    store.set_public_right("100", webcti::store::phonebook::PublicRight::Edit).await.expect("right");
    let author = || webcti::store::journal::Author { actor: "ext:100".into(), via: "web" };
    // Five files of 20,000 (MAX_IMPORT a file).
    let csv = calls::contacts_csv(100_000);
    let mut rows = csv.split_inclusive("\r\n");
    let header = rows.next().expect("header").to_owned();
    let rows: Vec<&str> = rows.collect();
    let books = [
        ("100", BookKind::Public),
        ("100", BookKind::Public),
        ("100", BookKind::Public),
        ("100", BookKind::Private),
        ("101", BookKind::Private),
    ];
    let start = Instant::now();
    for (part, (owner, book)) in rows.chunks(20_000).zip(books) {
        let file = format!("{header}{}", part.concat());
        let part = webcti::phonebook::parse(file.as_bytes(), None).expect("parse").contacts;
        store.import_contacts(owner, book, part, author(), 0).await.expect("store").expect("allowed");
    }
    println!("reverse lookup: 100,000 contacts stored in {:.1} s", start.elapsed().as_secs_f64());
    let n = 2_000u32;
    // 101 knows the public book and his own: not 100's private contacts.
    let known = |i: u32| i % 4 != 3 && !(60_000..80_000).contains(&i);
    let mut ours = Vec::with_capacity(n as usize);
    for k in 0..n {
        let i = (k * 7_919) % 100_000;
        let start = Instant::now();
        let names = store.names_for("101", vec![asked(i)]).await.expect("lookup");
        ours.push(start.elapsed());
        assert_eq!(names.len(), usize::from(known(i)), "contact {i}: {:?}", asked(i));
    }
    store.close().await.expect("close");
    let raw = tokio::task::spawn_blocking(move || {
        let c = rusqlite::Connection::open(&db).expect("open");
        let mut stmt = c
            .prepare(
                "SELECT c.first_name, c.last_name FROM contact_number n JOIN contact c ON c.id = n.contact_id
                 JOIN book b ON b.id = c.book_id
                 WHERE n.normalized = ?1 AND ((b.kind = 'private' AND b.owner = ?2) OR b.kind = 'public') LIMIT 1",
            )
            .expect("prepare");
        let mut times = Vec::with_capacity(n as usize);
        for k in 0..n {
            let (number, form) = asked((k * 7_919) % 100_000);
            let key = plan.canonical(&number, form);
            let start = Instant::now();
            let _: Option<(String, String)> =
                rusqlite::OptionalExtension::optional(stmt.query_row(rusqlite::params![key, "101"], |r| Ok((r.get(0)?, r.get(1)?))))
                    .expect("select");
            times.push(start.elapsed());
        }
        times
    })
    .await
    .expect("raw");
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (mut ours, mut raw) = (ours, raw);
    ours.sort();
    raw.sort();
    let (p50, p99) = (percentile(&ours, 0.5), percentile(&ours, 0.99));
    println!(
        "reverse lookup in 100,000 contacts (of 4 asked, 1 is nobody's): store p50 {:.3} ms, p99 {:.3} ms; raw rusqlite SELECT p50 {:.3} ms, p99 {:.3} ms",
        ms(p50),
        ms(p99),
        ms(percentile(&raw, 0.5)),
        ms(percentile(&raw, 0.99))
    );
    report::figure(
        "reverse lookup in 100,000 contacts",
        format!(
            "p50 {:.2} ms, p99 {:.2} ms (raw SELECT p50 {:.2} ms)",
            ms(p50),
            ms(p99),
            ms(percentile(&raw, 0.5))
        ),
        "p99 ≤ 5 ms",
        p99 <= Duration::from_millis(5),
    );
}
