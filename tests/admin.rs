//! The administrator's pages (SPEC A1): only an administrator is answered, and
//! "About" says what runs here.

mod support;

use support::portal::{seeded_db, Browser};
use support::Service;

#[test]
fn about_is_for_administrators_and_says_what_runs_here() {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let svc = Service::start(dir.path(), "");
    let mut subscriber = Browser::new(svc.client(), svc.lan_https);
    subscriber.login("100", "secret-100");
    assert_eq!(subscriber.get("/admin").status, 403);
    assert!(!subscriber.get("/settings").body.contains("href=\"/admin\""), "no link for a subscriber");

    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    assert!(admin.get("/settings").body.contains("href=\"/admin\""));
    let about = admin.get("/admin");
    assert_eq!(about.status, 200, "{}", about.body);
    assert_eq!(about.header("cache-control"), Some("no-store"));
    for text in [
        env!("CARGO_PKG_VERSION"),
        "test (webcti-test)",
        "the simulator, in this process",
        "link up",
        "newest known: 2",
        &format!("schema {}", webcti::store::SCHEMA_VERSION),
        "Free flash",
    ] {
        assert!(about.body.contains(text), "{text} missing: {}", about.body);
    }
    // In German too.
    admin.get("/settings");
    admin.post("/settings/app", &[("language", "de"), ("layout", "auto")]);
    assert!(admin.get("/admin").body.contains("Über diese Anlage"));
}
