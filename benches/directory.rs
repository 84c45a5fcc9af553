//! The phonebook sources' sync (`make bench`, issue 15): a real slapd holding
//! 10,000 people, synced into the store's cache for the first time, then again
//! after 100 of them changed on the server (only those written). Beside each,
//! the same paged search read and dropped by raw ldap3: what the cache adds to
//! reading the directory.

#[path = "common/report.rs"]
mod report;
#[path = "../tests/support/slapd.rs"]
mod slapd;

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use slapd::{Slapd, ADMIN, PASSWORD, PEOPLE};
use webcti::domain::directory::{Ldap, Origin, Schema, Source};
use webcti::store::Store;

const PEOPLE_N: u32 = 10_000;

fn source(url: String) -> Source {
    Source {
        origin: Origin::Ldap(Ldap {
            url,
            starttls: false,
            ca_pem: String::new(),
            bind_dn: ADMIN.into(),
            password: PASSWORD.into(),
            base: PEOPLE.into(),
            filter: "(objectClass=inetOrgPerson)".into(),
            schema: Schema::Openldap,
            attributes: Default::default(),
        }),
        interval_min: 60,
    }
}

/// The reference: the same paged search, entries read and dropped.
async fn raw_search(url: &str) -> (Duration, usize) {
    use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
    let start = Instant::now();
    let (conn, mut ldap) = ldap3::LdapConnAsync::new(url).await.expect("connect");
    ldap3::drive!(conn);
    ldap.simple_bind(ADMIN, PASSWORD).await.expect("bind").success().expect("bound");
    let adapters: Vec<Box<dyn Adapter<'_, String, Vec<String>>>> =
        vec![Box::new(EntriesOnly::new()), Box::new(PagedResults::new(400))];
    let attrs: Vec<String> = Schema::Openldap.mapping().attributes().into_iter().map(String::from).collect();
    let mut s = ldap
        .streaming_search_with(adapters, PEOPLE, ldap3::Scope::Subtree, "(objectClass=inetOrgPerson)", attrs)
        .await
        .expect("search");
    let mut n = 0;
    while let Some(e) = s.next().await.expect("entry") {
        std::hint::black_box(ldap3::SearchEntry::construct(e));
        n += 1;
    }
    s.finish().await.success().expect("done");
    let _ = ldap.unbind().await;
    (start.elapsed(), n)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!("== phonebook source sync: slapd with {PEOPLE_N} people ==");
    let slapd = tokio::task::spawn_blocking(|| Slapd::start(PEOPLE_N)).await.expect("slapd");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/directory");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let store = Store::open(&dir.join("webcti.db")).await.expect("store");
    let src = source(slapd.url());
    let id = store.add_directory_book("Bench", &src).await.expect("add").expect("new");
    let ms = |d: Duration| d.as_secs_f64() * 1e3;

    let (raw, n) = raw_search(&slapd.url()).await;
    let start = Instant::now();
    let (records, report) = webcti::services::directory::fetch(&src).await.expect("fetch");
    let read = start.elapsed();
    let report = store.sync_directory_book(id, records, report, 1).await.expect("sync").expect("book");
    let first = start.elapsed();
    assert_eq!(report.added, PEOPLE_N as usize);
    println!(
        "initial sync of {n} entries: {:.0} ms ({:.0} ms reading, {:.0} ms storing); raw ldap3 search {:.0} ms",
        ms(first),
        ms(read),
        ms(first - read),
        ms(raw)
    );
    report::figure(
        "LDAP initial sync, 10,000 entries",
        format!("{:.2} s (raw search {:.2} s)", first.as_secs_f64(), raw.as_secs_f64()),
        "(reference: raw search)",
        true,
    );

    // 100 people change on the server.
    let url = slapd.url();
    let (conn, mut ldap) = ldap3::LdapConnAsync::new(&url).await.expect("connect");
    ldap3::drive!(conn);
    ldap.simple_bind(ADMIN, PASSWORD).await.expect("bind").success().expect("bound");
    for i in (0..PEOPLE_N).step_by((PEOPLE_N / 100) as usize) {
        let number = format!("+48 23 {i:07}");
        let mods = vec![ldap3::Mod::Replace("telephoneNumber", HashSet::from([number.as_str()]))];
        ldap.modify(&format!("uid=p{i},{PEOPLE}"), mods).await.expect("modify").success().expect("modified");
    }
    let _ = ldap.unbind().await;
    let (raw, _) = raw_search(&slapd.url()).await;
    let start = Instant::now();
    let (records, report) = webcti::services::directory::fetch(&src).await.expect("fetch");
    let report = store.sync_directory_book(id, records, report, 2).await.expect("sync").expect("book");
    let again = start.elapsed();
    assert_eq!((report.changed, report.unchanged), (100, PEOPLE_N as usize - 100));
    println!("incremental sync, 100 of {n} changed: {:.0} ms; raw ldap3 search {:.0} ms", ms(again), ms(raw));
    report::figure(
        "LDAP incremental sync, 100 of 10,000 changed",
        format!("{:.2} s (raw search {:.2} s)", again.as_secs_f64(), raw.as_secs_f64()),
        "(reference: raw search)",
        true,
    );
    store.close().await.expect("close");
    drop(slapd);
    let _ = std::fs::remove_dir_all(&dir);
}
