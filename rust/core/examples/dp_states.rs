use regions_core::{maxpool, Control};
fn main() {
    let a: Vec<usize> = std::env::args()
        .skip(1)
        .map(|s| s.parse().unwrap())
        .collect();
    let t = std::time::Instant::now();
    let v = maxpool::count_vertices_2d(
        (a[0], a[1]),
        (a[2], a[3]),
        (1, 1),
        usize::MAX,
        &Control::new(),
    )
    .unwrap();
    println!("{v} {:.3}s", t.elapsed().as_secs_f64());
}
