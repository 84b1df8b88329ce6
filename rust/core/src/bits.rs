//! Packed bit rows: the one place where bit fields of `u64` words are read and written.
//!
//! A row is a slice of little-endian `u64` words: bit `j` of the row is bit `j % 64`
//! of word `j / 64`. Activation patterns ([`crate::network`]), the max-pooling DP's
//! relation keys ([`crate::maxpool`]) and the incidence sets of cells
//! ([`crate::regions`]) all use this layout.

/// Number of bits that hold an index in `0..k` (`0` for `k ≤ 1`).
pub fn index_bits(k: usize) -> u32 {
    if k <= 1 {
        0
    } else {
        usize::BITS - (k - 1).leading_zeros()
    }
}

/// Number of `u64` words that hold `bits` bits (at least one).
#[inline]
pub fn words_for(bits: usize) -> usize {
    bits.div_ceil(64).max(1)
}

/// Write `value` into `bits ≤ 64` bits starting at bit `offset` (fields may straddle
/// words). The field must be zero before: bits are or-ed in.
#[inline]
pub fn put_field(p: &mut [u64], offset: usize, bits: u32, value: u64) {
    if bits == 0 {
        return;
    }
    let (w, s) = (offset >> 6, (offset & 63) as u32);
    p[w] |= value << s;
    if s > 0 && s + bits > 64 {
        p[w + 1] |= value >> (64 - s);
    }
}

/// Read `bits ≤ 64` bits starting at bit `offset`.
#[inline]
pub fn get_field(p: &[u64], offset: usize, bits: u32) -> u64 {
    if bits == 0 {
        return 0;
    }
    let (w, s) = (offset >> 6, (offset & 63) as u32);
    let mut v = p[w] >> s;
    if s + bits > 64 {
        v |= p[w + 1] << (64 - s);
    }
    v & (u64::MAX >> (64 - bits))
}

/// Write `bits ≤ 128` bits of `v` at bit `offset` (or-ed in, as [`put_field`]).
#[inline]
pub fn put_wide(p: &mut [u64], offset: usize, bits: usize, v: u128) {
    if bits <= 64 {
        put_field(p, offset, bits as u32, v as u64);
    } else {
        put_field(p, offset, 64, v as u64);
        put_field(p, offset + 64, (bits - 64) as u32, (v >> 64) as u64);
    }
}

/// Read `bits ≤ 128` bits starting at bit `offset`.
#[inline]
pub fn get_wide(p: &[u64], offset: usize, bits: usize) -> u128 {
    if bits <= 64 {
        get_field(p, offset, bits as u32) as u128
    } else {
        get_field(p, offset, 64) as u128
            | (get_field(p, offset + 64, (bits - 64) as u32) as u128) << 64
    }
}

/// Bit `j` of a row.
#[inline]
pub fn get_bit(p: &[u64], j: usize) -> bool {
    p[j / 64] >> (j % 64) & 1 == 1
}

/// The positions of the set bits of a row, in increasing order.
#[inline]
pub fn ones(p: &[u64]) -> impl Iterator<Item = usize> + '_ {
    p.iter().enumerate().flat_map(|(w, &word)| {
        let mut rest = word;
        std::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let j = w * 64 + rest.trailing_zeros() as usize;
            rest &= rest - 1;
            Some(j)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_straddle_words_and_ones_iterate_in_order() {
        let mut p = vec![0u64; 3];
        put_field(&mut p, 60, 9, 0b1_0110_1011);
        assert_eq!(get_field(&p, 60, 9), 0b1_0110_1011);
        put_wide(&mut p, 70, 100, (1u128 << 99) | 5);
        assert_eq!(get_wide(&p, 70, 100), (1u128 << 99) | 5);
        let set: Vec<usize> = ones(&p).collect();
        assert!(set.iter().all(|&j| get_bit(&p, j)));
        assert_eq!(
            set.len() as u32,
            p.iter().map(|w| w.count_ones()).sum::<u32>()
        );
        assert!(set.windows(2).all(|w| w[0] < w[1]));
        assert_eq!((index_bits(1), index_bits(2), index_bits(5)), (0, 1, 3));
    }
}
