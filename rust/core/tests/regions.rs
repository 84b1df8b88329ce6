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

/// Three lines whose crossings lie within 1e-9 of each other inside a small rectangle
/// (found among the 2,000 units of `Network.random([2, 2000, 1], seed=0)`): seven
/// regions, the tiny middle triangle included, on the plane (polygons) as in the box.
#[test]
fn a_triangle_of_width_1e_9_survives_the_polygon_walk() {
    use regions_core::regions::{regions_in, Polygon, Slice};
    let w = vec![
        1.3040000451301372,
        0.9470809631292422,
        -0.21354462808298652,
        0.6650660656292455,
        0.8443084416557756,
        1.0020902211528702,
    ];
    let b = vec![
        0.09782301660508295,
        -0.12038660717088173,
        0.01385257637716613,
    ];
    let layer = Layer::Dense {
        affine: Affine::new(w, b, 3, 2, "l").unwrap(),
        activation: Activation::Relu,
    };
    let net = Network::new(
        vec![layer],
        Affine::new(vec![1.0; 3], vec![0.0], 1, 3, "o").unwrap(),
    )
    .unwrap();
    let (u0, u1, v0, v1) = (-0.16796875, -0.1640625, 0.125, 0.12890625);
    let ctrl = Control::default();
    for mode in [Mode::Exact, Mode::Rational] {
        let opts = Options {
            mode,
            ..Options::default()
        };
        let poly = Polygon::rect(u0, u1, v0, v1);
        let out = regions_in(&net, &Slice::identity(2), poly, opts, &ctrl).unwrap();
        assert_eq!(out.count, 7, "{mode:?} polygons");
        let bx = VPolytope::boxed(&[u0, v0], &[u1, v1]).unwrap();
        assert_eq!(
            domain_regions(&net, bx, opts, &ctrl).unwrap().count,
            7,
            "{mode:?} box"
        );
    }
}
