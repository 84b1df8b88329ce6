//! CPU state that outlives a call on a worker thread.
//!
//! faer's AVX-512 kernels (matrix products, factorizations) return with the upper parts
//! of the vector registers dirty. On such a thread every later legacy-SSE instruction
//! (this crate is built for baseline x86-64, so all of its own floating-point code) pays
//! a false dependency: a LeNet walk ran 3x slower (user time, not waiting) on a pool
//! whose threads had just computed activation patterns. [`clean_upper_state`] zeroes
//! those registers; it runs after each faer product and, in the bindings, on every pool
//! thread after every call.

/// Zero the AVX-512 registers `zmm16`-`zmm31` (and the upper halves of the others)
/// after faer's matrix product. Its AVX-512 kernels leave them dirty, and a thread with
/// dirty upper register state runs every later legacy-SSE instruction (all of this
/// crate's own code, built for baseline x86-64) with a false dependency: the exact
/// walks ran 3x slower on a pool whose threads had computed activation patterns.
#[inline]
pub fn clean_upper_state() {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F (checked above); the asm only zeroes
            // registers that it declares as clobbered.
            unsafe { zero_zmm_high() }
        } else if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU supports AVX (checked above).
            unsafe { zero_upper() }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn zero_zmm_high() {
    core::arch::asm!(
        "vpxord zmm16, zmm16, zmm16", "vpxord zmm17, zmm17, zmm17",
        "vpxord zmm18, zmm18, zmm18", "vpxord zmm19, zmm19, zmm19",
        "vpxord zmm20, zmm20, zmm20", "vpxord zmm21, zmm21, zmm21",
        "vpxord zmm22, zmm22, zmm22", "vpxord zmm23, zmm23, zmm23",
        "vpxord zmm24, zmm24, zmm24", "vpxord zmm25, zmm25, zmm25",
        "vpxord zmm26, zmm26, zmm26", "vpxord zmm27, zmm27, zmm27",
        "vpxord zmm28, zmm28, zmm28", "vpxord zmm29, zmm29, zmm29",
        "vpxord zmm30, zmm30, zmm30", "vpxord zmm31, zmm31, zmm31",
        "vzeroupper",
        out("zmm16") _, out("zmm17") _, out("zmm18") _, out("zmm19") _,
        out("zmm20") _, out("zmm21") _, out("zmm22") _, out("zmm23") _,
        out("zmm24") _, out("zmm25") _, out("zmm26") _, out("zmm27") _,
        out("zmm28") _, out("zmm29") _, out("zmm30") _, out("zmm31") _,
        out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _,
        out("xmm4") _, out("xmm5") _, out("xmm6") _, out("xmm7") _,
        out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
        out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
        options(nostack, nomem, preserves_flags),
    );
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn zero_upper() {
    // vzeroupper also clears the upper halves of ymm0-15: declared clobbered.
    core::arch::asm!(
        "vzeroupper",
        out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _,
        out("xmm4") _, out("xmm5") _, out("xmm6") _, out("xmm7") _,
        out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
        out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
        options(nostack, nomem, preserves_flags),
    );
}

#[cfg(test)]
mod tests {
    /// The cleanup runs on any CPU (AVX-512, AVX, or neither) and leaves floating-point
    /// results intact.
    #[test]
    fn cleaning_keeps_values() {
        let x: Vec<f64> = (0..100).map(|i| i as f64 * 0.5).collect();
        let before: f64 = x.iter().sum();
        super::clean_upper_state();
        let after: f64 = x.iter().sum();
        assert_eq!(before.to_bits(), after.to_bits());
    }
}
