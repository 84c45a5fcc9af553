//! Files on flash written whole or not at all: a temporary name, fsync, rename,
//! so a power cut never leaves half a key or secret behind. The temporary file
//! has a random name and is opened with `O_EXCL | O_NOFOLLOW`: a link planted
//! in the directory is never followed, and no existing file is written to.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Creates `dir` (and its parents) and makes it private to the service user.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

/// The bytes free for the service user on the file system holding `dir`.
pub fn free_bytes(dir: &Path) -> io::Result<u64> {
    let s = nix::sys::statvfs::statvfs(dir).map_err(io::Error::from)?;
    Ok(s.blocks_available() as u64 * s.fragment_size() as u64)
}

/// Writes a file only the service user can read (mode 0600).
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic(path, bytes, 0o600)
}

/// Writes a file anyone may read (mode 0644).
pub fn write_public(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic(path, bytes, 0o644)
}

fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", super::random::hex_token(8)?));
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .mode(mode)
        .open(&tmp)?;
    let written = f.write_all(bytes).and_then(|()| f.sync_all()).and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    // The rename is durable only once the directory is synced.
    if let Some(dir) = path.parent() {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_planted_link_is_replaced_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim");
        fs::write(&victim, "keep me").expect("victim");
        let key = dir.path().join("device.key");
        symlink(&victim, &key).expect("link");
        symlink(&victim, dir.path().join("device.tmp")).expect("old temporary name");
        write_private(&key, b"secret").expect("written");
        assert_eq!(fs::read_to_string(&victim).expect("victim"), "keep me", "the link's target is untouched");
        assert!(!fs::symlink_metadata(&key).expect("key").file_type().is_symlink());
        assert_eq!(fs::read(&key).expect("key"), b"secret");
        assert_eq!(fs::metadata(&key).expect("key").permissions().mode() & 0o777, 0o600);
        let left: Vec<_> = fs::read_dir(dir.path()).expect("dir").flatten().map(|e| e.file_name()).collect();
        assert_eq!(left.len(), 3, "no temporary file left behind: {left:?}");
    }
}
