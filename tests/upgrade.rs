//! `webcti upgrade FILE` on a board with A/B root slots (here files standing in for
//! the partitions): the file is checked before anything is written, goes into the
//! slot that is not running, and only a whole, verified copy tells the boot loader
//! to try that slot. A file whose firmware could not read the data is refused with
//! what to do instead. (The same path on the emulated board: tests/boot.rs.)

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

const SLOT_BYTES: usize = 64 * 1024;

struct Board {
    dir: tempfile::TempDir,
    board: PathBuf,
}

impl Board {
    fn new(running: &str) -> Board {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("data");
        for slot in ["rootA", "rootB"] {
            std::fs::write(dir.path().join(slot), vec![0u8; SLOT_BYTES]).expect("slot");
        }
        std::fs::write(dir.path().join("running"), running).expect("running");
        let board = dir.path().join("board.toml");
        let text = format!(
            "{}\n[upgrade]\nslots = [\"{a}\", \"{b}\"]\nstate_dir = \"{state}\"\nrunning = \"{run}\"\n",
            support::board_file(&data, ""),
            a = dir.path().join("rootA").display(),
            b = dir.path().join("rootB").display(),
            state = dir.path().join("boot").display(),
            run = dir.path().join("running").display(),
        );
        std::fs::write(&board, text).expect("board file");
        Board { dir, board }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn upgrade(&self, file: &Path, more: &[&str]) -> Output {
        support::command()
            .arg("upgrade")
            .arg(file)
            .args(more)
            .arg("--board")
            .arg(&self.board)
            .output()
            .expect("webcti upgrade")
    }

    fn slot(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).expect("slot")
    }
}

fn sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// An upgrade file as `make image` writes it (board/image.sh).
fn upgrade_file(dir: &Path, name: &str, board: &str, schema: i64, root: &[u8], announced: usize) -> PathBuf {
    let mut file = format!(
        "webcti-upgrade 1\nboard {board}\nversion 0.1.0\nrelease r-{name}\nschema {schema}\nroot-bytes {announced}\nroot-sha256 {}\n\n",
        sha256(root)
    )
    .into_bytes();
    file.extend_from_slice(root);
    let path = dir.join(format!("{name}.upgrade"));
    std::fs::write(&path, file).expect("upgrade file");
    path
}

fn root(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn refused(out: &Output, expected: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains(expected), "{err}");
}

#[test]
fn an_upgrade_goes_into_the_other_slot_and_is_tried_once() {
    let board = Board::new("a\n");
    let new_root = root(20_000);
    let file =
        upgrade_file(board.dir.path(), "good", "test", webcti::store::SCHEMA_VERSION, &new_root, 20_000);
    let out = board.upgrade(&file, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("r-good") && said.contains("is in slot b"), "{said}");
    assert_eq!(&board.slot("rootB")[..new_root.len()], new_root.as_slice());
    assert_eq!(board.slot("rootA"), vec![0u8; SLOT_BYTES], "the running slot is never written");
    assert_eq!(std::fs::read_to_string(board.path("boot/try")).expect("try"), "b\n");

    // Running B (after the boot loader committed it), the next one goes into A.
    std::fs::write(board.path("running"), "b\n").expect("running");
    let again = board.upgrade(&file, &[]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(&board.slot("rootA")[..new_root.len()], new_root.as_slice());
    assert_eq!(std::fs::read_to_string(board.path("boot/try")).expect("try"), "a\n");
}

#[test]
fn a_file_that_does_not_fit_this_board_changes_nothing() {
    let board = Board::new("a\n");
    let dir = board.dir.path();
    let schema = webcti::store::SCHEMA_VERSION;
    let good = root(10_000);

    let other = upgrade_file(dir, "other", "armv7-ref", schema, &good, good.len());
    refused(&board.upgrade(&other, &[]), "is for the board \"armv7-ref\"; this board is \"test\"");
    let short = upgrade_file(dir, "short", "test", schema, &good, good.len() + 1);
    refused(&board.upgrade(&short, &[]), "has 10000 bytes, 10001 announced");
    let big = root(SLOT_BYTES + 1);
    let big = upgrade_file(dir, "big", "test", schema, &big, big.len());
    refused(&board.upgrade(&big, &[]), "holds 65536 bytes; the new root file system needs 65537");
    let not = dir.join("photo.jpg");
    std::fs::write(&not, b"\xff\xd8\xff\xe0 JFIF").expect("file");
    refused(&board.upgrade(&not, &[]), "not a webcti upgrade file");
    // A root that is not what its header says: found while it is written, and the
    // boot loader is not told to try it.
    let damaged = upgrade_file(dir, "damaged", "test", schema, &good, good.len());
    let mut bytes = std::fs::read(&damaged).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    std::fs::write(&damaged, bytes).expect("write");
    refused(&board.upgrade(&damaged, &[]), "is damaged: its SHA-256 is");
    std::fs::write(board.path("running"), "?\n").expect("running");
    let fine = upgrade_file(dir, "fine", "test", schema, &good, good.len());
    refused(&board.upgrade(&fine, &[]), "cannot tell which slot is running");

    assert!(!board.path("boot/try").exists(), "no refused file is ever tried");
    assert_eq!(board.slot("rootA"), vec![0u8; SLOT_BYTES]);

    // A board without slots is not run from an image.
    let plain = dir.join("plain.toml");
    std::fs::write(&plain, support::board_file(&dir.join("data"), "")).expect("board file");
    let out = support::command().arg("upgrade").arg(&fine).arg("--board").arg(&plain).output().expect("run");
    refused(&out, "has no [upgrade] slots");
}

#[test]
fn a_downgrade_below_the_data_schema_is_refused_with_the_way_back() {
    let board = Board::new("a\n");
    support::portal::seeded_db(&board.path("data"));
    let old = upgrade_file(board.dir.path(), "old", "test", 1, &root(4096), 4096);
    let out = board.upgrade(&old, &[]);
    let data = webcti::store::SCHEMA_VERSION;
    refused(&out, &format!("the data on this board is at schema version {data}"));
    refused(&out, "webcti restore BACKUP");
    assert!(!board.path("boot/try").exists());

    let forced = board.upgrade(&old, &["--downgrade"]);
    assert!(forced.status.success(), "{}", String::from_utf8_lossy(&forced.stderr));
    assert_eq!(std::fs::read_to_string(board.path("boot/try")).expect("try"), "b\n");
}
