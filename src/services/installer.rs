//! The desktop CTI client's installer (SPEC W13): a file the administrator puts
//! into the data directory's `installer/`, offered for download to subscribers.

use std::path::PathBuf;

use super::{Context, ServiceError};
use crate::domain::access::{Action, Actor, Target};

/// The directory in the data directory where the installer is put.
pub const DIR: &str = "installer";

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

    /// The installer, to download.
    #[tracing::instrument(name = "service", skip_all, fields(call = "installer.file", actor = %actor.label(), via = actor.via.code()))]
    pub async fn file(&self, actor: &Actor) -> Result<InstallerFile, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Installer)?;
        let (name, path) = self.find().ok_or(ServiceError::NotFound)?;
        let bytes = tokio::fs::read(&path).await.map_err(|_| ServiceError::NotFound)?;
        Ok(InstallerFile { name, bytes })
    }

    /// The newest-named regular file with a safe name.
    fn find(&self) -> Option<(String, PathBuf)> {
        let mut files: Vec<_> = std::fs::read_dir(&self.dir)
            .ok()?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_owned();
                let safe = !name.starts_with('.')
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_. ".contains(&b));
                safe.then(|| (name, e.path()))
            })
            .collect();
        files.sort();
        files.pop()
    }
}
