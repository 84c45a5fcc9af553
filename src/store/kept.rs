//! Reads kept in memory while the store has written nothing they read.
//!
//! Every page a subscriber opens, and every CTI client following a line, reads
//! the same few rows again and again: an extension's program, its presence
//! statuses, its cost account, its profile. Each of those reads was a trip to a
//! reader thread (two context switches) for rows that had not changed. A
//! [`Kept`] holds such a read with the [`Stamp`] the store stood at before it was
//! made, and gives it out again only while the stamp still stands: every write
//! moves it (the writer's jobs move the generation, the call records' intake
//! moves the arrival), so what is given out is what the database holds.
//!
//! Bounded by design: a `Kept` holds at most [`MAX_KEPT`] reads, or fewer
//! where each is large ([`Kept::holding`]); when it is full, the stale ones go
//! first, and all of them if none is stale.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// At most this many reads in one [`Kept`] (one per extension, for most).
pub const MAX_KEPT: usize = 2048;

/// Where the store stood: nothing it holds has changed while this stays the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// [`super::Store::generation`]: every write but the call records'.
    pub generation: u64,
    /// [`super::Store::arrived`]: the call records' (and what comes with them:
    /// cost accounts, the callback list).
    pub arrived: i64,
}

/// Reads by key, each with the stamp it was made at.
pub struct Kept<K, V> {
    reads: Mutex<HashMap<K, (Stamp, V)>>,
    most: usize,
}

impl<K: Eq + Hash, V: Clone> Default for Kept<K, V> {
    fn default() -> Self {
        Kept::holding(MAX_KEPT)
    }
}

impl<K: Eq + Hash, V: Clone> Kept<K, V> {
    /// One that holds at most `most` reads.
    pub fn holding(most: usize) -> Self {
        Kept { reads: Mutex::new(HashMap::new()), most: most.max(1) }
    }

    /// The read kept for `key`, if it was made at `stamp`.
    pub fn get<Q>(&self, key: &Q, stamp: Stamp) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
        reads.get(key).filter(|(s, _)| *s == stamp).map(|(_, v)| v.clone())
    }

    /// Keeps `value`, read for `key` after the store stood at `stamp`.
    pub fn keep(&self, key: K, stamp: Stamp, value: V) {
        let mut reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
        if reads.len() >= self.most && !reads.contains_key(&key) {
            reads.retain(|_, (s, _)| *s == stamp);
            if reads.len() >= self.most {
                reads.clear();
            }
        }
        reads.insert(key, (stamp, value));
    }

    /// How many reads are kept (stale ones included).
    pub fn len(&self) -> usize {
        self.reads.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(generation: u64, arrived: i64) -> Stamp {
        Stamp { generation, arrived }
    }

    #[test]
    fn a_read_is_given_out_only_at_the_stamp_it_was_made_at() {
        let kept: Kept<String, u32> = Kept::default();
        kept.keep("100".into(), at(1, 5), 7);
        assert_eq!(kept.get("100", at(1, 5)), Some(7));
        assert_eq!(kept.get("100", at(2, 5)), None, "a write since");
        assert_eq!(kept.get("100", at(1, 6)), None, "a call record since");
        assert_eq!(kept.get("101", at(1, 5)), None, "never read");
        kept.keep("100".into(), at(2, 5), 8);
        assert_eq!(kept.get("100", at(2, 5)), Some(8));
    }

    #[test]
    fn a_full_one_lets_the_stale_reads_go_first_and_never_grows_past_its_bound() {
        let kept: Kept<usize, usize> = Kept::default();
        for i in 0..MAX_KEPT - 1 {
            kept.keep(i, at(1, 0), i);
        }
        kept.keep(MAX_KEPT, at(2, 0), 0);
        assert_eq!(kept.len(), MAX_KEPT);
        // Full: the next one at the new stamp lets the stale ones go.
        kept.keep(MAX_KEPT + 1, at(2, 0), 1);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept.get(&MAX_KEPT, at(2, 0)), Some(0));
        // Full of current reads: all go, and the bound holds.
        for i in 0..3 * MAX_KEPT {
            kept.keep(i, at(3, 0), i);
            assert!(kept.len() <= MAX_KEPT);
        }
        assert_eq!(kept.get(&(3 * MAX_KEPT - 1), at(3, 0)), Some(3 * MAX_KEPT - 1));
        let small: Kept<usize, usize> = Kept::holding(4);
        for i in 0..10 {
            small.keep(i, at(1, 0), i);
            assert!(small.len() <= 4);
        }
    }
}
