//! Times the pieces of a large numerical rank (`cargo run --release --example
//! large_rank_timing -- ROWS COLS`): thin QR, blocked triangular inverse (the σ_min
//! certificate) and the SVD of R, sequential and on the rayon pool.
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::qr::no_pivoting::factor;
use faer::{Mat, Par};
use regions_core::random::Rng;
use std::time::Instant;

/// One timing scenario end to end (over 80 lines: it is a script, not library code).
fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let (rows, cols) = (
        args.first().copied().unwrap_or(2000),
        args.get(1).copied().unwrap_or(20000),
    );
    let mut rng = Rng::new(1, 1);
    let a = Mat::<f64>::from_fn(cols, rows, |_, _| {
        if rng.next_f64() < 0.3 {
            rng.normal()
        } else {
            0.0
        }
    });
    let mut rs = vec![];
    for par in [Par::Seq, Par::rayon(2)] {
        let mut m = a.clone();
        let k = rows.min(cols);
        let bs = factor::recommended_block_size::<f64>(cols, rows);
        let mut q = Mat::<f64>::zeros(bs, k);
        let mut mem = MemBuffer::new(factor::qr_in_place_scratch::<f64>(
            cols,
            rows,
            bs,
            par,
            Default::default(),
        ));
        let t = Instant::now();
        factor::qr_in_place(
            m.as_mut(),
            q.as_mut(),
            par,
            MemStack::new(&mut mem),
            Default::default(),
        );
        let t_qr = t.elapsed().as_secs_f64();
        let r = Mat::<f64>::from_fn(k, k, |i, j| if i <= j { m[(i, j)] } else { 0.0 });
        let mut inv = Mat::<f64>::zeros(k, k);
        let t = Instant::now();
        faer::linalg::triangular_inverse::invert_upper_triangular(inv.as_mut(), r.as_ref(), par);
        let fro = (0..k)
            .map(|j| (0..=j).map(|i| inv[(i, j)] * inv[(i, j)]).sum::<f64>())
            .sum::<f64>()
            .sqrt();
        let t_inv = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let s = r.singular_values().unwrap();
        let t_svd = t.elapsed().as_secs_f64();
        rs.push(r.clone());
        println!("{par:?}: qr {t_qr:.2} s, triangular inverse {t_inv:.2} s (σ_min ≥ {:.3e}), svd of R {t_svd:.2} s (σ_min = {:.3e})", 1.0 / fro, s[k - 1]);
    }
    // Same Par::rayon(2) split, run on pools of 1 and 2 threads: bitwise equal?
    let qr_on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut m = a.clone();
            let k = rows.min(cols);
            let bs = factor::recommended_block_size::<f64>(cols, rows);
            let mut q = Mat::<f64>::zeros(bs, k);
            let mut mem = MemBuffer::new(factor::qr_in_place_scratch::<f64>(
                cols,
                rows,
                bs,
                Par::rayon(2),
                Default::default(),
            ));
            factor::qr_in_place(
                m.as_mut(),
                q.as_mut(),
                Par::rayon(2),
                MemStack::new(&mut mem),
                Default::default(),
            );
            m
        })
    };
    println!(
        "Par::rayon(2) on 1 vs 2 threads bitwise equal: {}",
        qr_on(1) == qr_on(2)
    );
    let diff = (0..rs[0].ncols())
        .flat_map(|j| (0..=j).map(move |i| (i, j)))
        .map(|(i, j)| (rs[0][(i, j)] - rs[1][(i, j)]).abs())
        .fold(0.0, f64::max);
    println!("max |R_seq - R_par| = {diff:e}");
}
