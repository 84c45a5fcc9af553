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

    sim.kill().expect("kill the simulator");
    let _ = sim.wait();
    svc.wait_log("core link down", 1);
    let h = svc.client().get(svc.lan_https, "/healthz").expect("healthz");
    assert_eq!(h.status, 503);
    assert!(h.body.contains("\"core\":\"down\"") && h.body.contains("\"store\":\"up\""), "{}", h.body);

    let mut sim = start_sim(&sock);
    svc.wait_log("core link up", 2);
    assert_eq!(svc.client().get(svc.lan_https, "/healthz").expect("healthz").status, 200);
    let (status, log) = svc.stop();
    assert!(status.success(), "{log}");
    let _ = sim.kill();
    let _ = sim.wait();
}
