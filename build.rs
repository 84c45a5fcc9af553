//! Deflates the text the binary carries (see `src/packed.rs`): each file
//! below becomes `$OUT_DIR/<its path>.z`, which `packed!` includes. And links
//! the aarch64 board's release binary without unwinding tables
//! (`cross/no-unwind-tables.ld`).

use std::path::{Path, PathBuf};

/// Every file `packed!` names, with the folders whose files all are.
const FILES: &[&str] =
    &["docs/openapi.json", "web/static/style.css", "web/static/app.js", "web/static/live.js"];
const FOLDERS: &[&str] = &["web/i18n", "src/store/schema"];

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut files: Vec<PathBuf> = FILES.iter().map(PathBuf::from).collect();
    for folder in FOLDERS {
        println!("cargo:rerun-if-changed={folder}");
        let entries = std::fs::read_dir(folder).unwrap_or_else(|e| panic!("{folder}: {e}"));
        files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
    }
    for file in files {
        println!("cargo:rerun-if-changed={}", file.display());
        pack(&file, &out.join(file.with_extension(extension(&file))));
    }
    drop_unwind_tables();
}

/// The aarch64 board's release binary aborts on a panic (Cargo.toml's release
/// profile), so nothing unwinds: the linker drops the call frame tables (0.9 MB
/// of the 6 MiB budget). Only there: tests unwind, and armv7 keeps its tables.
/// (`CARGO_CFG_PANIC` cannot tell: it names the target's strategy, not the
/// profile's.)
fn drop_unwind_tables() {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let board = var("CARGO_CFG_TARGET_ARCH") == "aarch64" && var("CARGO_CFG_TARGET_ENV") == "musl";
    if !board || var("PROFILE") != "release" {
        return;
    }
    let script = Path::new(&var("CARGO_MANIFEST_DIR")).join("cross/no-unwind-tables.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
    println!("cargo:rustc-link-arg-bins=-Wl,--no-eh-frame-hdr");
}

fn extension(file: &Path) -> String {
    format!("{}.z", file.extension().and_then(|e| e.to_str()).unwrap_or_default())
}

fn pack(from: &Path, to: &Path) {
    let text = std::fs::read(from).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    let packed = miniz_oxide::deflate::compress_to_vec(&text, 10);
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    std::fs::write(to, packed).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
}
