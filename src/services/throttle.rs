//! Brute-force throttling of logins (SPEC X2), in memory.
//!
//! An attempt is reserved before its hash is computed, in one step under one
//! lock: it is counted as a failure at once (a success gives it back), so
//! parallel guesses cannot slip through together. At most one verification is
//! in flight per account and per address.
//!
//! Three budgets apply:
//! - per (account, address) and per address, doubling delays (up to 15 minutes
//!   and an hour) slow one attacker down hard;
//! - per account, whatever the number of addresses, a leaky bucket: a burst,
//!   then one guess per interval ([`Budget::NORMAL`]: at most 100 an hour;
//!   PIN-only accounts [`Budget::PIN`]: 65). The bucket never locks the real
//!   subscriber out: once the attack stops, the next interval lets him in.
//!
//! Counts older than a day are forgotten; the table is bounded, and when it is
//! full the entries that no longer slow anybody down go first, then the oldest.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

pub const PAIR_FREE: u32 = 3;
pub const PAIR_MAX_DELAY_MS: i64 = 15 * 60 * 1000;
pub const ADDR_FREE: u32 = 10;
pub const ADDR_MAX_DELAY_MS: i64 = 60 * 60 * 1000;
/// Counts older than this are forgotten.
pub const FORGET_MS: i64 = 24 * 60 * 60 * 1000;
/// Entries kept at most.
pub const MAX_ENTRIES: usize = 50_000;
/// Asked to wait this long while another guess for the account or from the
/// address is being checked.
pub const IN_FLIGHT_WAIT_MS: i64 = 1000;

/// An account's guesses: `burst` at once, then one every `interval_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub burst: u32,
    pub interval_ms: i64,
}

impl Budget {
    /// Accounts with a password: 10 + 90 in the first hour, 90 an hour after.
    pub const NORMAL: Budget = Budget { burst: 10, interval_ms: 40_000 };
    /// Accounts that have only a four-digit PIN: 5 + 60, then 60 an hour.
    pub const PIN: Budget = Budget { burst: 5, interval_ms: 60_000 };

    /// The most guesses evaluated in `ms` milliseconds.
    pub fn most_in(self, ms: i64) -> i64 {
        i64::from(self.burst) + ms / self.interval_ms
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Pair(String, IpAddr),
    Addr(IpAddr),
    Account(String),
}

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    failures: u32,
    blocked_until: i64,
    /// The account's bucket: when it is empty again (its "theoretical arrival time").
    full_until: i64,
    last: i64,
}

#[derive(Default)]
struct Table {
    entries: HashMap<Key, Entry>,
    in_flight: HashSet<Key>,
}

#[derive(Default, Clone)]
pub struct Throttle {
    table: Arc<Mutex<Table>>,
}

/// A reserved attempt: counted as failed unless [`Attempt::succeeded`] is called.
/// Dropping it ends its time in flight.
pub struct Attempt {
    table: Arc<Mutex<Table>>,
    account: String,
    addr: IpAddr,
    budget: Budget,
}

fn delay(failures: u32, free: u32, max_ms: i64) -> i64 {
    if failures < free {
        return 0;
    }
    let exp = (failures - free).min(30);
    (1000i64 << exp).min(max_ms)
}

impl Table {
    fn lock(m: &Mutex<Table>) -> std::sync::MutexGuard<'_, Table> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One more failure for the pair and the address, with their next delays.
    fn count_failure(&mut self, pair: Key, addr: Key, now: i64) {
        self.make_room(now);
        self.count(pair, PAIR_FREE, PAIR_MAX_DELAY_MS, now);
        self.count(addr, ADDR_FREE, ADDR_MAX_DELAY_MS, now);
    }

    /// One more failure for `key`: `free` go free, then the delay doubles up to `max`.
    fn count(&mut self, key: Key, free: u32, max: i64, now: i64) {
        let mut e = self.entries.get(&key).copied().filter(|e| now - e.last < FORGET_MS).unwrap_or_default();
        e.failures += 1;
        e.last = now;
        e.blocked_until = now + delay(e.failures, free, max);
        self.entries.insert(key, e);
    }

    fn make_room(&mut self, now: i64) {
        if self.entries.len() < MAX_ENTRIES {
            return;
        }
        self.entries.retain(|_, e| now - e.last < FORGET_MS && (e.blocked_until > now || e.full_until > now));
        if self.entries.len() >= MAX_ENTRIES {
            // A tenth goes: first what delays nobody now, the oldest first; an
            // entry that holds somebody back goes last.
            let rank = |e: &Entry| (e.blocked_until > now, e.full_until > now, e.last);
            let mut ranks: Vec<(bool, bool, i64)> = self.entries.values().map(rank).collect();
            let cut = MAX_ENTRIES / 10;
            ranks.select_nth_unstable(cut);
            let bar = ranks[cut];
            self.entries.retain(|_, e| rank(e) > bar);
        }
    }
}

impl Throttle {
    /// Reserves one guess for `account` from `addr`, or says how many
    /// milliseconds to wait.
    pub fn reserve(&self, account: &str, addr: IpAddr, budget: Budget, now: i64) -> Result<Attempt, i64> {
        let mut t = Table::lock(&self.table);
        let (pair, by_addr, by_account) =
            (Key::Pair(account.to_owned(), addr), Key::Addr(addr), Key::Account(account.to_owned()));
        if t.in_flight.contains(&by_account) || t.in_flight.contains(&by_addr) {
            return Err(IN_FLIGHT_WAIT_MS);
        }
        let fresh = |e: Option<&Entry>| e.copied().filter(|e| now - e.last < FORGET_MS).unwrap_or_default();
        let blocked = [&pair, &by_addr].iter().map(|k| fresh(t.entries.get(k)).blocked_until - now).max();
        let account_entry = fresh(t.entries.get(&by_account));
        let full_until = account_entry.full_until.max(now) + budget.interval_ms;
        let over = full_until - now - i64::from(budget.burst) * budget.interval_ms;
        let wait = blocked.unwrap_or(0).max(over);
        if wait > 0 {
            return Err(wait);
        }
        t.count_failure(pair, by_addr.clone(), now);
        t.entries.insert(by_account.clone(), Entry { full_until, last: now, ..account_entry });
        t.in_flight.insert(by_account);
        t.in_flight.insert(by_addr);
        Ok(Attempt { table: self.table.clone(), account: account.to_owned(), addr, budget })
    }

    /// How many milliseconds wrong guesses from `addr` must wait now (0:
    /// none), without reserving one: for secrets too long to guess and cheap
    /// to check, whose failures alone are counted ([`Throttle::failed_from`]).
    pub fn wait_from(&self, addr: IpAddr, now: i64) -> i64 {
        let t = Table::lock(&self.table);
        let e =
            t.entries.get(&Key::Addr(addr)).copied().filter(|e| now - e.last < FORGET_MS).unwrap_or_default();
        (e.blocked_until - now).max(0)
    }

    /// Counts one wrong guess from `addr`, with the address's delays of
    /// [`Throttle::reserve`], but no account's budget and no guess in flight.
    pub fn failed_from(&self, addr: IpAddr, now: i64) {
        let mut t = Table::lock(&self.table);
        t.make_room(now);
        t.count(Key::Addr(addr), ADDR_FREE, ADDR_MAX_DELAY_MS, now);
    }

    /// Entries held, for tests and the benchmark.
    pub fn len(&self) -> usize {
        Table::lock(&self.table).entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Attempt {
    /// The guess was right: what it was counted for is given back.
    pub fn succeeded(self) {
        let mut t = Table::lock(&self.table);
        t.entries.remove(&Key::Pair(self.account.clone(), self.addr));
        if let Some(e) = t.entries.get_mut(&Key::Addr(self.addr)) {
            e.failures = e.failures.saturating_sub(1);
            e.blocked_until = e.last + delay(e.failures, ADDR_FREE, ADDR_MAX_DELAY_MS);
        }
        if let Some(e) = t.entries.get_mut(&Key::Account(self.account.clone())) {
            e.full_until -= self.budget.interval_ms;
        }
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        let mut t = Table::lock(&self.table);
        t.in_flight.remove(&Key::Account(std::mem::take(&mut self.account)));
        t.in_flight.remove(&Key::Addr(self.addr));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9));
    const OWNER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5));
    const HOUR: i64 = 3_600_000;

    fn addr(i: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0x7f00_0000 + i))
    }

    #[test]
    fn an_attacker_is_slowed_more_and_more() {
        let t = Throttle::default();
        let b = Budget { burst: 1000, interval_ms: 1 };
        let mut now = 0;
        for _ in 0..PAIR_FREE - 1 {
            drop(t.reserve("100", ATTACKER, b, now).expect("free"));
        }
        drop(t.reserve("100", ATTACKER, b, now).expect("the last free one"));
        assert_eq!(t.reserve("100", ATTACKER, b, now).err(), Some(1000));
        for _ in 0..20 {
            now += 10 * HOUR / 10;
            drop(t.reserve("100", ATTACKER, b, now).expect("after the wait"));
        }
        assert_eq!(t.reserve("100", ATTACKER, b, now).err(), Some(ADDR_MAX_DELAY_MS));
    }

    #[test]
    fn one_guess_in_flight_per_account_and_per_address() {
        let t = Throttle::default();
        let first = t.reserve("100", addr(1), Budget::NORMAL, 0).expect("first");
        assert_eq!(t.reserve("100", addr(2), Budget::NORMAL, 0).err(), Some(IN_FLIGHT_WAIT_MS));
        assert_eq!(t.reserve("101", addr(1), Budget::NORMAL, 0).err(), Some(IN_FLIGHT_WAIT_MS));
        let other = t.reserve("101", addr(2), Budget::NORMAL, 0).expect("another account and address");
        drop(first);
        drop(other);
        assert!(t.reserve("100", addr(2), Budget::NORMAL, 0).is_ok(), "free again");
    }

    #[test]
    fn the_account_budget_holds_whatever_the_number_of_addresses() {
        for budget in [Budget::NORMAL, Budget::PIN] {
            let t = Throttle::default();
            let mut evaluated = 0;
            // A guess every second for an hour, each from a new address.
            for s in 0..3600 {
                if let Ok(a) = t.reserve("107", addr(s as u32), budget, s * 1000) {
                    evaluated += 1;
                    drop(a);
                }
            }
            assert!(evaluated <= budget.most_in(HOUR), "{budget:?}: {evaluated}");
            assert!(evaluated <= 100);
            // When the attack stops, the subscriber is let in within a minute.
            let after = 3600 * 1000 + budget.interval_ms;
            assert!(budget.interval_ms <= 60_000);
            t.reserve("107", OWNER, budget, after).expect("the owner gets in").succeeded();
        }
    }

    #[test]
    fn a_success_gives_its_count_back() {
        let t = Throttle::default();
        let b = Budget::NORMAL;
        for _ in 0..b.burst * 5 {
            t.reserve("100", OWNER, Budget { burst: 1000, interval_ms: 1 }, 0).map(Attempt::succeeded).ok();
        }
        assert!(t.reserve("100", OWNER, b, 0).is_ok(), "successes do not use the budget up");
    }

    #[test]
    fn a_full_table_keeps_the_entries_that_slow_somebody_down() {
        let t = Throttle::default();
        for _ in 0..PAIR_FREE + 1 {
            drop(t.reserve("100", ATTACKER, Budget::NORMAL, 0));
        }
        for i in 1..=MAX_ENTRIES as u32 {
            drop(t.reserve(&i.to_string(), addr(i), Budget::NORMAL, 1));
            assert!(t.len() <= MAX_ENTRIES + 3);
        }
        assert!(t.reserve("100", ATTACKER, Budget::NORMAL, 2).is_err(), "the attacker is still slowed");
    }
}
