//! Running unprivileged: the service binds its ports as root, hands its data
//! directory to the board's service user and then becomes that user for good.

use std::path::Path;

use nix::unistd::{geteuid, setgid, setgroups, setuid, Gid, Uid, User};

#[derive(Debug, thiserror::Error)]
pub enum PrivilegeError {
    #[error("service user {0:?} does not exist; create it or change service.user in the board file")]
    NoSuchUser(String),
    #[error("cannot look up service user {user:?}: {source}")]
    Lookup { user: String, source: nix::Error },
    #[error("cannot hand {path} to the service user: {source}")]
    Chown { path: String, source: nix::Error },
    #[error("cannot switch to service user {user:?}: {source}")]
    Switch { user: String, source: nix::Error },
    #[error("still able to become root after dropping privileges; refusing to run")]
    Regained,
}

/// What happened to the process's identity.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No user is configured: the process keeps its identity.
    Kept,
    /// Not started as root: nothing to drop.
    NotRoot,
    /// Now running as this uid and gid.
    Dropped { uid: u32, gid: u32 },
}

/// Becomes `user` (when started as root), after handing `data_dir` to it.
pub fn drop_to(user: &str, data_dir: &Path) -> Result<Outcome, PrivilegeError> {
    if user.is_empty() {
        return Ok(Outcome::Kept);
    }
    if !geteuid().is_root() {
        return Ok(Outcome::NotRoot);
    }
    let entry = User::from_name(user)
        .map_err(|source| PrivilegeError::Lookup { user: user.to_owned(), source })?
        .ok_or_else(|| PrivilegeError::NoSuchUser(user.to_owned()))?;
    // The data directory itself may be a link the board's maker set up: it is
    // resolved once; below it, nothing is followed.
    let root = data_dir.canonicalize().unwrap_or_else(|_| data_dir.to_path_buf());
    chown_tree(&root, entry.uid, entry.gid)?;
    let switch = |source| PrivilegeError::Switch { user: user.to_owned(), source };
    setgroups(&[entry.gid]).map_err(switch)?;
    setgid(entry.gid).map_err(switch)?;
    setuid(entry.uid).map_err(switch)?;
    if setuid(Uid::from_raw(0)).is_ok() {
        return Err(PrivilegeError::Regained);
    }
    Ok(Outcome::Dropped { uid: entry.uid.as_raw(), gid: entry.gid.as_raw() })
}

/// Hands `path` and everything below it to `uid`/`gid`. Links are never
/// followed: a link is handed over itself (`lchown`), never its target, and a
/// linked directory is not entered, so nothing outside the tree changes hands.
fn chown_tree(path: &Path, uid: Uid, gid: Gid) -> Result<(), PrivilegeError> {
    let err = |source| PrivilegeError::Chown { path: path.display().to_string(), source };
    let io = |e: std::io::Error| err(nix::Error::from_raw(e.raw_os_error().unwrap_or(0)));
    let meta = path.symlink_metadata().map_err(io)?;
    std::os::unix::fs::lchown(path, Some(uid.as_raw()), Some(gid.as_raw())).map_err(io)?;
    if meta.file_type().is_dir() {
        let entries =
            std::fs::read_dir(path).map_err(|e| err(nix::Error::from_raw(e.raw_os_error().unwrap_or(0))))?;
        for entry in entries.flatten() {
            chown_tree(&entry.path(), uid, gid)?;
        }
    }
    Ok(())
}
