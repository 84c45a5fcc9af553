//! The service with a core on the other end of a Unix socket: the simulator runs as
//! its own process (`webcti sim`), and the health check follows the link as the
//! simulator goes away and comes back.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use support::Service;

fn start_sim(sock: &Path) -> Child {
    let mut child = support::command()
        .arg("sim")
        .arg("--listen")
        .arg(format!("unix:{}", sock.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the simulator");
    let out = child.stdout.take().expect("stdout");
    let line = BufReader::new(out).lines().next().expect("a line").expect("text");
    assert!(line.contains("listening"), "{line}");
    child
}

#[test]
fn health_follows_the_core_link() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("core.sock");
    let mut sim = start_sim(&sock);
    let svc = Service::start(dir.path(), &format!("link=unix:{}", sock.display()));
    svc.wait_log("core link up", 1);
    let h = svc.client().get(svc.lan_https, "/healthz").expect("healthz");
    assert_eq!(h.status, 200, "{}", h.body);
    // `webcti health`, as the board's init and a monitor ask: the board file with
    // the port the service got.
    let text = support::board_file(&dir.path().join("data"), &format!("link=unix:{}", sock.display()));
    let asking = dir.path().join("asking.toml");
    std::fs::write(
        &asking,
        text.replacen("https_port = 0", &format!("https_port = {}", svc.lan_https.port()), 1),
    )
    .expect("board file");
    let health =
        || support::command().args(["health", "--board"]).arg(&asking).output().expect("webcti health");
    let up = health();
    assert!(up.status.success(), "{}", String::from_utf8_lossy(&up.stderr));
    assert!(String::from_utf8_lossy(&up.stdout).starts_with("200 "), "{up:?}");

    sim.kill().expect("kill the simulator");
    let _ = sim.wait();
    svc.wait_log("core link down", 1);
    let h = svc.client().get(svc.lan_https, "/healthz").expect("healthz");
    assert_eq!(h.status, 503);
    assert!(h.body.contains("\"core\":\"down\"") && h.body.contains("\"store\":\"up\""), "{}", h.body);
    let down = health();
    assert!(!down.status.success());
    assert!(String::from_utf8_lossy(&down.stdout).starts_with("503 "), "{down:?}");

    let mut sim = start_sim(&sock);
    svc.wait_log("core link up", 2);
    assert_eq!(svc.client().get(svc.lan_https, "/healthz").expect("healthz").status, 200);
    let (status, log) = svc.stop();
    assert!(status.success(), "{log}");
    let _ = sim.kill();
    let _ = sim.wait();
}

/// A board with nothing in its store: the extensions are the core's lines, learnt
/// when the link comes up, so the first administrator can be named at once.
#[test]
fn a_new_board_learns_its_extensions_from_the_core() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("core.sock");
    let mut sim = start_sim(&sock);
    let svc = Service::start(dir.path(), &format!("link=unix:{}", sock.display()));
    svc.wait_log("extensions learnt from the core's lines", 1);
    let db = rusqlite::Connection::open(dir.path().join("data/webcti.db")).expect("db");
    let numbers: Vec<String> = db
        .prepare("SELECT number FROM extension ORDER BY number")
        .expect("query")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("numbers");
    let plan: Vec<String> = webcti::sim::demo::plan().extensions.into_iter().map(|e| e.number).collect();
    let mut expected = plan.clone();
    expected.sort();
    assert_eq!(numbers, expected);
    // Named by its number until an administrator names it.
    let name: String =
        db.query_row("SELECT name FROM extension WHERE number = '110'", [], |r| r.get(0)).expect("name");
    assert_eq!(name, "110");

    let secret = svc.setup_secret();
    let mut installer = support::portal::Browser::new(svc.client(), svc.lan_https);
    installer.get("/setup");
    let first = &plan[0];
    let done = installer.post(
        "/setup",
        &[
            ("secret", &secret),
            ("extension", first),
            ("new", "admin-password-1"),
            ("repeat", "admin-password-1"),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let mut admin = support::portal::Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login(first, "admin-password-1").status, 303);

    // Learnt once: a restart with the link up again adds nothing and keeps the name.
    db.execute("UPDATE extension SET name = 'Reception' WHERE number = ?1", [first]).expect("name");
    let (status, log) = svc.stop();
    assert!(status.success(), "{log}");
    let svc = Service::start(dir.path(), &format!("link=unix:{}", sock.display()));
    svc.wait_log("core link up", 1);
    let count: i64 = db.query_row("SELECT count(*) FROM extension", [], |r| r.get(0)).expect("count");
    assert_eq!(count as usize, plan.len());
    let name: String =
        db.query_row("SELECT name FROM extension WHERE number = ?1", [first], |r| r.get(0)).expect("name");
    assert_eq!(name, "Reception");
    let (status, log) = svc.stop();
    assert!(status.success(), "{log}");
    let _ = sim.kill();
    let _ = sim.wait();
}
