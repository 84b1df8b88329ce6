use faer::{Mat, MatRef};
use regions_core::random::Rng;
use std::time::Instant;
fn main() {
    for (n, c) in [(100usize, 900usize), (50, 450), (100, 300), (10, 900)] {
        let mut r = Rng::new(1, 1);
        let a: Vec<f64> = (0..n * c)
            .map(|_| if r.next_f64() < 0.5 { r.normal() } else { 0.0 })
            .collect();
        let m = MatRef::from_row_major_slice(&a, n, c);
        let reps = 50;
        let t = Instant::now();
        let mut s0 = vec![];
        for _ in 0..reps {
            s0 = m.singular_values().unwrap();
        }
        let t_svd = t.elapsed().as_secs_f64() / reps as f64;
        let t = Instant::now();
        let mut s1 = vec![];
        for _ in 0..reps {
            let mt: Mat<f64> = m.transpose().to_owned();
            let qr = mt.qr();
            let rr = qr.R().to_owned();
            s1 = rr.singular_values().unwrap();
        }
        let t_qr = t.elapsed().as_secs_f64() / reps as f64;
        let err = s0
            .iter()
            .zip(&s1)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        println!(
            "{n}x{c}: svd {:.3} ms, qr+svd {:.3} ms, max diff {err:.2e}",
            t_svd * 1e3,
            t_qr * 1e3
        );
    }
}
