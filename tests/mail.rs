//! Forgotten passwords through a real SMTP server (aiosmtpd, started by the test):
//! the link arrives, works once, and the answer is the same for an unknown
//! extension. Expiry is checked against the store with an injected clock.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use support::portal::{seeded_db, Browser};
use support::Service;

struct Smtp {
    child: Child,
    port: u16,
    out: Arc<(Mutex<String>, Condvar)>,
}

impl Smtp {
    fn start() -> Smtp {
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let mut child = Command::new("python3")
            .args(["-u", "-m", "aiosmtpd", "-n", "-d", "-l", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 -m aiosmtpd (pip install aiosmtpd)");
        let out = Arc::new((Mutex::new(String::new()), Condvar::new()));
        let sink = out.clone();
        let mut stdout = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.0.lock().expect("lock").push_str(&String::from_utf8_lossy(&buf[..n]));
                sink.1.notify_all();
            }
        });
        // Ready when it says so.
        let err = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(err).lines();
        loop {
            match lines.next() {
                Some(Ok(l)) if l.contains("Server is listening") => break,
                Some(Ok(_)) => {}
                _ => panic!("aiosmtpd did not start"),
            }
        }
        std::thread::spawn(move || for _ in lines {});
        Smtp { child, port, out }
    }

    /// Waits for a mail containing `needle`; returns everything received so far.
    fn wait_for(&self, needle: &str) -> String {
        let (lock, cond) = &*self.out;
        let guard = lock.lock().expect("lock");
        let (guard, t) =
            cond.wait_timeout_while(guard, Duration::from_secs(60), |s| !s.contains(needle)).expect("wait");
        assert!(!t.timed_out(), "no mail with {needle:?}: {}", *guard);
        guard.clone()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
    let reset = Reset::new(store.clone(), None, "https://pbx".into(), 1800);
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
