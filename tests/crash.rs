//! The crash test: a child process writes call records through the store and
//! prints each id once its commit is acknowledged; it is killed with SIGKILL at a
//! random moment, many times. After every kill the database must open, pass
//! `integrity_check`, and hold every acknowledged id.
//!
//! `CRASH_ITERATIONS` sets the number of kills (`make soak` runs a thousand).

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

const DEFAULT_ITERATIONS: u32 = 30;

/// The example program built beside this test (`examples/cdr_writer.rs`).
fn writer_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target dir");
    dir.join("examples").join("cdr_writer")
}

fn writer_command() -> Command {
    assert!(
        writer_bin().exists(),
        "{} is missing: plain `cargo test` builds it (or `cargo build --examples`)",
        writer_bin().display()
    );
    match std::env::var("WEBCTI_TEST_RUNNER") {
        Ok(runner) if !runner.is_empty() => {
            let mut c = Command::new(runner);
            c.arg(writer_bin());
            c
        }
        _ => Command::new(writer_bin()),
    }
}

fn random_below(n: u32) -> u32 {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).expect("random");
    u32::from_le_bytes(b) % n
}

#[test]
fn acknowledged_records_survive_sigkill() {
    let iterations =
        std::env::var("CRASH_ITERATIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_ITERATIONS);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("webcti.db");
    let mut acked: Vec<i64> = Vec::new();
    for round in 0..iterations {
        let first = u64::from(round) * 10_000_000;
        let mut child = writer_command()
            .arg(&db)
            .arg(first.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start writer");
        let out = child.stdout.take().expect("stdout");
        // Kill after a random number of acknowledgements: a random moment in the
        // middle of the writer's batches.
        let kill_after = 1 + random_below(400);
        let mut lines = BufReader::new(out).lines();
        let mut seen = 0;
        while seen < kill_after {
            match lines.next() {
                Some(Ok(line)) => {
                    acked.push(line.trim().parse().expect("an id per line"));
                    seen += 1;
                }
                _ => panic!("the writer ended by itself in round {round}"),
            }
        }
        child.kill().expect("SIGKILL");
        // Ids acknowledged between our last read and the kill count too.
        for line in lines.map_while(Result::ok) {
            if let Ok(id) = line.trim().parse() {
                acked.push(id);
            }
        }
        let _ = child.wait();

        let conn = rusqlite::Connection::open(&db).expect("the database opens after a kill");
        let check: String =
            conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("integrity_check");
        assert_eq!(check, "ok", "round {round}");
        let mut stmt = conn.prepare("SELECT count(*) FROM cdr WHERE core_id = ?1").expect("prepare");
        for id in &acked {
            let n: i64 = stmt.query_row([id], |r| r.get(0)).expect("query");
            assert_eq!(n, 1, "acknowledged id {id} lost in round {round}");
        }
    }
    eprintln!("{iterations} kills, {} acknowledged records, all present", acked.len());
}
