//! The last step of `make bench`: the aarch64 binary's size (the Makefile builds
//! it first), then every figure the benches recorded, with its target, as one
//! table (see `benches/common/report.rs`).

#[path = "common/report.rs"]
mod report;

/// The budget for the stripped aarch64 binary with all web assets.
const SIZE_BUDGET: u64 = 6 * 1024 * 1024;

fn main() {
    let binary = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/aarch64-unknown-linux-musl/release/webcti");
    match std::fs::metadata(&binary) {
        Ok(m) => report::figure(
            "aarch64 binary, stripped, with all web assets",
            format!("{} bytes", m.len()),
            &format!("≤ {SIZE_BUDGET} bytes (6 MiB)"),
            m.len() <= SIZE_BUDGET,
        ),
        Err(e) => eprintln!("{}: {e} (make bench builds it)", binary.display()),
    }
    println!("== every figure, with its target ==");
    print!("{}", report::table());
}
