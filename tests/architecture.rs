//! The layering, checked mechanically (ARCHITECTURE.md, "Invariants"): reads every
//! file under `src/` and fails when a room imports what it must not.

use std::path::{Path, PathBuf};

/// (room, what it must not name, why)
const RULES: &[(&str, &[&str], &str)] = &[
    (
        "http",
        &["crate::store", "crate::hal", "crate::sim"],
        "http calls services; it never touches SQL or the core",
    ),
    (
        "domain",
        &[
            "crate::store",
            "crate::hal",
            "crate::http",
            "crate::services",
            "crate::sim",
            "tokio",
            "std::fs",
            "std::net",
            "SystemTime",
            "rusqlite",
        ],
        "domain is pure: no I/O, no clock of its own",
    ),
    ("sim", &["crate::store", "crate::http", "crate::services"], "the simulator keeps its own memory"),
    (
        "services",
        &["crate::sim", "crate::http", "SystemTime"],
        "services never reach the simulator; time comes from the clock",
    ),
    (
        "provision",
        &["crate::store", "crate::hal", "crate::sim", "crate::services", "crate::http"],
        "the API's command-line client speaks HTTPS to the API, like any script",
    ),
    (
        "cti_client",
        &["crate::store", "crate::hal", "crate::sim", "crate::services", "crate::http"],
        "the CTI reference client speaks the protocol like any client",
    ),
    (
        "websocket",
        &["crate::store", "crate::hal", "crate::sim", "crate::services", "crate::http", "crate::domain"],
        "the WebSocket codec knows nothing of the service",
    ),
    (
        "store",
        &["crate::http", "crate::services", "crate::hal", "crate::sim"],
        "the store knows nothing above it",
    ),
];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The room a file belongs to: its first directory under `src/`, or its stem.
fn room(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next().expect("a component").as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_owned()
}

/// The code of a file without its comments (a doc comment may name a room).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every line of `text` that names `what`, as written or through `super::`.
fn offences(room: &str, file: &Path, text: &str, what: &str) -> Vec<String> {
    let target = what.trim_start_matches("crate::");
    let depth = file.components().count();
    let mut found = Vec::new();
    for (i, line) in code(text).lines().enumerate() {
        let named = line.contains(what)
            || (what.starts_with("crate::") && line.contains(&format!("super::{target}")) && depth > 3)
            || (!what.contains("::") && what != "tokio" && line.contains(what))
            || (what == "tokio" && (line.contains("tokio::") || line.contains("use tokio")));
        if named {
            found.push(format!("{}:{} ({room} names {what}): {}", file.display(), i + 1, line.trim()));
        }
    }
    found
}

#[test]
fn rooms_import_only_what_they_may() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut wrong = Vec::new();
    let mut checked = 0;
    for file in &all {
        let room = room(&src, file);
        let text = std::fs::read_to_string(file).expect("readable");
        for (r, banned, why) in RULES {
            if *r != room {
                continue;
            }
            checked += 1;
            for what in *banned {
                for o in offences(&room, file, &text, what) {
                    wrong.push(format!("{o}\n    {why}"));
                }
            }
        }
    }
    assert!(checked > 50, "the rules looked at {checked} files: is src/ where it was?");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_checker_catches_what_it_should() {
    let file = Path::new("src/http/portal.rs");
    assert_eq!(offences("http", file, "use crate::store::Store;", "crate::store").len(), 1);
    assert_eq!(offences("http", file, "// crate::store in a comment", "crate::store").len(), 0);
    assert_eq!(offences("domain", file, "let x = tokio::spawn(f);", "tokio").len(), 1);
    assert_eq!(offences("domain", file, "use std::fs::read;", "std::fs").len(), 1);
}
