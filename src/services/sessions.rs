//! Login sessions, kept in memory only (volatile state never goes to flash): a
//! random id, the extension, a CSRF token, and idle and absolute timeouts.
//!
//! Bounded (SPEC X3): at most [`MAX_PER_USER`] sessions per extension (a new
//! login ends that subscriber's least recently used one, never anybody else's)
//! and [`MAX_STREAMS_PER_USER`] open live streams per extension. Every stream is
//! tied to its session through a [`SessionStream`]: it ends when the session
//! does, by logout, a password change or reset, a timeout, or the account
//! going away.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

use crate::system::clock::Clock;
use crate::system::random;

pub const IDLE_SECS: i64 = 30 * 60;
pub const ABSOLUTE_SECS: i64 = 12 * 60 * 60;
/// Sessions kept at most in all.
pub const MAX_SESSIONS: usize = 10_000;
/// Sessions one extension may have at once (browsers, phones, tabs after logins).
pub const MAX_PER_USER: usize = 10;
/// Live streams one extension may have open at once.
pub const MAX_STREAMS_PER_USER: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub ext: String,
    /// Sent with every form and fetch that changes something.
    pub csrf: String,
    pub created: i64,
    pub last_seen: i64,
    /// Logged in with a PIN or a temporary password: nothing but setting a
    /// password until that is done.
    pub must_set_password: bool,
    /// Logged in with a temporary password an administrator gave.
    pub temporary: bool,
    /// The password was right; the second factor's code is still to come.
    pub needs_code: bool,
    /// Two-factor login is mandatory for his role and he has none yet: nothing
    /// but enrolling one until that is done.
    pub must_enrol: bool,
}

struct Entry {
    session: Session,
    /// Dropped with the entry: every stream of the session sees it end.
    ended: watch::Sender<()>,
}

#[derive(Default)]
struct Table {
    map: HashMap<String, Entry>,
    streams: HashMap<String, usize>,
}

#[derive(Default, Clone)]
pub struct Sessions {
    table: Arc<Mutex<Table>>,
}

/// Why a stream was not opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StreamRefused {
    #[error("the session has ended")]
    Ended,
    #[error("too many live streams are open for this extension")]
    TooMany,
}

/// One open stream of a session: counted against its extension while it lives;
/// [`SessionStream::ended`] completes when the session ends.
pub struct SessionStream {
    table: Arc<Mutex<Table>>,
    id: String,
    ext: String,
    ended: watch::Receiver<()>,
    clock: Clock,
}

fn lock(t: &Mutex<Table>) -> MutexGuard<'_, Table> {
    t.lock().unwrap_or_else(|e| e.into_inner())
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
            temporary: false,
            needs_code: false,
            must_enrol: false,
        };
        let mut t = lock(&self.table);
        t.map.retain(|_, e| alive(&e.session, now));
        let mut own: Vec<(i64, String)> = t
            .map
            .values()
            .filter(|e| e.session.ext == ext)
            .map(|e| (e.session.last_seen, e.session.id.clone()))
            .collect();
        if own.len() >= MAX_PER_USER {
            own.sort();
            for (_, id) in &own[..=own.len() - MAX_PER_USER] {
                t.map.remove(id);
            }
        }
        if t.map.len() >= MAX_SESSIONS {
            // Full of live sessions: the extension with the most gives up its oldest.
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for e in t.map.values() {
                *counts.entry(e.session.ext.as_str()).or_default() += 1;
            }
            let busiest = counts.into_iter().max_by_key(|(_, n)| *n).map(|(e, _)| e.to_owned());
            let oldest = t
                .map
                .values()
                .filter(|e| Some(&e.session.ext) == busiest.as_ref())
                .min_by_key(|e| e.session.last_seen)
                .map(|e| e.session.id.clone());
            if let Some(id) = oldest {
                t.map.remove(&id);
            }
        }
        let (ended, _) = watch::channel(());
        t.map.insert(s.id.clone(), Entry { session: s.clone(), ended });
        Ok(s)
    }

    /// The session with this id, if it is alive; touching it restarts the idle timer.
    pub fn get(&self, id: &str, now: i64) -> Option<Session> {
        let mut t = lock(&self.table);
        let e = t.map.get_mut(id)?;
        if !alive(&e.session, now) {
            t.map.remove(id);
            return None;
        }
        e.session.last_seen = now;
        Some(e.session.clone())
    }

    /// The sessions `ext` has now.
    pub fn count(&self, ext: &str) -> usize {
        lock(&self.table).map.values().filter(|e| e.session.ext == ext).count()
    }

    pub fn remove(&self, id: &str) {
        lock(&self.table).map.remove(id);
    }

    /// Ends every session of `ext` but `keep` (after a password change).
    pub fn remove_others(&self, ext: &str, keep: &str) {
        lock(&self.table).map.retain(|id, e| e.session.ext != ext || id == keep);
    }

    /// Ends every session of `ext` (the account was removed or disabled).
    pub fn end_all(&self, ext: &str) {
        self.remove_others(ext, "");
    }

    pub fn password_set(&self, id: &str) {
        if let Some(e) = lock(&self.table).map.get_mut(id) {
            e.session.must_set_password = false;
            e.session.temporary = false;
        }
    }

    /// The session waits for the second factor's code.
    pub fn require_code(&self, id: &str) {
        if let Some(e) = lock(&self.table).map.get_mut(id) {
            e.session.needs_code = true;
        }
    }

    /// The session may do nothing but enrol a second factor.
    pub fn require_enrolment(&self, id: &str) {
        if let Some(e) = lock(&self.table).map.get_mut(id) {
            e.session.must_enrol = true;
        }
    }

    /// `ext` has a second factor now: his sessions are free to go on.
    pub fn enrolled(&self, ext: &str) {
        for e in lock(&self.table).map.values_mut().filter(|e| e.session.ext == ext) {
            e.session.must_enrol = false;
        }
    }

    /// The second factor's code was right.
    pub fn code_passed(&self, id: &str) {
        if let Some(e) = lock(&self.table).map.get_mut(id) {
            e.session.needs_code = false;
        }
    }

    /// The session came from a temporary password.
    pub fn mark_temporary(&self, id: &str) {
        if let Some(e) = lock(&self.table).map.get_mut(id) {
            e.session.temporary = true;
        }
    }

    /// Opens a stream for the session `id`, counted against its extension.
    pub fn stream(&self, id: &str, clock: Clock) -> Result<SessionStream, StreamRefused> {
        let mut t = lock(&self.table);
        let e = t.map.get(id).ok_or(StreamRefused::Ended)?;
        let (ext, ended) = (e.session.ext.clone(), e.ended.subscribe());
        let open = t.streams.entry(ext.clone()).or_default();
        if *open >= MAX_STREAMS_PER_USER {
            return Err(StreamRefused::TooMany);
        }
        *open += 1;
        Ok(SessionStream { table: self.table.clone(), id: id.to_owned(), ext, ended, clock })
    }

    /// Live streams open for `ext`.
    pub fn streams(&self, ext: &str) -> usize {
        lock(&self.table).streams.get(ext).copied().unwrap_or(0)
    }

    /// When the session ends unless it is used again; `None` if it has ended.
    fn ends_at(&self, id: &str, now: i64) -> Option<i64> {
        let mut t = lock(&self.table);
        let s = &t.map.get(id)?.session;
        if !alive(s, now) {
            t.map.remove(id);
            return None;
        }
        Some((s.last_seen + IDLE_SECS).min(s.created + ABSOLUTE_SECS))
    }
}

impl SessionStream {
    /// Completes when the session ends: at once if it already has.
    pub async fn ended(&mut self) {
        let sessions = Sessions { table: self.table.clone() };
        loop {
            let Some(at) = sessions.ends_at(&self.id, self.clock.now()) else { return };
            let secs = (at - self.clock.now()).max(1) as u64;
            tokio::select! {
                // Only ever an error: the session's sender was dropped.
                _ = self.ended.changed() => return,
                // Its timeout may have moved since (the session was used): look again.
                _ = tokio::time::sleep(Duration::from_secs(secs)) => {}
            }
        }
    }
}

impl Drop for SessionStream {
    fn drop(&mut self) {
        let mut t = lock(&self.table);
        if let Some(n) = t.streams.get_mut(&self.ext) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                t.streams.remove(&self.ext);
            }
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

    #[test]
    fn one_users_logins_evict_only_his_own_sessions() {
        let s = Sessions::default();
        let other = s.create("101", false, 0).expect("101");
        let first = s.create("100", false, 0).expect("first");
        for i in 1..=3 * MAX_PER_USER as i64 {
            s.create("100", false, i).expect("login");
        }
        assert_eq!(s.count("100"), MAX_PER_USER);
        assert!(s.get(&first.id, 100).is_none(), "his least recently used one went");
        assert!(s.get(&other.id, 100).is_some(), "nobody else's");
    }

    #[tokio::test]
    async fn a_stream_ends_with_its_session_and_is_counted() {
        let s = Sessions::default();
        let clock = Clock::system();
        let a = s.create("100", false, clock.now()).expect("a");
        let mut streams: Vec<SessionStream> =
            (0..MAX_STREAMS_PER_USER).map(|_| s.stream(&a.id, clock.clone()).expect("stream")).collect();
        assert_eq!(s.stream(&a.id, clock.clone()).err(), Some(StreamRefused::TooMany));
        assert_eq!(s.streams("100"), MAX_STREAMS_PER_USER);
        let last = streams.pop().expect("one");
        drop(last);
        assert_eq!(s.streams("100"), MAX_STREAMS_PER_USER - 1);
        s.remove(&a.id);
        for st in &mut streams {
            st.ended().await;
        }
        assert_eq!(s.stream(&a.id, clock.clone()).err(), Some(StreamRefused::Ended));
        drop(streams);
        assert_eq!(s.streams("100"), 0);
    }

    #[tokio::test]
    async fn a_stream_ends_when_its_session_times_out() {
        let s = Sessions::default();
        let clock = Clock::manual(0);
        let a = s.create("100", false, 0).expect("a");
        let mut st = s.stream(&a.id, clock.clone()).expect("stream");
        clock.set(IDLE_SECS);
        st.ended().await;
    }
}
