//! The desktop CTI client's installer (SPEC W13, A2): a file the administrator
//! uploads (or puts into the data directory's `installer/`), offered for
//! download to subscribers while one is there. An upload is streamed to a
//! temporary file, bounded by [`MAX_BYTES`], and replaces the old installer
//! only once it is whole (renamed into place), so a download never sees half a
//! file and a broken upload changes nothing.

use std::path::PathBuf;

use tokio::io::AsyncWriteExt;

use super::{Context, ServiceError};
use crate::domain::access::{Action, Actor, Target};

/// The directory in the data directory where the installer is put.
pub const DIR: &str = "installer";

/// The largest installer accepted.
pub const MAX_BYTES: u64 = 128 * 1024 * 1024;

/// Why an upload is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InstallerProblem {
    #[error("the file name is not usable (letters, digits, - _ . and spaces)")]
    BadName,
    #[error("the file is larger than the board keeps")]
    TooLarge,
    #[error("the file is empty")]
    Empty,
}

/// An installer being received: written to a temporary file until [`Incoming::finish`].
pub struct Incoming {
    dir: PathBuf,
    name: String,
    tmp: PathBuf,
    file: tokio::fs::File,
    written: u64,
}

fn io_error(e: std::io::Error) -> ServiceError {
    ServiceError::Files(e.to_string())
}

/// A file name a browser may be given back: no path, nothing hidden.
fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_. ".contains(&b))
}

impl Incoming {
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), ServiceError> {
        self.written += chunk.len() as u64;
        if self.written > MAX_BYTES {
            let _ = tokio::fs::remove_file(&self.tmp).await;
            return Err(ServiceError::Invalid(InstallerProblem::TooLarge.into()));
        }
        self.file.write_all(chunk).await.map_err(io_error)
    }

    /// Puts the whole file in place of the old installer.
    pub async fn finish(mut self) -> Result<String, ServiceError> {
        if self.written == 0 {
            let _ = tokio::fs::remove_file(&self.tmp).await;
            return Err(ServiceError::Invalid(InstallerProblem::Empty.into()));
        }
        self.file.flush().await.map_err(io_error)?;
        self.file.sync_all().await.map_err(io_error)?;
        let tmp_name = self.tmp.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        remove_all(&self.dir, &[&self.name, &tmp_name]).await;
        tokio::fs::rename(&self.tmp, self.dir.join(&self.name)).await.map_err(io_error)?;
        tracing::info!(name = %self.name, bytes = self.written, "installer stored");
        Ok(self.name)
    }

    /// Gives up: the temporary file goes, the old installer stays.
    pub async fn abandon(self) {
        let _ = tokio::fs::remove_file(&self.tmp).await;
    }
}

/// Deletes every installer but those in `keep`, and leftovers of broken uploads.
async fn remove_all(dir: &std::path::Path, keep: &[&str]) {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else { return };
    while let Ok(Some(e)) = entries.next_entry().await {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_file = e.file_type().await.map(|t| t.is_file()).unwrap_or(false);
        let temporary = name.starts_with(".upload-");
        if is_file && !keep.contains(&name.as_str()) && (safe_name(&name) || temporary) {
            let _ = tokio::fs::remove_file(e.path()).await;
        }
    }
}

#[derive(Clone)]
pub struct Installer {
    ctx: Context,
    dir: PathBuf,
}

/// The installer file: its name and contents.
pub struct InstallerFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Installer {
    pub fn new(ctx: Context, dir: PathBuf) -> Installer {
        Installer { ctx, dir }
    }

    /// The installer's file name, if there is one.
    #[tracing::instrument(name = "service", skip_all, fields(call = "installer.name", actor = %actor.label(), via = actor.via.code()))]
    pub fn name(&self, actor: &Actor) -> Result<Option<String>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Installer)?;
        Ok(self.find().map(|(name, _)| name))
    }

    /// The installer's file name and size, if there is one.
    #[tracing::instrument(name = "service", skip_all, fields(call = "installer.info", actor = %actor.label(), via = actor.via.code()))]
    pub fn info(&self, actor: &Actor) -> Result<Option<(String, u64)>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Installer)?;
        Ok(self.find().and_then(|(name, path)| Some((name, std::fs::metadata(path).ok()?.len()))))
    }

    /// The installer, to download.
    #[tracing::instrument(name = "service", skip_all, fields(call = "installer.file", actor = %actor.label(), via = actor.via.code()))]
    pub async fn file(&self, actor: &Actor) -> Result<InstallerFile, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Installer)?;
        let (name, path) = self.find().ok_or(ServiceError::NotFound)?;
        let bytes = tokio::fs::read(&path).await.map_err(|_| ServiceError::NotFound)?;
        Ok(InstallerFile { name, bytes })
    }

    /// Starts receiving an installer named `name` (a file name, no path).
    #[tracing::instrument(name = "service", skip_all, fields(call = "installer.upload", actor = %actor.label(), via = actor.via.code()))]
    pub async fn upload(&self, actor: &Actor, name: &str) -> Result<Incoming, ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Installer)?;
        let name = name.trim().to_owned();
        if !safe_name(&name) {
            return Err(ServiceError::Invalid(InstallerProblem::BadName.into()));
        }
        crate::system::files::private_dir(&self.dir).map_err(io_error)?;
        let token = crate::system::random::hex_token(8).map_err(io_error)?;
        let tmp = self.dir.join(format!(".upload-{token}"));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&tmp)
            .await
            .map_err(io_error)?;
        Ok(Incoming { dir: self.dir.clone(), name, tmp, file, written: 0 })
    }

    /// Removes the installer: subscribers no longer see the download.
    #[tracing::instrument(name = "service", skip_all, fields(call = "installer.delete", actor = %actor.label(), via = actor.via.code()))]
    pub async fn delete(&self, actor: &Actor) -> Result<(), ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Installer)?;
        remove_all(&self.dir, &[]).await;
        tracing::info!(actor = %actor.label(), "installer deleted");
        Ok(())
    }

    /// The newest-named regular file with a safe name.
    fn find(&self) -> Option<(String, PathBuf)> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir)
            .ok()?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_owned();
                safe_name(&name).then(|| (name, e.path()))
            })
            .collect();
        files.sort();
        files.pop()
    }
}
