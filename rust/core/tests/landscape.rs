//! Parameter-space patterns, neuron dichotomies and Jacobian ranks.

use regions_core::landscape::{self, Data, RankRule, Scheme, Wrt};
use regions_core::linalg::modp::random_primes;
use regions_core::random::Rng;
use regions_core::Control;

fn binom(n: u64, k: u64) -> u64 {
    if k > n {
        return 0;
    }
    (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
}

fn cover(n: u64, dim: u64) -> u64 {
    2 * (0..dim).map(|k| binom(n - 1, k)).sum::<u64>()
}

fn gaussian(seed: u64, n: usize, d: usize) -> Vec<f64> {
    let mut r = Rng::new(seed, 1);
    (0..n * d).map(|_| r.normal()).collect()
}

#[test]
fn neuron_patterns_match_cover_in_general_position() {
    let c = Control::new();
    for d in 1..=3 {
        for n in [1, 2, 3, 5, 9, 17] {
            for bias in [true, false] {
                let x = gaussian((d * 100 + n) as u64, n, d);
                let data = Data::new(&x, n, d, bias).unwrap();
                let pats = landscape::neuron_patterns(&data, usize::MAX, &c).unwrap();
                let count = pats.len() / landscape::words(n);
                let dim = (d + bias as usize) as u64;
                let expect = if dim >= n as u64 {
                    1u64 << n
                } else {
                    cover(n as u64, dim)
                };
                assert_eq!(count as u64, expect, "d={d} n={n} bias={bias}");
            }
        }
    }
}

#[test]
fn degenerate_data_gives_fewer_patterns() {
    let c = Control::new();
    // d = 1 with bias: 2n for distinct points; repeated points count once.
    let x = [0.0, 1.0, 2.0, 5.0];
    let count = |x: &[f64], n: usize, d: usize| {
        landscape::neuron_patterns(&Data::new(x, n, d, true).unwrap(), usize::MAX, &c)
            .unwrap()
            .len()
            / landscape::words(n)
    };
    assert_eq!(count(&x, 4, 1), 8);
    assert_eq!(count(&[0.0, 1.0, 1.0, 5.0], 4, 1), 6);
    // Three collinear points in the plane behave like 3 points on a line: 2·3 = 6
    // dichotomies instead of Cover's 8.
    assert_eq!(count(&[0.0, 0.0, 1.0, 1.0, 2.0, 2.0], 3, 2), 6);
    assert_eq!(count(&[0.0, 0.0, 1.0, 1.0, 2.0, 2.5], 3, 2), 8);
}

#[test]
fn exact_and_numerical_ranks_agree_on_random_patterns() {
    let c = Control::new();
    let mut rng = Rng::new(5, 0);
    let primes = random_primes(3, 9);
    for trial in 0..60 {
        let n = 2 + rng.below(12) as usize;
        let d = 1 + rng.below(3) as usize;
        let m = 1 + rng.below(8) as usize;
        let x = gaussian(trial, n, d);
        let data = Data::new(&x, n, d, true).unwrap();
        let mut a = vec![0u64; m];
        landscape::sample_pattern(&data, m, Scheme::Uniform, None, &mut rng, &mut a).unwrap();
        for wrt in [Wrt::First, Wrt::All] {
            let num =
                landscape::jacobian_rank(&data, &a, m, None, wrt, RankRule::Numerical(None), true)
                    .unwrap()
                    .0;
            let ex = landscape::jacobian_rank(
                &data,
                &a,
                m,
                None,
                wrt,
                RankRule::Exact { primes: 3, seed: 9 },
                false,
            )
            .unwrap()
            .0;
            let fast =
                landscape::jacobian_rank(&data, &a, m, None, wrt, RankRule::Numerical(None), false)
                    .unwrap()
                    .0;
            assert_eq!(fast, num);
            assert_eq!(num, ex, "trial {trial} {wrt:?}");
        }
        let v: Vec<f64> = (0..m).map(|i| if i % 3 == 0 { 0.0 } else { 1.5 }).collect();
        let jv = landscape::jacobian(&data, &a, m, Some(&v)).unwrap();
        let num = regions_core::linalg::rank::numerical_rank(&jv, n, m * (d + 1), None, false)
            .unwrap()
            .0;
        assert_eq!(
            num,
            landscape::exact_jacobian_rank(&data, &a, m, Some(&v), Wrt::First, &primes)
        );
    }
    let _ = c;
}

#[test]
fn batched_patterns_and_thread_independence() {
    let (n, d, m, t) = (37, 3, 5, 9);
    let x = gaussian(1, n, d);
    let data = Data::new(&x, n, d, true).unwrap();
    let w = gaussian(2, t * m, d);
    let b = gaussian(3, t * m, 1);
    let c = Control::new();
    let a = landscape::patterns(&data, &w, &b, t, m, &c).unwrap();
    for k in 0..t {
        for i in 0..m {
            for j in 0..n {
                let h: f64 = (0..d)
                    .map(|q| w[(k * m + i) * d + q] * x[j * d + q])
                    .sum::<f64>()
                    + b[k * m + i];
                let bit = a[(k * m + i) + j / 64] >> (j % 64) & 1 == 1;
                assert_eq!(bit, h > 0.0);
            }
        }
    }
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let three = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    let cells = [(10, 4), (20, 12)];
    let run = || {
        landscape::phase_diagram(
            &cells,
            2,
            16,
            landscape::DataDist::Uniform01,
            true,
            Scheme::Init(landscape::Init::Torch),
            Wrt::First,
            RankRule::Numerical(None),
            7,
            &c,
        )
        .unwrap()
    };
    assert_eq!(one.install(run), three.install(run));
    let run2 = || {
        landscape::sample_ranks(
            &data,
            6,
            20,
            Scheme::Nonempty,
            Wrt::All,
            RankRule::Exact { primes: 2, seed: 1 },
            3,
            &c,
        )
        .unwrap()
    };
    let (r1, r3) = (one.install(run2), three.install(run2));
    assert_eq!(
        r1.iter().map(|r| r.0).collect::<Vec<_>>(),
        r3.iter().map(|r| r.0).collect::<Vec<_>>()
    );
}

/// One end-to-end check over every layer kind (over 80 lines: the network is written out).
#[test]
fn deep_parameter_jacobian_matches_finite_differences() {
    use regions_core::functional;
    use regions_core::network::{Activation, Affine, Layer, Network};
    let mut rng = Rng::new(3, 3);
    let mut aff = |o: usize, i: usize| {
        Affine::new(
            (0..o * i).map(|_| rng.normal()).collect(),
            (0..o).map(|_| 0.3 * rng.normal()).collect(),
            o,
            i,
            "t",
        )
        .unwrap()
    };
    let layers = vec![
        Layer::Dense {
            affine: aff(6, 3),
            activation: Activation::Relu,
        },
        Layer::Dense {
            affine: aff(8, 6),
            activation: Activation::Maxout(2),
        },
        Layer::MaxPool {
            windows: vec![vec![0, 1], vec![1, 2, 3]],
            n_in: 4,
        },
        Layer::Dense {
            affine: aff(5, 2),
            activation: Activation::LeakyRelu(0.2),
        },
    ];
    let out = aff(2, 5);
    let net = Network::new(layers.clone(), out.clone()).unwrap();
    let k = 7;
    let x = gaussian(4, k, 3);
    let c = Control::new();
    let jac = functional::parameter_jacobian(&net, &x, k, &c).unwrap();
    let p = functional::n_params(&net);
    assert_eq!(jac.len(), k * 2 * p);
    // Perturb each parameter and difference the outputs (central, step 1e-6).
    let flat = |layers: &[Layer], out: &Affine| -> Vec<f64> {
        let mut v = Vec::new();
        for l in layers {
            if let Layer::Dense { affine, .. } = l {
                v.extend(affine.values());
                v.extend(&affine.b);
            }
        }
        v.extend(out.values());
        v.extend(&out.b);
        v
    };
    let rebuild = |theta: &[f64]| -> Network {
        let mut off = 0;
        let mut ls = layers.clone();
        for l in ls.iter_mut() {
            if let Layer::Dense { affine, .. } = l {
                let (nw, nb) = (affine.n_entries(), affine.b.len());
                affine.values_mut().copy_from_slice(&theta[off..off + nw]);
                affine.b.copy_from_slice(&theta[off + nw..off + nw + nb]);
                off += nw + nb;
            }
        }
        let mut o = out.clone();
        let nw = o.n_entries();
        o.values_mut().copy_from_slice(&theta[off..off + nw]);
        o.b.copy_from_slice(&theta[off + nw..]);
        Network::new(ls, o).unwrap()
    };
    let theta = flat(&layers, &out);
    assert_eq!(theta.len(), p);
    let h = 1e-6;
    for q in 0..p {
        let mut tp = theta.clone();
        tp[q] += h;
        let mut tm = theta.clone();
        tm[q] -= h;
        let fp = regions_core::patterns::forward(&rebuild(&tp), &x, k, &c).unwrap();
        let fm = regions_core::patterns::forward(&rebuild(&tm), &x, k, &c).unwrap();
        for r in 0..k * 2 {
            let fd = (fp[r] - fm[r]) / (2.0 * h);
            assert!(
                (fd - jac[r * p + q]).abs() < 1e-5,
                "row {r} param {q}: fd {fd} vs {}",
                jac[r * p + q]
            );
        }
    }
}
