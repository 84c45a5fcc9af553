//! The integration tests' harness: boots the real `webcti` binary on port 0 with a
//! temporary flash directory and the simulated board, and talks to it over real
//! TLS with a client that trusts only the device's own certificate.
//!
//! Under emulation (`make cross-test`) `WEBCTI_TEST_RUNNER` names the qemu binary
//! that runs the ARM service binary, as cargo's runner runs the tests.
#![allow(dead_code)]

pub mod client;
pub mod portal;
pub mod rig;
pub mod slapd;
pub mod smtp;
pub mod webdriver;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a service may take to start: generous, as qemu is slow.
pub const START_TIMEOUT: Duration = Duration::from_secs(120);

/// The simulated board with everything on loopback and port 0.
pub fn board_file(data_dir: &Path, extra: &str) -> String {
    format!(
        r#"
[board]
name = "test"
hostname = "webcti-test"
time_zone = "Europe/Warsaw"
simulated = true

[paths]
data_dir = "{data}"

[service]
log = "info"
drain_secs = 5
{extra_service}

[lan]
interface = "lo"
address = "127.0.0.1"
https_port = 0
http_port = 0

[wan]
interface = "lo"
address = "127.0.0.1"
https_port = 0
http_port = 0
webcti = {wan_webcti}

[tls]
https_only = {https_only}

[dialplan]
country_code = "48"
national_digits = 9

[core]
link = "{link}"
{core_extra}
{watchdog}
{smtp}
{presence}
{cti}
"#,
        data = data_dir.display(),
        extra_service = section(extra, "service"),
        wan_webcti = option(extra, "wan_webcti").unwrap_or("false"),
        https_only = option(extra, "https_only").unwrap_or("true"),
        watchdog = section(extra, "watchdog_block"),
        link = option(extra, "link").unwrap_or("sim"),
        core_extra = section(extra, "core_block"),
        smtp = section(extra, "smtp_block"),
        presence = section(extra, "presence_block"),
        cti = section(extra, "cti_block"),
    )
}

/// Test options are given as `key=value` lines; a few keys are whole sections.
fn option<'a>(extra: &'a str, key: &str) -> Option<&'a str> {
    extra.lines().find_map(|l| l.trim().strip_prefix(key)?.strip_prefix('='))
}
fn section(extra: &str, key: &str) -> String {
    option(extra, key).map(|v| v.replace("\\n", "\n")).unwrap_or_default()
}

/// One running service and what it printed.
pub struct Service {
    pub child: Child,
    pub dir: PathBuf,
    pub lan_https: SocketAddr,
    pub lan_http: SocketAddr,
    pub wan_https: SocketAddr,
    pub stdout: Vec<String>,
    stderr: Arc<(Mutex<String>, Condvar)>,
}

/// The binary under test, and the runner that executes it (qemu under emulation).
pub fn command() -> Command {
    let bin = env!("CARGO_BIN_EXE_webcti");
    match std::env::var("WEBCTI_TEST_RUNNER") {
        Ok(runner) if !runner.is_empty() => {
            let mut c = Command::new(runner);
            c.arg(bin);
            c
        }
        _ => Command::new(bin),
    }
}

impl Service {
    /// Writes a board file into `dir` and starts the service on it.
    pub fn start(dir: &Path, extra: &str) -> Service {
        let data = dir.join("data");
        let board = dir.join("board.toml");
        std::fs::write(&board, board_file(&data, extra)).expect("write board file");
        Service::start_with_board(dir, &board)
    }

    pub fn start_with_board(dir: &Path, board: &Path) -> Service {
        let mut child = command()
            .args(["serve", "--board"])
            .arg(board)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start webcti");
        let stderr = Arc::new((Mutex::new(String::new()), Condvar::new()));
        let mut err_pipe = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.0.lock().expect("lock").push_str(&String::from_utf8_lossy(&buf[..n]));
                sink.1.notify_all();
            }
        });
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stdout = Vec::new();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line == "ready" => break,
                Ok(line) => stdout.push(line),
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "service did not start: stdout {stdout:?}, stderr {}",
                        stderr.0.lock().expect("lock")
                    );
                }
            }
        }
        let find = |prefix: &str| -> SocketAddr {
            stdout
                .iter()
                .find_map(|l| l.trim().strip_prefix(prefix))
                .and_then(|rest| rest.split('/').next())
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| panic!("no {prefix} line in {stdout:?}"))
        };
        Service {
            lan_https: find("LAN  https://"),
            lan_http: find("LAN  http://"),
            wan_https: find("WAN  https://"),
            child,
            dir: dir.join("data"),
            stdout,
            stderr,
        }
    }

    /// What the service logged so far.
    /// The one-time setup secret the service printed at its first start.
    pub fn setup_secret(&self) -> String {
        let line = self.stdout.iter().find(|l| l.contains("setup secret")).expect("the secret is printed");
        line.split_whitespace()
            .find(|w| w.len() == 19 && w.matches('-').count() == 3)
            .expect("secret")
            .to_owned()
    }

    pub fn log(&self) -> String {
        self.stderr.0.lock().expect("lock").clone()
    }

    /// Waits until the log holds `text` at least `times` times.
    pub fn wait_log(&self, text: &str, times: usize) {
        let (lock, cond) = &*self.stderr;
        let guard = lock.lock().expect("lock");
        let (guard, timeout) = cond
            .wait_timeout_while(guard, START_TIMEOUT, |log| log.matches(text).count() < times)
            .expect("wait");
        assert!(!timeout.timed_out(), "{text:?} never logged {times} times; log:\n{}", *guard);
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn stop(mut self) -> (ExitStatus, String) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("send SIGTERM");
        let status = self.child.wait().expect("wait");
        // The stderr reader ends when the pipe closes; give it the moment it needs.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.log().contains("stopped") && Instant::now() < deadline && status.success() {
            std::thread::yield_now();
        }
        let log = self.log();
        (status, log)
    }

    /// A TLS client that trusts only this device's certificate.
    pub fn client(&self) -> client::Client {
        client::Client::trusting(&self.dir.join("tls/device.crt"))
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves `sim` over the wire protocol on a Unix socket from a thread of its own,
/// as a core beside the service would; returns once the socket exists. The
/// trigger stops it.
pub fn simulator(sim: &webcti::sim::Sim, sock: &Path) -> webcti::shutdown::Trigger {
    let (trigger, shutdown) = webcti::shutdown::channel();
    let (s, p) = (sim.clone(), sock.to_path_buf());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let faults = Arc::new(webcti::sim::server::Faults::default());
        rt.block_on(webcti::sim::server::listen_unix(s, &p, faults, shutdown)).expect("serve");
    });
    while !sock.exists() {
        std::thread::yield_now();
    }
    trigger
}

/// Makes a token of the provisioning API with `webcti token create`, as root on
/// the board's console would, beside the running service; returns its secret.
pub fn make_token(dir: &Path, name: &str, scopes: &[&str]) -> String {
    let mut c = command();
    c.args(["token", "create", "--board"]).arg(dir.join("board.toml")).args(["--name", name]);
    for s in scopes {
        c.args(["--scope", s]);
    }
    let out = c.output().expect("run webcti token create");
    assert!(out.status.success(), "token create failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8").trim().to_owned()
}
