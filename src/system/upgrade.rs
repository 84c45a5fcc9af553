//! `webcti upgrade FILE`: new firmware into the root slot that is not running.
//!
//! A board with an image has two root file systems, A and B, and a data partition
//! that an upgrade never touches. An upgrade file is a short text header and the
//! new root file system. It is checked (this board's, whole, not a downgrade of the
//! data's schema), written to the other slot, read back, and only then is the boot
//! loader told to try that slot once (`try` in its directory on the data
//! partition). The boot loader renames `try` to `trying` as it starts the new slot;
//! once the service answers there, the board's init commits it as `slot`. A new
//! slot that never comes up (the watchdog resets the board) is left: the next boot
//! finds `trying` and starts the old slot again.
//!
//! The header, version 1 (a format of its own: a change is a new version):
//!
//! ```text
//! webcti-upgrade 1
//! board arm64-ref
//! version 0.1.0
//! release 0.1.0-57-g06db018
//! schema 10
//! root-bytes 9834496
//! root-sha256 3b1f...e0
//!
//! ```
//!
//! then exactly `root-bytes` bytes of the root file system.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::config::Upgrade;

/// The first line of every upgrade file of this version.
pub const MAGIC: &str = "webcti-upgrade 1";
/// The longest header read before giving up on a file.
pub const MAX_HEADER: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error("{0}: not a webcti upgrade file (it must start with {MAGIC:?})")]
    NotUpgrade(String),
    #[error("{file}: the header is damaged: {why}")]
    Header { file: String, why: String },
    #[error("{file} is for the board {image:?}; this board is {board:?}")]
    OtherBoard { file: String, image: String, board: String },
    #[error(
        "refused: the data on this board is at schema version {data}, and the firmware in {file} ({version}) \
         reads up to {image}, so it could not start on it. To go back to that version anyway, run \
         `webcti upgrade {file} --downgrade`; after the reboot, restore a backup made on that version \
         with `webcti restore BACKUP` and start the service again"
    )]
    Downgrade { file: String, version: String, data: i64, image: i64 },
    #[error("{file} is damaged: its root file system has {found} bytes, {expected} announced")]
    Short { file: String, found: u64, expected: u64 },
    #[error("{what} is damaged: its SHA-256 is {found}, {expected} expected")]
    Checksum { what: String, found: String, expected: String },
    #[error("slot {slot} ({device}) holds {capacity} bytes; the new root file system needs {needed}")]
    TooBig { slot: char, device: String, capacity: u64, needed: u64 },
    #[error("cannot tell which slot is running: {path} says {found:?} (a or b expected)")]
    Running { path: String, found: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> UpgradeError + '_ {
    move |source| UpgradeError::Io { path: path.display().to_string(), source }
}

/// What an upgrade file says of itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub board: String,
    pub version: String,
    pub release: String,
    /// The newest database schema its firmware reads.
    pub schema: i64,
    pub root_bytes: u64,
    pub root_sha256: String,
}

impl Manifest {
    /// The header as it is written before the root file system.
    pub fn header(&self) -> String {
        format!(
            "{MAGIC}\nboard {}\nversion {}\nrelease {}\nschema {}\nroot-bytes {}\nroot-sha256 {}\n\n",
            self.board, self.version, self.release, self.schema, self.root_bytes, self.root_sha256
        )
    }

    /// Reads the header from the start of `input`, leaving it at the root file system.
    pub fn read(file: &str, input: &mut impl BufRead) -> Result<Manifest, UpgradeError> {
        let damaged = |why: String| UpgradeError::Header { file: file.to_owned(), why };
        let mut lines = Vec::new();
        let mut taken = 0usize;
        loop {
            let mut line = Vec::new();
            let limit = (MAX_HEADER - taken) as u64;
            let n = input.take(limit).read_until(b'\n', &mut line).map_err(io(Path::new(file)))?;
            taken += n;
            if n == 0 || line.last() != Some(&b'\n') {
                return match lines.is_empty() {
                    true => Err(UpgradeError::NotUpgrade(file.to_owned())),
                    false => Err(damaged(format!("no blank line ends it within {MAX_HEADER} bytes"))),
                };
            }
            let Ok(text) = String::from_utf8(line) else {
                return Err(UpgradeError::NotUpgrade(file.to_owned()));
            };
            let text = text.trim_end_matches('\n').to_owned();
            if lines.is_empty() && text != MAGIC {
                return Err(UpgradeError::NotUpgrade(file.to_owned()));
            }
            if text.is_empty() {
                break;
            }
            lines.push(text);
        }
        let mut fields = std::collections::BTreeMap::new();
        for line in &lines[1..] {
            let (key, value) =
                line.split_once(' ').ok_or_else(|| damaged(format!("{line:?} has no value")))?;
            if !matches!(key, "board" | "version" | "release" | "schema" | "root-bytes" | "root-sha256") {
                return Err(damaged(format!("unknown field {key:?}")));
            }
            if fields.insert(key, value.to_owned()).is_some() {
                return Err(damaged(format!("{key:?} twice")));
            }
        }
        let mut field = |key: &str| fields.remove(key).ok_or_else(|| damaged(format!("no {key:?}")));
        let number = |key: &str, v: String| v.parse::<u64>().map_err(|_| damaged(format!("{key} {v:?}")));
        let board = field("board")?;
        let version = field("version")?;
        let release = field("release")?;
        let schema = number("schema", field("schema")?)?;
        let root_bytes = number("root-bytes", field("root-bytes")?)?;
        let root_sha256 = field("root-sha256")?;
        if root_sha256.len() != 64 || !root_sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(damaged(format!("root-sha256 {root_sha256:?} is not 64 hex digits")));
        }
        if root_bytes == 0 || schema == 0 || schema > i64::MAX as u64 {
            return Err(damaged("root-bytes and schema must be above 0".into()));
        }
        Ok(Manifest {
            board,
            version,
            release,
            schema: schema as i64,
            root_bytes,
            root_sha256: root_sha256.to_ascii_lowercase(),
        })
    }
}

/// What `webcti upgrade` was asked to do.
pub struct Request<'a> {
    pub file: &'a Path,
    /// The board file's `board.name`.
    pub board: &'a str,
    /// The schema version of the board's database, when there is one.
    pub data_schema: Option<i64>,
    /// Written even when its firmware cannot read the data (`--downgrade`).
    pub downgrade: bool,
}

/// What was done.
#[derive(Debug)]
pub struct Written {
    pub manifest: Manifest,
    pub slot: char,
    pub device: PathBuf,
}

/// Checks the file and writes it into the slot that is not running; then tells
/// the boot loader to try that slot once at the next boot.
pub fn install(slots: &Upgrade, req: &Request<'_>) -> Result<Written, UpgradeError> {
    let name = req.file.display().to_string();
    let mut input = BufReader::new(File::open(req.file).map_err(io(req.file))?);
    let manifest = Manifest::read(&name, &mut input)?;
    if manifest.board != req.board {
        return Err(UpgradeError::OtherBoard {
            file: name,
            image: manifest.board,
            board: req.board.to_owned(),
        });
    }
    if let Some(data) = req.data_schema.filter(|d| *d > manifest.schema && !req.downgrade) {
        return Err(UpgradeError::Downgrade {
            file: name,
            version: manifest.release.clone(),
            data,
            image: manifest.schema,
        });
    }
    let start = input.stream_position().map_err(io(req.file))?;
    let total = input.get_ref().metadata().map_err(io(req.file))?.len();
    if total - start != manifest.root_bytes {
        return Err(UpgradeError::Short { file: name, found: total - start, expected: manifest.root_bytes });
    }

    let running = std::fs::read_to_string(&slots.running).map_err(io(&slots.running))?;
    let (slot, device) = match running.trim() {
        "a" => ('b', slots.slots[1].clone()),
        "b" => ('a', slots.slots[0].clone()),
        other => {
            return Err(UpgradeError::Running {
                path: slots.running.display().to_string(),
                found: other.to_owned(),
            })
        }
    };
    let mut out = OpenOptions::new().read(true).write(true).open(&device).map_err(io(&device))?;
    let capacity = out.seek(SeekFrom::End(0)).map_err(io(&device))?;
    if capacity < manifest.root_bytes {
        return Err(UpgradeError::TooBig {
            slot,
            device: device.display().to_string(),
            capacity,
            needed: manifest.root_bytes,
        });
    }
    out.seek(SeekFrom::Start(0)).map_err(io(&device))?;
    // Written through the hash, so what is checked is what went to the slot.
    let written = copy_hashed(&mut input, Some(&mut out), manifest.root_bytes, req.file, &device)?;
    if written != manifest.root_sha256 {
        return Err(UpgradeError::Checksum { what: name, found: written, expected: manifest.root_sha256 });
    }
    out.sync_all().map_err(io(&device))?;
    // Read back: flash that took the bytes wrongly is found before it is booted.
    out.seek(SeekFrom::Start(0)).map_err(io(&device))?;
    let back = copy_hashed(&mut out, None, manifest.root_bytes, &device, &device)?;
    if back != manifest.root_sha256 {
        return Err(UpgradeError::Checksum {
            what: format!("slot {slot} ({}) read back", device.display()),
            found: back,
            expected: manifest.root_sha256,
        });
    }
    std::fs::create_dir_all(&slots.state_dir).map_err(io(&slots.state_dir))?;
    let _ = std::fs::remove_file(slots.state_dir.join("trying"));
    super::files::write_public(&slots.state_dir.join("try"), format!("{slot}\n").as_bytes())
        .map_err(io(&slots.state_dir))?;
    Ok(Written { manifest, slot, device })
}

/// Copies `len` bytes from `from` (into `to`, when given); their SHA-256 in hex.
fn copy_hashed(
    from: &mut impl Read,
    mut to: Option<&mut File>,
    len: u64,
    from_path: &Path,
    to_path: &Path,
) -> Result<String, UpgradeError> {
    let mut hash = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 256 * 1024];
    let mut left = len;
    while left > 0 {
        let want = buf.len().min(left as usize);
        let n = from.read(&mut buf[..want]).map_err(io(from_path))?;
        if n == 0 {
            return Err(UpgradeError::Short {
                file: from_path.display().to_string(),
                found: len - left,
                expected: len,
            });
        }
        hash.update(&buf[..n]);
        if let Some(out) = to.as_deref_mut() {
            out.write_all(&buf[..n]).map_err(io(to_path))?;
        }
        left -= n as u64;
    }
    Ok(hash.finish().as_ref().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            board: "arm64-ref".into(),
            version: "0.1.0".into(),
            release: "0.1.0-57-g06db018".into(),
            schema: 10,
            root_bytes: 4096,
            root_sha256: "ab".repeat(32),
        }
    }

    /// Version 1 as released: this text must always read the same.
    #[test]
    fn the_version_1_header_reads() {
        let text = "webcti-upgrade 1\nboard arm64-ref\nversion 0.1.0\nrelease 0.1.0-57-g06db018\n\
                    schema 10\nroot-bytes 4096\nroot-sha256 ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB\n\nROOT";
        let mut input = std::io::Cursor::new(text.as_bytes());
        assert_eq!(Manifest::read("f", &mut input).expect("reads"), manifest());
        let mut rest = String::new();
        input.read_to_string(&mut rest).expect("rest");
        assert_eq!(rest, "ROOT");
        assert_eq!(
            manifest().header(),
            text.trim_end_matches("ROOT").replace(&"AB".repeat(32), &"ab".repeat(32))
        );
    }

    #[test]
    fn damaged_headers_are_refused() {
        let good = manifest().header();
        let cases: Vec<(String, &str)> = vec![
            ("hsqs\0\0garbage".into(), "not a webcti upgrade file"),
            (String::new(), "not a webcti upgrade file"),
            ("webcti-upgrade 2\nboard x\n\n".into(), "not a webcti upgrade file"),
            (good.replace("schema 10\n", ""), "no \"schema\""),
            (good.replace("schema 10", "schema ten"), "schema \"ten\""),
            (good.replace("board arm64-ref", "board arm64-ref\nboard sim"), "\"board\" twice"),
            (good.replace("version 0.1.0\n", "version 0.1.0\nsigned-by me\n"), "unknown field"),
            (good.replace(&"ab".repeat(32), "abc"), "not 64 hex digits"),
            (good.replace("root-bytes 4096", "root-bytes 0"), "above 0"),
            (good.replace("\n\n", "\n"), "no blank line"),
            (format!("{MAGIC}\n{}", "x y\n".repeat(2000)), "no blank line"),
            (format!("{MAGIC}\nboard {}\n", "x".repeat(5000)), "no blank line"),
        ];
        for (text, expected) in cases {
            let err = Manifest::read("f", &mut std::io::Cursor::new(text.as_bytes())).expect_err(&text);
            assert!(err.to_string().contains(expected), "{:?}: {err}", &text[..text.len().min(80)]);
        }
    }
}
