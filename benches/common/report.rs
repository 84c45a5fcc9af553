//! The figures of issue 17 as `make bench` collects them: each bench adds its
//! rows to `target/bench-report.tsv`, and `benches/table.rs` prints them as one
//! table at the end of the run (the Makefile empties the file first).
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;

fn file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-report.tsv")
}

/// One row: what was measured, the figure, the target, and whether it is met.
pub fn figure(what: &str, now: String, target: &str, met: bool) {
    let clean = |s: &str| s.replace(['\t', '\n'], " ");
    let line =
        format!("{}\t{}\t{}\t{}\n", clean(what), clean(&now), clean(target), if met { "yes" } else { "NO" });
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file())
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        eprintln!("bench report: {e}");
    }
}

/// Every row so far, as a Markdown table.
pub fn table() -> String {
    let rows = std::fs::read_to_string(file()).unwrap_or_default();
    let mut out = String::from("| figure | now | target | met |\n|---|---|---|---|\n");
    for row in rows.lines() {
        out.push_str(&format!("| {} |\n", row.split('\t').collect::<Vec<_>>().join(" | ")));
    }
    out
}
