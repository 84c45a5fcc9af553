//! Forgotten passwords through a real SMTP server (aiosmtpd, started by the test):
//! the link arrives, works once, and the answer is the same for an unknown
//! extension. Expiry is checked against the store with an injected clock.

mod support;

use support::portal::{seeded_db, with_manager, Browser, T0};
use support::smtp::Smtp;
use support::Service;

#[test]
fn a_reset_link_arrives_by_mail_and_works_once() {
    let smtp = Smtp::start();
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let block = format!(
        "smtp_block=[smtp]\\nhost = \"127.0.0.1\"\\nport = {}\\ntls = \"none\"\\nfrom = \"pbx@example.com\"",
        smtp.port
    );
    let svc = Service::start(dir.path(), &block);
    let mut b = Browser::new(svc.client(), svc.lan_https);

    b.get("/forgot");
    let known = b.post("/forgot", &[("extension", "100")]);
    b.get("/forgot");
    let unknown = b.post("/forgot", &[("extension", "555")]);
    assert_eq!((known.status, unknown.status), (200, 200));
    assert_eq!(known.body, unknown.body, "the same answer whether or not the extension exists");
    assert!(known.body.contains("a link is on its way"));

    svc.wait_log("password reset", 1);
    assert!(svc.log().contains("password reset link sent"), "{}", svc.log());
    // The whole mail is in once the server prints its end.
    let raw = smtp.wait_for("END MESSAGE");
    // Long lines travel quoted-printable: undo the soft breaks and escapes, as a mail client does.
    let mail = raw.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    assert!(mail.contains("anna@example.com") && mail.contains("extension 100"), "{mail}");
    assert!(!mail.contains("secret-100"), "the password is never sent");
    let token: String = mail
        .split("/reset?token=")
        .nth(1)
        .expect("link")
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64);

    let form = b.get(&format!("/reset?token={token}"));
    assert_eq!(form.status, 200);
    let short = b.post("/reset", &[("token", &token), ("new", "short"), ("repeat", "short")]);
    assert!(short.body.contains("at least 8 characters"), "a typo does not use the link up");
    let done =
        b.post("/reset", &[("token", &token), ("new", "brand new secret"), ("repeat", "brand new secret")]);
    assert!(done.body.contains("Your password is set"), "{}", done.body);

    let again = b.get(&format!("/reset?token={token}"));
    assert_eq!(again.status, 410, "the link works once");
    assert!(again.body.contains("expired or was already used"));
    let mut fresh = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(fresh.login("100", "secret-100").status, 401, "the old password is gone");
    assert_eq!(fresh.login("100", "brand new secret").status, 303);
}

#[tokio::test]
async fn a_reset_link_expires() {
    use webcti::services::auth::Auth;
    use webcti::services::reset::{token_hash, Reset};
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(dir.path());
    let store = webcti::store::Store::open(&dir.path().join("webcti.db")).await.expect("store");
    let auth = Auth::new(store.clone()).expect("auth");
    let reset = Reset::new(store.clone(), Default::default(), "https://pbx".into(), 1800);
    let now = 2_000_000_000;
    store.insert_reset(&token_hash(&"a".repeat(64)), "100", now + 1800).await.expect("token");
    assert_eq!(reset.valid(&"a".repeat(64), now + 1799).await.as_deref(), Some("100"));
    assert!(reset.valid(&"a".repeat(64), now + 1800).await.is_none(), "expired at its time");
    let late =
        reset.complete(&auth, &"a".repeat(64), "brand new secret", "brand new secret", now + 1801).await;
    assert!(late.is_err());
    let creds = store.credentials("100").await.expect("read").expect("exists");
    assert!(
        auth.hasher().verify("secret-100", creds.password_hash.as_deref()).await.expect("verify"),
        "nothing changed"
    );
}

/// The administrator's SMTP form, as sent.
fn smtp_form<'a>(port: &'a str, tls: &'a str, ca: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("host", "127.0.0.1"), ("port", port), ("tls", tls), ("from", "pbx@example.com"), ("ca", ca)]
}

#[test]
fn the_mail_server_is_set_on_its_page_and_a_test_mail_says_what_went_wrong() {
    let smtp = Smtp::start();
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    // No mail server in the board file.
    let svc = Service::start(dir.path(), "");
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    assert_eq!(admin.get("/admin/smtp").status, 200);
    let none = admin.post("/admin/smtp", &[("action", "test"), ("to", "ewa@example.com")]);
    assert!(none.body.contains("no mail server is set"), "{}", none.body);

    // Bad settings are refused and change nothing.
    let bad = admin.post("/admin/smtp", &smtp_form("0", "none", ""));
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("The port is a number from 1 to 65535."), "{}", bad.body);
    let bad = admin.post("/admin/smtp", &smtp_form("25", "none", "not a certificate"));
    assert!(bad.body.contains("not a PEM certificate"), "{}", bad.body);

    // A server nobody listens on: the test says so.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port()
        .to_string();
    let mut form = smtp_form(&closed, "none", "");
    form.extend([("username", "pbx"), ("password", "mail-secret")]);
    assert!(admin.post("/admin/smtp", &form).body.contains("Saved."));
    let failed = admin.post("/admin/smtp", &[("action", "test"), ("to", "ewa@example.com")]);
    assert!(
        failed.body.contains("The test e-mail was not sent:") && failed.body.contains("127.0.0.1"),
        "{}",
        failed.body
    );
    let page = admin.get("/admin/smtp").body;
    assert!(
        !page.contains("mail-secret") && page.contains("leave empty to keep it"),
        "the password is not shown"
    );

    // The real one, without a restart; the stored password is kept when the field is left empty.
    let port = smtp.port.to_string();
    let mut form = smtp_form(&port, "none", "");
    form.push(("forget_password", "1"));
    assert!(admin.post("/admin/smtp", &form).body.contains("Saved."));
    let sent = admin.post("/admin/smtp", &[("action", "test"), ("to", "ewa@example.com")]);
    assert!(sent.body.contains("was accepted by the mail server"), "{}", sent.body);
    let mail = smtp.wait_for("END MESSAGE");
    assert!(mail.contains("ewa@example.com") && mail.contains("WebCTI: test e-mail"), "{mail}");

    // It outlives a restart.
    let (_, log) = svc.stop();
    assert!(!log.contains("mail-secret"), "no secret in the log");
    let svc = Service::start(dir.path(), "");
    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    assert!(admin.get("/admin/smtp").body.contains(&format!("value=\"{port}\"")));
    // A subscriber can neither read nor change it.
    let mut anna = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    assert_eq!(anna.get("/admin/smtp").status, 403);
}

#[test]
fn over_starttls_a_missed_call_is_mailed_to_the_subscriber() {
    use webcti::sim::{demo, Clock, Sim};
    let dir = tempfile::tempdir().expect("tempdir");
    // The mail server's own certificate, trusted on the SMTP page.
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("certificate");
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    std::fs::write(dir.path().join("smtp.crt"), &cert_pem).expect("cert");
    std::fs::write(dir.path().join("smtp.key"), &key_pem).expect("key");
    let crt = dir.path().join("smtp.crt").display().to_string();
    let key = dir.path().join("smtp.key").display().to_string();
    let smtp = Smtp::start_with(&["--tlscert", &crt, "--tlskey", &key]);
    let data = dir.path().join("data");
    seeded_db(&data);
    with_manager(&data);
    let sim = Sim::new(demo::plan(), Clock::Manual, T0);
    let sock = dir.path().join("core.sock");
    let _stop = support::simulator(&sim, &sock);
    let svc = Service::start(dir.path(), &format!("link=unix:{}", sock.display()));
    svc.wait_log("core link up", 1);

    let mut admin = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    let port = smtp.port.to_string();
    // Without the certificate, STARTTLS does not trust the server.
    admin.get("/admin/smtp");
    assert!(admin.post("/admin/smtp", &smtp_form(&port, "starttls", "")).body.contains("Saved."));
    let untrusted = admin.post("/admin/smtp", &[("action", "test"), ("to", "ewa@example.com")]);
    assert!(untrusted.body.contains("The test e-mail was not sent:"), "{}", untrusted.body);
    assert!(admin
        .post("/admin/smtp", &smtp_form(&port, "starttls", cert_pem.trim()))
        .body
        .contains("Saved."));
    let sent = admin.post("/admin/smtp", &[("action", "test"), ("to", "ewa@example.com")]);
    assert!(sent.body.contains("was accepted by the mail server"), "{}", sent.body);
    smtp.wait_for("WebCTI: test e-mail");

    // Her manager turns on the mails about missed calls; a call to her goes unanswered.
    let mut manager = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(manager.login("101", "secret-101").status, 303);
    manager.get("/manager/extension?for=100");
    let on =
        manager.post("/manager/extension?for=100", &[("email", "anna@example.com"), ("notify_missed", "1")]);
    assert!(on.body.contains("Saved."), "{}", on.body);
    sim.with(|ex| ex.incoming("0221234567", "100")).expect("call placed");
    sim.with(|ex| ex.hang_up_external("0221234567")).expect("caller gives up");
    // The server prints a mail as it comes: wait for its body, not its subject.
    let mail = smtp.wait_for("Missed call to extension 100 from 0221234567");
    assert!(
        mail.contains("To: anna@example.com")
            && mail.contains("Subject: WebCTI: Missed call from 0221234567"),
        "{mail}"
    );
    // She reads the portal in German: so are her mails from now on.
    let mut anna = Browser::new(svc.client(), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    anna.get("/settings");
    anna.post("/settings/app", &[("language", "de"), ("layout", "auto")]);
    sim.with(|ex| ex.incoming("0227654321", "100")).expect("call placed");
    sim.with(|ex| ex.hang_up_external("0227654321")).expect("caller gives up");
    smtp.wait_for("Verpasster Anruf an Nebenstelle 100 von 0227654321");
}
