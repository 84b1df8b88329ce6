//! Full-dimensional regions: cell cuts, Zaslavsky counts, counting = enumeration.
use regions_core::random::Rng;
use regions_core::regions::{domain_regions, Cell, Options, VPolytope};
use regions_core::{Activation, Affine, Control, Layer, Network};

fn binom(n: u64, k: u64) -> u64 {
    (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
}

#[test]
fn cutting_a_cube_through_its_centre_and_through_a_vertex() {
    let cube = VPolytope::boxed(&[-1.0; 3], &[1.0; 3]).unwrap();
    // x + y + z = 0 cuts the cube into two parts with 6 new vertices (hexagon) each.
    let (lo, hi) = cube.clone().split(0.0, &[1.0, 1.0, 1.0], 1e-12);
    let (lo, hi) = (lo.unwrap(), hi.unwrap());
    assert_eq!((lo.n_vertices(), hi.n_vertices()), (4 + 6, 4 + 6));
    // x + y + z = 3 touches only the vertex (1, 1, 1): no cut.
    let (lo, hi) = cube.clone().split(-3.0, &[1.0, 1.0, 1.0], 1e-12);
    assert!(lo.is_some() && hi.is_none());
    // x = 0 through four edges: 8 vertices on each side.
    let (lo, hi) = cube.split(0.0, &[1.0, 0.0, 0.0], 1e-12);
    assert_eq!((lo.unwrap().n_vertices(), hi.unwrap().n_vertices()), (8, 8));
}

#[test]
fn one_generic_layer_gives_zaslavsky_counts() {
    for (d, m) in [(2usize, 9usize), (3, 10), (4, 7), (5, 7)] {
        let mut rng = Rng::new(d as u64, m as u64);
        let w: Vec<f64> = (0..m * d).map(|_| rng.normal()).collect();
        let b: Vec<f64> = (0..m).map(|_| 0.1 * rng.normal()).collect();
        let layer = Layer::Dense { affine: Affine::new(w, b, m, d, "W").unwrap(), activation: Activation::Relu };
        let net = Network::new(vec![layer], Affine::new(vec![1.0; m], vec![0.0], 1, m, "out").unwrap()).unwrap();
        // Every vertex of the arrangement lies in a box of side 2·10^4 with overwhelming
        // probability for these draws (checked by the count itself).
        let dom = VPolytope::boxed(&vec![-1e4; d], &vec![1e4; d]).unwrap();
        let ctrl = Control::new();
        let want: u64 = (0..=d as u64).map(|j| binom(m as u64, j)).sum();
        let counted = domain_regions(&net, dom.clone(), Options { count_only: true, ..Options::default() }, &ctrl).unwrap().0;
        let (n, regs) = domain_regions(&net, dom, Options::default(), &ctrl).unwrap();
        assert_eq!((counted, n, regs.len() as u64), (want, want, want), "d = {d}, m = {m}");
        assert!(regs.iter().all(|r| r.cell.dim() == d));
    }
}
