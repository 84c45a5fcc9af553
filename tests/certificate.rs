//! The administrator's TLS page (SPEC A7) against the real service: an uploaded
//! chain is served from the next connection on (a client trusting only that
//! chain connects), survives a restart, and a mismatched key, an expired
//! certificate or one naming another host is refused while the one in use stays.

mod support;

use support::client::Client;
use support::portal::{seeded_db, Browser};
use support::Service;

/// A self-signed certificate for `names`, valid from `from` to `to` days from today.
fn made(names: &[&str], from: i64, to: i64) -> (String, String) {
    let mut p = rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
        .expect("params");
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs() as i64;
    let day = |d: i64| {
        let (y, m, dd, ..) = webcti::domain::time::civil(now + d * 86_400);
        rcgen::date_time_ymd(y as i32, m as u8, dd as u8)
    };
    p.not_before = day(from);
    p.not_after = day(to);
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = p.self_signed(&key).expect("cert");
    (cert.pem(), key.serialize_pem())
}

/// Whether a client trusting only `pem` gets an answer from the portal.
fn trusted(svc: &Service, dir: &std::path::Path, pem: &str) -> bool {
    let path = dir.join("trusted.crt");
    std::fs::write(&path, pem).expect("write");
    Client::trusting(&path).get(svc.lan_https, "/healthz").is_ok_and(|r| r.status == 200)
}

#[test]
fn an_uploaded_certificate_is_served_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let svc = Service::start(dir.path(), "");
    let device = std::fs::read_to_string(dir.path().join("data/tls/device.crt")).expect("device cert");
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    assert!(admin.get("/admin/tls").body.contains("made at first start"));

    let (good, key) = made(&["127.0.0.1", "pbx.example.com"], -1, 90);
    let (_, other_key) = made(&["127.0.0.1"], -1, 90);
    let (old, old_key) = made(&["127.0.0.1"], -400, -1);
    let (elsewhere, elsewhere_key) = made(&["mail.example.com"], -1, 90);
    for (chain, k, why) in [
        (&good, &other_key, "The key does not belong to the certificate."),
        (&old, &old_key, "The certificate has expired."),
        (&elsewhere, &elsewhere_key, "names neither the board"),
        (&"garbage".to_owned(), &key, "There is no PEM certificate."),
    ] {
        let r = admin.post("/admin/tls", &[("chain", chain), ("key", k)]);
        assert_eq!(r.status, 422, "{why}: {}", r.body);
        assert!(r.body.contains(why), "{why}: {}", r.body);
        assert!(trusted(&svc, dir.path(), &device), "the device's certificate is still served");
    }
    assert!(!dir.path().join("data/tls/uploaded.crt").exists(), "nothing was stored");

    let r = admin.post("/admin/tls", &[("chain", &good), ("key", &key)]);
    assert!(r.body.contains("new connections get this certificate"), "{}", r.body);
    assert!(trusted(&svc, dir.path(), &good), "served from the next connection on");
    assert!(!trusted(&svc, dir.path(), &device), "the device's is no longer served");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(dir.path().join("data/tls/uploaded.key")).expect("key stored").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    // A subscriber can do none of it.
    let mut anna = Browser::new(Client::trusting(&write(dir.path(), &good)), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    assert_eq!(anna.get("/admin/tls").status, 403);

    // It survives a restart; then back to the device's own.
    let (_, log) = svc.stop();
    assert!(!log.contains("PRIVATE KEY"), "no key in the log");
    let svc = Service::start(dir.path(), "");
    assert!(trusted(&svc, dir.path(), &good), "still served after a restart");
    let mut admin = Browser::new(Client::trusting(&write(dir.path(), &good)), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    assert!(admin.get("/admin/tls").body.contains("the uploaded certificate"));
    let back = admin.post("/admin/tls", &[("action", "device")]);
    assert!(back.body.contains("new connections get this certificate"), "{}", back.body);
    assert!(trusted(&svc, dir.path(), &device));
    assert!(!dir.path().join("data/tls/uploaded.crt").exists());
}

fn write(dir: &std::path::Path, pem: &str) -> std::path::PathBuf {
    let path = dir.join("client-trust.crt");
    std::fs::write(&path, pem).expect("write");
    path
}

#[test]
fn https_only_and_webcti_on_the_wan_are_switched_live_and_survive_a_restart() {
    use support::client::get_plain;
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    // The board file's defaults: HTTPS only, WebCTI off on the WAN.
    let svc = Service::start(dir.path(), "");
    assert_eq!(get_plain(svc.lan_http, "/").expect("plain GET").status, 308);
    assert_eq!(svc.client().get(svc.wan_https, "/").expect("WAN GET").status, 403);
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    let page = admin.get("/admin/tls");
    assert!(page.header("strict-transport-security").is_some(), "HSTS in HTTPS-only mode");
    assert!(
        page.body.contains("id=\"https_only\" checked") && !page.body.contains("id=\"wan_webcti\" checked")
    );

    let saved = admin.post("/admin/tls", &[("action", "exposure"), ("wan_webcti", "1")]);
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(saved.body.contains("in force from the next request"), "{}", saved.body);
    assert_eq!(saved.header("strict-transport-security"), None, "no HSTS once HTTPS-only is off");
    // No restart: plain HTTP serves the portal, the WAN answers with it.
    let plain = get_plain(svc.lan_http, "/").expect("plain GET");
    assert_eq!(plain.status, 200);
    assert!(plain.body.contains("name=\"password\""), "the login page over HTTP");
    assert_eq!(svc.client().get(svc.wan_https, "/").expect("WAN GET").status, 200);

    // A subscriber cannot switch them.
    let mut anna = Browser::new(svc.client(), svc.lan_https);
    anna.login("100", "secret-100");
    anna.get("/settings");
    assert_eq!(anna.post("/admin/tls", &[("action", "exposure"), ("https_only", "1")]).status, 403);
    assert_eq!(svc.client().get(svc.wan_https, "/").expect("WAN GET").status, 200);

    // Through a restart the stored switches hold, over the board file's.
    let (status, _) = svc.stop();
    assert!(status.success());
    let svc = Service::start(dir.path(), "");
    assert!(
        !svc.stdout.iter().any(|l| l.contains("WebCTI off") || l.contains("redirects to HTTPS")),
        "{:?}",
        svc.stdout
    );
    assert_eq!(get_plain(svc.lan_http, "/").expect("plain GET").status, 200);
    assert_eq!(svc.client().get(svc.wan_https, "/").expect("WAN GET").status, 200);
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    admin.get("/admin/tls");
    assert_eq!(admin.post("/admin/tls", &[("action", "exposure"), ("https_only", "1")]).status, 200);
    assert_eq!(get_plain(svc.lan_http, "/login").expect("plain GET").status, 308);
    assert_eq!(svc.client().get(svc.wan_https, "/").expect("WAN GET").status, 403);
}
