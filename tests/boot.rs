//! The image boots (issue 19, SPEC P4, P5): `qemu-system-aarch64 -M virt` starts
//! the image `make image` made, with the switching core (`webcti sim`, on this
//! machine) on a virtio serial port, an i6300esb watchdog and user-mode networking
//! with the LAN's HTTPS port forwarded. What an installer would see is checked: the
//! console's setup secret names the first administrator; a clean power-off and a
//! boot keep the certificate and the data; a hung service gets the board reset by
//! the watchdog; an upgrade (a second image's upgrade file, fetched by the board)
//! starts the new release in the other slot with every setting and call record kept,
//! and the old release's backup restores on it; an upgrade that does not mount is
//! given up at once.
//!
//! Run by `make boot-test` (in `make test`), which builds both images first:
//! `WEBCTI_IMAGE` is the image's directory, `WEBCTI_UPGRADE` the next release's
//! upgrade file.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use support::client::Client;
use support::portal::Browser;

/// Under software emulation on a loaded machine: a boot takes tens of seconds.
const BOOT: Duration = Duration::from_secs(240);

fn image_dir() -> PathBuf {
    let dir = std::env::var_os("WEBCTI_IMAGE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/images/arm64-ref"));
    assert!(dir.join("webcti-arm64-ref.img").exists(), "no image in {}: run `make boot-test`", dir.display());
    dir
}

/// The certificate seen first, and from then on only that one (the device's is
/// self-signed and names the board's own addresses, not the forwarded port's).
#[derive(Debug)]
struct Pinned {
    cert: Mutex<Option<Vec<u8>>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut pinned = self.cert.lock().expect("lock");
        match pinned.as_deref() {
            None => *pinned = Some(end_entity.to_vec()),
            Some(seen) if seen == end_entity.as_ref() => {}
            Some(_) => return Err(rustls::Error::General("the board presents another certificate".into())),
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

fn pinned_client() -> (Client, Arc<Pinned>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let pinned = Arc::new(Pinned { cert: Mutex::new(None), provider: provider.clone() });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .dangerous()
        .with_custom_certificate_verifier(pinned.clone())
        .with_no_client_auth();
    (Client::with_config(Arc::new(config)), pinned)
}

/// The console, as text without terminal escapes, and who waits on it.
type Console = Arc<(Mutex<String>, Condvar)>;

/// One run of the emulated board, from power-on to its end.
struct Board {
    qemu: Child,
    keys: ChildStdin,
    console: Console,
    /// Where the console stood when this run began.
    start: usize,
    booted_at: Instant,
}

struct Rig {
    /// Holds the disk and the core's socket; removed with the rig.
    _dir: tempfile::TempDir,
    image: PathBuf,
    disk: PathBuf,
    sock: PathBuf,
    port: u16,
    console: Console,
    sim: Child,
}

impl Rig {
    fn new() -> Rig {
        let image = image_dir();
        let dir = tempfile::tempdir().expect("tempdir");
        // The board's own disk, a copy: the image stays as `make image` made it.
        let disk = dir.path().join("disk.img");
        let copied = Command::new("cp")
            .args(["--sparse=always"])
            .arg(image.join("webcti-arm64-ref.img"))
            .arg(&disk)
            .status()
            .expect("cp");
        assert!(copied.success());
        // The exchange's switching core, with calls of its own so there are records.
        let sock = dir.path().join("core.sock");
        let mut sim = support::command()
            .args(["sim", "--traffic", "30", "--listen"])
            .arg(format!("unix:{}", sock.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the simulator");
        let line =
            BufReader::new(sim.stdout.take().expect("stdout")).lines().next().expect("a line").expect("text");
        assert!(line.contains("listening"), "{line}");
        let port = TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        Rig {
            _dir: dir,
            image,
            disk,
            sock,
            port,
            console: Arc::new((Mutex::new(String::new()), Condvar::new())),
            sim,
        }
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    fn power_on(&self) -> Board {
        let i = &self.image;
        let mut qemu = Command::new("qemu-system-aarch64")
            .args(["-M", "virt", "-cpu", "cortex-a53", "-smp", "2", "-m", "512"])
            .args(["-nographic", "-nodefaults", "-no-user-config", "-serial", "stdio"])
            .arg("-kernel")
            .arg(i.join("vmlinuz"))
            .arg("-initrd")
            .arg(i.join("initrd.img"))
            .args(["-append", "console=ttyAMA0 panic=10 quiet"])
            .arg("-drive")
            .arg(format!("if=none,id=disk,format=raw,file={}", self.disk.display()))
            .args(["-device", "virtio-blk-pci,drive=disk"])
            .arg("-netdev")
            .arg(format!("user,id=lan,hostfwd=tcp:127.0.0.1:{}-:443", self.port))
            .args(["-device", "virtio-net-pci,netdev=lan,romfile="])
            .args(["-netdev", "user,id=wan,net=10.0.3.0/24", "-device", "virtio-net-pci,netdev=wan,romfile="])
            .args(["-device", "virtio-rng-pci", "-device", "i6300esb", "-watchdog-action", "reset"])
            .arg("-chardev")
            .arg(format!("socket,id=core,path={},reconnect=1", self.sock.display()))
            .args(["-device", "virtio-serial-pci", "-device", "virtserialport,chardev=core,name=swcore0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("qemu-system-aarch64 (tests/setup.sh installs it)");
        let start = self.console.0.lock().expect("lock").len();
        for out in [
            Box::new(qemu.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(qemu.stderr.take().expect("stderr")),
        ] {
            let console = self.console.clone();
            std::thread::spawn(move || read_console(out, &console));
        }
        let keys = qemu.stdin.take().expect("stdin");
        Board { qemu, keys, console: self.console.clone(), start, booted_at: Instant::now() }
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        // What the board printed, for whoever reads a CI run.
        let console = Path::new(env!("CARGO_TARGET_TMPDIR")).join("boot-console.log");
        if let Ok(text) = self.console.0.lock() {
            let _ = std::fs::write(&console, text.as_bytes());
        }
        let _ = self.sim.kill();
        let _ = self.sim.wait();
    }
}

/// Appends what the board prints, without colours and cursor queries.
fn read_console(mut from: impl Read, console: &Console) {
    let mut buf = [0u8; 4096];
    let mut escape = false;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let (lock, cond) = &**console;
        let mut text = lock.lock().expect("lock");
        for &b in &buf[..n] {
            match (escape, b) {
                (false, 0x1b) => escape = true,
                (true, b) if b.is_ascii_alphabetic() => escape = false,
                (true, _) => {}
                (false, b'\r') => {}
                (false, b) => text.push(b as char),
            }
        }
        cond.notify_all();
    }
}

impl Board {
    /// Waits until `needle` is on the console after `from`; where it ends.
    fn wait_for(&self, needle: &str, from: usize, within: Duration) -> usize {
        let (lock, cond) = &*self.console;
        let deadline = Instant::now() + within;
        let mut text = lock.lock().expect("lock");
        loop {
            if let Some(at) = text.get(from..).and_then(|t| t.find(needle)) {
                return from + at + needle.len();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "{needle:?} not on the console within {within:?}:\n{}", tail(&text));
            text = cond.wait_timeout(text, left).expect("lock").0;
        }
    }

    fn since_start(&self) -> String {
        self.console.0.lock().expect("lock")[self.start..].to_owned()
    }

    fn now(&self) -> usize {
        self.console.0.lock().expect("lock").len()
    }

    /// Types a command at the console's shell and waits for it to end; its output.
    fn run(&mut self, command: &str, within: Duration) -> String {
        let from = self.now();
        // The marker is split in the command, so its echo does not count as its end.
        writeln!(self.keys, "{command}; echo \"== \"\"done $?\"").expect("type");
        self.keys.flush().expect("flush");
        let marker = self.wait_for("== done ", from, within);
        let end = self.wait_for("\n", marker, within);
        let text = self.console.0.lock().expect("lock")[from..end].to_owned();
        text
    }

    /// Waits for the service's banner and a healthy `/healthz` through the
    /// forwarded port; the time since power-on.
    fn wait_ready(&self, rig: &Rig, client: &Client) -> Duration {
        self.wait_for("\nready", self.start, BOOT);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            // The banner is printed when the core link may still be coming up.
            match client.get(rig.addr(), "/healthz") {
                Ok(r) if r.status == 200 => return self.booted_at.elapsed(),
                other => {
                    assert!(Instant::now() < deadline, "healthz: {other:?}\n{}", tail(&self.since_start()))
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits for the emulator to end (the board powered off).
    fn wait_off(mut self, within: Duration) -> (ExitStatus, String) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.qemu.try_wait().expect("wait") {
                return (status, self.since_start());
            }
            if Instant::now() > deadline {
                let _ = self.qemu.kill();
                panic!("the board did not power off within {within:?}:\n{}", tail(&self.since_start()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        let _ = self.qemu.kill();
        let _ = self.qemu.wait();
    }
}

fn tail(text: &str) -> String {
    let start = text.len().saturating_sub(6000);
    let start = (start..text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(0);
    text[start..].to_owned()
}

/// The number after `what:` in `webcti check`'s report.
fn count(report: &str, what: &str) -> u64 {
    report
        .lines()
        .find_map(|l| {
            l.trim().strip_prefix(what).and_then(|r| r.trim_start_matches(':').trim().split(' ').next())
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {what:?} in {report}"))
}

/// Serves one file once over HTTP, as a laptop beside the board would.
fn serve_once(file: PathBuf) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("the board fetches the file");
        let mut head = [0u8; 2048];
        let _ = conn.read(&mut head);
        let body = std::fs::read(&file).expect("upgrade file");
        let _ = write!(conn, "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
        let _ = conn.write_all(&body);
    });
    port
}

#[test]
fn the_image_boots_keeps_its_data_resets_when_hung_and_upgrades() {
    let rig = Rig::new();
    let (client, pinned) = pinned_client();
    let admin_password = "first-admin-password-1";

    // First boot: the data partition is formatted, the service makes its key and
    // the setup secret, and runs as its own user.
    let mut board = rig.power_on();
    let first_ready = board.wait_ready(&rig, &client);
    let console = board.since_start();
    assert!(console.contains("first boot: formatting the data partition"), "{}", tail(&console));
    assert!(console.contains("dropped root uid=100"), "{}", tail(&console));
    assert!(console.contains("starting slot a: webcti"), "{}", tail(&console));
    let secret = console
        .lines()
        .find(|l| l.contains("one-time setup secret"))
        .and_then(|l| l.split_whitespace().find(|w| w.len() == 19 && w.matches('-').count() == 3))
        .unwrap_or_else(|| panic!("no setup secret on the console:\n{}", tail(&console)))
        .to_owned();
    let mode = board.run("stat -c '%a %U' /mnt/flash/webcti/setup-secret", Duration::from_secs(30));
    assert!(mode.contains("600 webcti"), "{mode}");
    // The extensions are the core's lines, learnt once the link is up.
    board.wait_for("extensions learnt from the core's lines", board.start, Duration::from_secs(60));
    let mut installer = Browser::new(client.clone(), rig.addr());
    installer.get("/setup");
    let done = installer.post(
        "/setup",
        &[("secret", &secret), ("extension", "100"), ("new", admin_password), ("repeat", admin_password)],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let cert = pinned.cert.lock().expect("lock").clone().expect("a certificate was seen");

    // A clean power-off: the service stops, closes its data and disarms the watchdog.
    writeln!(board.keys, "poweroff").expect("type");
    let (status, console) = board.wait_off(Duration::from_secs(120));
    assert!(status.success(), "{status}");
    assert!(console.contains("watchdog disarmed"), "{}", tail(&console));
    assert!(console.contains("webcti::cli: stopped"), "{}", tail(&console));

    // Second boot: the same certificate (the pinned client refuses any other), the
    // administrator, no setup secret any more.
    let mut board = rig.power_on();
    let second_ready = board.wait_ready(&rig, &client);
    let console = board.since_start();
    assert!(!console.contains("formatting the data partition"), "{}", tail(&console));
    assert!(!console.contains("setup secret"), "{}", tail(&console));
    let mut admin = Browser::new(client.clone(), rig.addr());
    assert_eq!(admin.login("100", admin_password).status, 303);
    assert_eq!(pinned.cert.lock().expect("lock").as_deref(), Some(cert.as_slice()));

    // A hung service: it stops feeding the watchdog, which resets the board, and the
    // service comes back on its own.
    let hung_at = board.now();
    writeln!(board.keys, "kill -STOP $(cat /run/webcti.pid)").expect("type");
    board.wait_for("initramfs: starting slot a", hung_at, Duration::from_secs(150));
    board.start = hung_at;
    board.booted_at = Instant::now();
    board.wait_ready(&rig, &client);
    assert_eq!(Browser::new(client.clone(), rig.addr()).login("100", admin_password).status, 303);

    // A service that stops on a bug (a release build aborts on a panic, as on
    // this signal): it is started again at once, the board is not reset, and
    // the data are there.
    let crashed_at = board.now();
    writeln!(board.keys, "kill -ABRT $(cat /run/webcti.pid)").expect("type");
    board.wait_for("webcti: stopped with status 134; starting it again", crashed_at, Duration::from_secs(60));
    board.start = crashed_at;
    board.booted_at = Instant::now();
    board.wait_ready(&rig, &client);
    assert!(!board.since_start().contains("initramfs: starting slot"), "{}", tail(&board.since_start()));
    assert_eq!(Browser::new(client.clone(), rig.addr()).login("100", admin_password).status, 303);

    // The upgrade: the next release's file, fetched from a laptop, into slot B.
    let upgrade =
        PathBuf::from(std::env::var_os("WEBCTI_UPGRADE").expect("WEBCTI_UPGRADE: run `make boot-test`"));
    let next_release = read_release(&upgrade);
    // The exchange's own calls have left records by now (the simulator places
    // them); the backup is taken on the old release.
    let deadline = Instant::now() + Duration::from_secs(120);
    let before = loop {
        let report = board.run("webcti backup /mnt/flash/before-upgrade.db", Duration::from_secs(60));
        if count(&report, "call records") > 0 || Instant::now() > deadline {
            break report;
        }
    };
    let cdrs_before = count(&before, "call records");
    assert!(cdrs_before > 0 && before.contains("== done 0"), "{before}");
    let port = serve_once(upgrade);
    let fetched =
        board.run(&format!("wget -q -O /tmp/next.upgrade http://10.0.2.2:{port}/"), Duration::from_secs(60));
    assert!(fetched.contains("== done 0"), "{fetched}");
    let installed = board.run("webcti upgrade /tmp/next.upgrade", Duration::from_secs(120));
    assert!(installed.contains("is in slot b") && installed.contains("== done 0"), "{installed}");
    let rebooted_at = board.now();
    writeln!(board.keys, "reboot").expect("type");
    board.wait_for("trying the upgrade in slot b", rebooted_at, BOOT);
    board.wait_for(&format!("starting slot b: webcti {next_release}"), rebooted_at, BOOT);
    board.start = rebooted_at;
    board.booted_at = Instant::now();
    board.wait_ready(&rig, &client);
    board.wait_for("the upgrade in slot b is committed", rebooted_at, Duration::from_secs(120));
    assert_eq!(Browser::new(client.clone(), rig.addr()).login("100", admin_password).status, 303);
    let after = board.run("webcti check; cat /mnt/flash/boot/slot", Duration::from_secs(60));
    assert!(count(&after, "call records") >= cdrs_before, "{before}\n{after}");
    assert!(after.contains("\nb\n"), "{after}");

    // The old release's backup restores on the new one (the service stopped for it).
    let restarted_at = board.now();
    let restored = board.run(
        "/etc/init.d/S90webcti stop && webcti restore /mnt/flash/before-upgrade.db && /etc/init.d/S90webcti start",
        Duration::from_secs(120),
    );
    assert!(
        restored.contains("restored /mnt/flash/before-upgrade.db") && restored.contains("== done 0"),
        "{restored}"
    );
    board.start = restarted_at;
    board.wait_ready(&rig, &client);
    assert_eq!(Browser::new(client.clone(), rig.addr()).login("100", admin_password).status, 303);
    let after = board.run("webcti check", Duration::from_secs(60));
    assert!(count(&after, "call records") >= cdrs_before, "{before}\n{after}");

    // An upgrade into slot A that does not even mount (its partition wiped): the
    // board goes straight back to slot B, which it had committed.
    let wiped = board.run(
        "dd if=/dev/zero of=/dev/disk/by-partlabel/rootA bs=1M count=4 2>/dev/null && echo a > /mnt/flash/boot/try && sync",
        Duration::from_secs(60),
    );
    assert!(wiped.contains("== done 0"), "{wiped}");
    let fallback_at = board.now();
    writeln!(board.keys, "reboot").expect("type");
    board.wait_for("the upgrade does not mount; back to slot b", fallback_at, BOOT);
    board.wait_for(&format!("starting slot b: webcti {next_release}"), fallback_at, BOOT);
    board.start = fallback_at;
    board.booted_at = Instant::now();
    board.wait_ready(&rig, &client);
    assert_eq!(Browser::new(client.clone(), rig.addr()).login("100", admin_password).status, 303);

    writeln!(board.keys, "poweroff").expect("type");
    let (status, console) = board.wait_off(Duration::from_secs(120));
    assert!(status.success(), "{status}");
    assert!(console.contains("watchdog disarmed"), "{}", tail(&console));
    eprintln!(
        "boot to first HTTPS answer under emulation: first boot {:.1} s, second {:.1} s",
        first_ready.as_secs_f64(),
        second_ready.as_secs_f64()
    );
}

/// The release an upgrade file names in its header.
fn read_release(file: &Path) -> String {
    let mut head = vec![0u8; 4096];
    let n = std::fs::File::open(file).and_then(|mut f| f.read(&mut head)).expect("upgrade file");
    String::from_utf8_lossy(&head[..n])
        .lines()
        .find_map(|l| l.strip_prefix("release ").map(str::to_owned))
        .expect("a release line")
}
