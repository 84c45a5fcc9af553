//! Pages side by side with nginx (`make bench`): prints figures, passes or fails
//! nothing.
//!
//! The real service binary runs as on the board, on a database the size of a
//! busy exchange's (1,000 extensions, 1,000,000 CDRs, 10,000 contacts), beside
//! Debian's nginx serving the portal's own stylesheet (6.8 KB) over TLS with the
//! device's key and certificate. wrk drives both the same way: HTTP/1.1
//! keep-alive, 8 connections, the same duration. Each figure is requests/s and
//! p99, and requests/s as a ratio to nginx's: nginx and the page take turns,
//! three rounds each, and the round with the middle ratio is the figure, so
//! that the machine's drift during the run (other work on it) weighs on both
//! alike.
//!
//! `BENCH_SECS` (default 10) sets each page's time (nginx's as much again).
//! nginx and wrk come from Debian (`benches/setup.sh`).

#[path = "common/calls.rs"]
mod calls;
#[path = "common/report.rs"]
mod report;
#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use calls::EXTENSIONS;
use support::portal::Browser;
use support::Service;
use webcti::domain::cdr::Cdr;
use webcti::phonebook::BookKind;
use webcti::store::phonebook::PublicRight;
use webcti::store::Store;

const CDRS: u64 = 1_000_000;
const CONTACTS: u32 = 10_000;
const T0: i64 = 1_790_000_000;
/// The subscriber whose pages are fetched.
const ME: &str = "1000";
const PASSWORD: &str = "bench-password";

fn secs() -> u64 {
    std::env::var("BENCH_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(10)
}

/// Record `id`: a million calls over the two years before now.
fn cdr(id: u64) -> Cdr {
    calls::cdr(id, T0 - 2 * 365 * 86_400 + (id as i64) * 63)
}

/// The database, made through the store's own API.
async fn seed(db: &Path) {
    let store = Store::open(db).await.expect("store");
    let started = Instant::now();
    for i in 0..EXTENSIONS {
        store.upsert_extension(&format!("{}", 1000 + i), &format!("Subscriber {i}"), T0).await.expect("ext");
    }
    let hash = webcti::services::password::Hasher::new().expect("hasher").hash(PASSWORD).await.expect("hash");
    store.set_password_hash(ME, &hash, T0).await.expect("password");
    store.set_public_right(ME, PublicRight::Edit).await.expect("right");
    let parsed = webcti::phonebook::parse(calls::contacts_csv(CONTACTS).as_bytes(), None).expect("parse");
    let author = webcti::store::journal::Author { actor: format!("ext:{ME}"), via: "web" };
    store
        .import_contacts(ME, BookKind::Public, parsed.contacts, author, T0)
        .await
        .expect("import")
        .expect("allowed");
    for b in 0..CDRS / 10_000 {
        store.insert_cdrs((b * 10_000..(b + 1) * 10_000).map(cdr).collect()).await.expect("cdrs");
    }
    store.close().await.expect("close");
    println!(
        "seeded {EXTENSIONS} extensions, {CONTACTS} public contacts and {CDRS} CDRs in {:.0} s",
        started.elapsed().as_secs_f64()
    );
}

/// Debian's nginx on `port`, serving `root` over TLS with the device's key.
fn nginx(dir: &Path, root: &Path, tls: &Path, port: u16) -> Child {
    let user = if nix::unistd::geteuid().is_root() { "user root;" } else { "" };
    let conf = format!(
        "{user}
worker_processes auto;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/tmp-body;
    proxy_temp_path {dir}/tmp-proxy;
    fastcgi_temp_path {dir}/tmp-fastcgi;
    uwsgi_temp_path {dir}/tmp-uwsgi;
    scgi_temp_path {dir}/tmp-scgi;
    keepalive_requests 10000000;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {tls}/device.crt;
        ssl_certificate_key {tls}/device.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        root {root};
    }}
}}
",
        dir = dir.display(),
        tls = tls.display(),
        root = root.display(),
    );
    let file = dir.join("nginx.conf");
    std::fs::write(&file, conf).expect("nginx.conf");
    let child = Command::new("nginx")
        .args(["-e", "stderr", "-c"])
        .arg(&file)
        .stdout(Stdio::null())
        .spawn()
        .expect("nginx (Debian's nginx-light: benches/setup.sh installs it)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nginx did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// One wrk run: requests/s and p99 in ms.
struct Run {
    rate: f64,
    p99_ms: f64,
    errors: String,
}

/// Rounds of a side-by-side comparison.
const ROUNDS: u64 = 3;

/// The page at `url` (each request with the header line `header`) and nginx's
/// static file at `reference` taking turns, [`ROUNDS`] rounds of a third of
/// the time each: the page's run, nginx's, and their ratio, of the round
/// with the middle ratio.
fn side_by_side(reference: &str, url: &str, header: &str) -> (Run, Run, f64) {
    let each = (secs() / ROUNDS).max(1);
    let mut rounds: Vec<(f64, Run, Run)> = (0..ROUNDS)
        .map(|_| {
            let nginx = wrk_for(reference, "Cookie: none=0", each);
            let page = wrk_for(url, header, each);
            (page.rate / nginx.rate, page, nginx)
        })
        .collect();
    rounds.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (ratio, page, nginx) = rounds.swap_remove(rounds.len() / 2);
    (page, nginx, ratio)
}

/// One wrk run on `url`, each request with the header line `header`.
fn wrk(url: &str, header: &str) -> Run {
    wrk_for(url, header, secs())
}

/// As [`wrk`], for `secs` seconds.
fn wrk_for(url: &str, header: &str, secs: u64) -> Run {
    let out = Command::new("wrk")
        .args(["-t", "2", "-c", "8", "-d", &format!("{secs}s"), "--latency", "-H"])
        .arg(header)
        .arg(url)
        .output()
        .expect("wrk (Debian's wrk: benches/setup.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    let rate = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    let p99_ms = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(|v| duration_ms(v.trim()))
        .unwrap_or(f64::NAN);
    let errors = text
        .lines()
        .filter(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("; ");
    Run { rate, p99_ms, errors }
}

/// wrk's "812.00us", "3.21ms", "1.02s" in milliseconds.
fn duration_ms(v: &str) -> f64 {
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let n: f64 = v[..split].parse().unwrap_or(f64::NAN);
    match &v[split..] {
        "us" => n / 1e3,
        "ms" => n,
        "s" => n * 1e3,
        "m" => n * 60e3,
        _ => f64::NAN,
    }
}

fn main() {
    println!("== pages side by side with nginx ==");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data");
    let opening = std::thread::spawn({
        let db = data.join("webcti.db");
        move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                seed(&db).await;
                // What opening the file costs of the start (every page is checked
                // after the start, while the service serves).
                let t = Instant::now();
                Store::open(&db).await.expect("open").close().await.expect("close");
                t.elapsed()
            })
        }
    })
    .join()
    .expect("seed");

    // The first start makes the device's key and certificate; the second is timed.
    let (status, _) = Service::start(dir.path(), "").stop();
    assert!(status.success(), "the first start stopped cleanly");
    let started = Instant::now();
    let svc = Service::start(dir.path(), "");
    let client = svc.client();
    let up = loop {
        if client.get(svc.lan_https, "/healthz").map(|r| r.status) == Ok(200) {
            break started.elapsed();
        }
    };
    println!(
        "started with {CDRS} CDRs and {CONTACTS} contacts: first HTTPS answer after {:.0} ms \
         (opening the database alone: {:.0} ms)",
        up.as_secs_f64() * 1e3,
        opening.as_secs_f64() * 1e3
    );
    report::figure(
        "start to first HTTPS answer, 1M CDRs, 10,000 contacts",
        format!(
            "{:.0} ms (opening the database: {:.0} ms)",
            up.as_secs_f64() * 1e3,
            opening.as_secs_f64() * 1e3
        ),
        "≤ 100 ms",
        up <= Duration::from_millis(100),
    );

    let mut me = Browser::new(client.clone(), svc.lan_https);
    assert_eq!(me.login(ME, PASSWORD).status, 303, "login");
    let cookie = me.cookie_header();

    let www = dir.path().join("www/static");
    std::fs::create_dir_all(&www).expect("www");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("web/static/style.css"), www.join("style.css"))
        .expect("stylesheet");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let mut nginx = nginx(dir.path(), &dir.path().join("www"), &data.join("tls"), port);

    let base = format!("https://{}", svc.lan_https);
    let reference = format!("https://127.0.0.1:{port}/static/style.css");
    let alone = wrk(&reference, "Cookie: none=0");
    println!(
        "{:<44} {:>9} req/s  p99 {:>7.2} ms",
        "nginx, static file over TLS", alone.rate as u64, alone.p99_ms
    );
    for (label, path, target) in [
        ("static asset", "/static/style.css", None),
        ("start page", "/start", Some(0.3)),
        ("start page panels", "/start/panels", None),
        ("history page", "/history", Some(0.3)),
        ("phonebook page", "/phonebook", Some(0.3)),
    ] {
        let page = me.get(path);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        let (run, nginx, ratio) =
            side_by_side(&reference, &format!("{base}{path}"), &format!("Cookie: {cookie}"));
        println!(
            "{:<44} {:>9} req/s  p99 {:>7.2} ms  {:.3}× nginx ({:.0} req/s beside it)  {}",
            format!("webcti {label} ({path}, {} bytes)", page.body.len()),
            run.rate as u64,
            run.p99_ms,
            ratio,
            nginx.rate,
            run.errors
        );
        // What nginx makes of the same bytes as a file: how much of the gap is
        // the page's size, and how much the making of it.
        let same = match target {
            Some(_) => {
                let name = format!("{}.html", label.replace(' ', "-"));
                std::fs::write(www.join(&name), &page.body).expect("page copy");
                let r = wrk(&format!("https://127.0.0.1:{port}/static/{name}"), "Cookie: none=0");
                println!(
                    "{:<44} {:>9} req/s  p99 {:>7.2} ms",
                    format!("nginx, the same {} bytes as a static file", page.body.len()),
                    r.rate as u64,
                    r.p99_ms
                );
                format!("; nginx serving the same {} bytes as a file: {:.0} req/s", page.body.len(), r.rate)
            }
            None => String::new(),
        };
        report::figure(
            &format!("{label} over TLS, 8 keep-alive clients"),
            format!(
                "{:.0} req/s, p99 {:.1} ms, {ratio:.3}× nginx ({:.0} req/s beside it){same}",
                run.rate, run.p99_ms, nginx.rate
            ),
            &target.map_or("(no target of its own)".to_owned(), |t| format!("≥ {t}× nginx static")),
            target.is_none_or(|t| ratio >= t),
        );
    }
    api(&svc, dir.path(), &reference);
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(nginx.id() as i32),
        nix::sys::signal::Signal::SIGQUIT,
    );
    let _ = nginx.wait();
    let (status, _) = svc.stop();
    assert!(status.success(), "the service stopped cleanly");
}

/// The provisioning API: pages of 100 extensions over TLS beside nginx, and a
/// bulk import of every extension (dry run, written, and the same file again).
fn api(svc: &Service, dir: &Path, reference: &str) {
    let token = support::make_token(dir, "bench", &["write"]);
    let bearer = format!("Bearer {token}");
    let auth = format!("Authorization: {bearer}");
    let path = "/api/v1/extensions?limit=100";
    let page =
        svc.client().request(svc.lan_https, "GET", path, &[("Authorization", &bearer)], "").expect("page");
    assert_eq!(page.status, 200, "{}", page.body);
    let (run, nginx, ratio) = side_by_side(reference, &format!("https://{}{path}", svc.lan_https), &auth);
    println!(
        "{:<44} {:>9} req/s  p99 {:>7.2} ms  {:.3}× nginx ({:.0} req/s beside it)  {}",
        format!("webcti API page ({path}, {} bytes)", page.body.len()),
        run.rate as u64,
        run.p99_ms,
        ratio,
        nginx.rate,
        run.errors
    );
    report::figure(
        "GET /api/v1/extensions, pages of 100, over TLS",
        format!("{:.0} pages/s, p99 {:.1} ms, {ratio:.3}× nginx", run.rate, run.p99_ms),
        "(no target of its own)",
        true,
    );
    // Every extension gets an address and one of five departments.
    let rows: Vec<String> = (0..EXTENSIONS)
        .map(|i| {
            format!(
                r#"{{"number": "{}", "email": "s{i}@example.com", "department": "Department {}"}}"#,
                1000 + i,
                i % 5
            )
        })
        .collect();
    let file = format!(r#"{{"version": 1, "extensions": [{}]}}"#, rows.join(","));
    let mut timed = Vec::new();
    for (label, query) in [("dry run", "?dry_run=true"), ("written", ""), ("again, unchanged", "")] {
        let t = Instant::now();
        let r = svc
            .client()
            .request(
                svc.lan_https,
                "POST",
                &format!("/api/v1/bulk{query}"),
                &[("Authorization", &bearer), ("Content-Type", "application/json")],
                &file,
            )
            .expect("import");
        let took = t.elapsed();
        assert_eq!(r.status, 200, "{label}: {}", &r.body[..r.body.len().min(500)]);
        println!(
            "bulk import of {EXTENSIONS} extensions, {label}: {:.0} ms ({} bytes)",
            took.as_secs_f64() * 1e3,
            file.len()
        );
        timed.push(format!("{label} {:.0} ms", took.as_secs_f64() * 1e3));
    }
    report::figure(
        &format!("bulk import of {EXTENSIONS} extensions in 5 departments"),
        timed.join(", "),
        "(no target of its own)",
        true,
    );
}
