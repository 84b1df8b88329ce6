//! The crate's one hash table: [`WordMap`], fixed-length `u64`-word keys mapped to
//! values, with insertion-order ids.
//!
//! Keys live in one flat arena (`len × words` words) next to their hashes and values,
//! and the table itself is an open-addressing array of `u32` ids with linear probing.
//! Ids are insertion order, so iterating a map is deterministic, and two maps merge in
//! a deterministic order. Used for distinct activation patterns
//! ([`crate::patterns::PatternSet`]), the max-pooling DP's states
//! ([`crate::maxpool`]) and the seen-sets of the landscape sampler.
//!
//! Measured against `hashbrown::HashTable<u32>` over the same arena (the workload of
//! `benches/patterns.py`: 10⁶ keys of 1-4 words, 5-63 % distinct, in
//! `rust/core/examples/hash_timing.rs`): hashbrown took 1.00-1.24x this map's time, so
//! this one is kept (numbers in `docs/DEVELOPING.md`).

use crate::error::{Error, Result};

const EMPTY: u32 = u32::MAX;

/// Hash of a packed key (word-wise multiply-xorshift, then a final avalanche).
#[inline]
pub fn hash_words(key: &[u64]) -> u64 {
    let mut h = 0x243F_6A88_85A3_08D3u64 ^ key.len() as u64;
    for &w in key {
        h = (h ^ w).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 29;
    }
    h = (h ^ (h >> 32)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 29)
}

/// A map from keys of `words` `u64` words to values `V`; ids are insertion order.
#[derive(Debug, Clone)]
pub struct WordMap<V> {
    words: usize,
    keys: Vec<u64>,
    hashes: Vec<u64>,
    values: Vec<V>,
    slots: Vec<u32>,
}

impl<V> WordMap<V> {
    /// An empty map of keys of `words` words.
    pub fn new(words: usize) -> Self {
        WordMap {
            words,
            keys: Vec::new(),
            hashes: Vec::new(),
            values: Vec::new(),
            slots: vec![EMPTY; 64],
        }
    }

    /// An empty map that holds `n` keys without growing, or [`Error::OutOfMemory`]
    /// when that memory cannot be had.
    pub fn try_with_capacity(words: usize, n: usize) -> Result<Self> {
        let mut m = Self::new(words);
        m.reserve(n)?;
        let slots = (2 * n).next_power_of_two().max(64);
        m.slots = filled(slots, EMPTY)?;
        Ok(m)
    }

    /// Room for `n` more keys, asked for before use (never an abort).
    fn reserve(&mut self, n: usize) -> Result<()> {
        let oom = || Error::OutOfMemory {
            what: "a hash table of distinct keys (patterns or states)".into(),
            bytes: (n as u64)
                .saturating_mul((8 * self.words + 8 + std::mem::size_of::<V>()) as u64),
        };
        let words = n.checked_mul(self.words).ok_or_else(oom)?;
        self.keys.try_reserve(words).map_err(|_| oom())?;
        self.hashes.try_reserve(n).map_err(|_| oom())?;
        self.values.try_reserve(n).map_err(|_| oom())?;
        Ok(())
    }

    /// Words per key.
    pub fn words(&self) -> usize {
        self.words
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The key of id `i`.
    #[inline]
    pub fn key(&self, i: usize) -> &[u64] {
        &self.keys[i * self.words..(i + 1) * self.words]
    }

    /// The stored hash of id `i`.
    #[inline]
    pub fn hash(&self, i: usize) -> u64 {
        self.hashes[i]
    }

    /// The value of id `i`.
    #[inline]
    pub fn value(&self, i: usize) -> &V {
        &self.values[i]
    }

    /// The values, by id.
    pub fn values(&self) -> &[V] {
        &self.values
    }

    /// The keys (flat, `len × words`) and the values, by id.
    pub fn into_parts(self) -> (Vec<u64>, Vec<V>) {
        (self.keys, self.values)
    }

    fn grow(&mut self) -> Result<()> {
        let cap = self.slots.len() * 2;
        let mask = cap - 1;
        let mut slots = filled(cap, EMPTY)?;
        for (id, &h) in self.hashes.iter().enumerate() {
            let mut s = h as usize & mask;
            while slots[s] != EMPTY {
                s = (s + 1) & mask;
            }
            slots[s] = id as u32;
        }
        self.slots = slots;
        Ok(())
    }

    /// The slot of `key`: `Ok(id)` when present, `Err(slot)` (an empty slot) when not.
    #[inline]
    fn probe(&self, key: &[u64], hash: u64) -> std::result::Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let mut s = hash as usize & mask;
        loop {
            let id = self.slots[s];
            if id == EMPTY {
                return Err(s);
            }
            let id = id as usize;
            if self.hashes[id] == hash && self.key(id) == key {
                return Ok(id);
            }
            s = (s + 1) & mask;
        }
    }

    /// The id of `key` (with hash `hash`, normally [`hash_words`]), if present.
    #[inline]
    pub fn find(&self, key: &[u64], hash: u64) -> Option<usize> {
        self.probe(key, hash).ok()
    }

    /// Insert `key` with value `new()` or, if present, apply `update` to its value.
    /// Returns the id. Fails when the map would exceed `2^32 - 2` keys, when its
    /// memory cannot be had ([`Error::OutOfMemory`]) or when `update` fails.
    #[inline]
    pub fn upsert(
        &mut self,
        key: &[u64],
        hash: u64,
        new: impl FnOnce() -> V,
        update: impl FnOnce(&mut V) -> Result<()>,
    ) -> Result<usize> {
        match self.probe(key, hash) {
            Ok(id) => {
                update(&mut self.values[id])?;
                Ok(id)
            }
            Err(s) => {
                let id = self.values.len();
                if id >= (EMPTY - 1) as usize {
                    return Err(Error::LimitExceeded {
                        name: "distinct keys".into(),
                        limit: (EMPTY - 1) as u64,
                        message: "a hash map holds at most 2^32 - 2 distinct keys".into(),
                    });
                }
                if self.values.len() == self.values.capacity() {
                    self.reserve(self.values.len().max(16))?; // amortized doubling
                }
                self.slots[s] = id as u32;
                self.keys.extend_from_slice(key);
                self.hashes.push(hash);
                self.values.push(new());
                if 2 * self.values.len() > self.slots.len() {
                    self.grow()?;
                }
                Ok(id)
            }
        }
    }

    /// Insert `key` if absent; returns whether it was new.
    pub fn insert_new(&mut self, key: &[u64], hash: u64, value: V) -> Result<bool> {
        let before = self.len();
        self.upsert(key, hash, || value, |_| Ok(()))?;
        Ok(self.len() > before)
    }
}

/// `n` copies of `v`, or [`Error::OutOfMemory`].
fn filled(n: usize, v: u32) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    out.try_reserve_exact(n).map_err(|_| Error::OutOfMemory {
        what: "the slots of a hash table".into(),
        bytes: 4 * n as u64,
    })?;
    out.resize(n, v);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_insertion_order_and_survive_growth() {
        let mut m: WordMap<u64> = WordMap::new(2);
        for i in 0..1000u64 {
            let k = [i % 300, i % 300 % 7];
            m.upsert(
                &k,
                hash_words(&k),
                || 1,
                |c| {
                    *c += 1;
                    Ok(())
                },
            )
            .unwrap();
        }
        assert_eq!(m.len(), 300);
        let k = [5u64, 5];
        let id = m.find(&k, hash_words(&k)).unwrap();
        assert_eq!(m.key(id), &k);
        assert_eq!(m.key(0), &[0, 0]);
        assert_eq!(m.values().iter().sum::<u64>(), 1000);
    }
}
