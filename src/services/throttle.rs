//! Brute-force throttling of logins (SPEC X2), in memory.
//!
//! Failures count per (account, address), per address and per account. The first
//! two slow one attacker down hard (doubling delays up to 15 minutes and an hour);
//! the per-account count never delays more than [`ACCOUNT_MAX_DELAY_MS`], so an
//! attacker elsewhere can slow a subscriber's own logins by seconds, never lock
//! the subscriber out. A success clears the account's counts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

pub const PAIR_FREE: u32 = 3;
pub const PAIR_MAX_DELAY_MS: i64 = 15 * 60 * 1000;
pub const ADDR_FREE: u32 = 10;
pub const ADDR_MAX_DELAY_MS: i64 = 60 * 60 * 1000;
pub const ACCOUNT_FREE: u32 = 10;
pub const ACCOUNT_MAX_DELAY_MS: i64 = 30 * 1000;
/// Counts older than this are forgotten.
pub const FORGET_MS: i64 = 24 * 60 * 60 * 1000;
/// Entries kept at most; beyond that the oldest are dropped.
pub const MAX_ENTRIES: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Pair(String, IpAddr),
    Addr(IpAddr),
    Account(String),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    blocked_until: i64,
    last: i64,
}

#[derive(Default)]
pub struct Throttle {
    map: Mutex<HashMap<Key, Entry>>,
}

fn delay(failures: u32, free: u32, max_ms: i64) -> i64 {
    if failures < free {
        return 0;
    }
    let exp = (failures - free).min(30);
    (1000i64 << exp).min(max_ms)
}

impl Throttle {
    /// `Err(ms)`: try again in this many milliseconds.
    pub fn check(&self, account: &str, addr: IpAddr, now_ms: i64) -> Result<(), i64> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let wait = [Key::Pair(account.to_owned(), addr), Key::Addr(addr), Key::Account(account.to_owned())]
            .iter()
            .filter_map(|k| map.get(k))
            .map(|e| e.blocked_until - now_ms)
            .max()
            .unwrap_or(0);
        if wait > 0 {
            Err(wait)
        } else {
            Ok(())
        }
    }

    pub fn failed(&self, account: &str, addr: IpAddr, now_ms: i64) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > MAX_ENTRIES {
            map.retain(|_, e| now_ms - e.last < FORGET_MS);
            if map.len() > MAX_ENTRIES {
                map.clear();
            }
        }
        let keys = [
            (Key::Pair(account.to_owned(), addr), PAIR_FREE, PAIR_MAX_DELAY_MS),
            (Key::Addr(addr), ADDR_FREE, ADDR_MAX_DELAY_MS),
            (Key::Account(account.to_owned()), ACCOUNT_FREE, ACCOUNT_MAX_DELAY_MS),
        ];
        for (key, free, max) in keys {
            let e = map.entry(key).or_insert(Entry { failures: 0, blocked_until: 0, last: now_ms });
            if now_ms - e.last > FORGET_MS {
                e.failures = 0;
            }
            e.failures += 1;
            e.last = now_ms;
            e.blocked_until = now_ms + delay(e.failures, free, max);
        }
    }

    pub fn succeeded(&self, account: &str, addr: IpAddr) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&Key::Pair(account.to_owned(), addr));
        map.remove(&Key::Account(account.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATTACKER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 9));
    const OWNER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 5));

    #[test]
    fn an_attacker_is_slowed_more_and_more() {
        let t = Throttle::default();
        let mut now = 0;
        for _ in 0..PAIR_FREE - 1 {
            t.failed("100", ATTACKER, now);
        }
        assert_eq!(t.check("100", ATTACKER, now), Ok(()), "a few typos are free");
        t.failed("100", ATTACKER, now);
        assert_eq!(t.check("100", ATTACKER, now), Err(1000));
        for _ in 0..20 {
            now += 1_000_000;
            t.failed("100", ATTACKER, now);
        }
        assert_eq!(t.check("100", ATTACKER, now), Err(ADDR_MAX_DELAY_MS));
    }

    #[test]
    fn the_owner_is_never_locked_out_for_long() {
        let t = Throttle::default();
        let now = 1_000;
        for _ in 0..1000 {
            t.failed("100", ATTACKER, now);
        }
        match t.check("100", OWNER, now) {
            Ok(()) => {}
            Err(ms) => assert!(ms <= ACCOUNT_MAX_DELAY_MS, "{ms}"),
        }
        assert_eq!(t.check("100", OWNER, now + ACCOUNT_MAX_DELAY_MS), Ok(()));
        // The owner's success clears the account's count.
        t.succeeded("100", OWNER);
        assert_eq!(t.check("100", OWNER, now), Ok(()));
        assert!(t.check("100", ATTACKER, now).is_err(), "but not the attacker's");
    }
}
