//! A real SMTP server for the tests (aiosmtpd, installed by `tests/setup.sh`),
//! and the mails it received.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

pub struct Smtp {
    child: Child,
    pub port: u16,
    out: Arc<(Mutex<String>, Condvar)>,
}

impl Smtp {
    pub fn start() -> Smtp {
        Smtp::start_with(&[])
    }

    /// With more of aiosmtpd's options (`--tlscert` and `--tlskey`: STARTTLS, required).
    pub fn start_with(options: &[&str]) -> Smtp {
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let mut child = Command::new("python3")
            .args(["-u", "-m", "aiosmtpd", "-n", "-d", "-l", &format!("127.0.0.1:{port}")])
            .args(options)
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
    pub fn wait_for(&self, needle: &str) -> String {
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
