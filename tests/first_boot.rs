//! First boot (SPEC A1, P4): the one-time setup secret the board prints names the
//! first administrator once; wrong secrets are refused and throttled; then the
//! secret and the page are gone, also after a restart.

mod support;

use std::os::unix::fs::PermissionsExt;

use support::portal::{seeded_db, Browser};
use support::Service;

fn is_admin(data: &std::path::Path, ext: &str) -> bool {
    let db = rusqlite::Connection::open(data.join("webcti.db")).expect("db");
    db.query_row("SELECT is_admin FROM extension WHERE number = ?1", [ext], |r| r.get::<_, bool>(0))
        .expect("row")
}

fn post_setup(b: &mut Browser, secret: &str, ext: &str, password: &str) -> support::client::Response {
    b.get("/setup");
    b.post("/setup", &[("secret", secret), ("extension", ext), ("new", password), ("repeat", password)])
}

#[test]
fn the_setup_secret_names_the_first_administrator_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    seeded_db(&data);
    let svc = Service::start(dir.path(), "");
    let secret = svc.setup_secret();
    let file = data.join("setup-secret");
    assert_eq!(std::fs::read_to_string(&file).expect("kept").trim(), secret);
    assert_eq!(std::fs::metadata(&file).expect("file").permissions().mode() & 0o777, 0o600);

    let mut stranger = Browser::new(svc.client(), svc.lan_https);
    let form = stranger.get("/setup");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("setup secret"), "{}", form.body);
    // Wrong secrets: refused, nothing changes, and soon throttled.
    let mut statuses = Vec::new();
    for i in 0..6 {
        let r = post_setup(&mut stranger, &format!("AAAA-BBBB-CCCC-{i:04}"), "101", "take-over-101");
        statuses.push(r.status);
        if r.status == 401 {
            assert!(r.body.contains("not the setup secret"), "{}", r.body);
        }
    }
    assert_eq!(statuses[0], 401);
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(!is_admin(&data, "101"));
    // The right secret, from the installer's laptop, with a password that breaks
    // the policy: refused, and the secret still works.
    let laptop = std::net::IpAddr::from([127, 0, 7, 7]);
    let mut admin = Browser::new(svc.client().connecting_from(laptop), svc.lan_https);
    let short = post_setup(&mut admin, &secret.to_lowercase(), "101", "short");
    assert_eq!(short.status, 422, "{}", short.body);
    let unknown = post_setup(&mut admin, &secret, "999", "admin-password-1");
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    let done = post_setup(&mut admin, &secret, "101", "admin-password-1");
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.header("location"), Some("/start"));
    assert_eq!(admin.get("/start").status, 200, "logged in as the administrator");
    assert!(is_admin(&data, "101"));
    assert!(!file.exists(), "the secret is gone");
    // Once only: the page is gone, and the secret does nothing more.
    assert_eq!(stranger.get("/setup").status, 404);
    let again = post_setup(&mut stranger, &secret, "100", "take-over-100");
    assert_eq!(again.status, 404);
    assert!(!is_admin(&data, "100"));
    let mut b = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(b.login("101", "admin-password-1").status, 303, "the new password logs in");

    // After a restart: no secret printed, none made, no page.
    let board = dir.path().join("board.toml");
    let (status, _) = svc.stop();
    assert!(status.success());
    let svc = Service::start_with_board(dir.path(), &board);
    assert!(!svc.stdout.iter().any(|l| l.contains("setup secret")), "{:?}", svc.stdout);
    assert!(!file.exists());
    let mut b = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(b.get("/setup").status, 404);
}
