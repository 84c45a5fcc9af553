//! The one clock the service reads time from (Unix seconds). Services, sessions
//! and intake are handed a [`Clock`] instead of reading the system time
//! themselves, so a test can hold time still or move it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The system's time, or a time set by hand.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system's wall clock.
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// A clock that stands at `t` until it is [`set`](Clock::set).
    pub fn manual(t: i64) -> Clock {
        Clock { manual: Some(Arc::new(AtomicI64::new(t))) }
    }

    /// Unix seconds now.
    pub fn now(&self) -> i64 {
        match &self.manual {
            Some(t) => t.load(Ordering::Relaxed),
            None => wall_clock(),
        }
    }

    /// Moves a manual clock; the system clock cannot be moved.
    pub fn set(&self, t: i64) {
        if let Some(m) = &self.manual {
            m.store(t, Ordering::Relaxed);
        }
    }
}

/// The system's time in Unix seconds.
pub fn wall_clock() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let c = Clock::manual(100);
        assert_eq!(c.now(), 100);
        c.set(160);
        assert_eq!(c.clone().now(), 160, "clones share the time");
        assert!(Clock::system().now() > 1_700_000_000);
    }
}
