//! Login sessions, kept in memory only (volatile state never goes to flash): a
//! random id, the extension, a CSRF token, and idle and absolute timeouts.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::system::random;

pub const IDLE_SECS: i64 = 30 * 60;
pub const ABSOLUTE_SECS: i64 = 12 * 60 * 60;
/// Sessions kept at most; the oldest go first.
pub const MAX_SESSIONS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub ext: String,
    /// Sent with every form and fetch that changes something.
    pub csrf: String,
    pub created: i64,
    pub last_seen: i64,
    /// Logged in with a PIN: nothing but setting a password until that is done.
    pub must_set_password: bool,
}

#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    pub fn create(&self, ext: &str, must_set_password: bool, now: i64) -> std::io::Result<Session> {
        let s = Session {
            id: random::hex_token(32)?,
            ext: ext.to_owned(),
            csrf: random::hex_token(32)?,
            created: now,
            last_seen: now,
            must_set_password,
        };
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, v| alive(v, now));
            if map.len() >= MAX_SESSIONS {
                if let Some(oldest) = map.values().min_by_key(|v| v.last_seen).map(|v| v.id.clone()) {
                    map.remove(&oldest);
                }
            }
        }
        map.insert(s.id.clone(), s.clone());
        Ok(s)
    }

    /// The session with this id, if it is alive; touching it restarts the idle timer.
    pub fn get(&self, id: &str, now: i64) -> Option<Session> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let s = map.get_mut(id)?;
        if !alive(s, now) {
            map.remove(id);
            return None;
        }
        s.last_seen = now;
        Some(s.clone())
    }

    pub fn remove(&self, id: &str) {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }

    /// Ends every session of `ext` but `keep` (after a password change).
    pub fn remove_others(&self, ext: &str, keep: &str) {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).retain(|id, s| s.ext != ext || id == keep);
    }

    pub fn password_set(&self, id: &str) {
        if let Some(s) = self.map.lock().unwrap_or_else(|e| e.into_inner()).get_mut(id) {
            s.must_set_password = false;
        }
    }
}

fn alive(s: &Session, now: i64) -> bool {
    now - s.last_seen < IDLE_SECS && now - s.created < ABSOLUTE_SECS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_when_idle_or_old() {
        let s = Sessions::default();
        let a = s.create("100", false, 0).expect("session");
        assert_eq!(a.id.len(), 64);
        assert!(s.get(&a.id, IDLE_SECS - 1).is_some());
        assert!(s.get(&a.id, 2 * IDLE_SECS - 2).is_some(), "touching restarts the idle timer");
        assert!(s.get(&a.id, 3 * IDLE_SECS).is_none(), "idle too long");
        let b = s.create("100", false, 0).expect("session");
        let mut t = 0;
        while t < ABSOLUTE_SECS - IDLE_SECS {
            t += IDLE_SECS - 1;
            assert!(s.get(&b.id, t).is_some());
        }
        assert!(s.get(&b.id, ABSOLUTE_SECS).is_none(), "absolute timeout");
    }

    #[test]
    fn a_password_change_ends_the_other_sessions() {
        let s = Sessions::default();
        let a = s.create("100", false, 0).expect("a");
        let b = s.create("100", false, 0).expect("b");
        let c = s.create("101", false, 0).expect("c");
        s.remove_others("100", &a.id);
        assert!(s.get(&a.id, 1).is_some());
        assert!(s.get(&b.id, 1).is_none());
        assert!(s.get(&c.id, 1).is_some(), "other subscribers keep theirs");
    }
}
