//! Full-dimensional regions: cell cuts, Zaslavsky counts, counting = enumeration.
use num_bigint::BigInt;
use regions_core::random::Rng;
use regions_core::regions::{domain_regions, Cell, Map, Mode, Options, VPolytope};

fn map<'a>(alpha: f64, beta: &'a [f64]) -> Map<'a> {
    Map {
        alpha,
        beta,
        err: 0.0,
    }
}
use regions_core::{Activation, Affine, Control, Layer, Network};

fn binom(n: u64, k: u64) -> u64 {
    (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
}

#[test]
fn cutting_a_cube_through_its_centre_and_through_a_vertex() {
    let cube = VPolytope::boxed(&[-1.0; 3], &[1.0; 3]).unwrap();
    // x + y + z = 0 cuts the cube into two parts with 6 new vertices (hexagon) each.
    let (lo, hi) = cube
        .clone()
        .split(&map(0.0, &[1.0, 1.0, 1.0]), Mode::Exact)
        .unwrap();
    let (lo, hi) = (lo.unwrap(), hi.unwrap());
    assert_eq!((lo.n_vertices(), hi.n_vertices()), (4 + 6, 4 + 6));
    // x + y + z = 3 touches only the vertex (1, 1, 1): no cut.
    // The float filter cannot decide a vertex exactly on the plane (the walk then goes
    // exact); the tolerance mode and the exact polytope both see no cut.
    assert!(cube
        .clone()
        .split(&map(-3.0, &[1.0, 1.0, 1.0]), Mode::Exact)
        .is_err());
    let (lo, hi) = cube
        .clone()
        .split(&map(-3.0, &[1.0, 1.0, 1.0]), Mode::Tol(1e-12))
        .unwrap();
    assert!(lo.is_some() && hi.is_none());
    let (lo, hi) = cube
        .to_exact()
        .split(&BigInt::from(-3), &[1, 1, 1].map(BigInt::from));
    assert!(lo.is_some() && hi.is_none());
    // x = 0 through four edges: 8 vertices on each side.
    let (lo, hi) = cube
        .split(&map(0.0, &[1.0, 0.0, 0.0]), Mode::Exact)
        .unwrap();
    assert_eq!((lo.unwrap().n_vertices(), hi.unwrap().n_vertices()), (8, 8));
}

#[test]
fn one_generic_layer_gives_zaslavsky_counts() {
    for (d, m) in [(2usize, 9usize), (3, 10), (4, 7), (5, 7)] {
        let mut rng = Rng::new(d as u64, m as u64);
        let w: Vec<f64> = (0..m * d).map(|_| rng.normal()).collect();
        let b: Vec<f64> = (0..m).map(|_| 0.1 * rng.normal()).collect();
        let layer = Layer::Dense {
            affine: Affine::new(w, b, m, d, "W").unwrap(),
            activation: Activation::Relu,
        };
        let net = Network::new(
            vec![layer],
            Affine::new(vec![1.0; m], vec![0.0], 1, m, "out").unwrap(),
        )
        .unwrap();
        // Every vertex of the arrangement lies in a box of side 2·10^4 with overwhelming
        // probability for these draws (checked by the count itself).
        let dom = VPolytope::boxed(&vec![-1e4; d], &vec![1e4; d]).unwrap();
        let ctrl = Control::new();
        let want: u64 = (0..=d as u64).map(|j| binom(m as u64, j)).sum();
        let counted = domain_regions(
            &net,
            dom.clone(),
            Options {
                count_only: true,
                ..Options::default()
            },
            &ctrl,
        )
        .unwrap()
        .count;
        let out = domain_regions(&net, dom, Options::default(), &ctrl).unwrap();
        let (n, regs) = (out.count, out.regions);
        assert_eq!(
            (counted, n, regs.len() as u64),
            (want, want, want),
            "d = {d}, m = {m}"
        );
        assert!(regs.iter().all(|r| r.cell.dim() == d));
    }
}
