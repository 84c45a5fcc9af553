//! Feeding the board's hardware watchdog while the service is healthy.
//!
//! The device is opened at start; every interval, if the health check passes, it
//! is fed with the `WDIOC_KEEPALIVE` ioctl (or, where that ioctl is not implemented,
//! a write, which the Linux watchdog interface also takes as a keepalive). On a clean
//! stop the magic character `V` is written before closing, so the board does not
//! reset; after a crash the watchdog is not disarmed and the board restarts us.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum WatchdogError {
    #[error("cannot open watchdog {path}: {source}")]
    Open { path: String, source: std::io::Error },
    #[error("cannot feed the watchdog: {0}")]
    Feed(std::io::Error),
}

/// An open watchdog device.
pub struct Watchdog {
    file: File,
    /// Set once the device has refused the ioctl: from then on, writes feed it.
    write_only: bool,
}

// WDIOC_KEEPALIVE is _IOR('W', 5, int) in <linux/watchdog.h>.
#[allow(unsafe_code)]
mod ioctl {
    nix::ioctl_read!(keepalive, b'W', 5, nix::libc::c_int);
}

impl Watchdog {
    /// Opens the device; from now on it must be fed.
    pub fn open(path: &Path) -> Result<Watchdog, WatchdogError> {
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|source| WatchdogError::Open { path: path.display().to_string(), source })?;
        Ok(Watchdog { file, write_only: false })
    }

    /// Tells the watchdog that the service is alive.
    pub fn feed(&mut self) -> Result<(), WatchdogError> {
        if self.write_only {
            return self.file.write_all(b"\0").map_err(WatchdogError::Feed);
        }
        let mut dummy: nix::libc::c_int = 0;
        // SAFETY: the fd is open for as long as `self.file` lives, and the kernel
        // writes at most one c_int through the pointer, which points at `dummy`.
        #[allow(unsafe_code)]
        let result = unsafe { ioctl::keepalive(self.file.as_raw_fd(), &mut dummy) };
        match result {
            Ok(_) => Ok(()),
            // Not a device that knows the ioctl (or, under qemu user-mode
            // emulation, an ioctl the emulator does not implement).
            Err(nix::Error::ENOTTY) | Err(nix::Error::EINVAL) | Err(nix::Error::ENOSYS) => {
                self.write_only = true;
                self.file.write_all(b"\0").map_err(WatchdogError::Feed)
            }
            Err(e) => Err(WatchdogError::Feed(e.into())),
        }
    }

    /// Disarms the watchdog (magic close) and closes it: only on a clean stop.
    pub fn close(mut self) -> Result<(), WatchdogError> {
        self.file.write_all(b"V").map_err(WatchdogError::Feed)?;
        self.file.flush().map_err(WatchdogError::Feed)
    }
}
