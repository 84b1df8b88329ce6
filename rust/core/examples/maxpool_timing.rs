//! Timing of the max-pooling counts on the sizes of the benchmark targets.
use regions_core::{maxpool, Control};
use std::time::Instant;

fn main() {
    let c = Control::new();
    let t = Instant::now();
    let v = maxpool::count_vertices_1d(100_000, 3, 1, &c).unwrap();
    println!(
        "1D n=1e5 k=3 s=1: {} digits in {:.3}s",
        v.to_string().len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let v = maxpool::count_vertices_1d(1_000_000, 3, 1, &c).unwrap();
    println!(
        "1D n=1e6 k=3 s=1: {} bits in {:.3}s",
        v.bits(),
        t.elapsed().as_secs_f64()
    );
    for (shape, win) in [
        ((6, 6), (2, 2)),
        ((8, 8), (2, 2)),
        ((9, 9), (2, 2)),
        ((10, 10), (2, 2)),
        ((5, 5), (3, 3)),
        ((6, 6), (3, 3)),
    ] {
        let t = Instant::now();
        let v = maxpool::count_vertices_2d(shape, win, (1, 1), usize::MAX, &c).unwrap();
        println!(
            "2D {shape:?} window {win:?}: {v} in {:.3}s",
            t.elapsed().as_secs_f64()
        );
    }
}
