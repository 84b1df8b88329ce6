//! The measurement behind `hashset::WordMap` (issue 9): the pattern-set workload
//! (insert `n` keys of `w` words, counting repeats; keys in a flat arena, ids in
//! insertion order) with `WordMap` against `hashbrown::HashTable<u32>` over the same
//! arena and the same hash. Run: `cargo run --release -p regions-core --example hash_timing`.

use std::time::Instant;

use hashbrown::HashTable;
use regions_core::hashset::{hash_words, WordMap};
use regions_core::random::Rng;

/// The hashbrown variant: ids in a `HashTable<u32>`, keys, hashes and counts in arenas.
struct Brown {
    words: usize,
    table: HashTable<u32>,
    keys: Vec<u64>,
    hashes: Vec<u64>,
    counts: Vec<u64>,
}

impl Brown {
    fn insert(&mut self, key: &[u64], hash: u64) {
        let (w, keys, hashes) = (self.words, &self.keys, &self.hashes);
        let found = self.table.find(hash, |&id| {
            let id = id as usize;
            hashes[id] == hash && &keys[id * w..(id + 1) * w] == key
        });
        match found {
            Some(&id) => self.counts[id as usize] += 1,
            None => {
                let id = self.counts.len() as u32;
                let hs = &self.hashes;
                self.table.insert_unique(hash, id, |&i| hs[i as usize]);
                self.keys.extend_from_slice(key);
                self.hashes.push(hash);
                self.counts.push(1);
            }
        }
    }
}

fn main() {
    let n = 1_000_000usize;
    println!("| words | distinct | WordMap (ms) | hashbrown (ms) | hashbrown / WordMap |");
    println!("|---|---|---|---|---|");
    for w in [1usize, 2, 4] {
        for distinct in [50_000u64, 1_000_000] {
            let mut rng = Rng::new(7, w as u64);
            let mut data = vec![0u64; n * w];
            for r in 0..n {
                let id = (rng.next_f64() * distinct as f64) as u64;
                for (q, v) in data[r * w..(r + 1) * w].iter_mut().enumerate() {
                    *v = id
                        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                        .rotate_left(q as u32 * 7)
                        ^ q as u64;
                }
            }
            let (mut best_a, mut best_b) = (f64::MAX, f64::MAX);
            let (mut len_a, mut len_b) = (0, 0);
            for _ in 0..5 {
                let t = Instant::now();
                let mut m: WordMap<u64> = WordMap::new(w);
                for key in data.chunks(w) {
                    m.upsert(
                        key,
                        hash_words(key),
                        || 1,
                        |c| {
                            *c += 1;
                            Ok(())
                        },
                    )
                    .unwrap();
                }
                best_a = best_a.min(t.elapsed().as_secs_f64());
                len_a = m.len();
                let t = Instant::now();
                let mut b = Brown {
                    words: w,
                    table: HashTable::new(),
                    keys: Vec::new(),
                    hashes: Vec::new(),
                    counts: Vec::new(),
                };
                for key in data.chunks(w) {
                    b.insert(key, hash_words(key));
                }
                best_b = best_b.min(t.elapsed().as_secs_f64());
                len_b = b.counts.len();
            }
            assert_eq!(len_a, len_b);
            println!(
                "| {w} | {len_a} | {:.1} | {:.1} | {:.2} |",
                best_a * 1e3,
                best_b * 1e3,
                best_b / best_a
            );
        }
    }
}
