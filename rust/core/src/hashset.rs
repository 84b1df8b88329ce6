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
        Self::with_capacity(words, 0)
    }

    /// An empty map that holds `n` keys without growing.
    pub fn with_capacity(words: usize, n: usize) -> Self {
        WordMap {
            words,
            keys: Vec::with_capacity(n * words),
            hashes: Vec::with_capacity(n),
            values: Vec::with_capacity(n),
            slots: vec![EMPTY; (2 * n).next_power_of_two().max(64)],
        }
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

    fn grow(&mut self) {
        let cap = self.slots.len() * 2;
        let mask = cap - 1;
        let mut slots = vec![EMPTY; cap];
        for (id, &h) in self.hashes.iter().enumerate() {
            let mut s = h as usize & mask;
            while slots[s] != EMPTY {
                s = (s + 1) & mask;
            }
            slots[s] = id as u32;
        }
        self.slots = slots;
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
    /// Returns the id. Fails when the map would exceed `2^32 - 2` keys, or when
    /// `update` fails.
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
                self.slots[s] = id as u32;
                self.keys.extend_from_slice(key);
                self.hashes.push(hash);
                self.values.push(new());
                if 2 * self.values.len() > self.slots.len() {
                    self.grow();
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
