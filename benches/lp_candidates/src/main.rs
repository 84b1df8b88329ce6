//! Time per LP of two maintained LP crates on the max-slack LP of a local-count cell:
//! maximize t subject to g_j·y + c_j ≥ t ‖g_j‖₂ (j < m) and y in the box x ± r
//! (d = 784 or 3072, dense cuts through the box), with the two optima compared.
//! microlp: a bounded-variable simplex (box bounds as variable bounds); clarabel: an
//! interior-point solver (box bounds as 2d inequality rows).
#![allow(non_snake_case)]
use std::time::Instant;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-300), self.next());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// Cuts through points near x: g_j random, c_j such that the plane passes within r of x.
fn problem(d: usize, m: usize, seed: u64) -> (Vec<f64>, f64, Vec<Vec<f64>>, Vec<f64>) {
    let mut rng = Rng(seed * 2654435761 + 1);
    let x: Vec<f64> = (0..d).map(|_| rng.next()).collect();
    let r = 0.01;
    let mut g = Vec::new();
    let mut c = Vec::new();
    for _ in 0..m {
        let gj: Vec<f64> = (0..d).map(|_| rng.normal()).collect();
        let n1: f64 = gj.iter().map(|v| v.abs()).sum();
        let off = (rng.next() - 0.5) * r * n1 * 0.5; // the plane cuts the box
        let cj = -gj.iter().zip(&x).map(|(a, b)| a * b).sum::<f64>() + off;
        g.push(gj);
        c.push(cj);
    }
    (x, r, g, c)
}

fn microlp_slack(x: &[f64], r: f64, g: &[Vec<f64>], c: &[f64]) -> f64 {
    use microlp::*;
    let mut p = Problem::new(OptimizationDirection::Maximize);
    let ys: Vec<Variable> = x
        .iter()
        .map(|&xi| p.add_var(0.0, (xi - r, xi + r)))
        .collect();
    let t = p.add_var(1.0, (f64::NEG_INFINITY, 1.0));
    for (gj, &cj) in g.iter().zip(c) {
        let n2 = gj.iter().map(|v| v * v).sum::<f64>().sqrt();
        // g·y + c >= n t   <=>  g·y - n t >= -c
        let mut e = LinearExpr::empty();
        for (k, &v) in gj.iter().enumerate() {
            e.add(ys[k], v);
        }
        e.add(t, -n2);
        p.add_constraint(e, ComparisonOp::Ge, -cj);
    }
    p.solve().map(|s| s.objective()).unwrap_or(f64::NAN)
}

fn clarabel_slack(x: &[f64], r: f64, g: &[Vec<f64>], c: &[f64]) -> f64 {
    use clarabel::algebra::*;
    use clarabel::solver::*;
    let d = x.len();
    let n = d + 1;
    let (mut I, mut J, mut V, mut b) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut row = 0;
    for (gj, &cj) in g.iter().zip(c) {
        let n2 = gj.iter().map(|v| v * v).sum::<f64>().sqrt();
        // -g·y + n t <= c
        for (k, &v) in gj.iter().enumerate() {
            I.push(row);
            J.push(k);
            V.push(-v);
        }
        I.push(row);
        J.push(d);
        V.push(n2);
        b.push(cj);
        row += 1;
    }
    for k in 0..d {
        I.push(row);
        J.push(k);
        V.push(1.0);
        b.push(x[k] + r);
        row += 1;
        I.push(row);
        J.push(k);
        V.push(-1.0);
        b.push(-(x[k] - r));
        row += 1;
    }
    I.push(row);
    J.push(d);
    V.push(1.0);
    b.push(1.0);
    row += 1;
    let A = CscMatrix::new_from_triplets(row, n, I, J, V);
    let P = CscMatrix::<f64>::zeros((n, n));
    let mut q = vec![0.0; n];
    q[d] = -1.0;
    let cones = [NonnegativeConeT(row)];
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .build()
        .unwrap();
    let mut s = DefaultSolver::new(&P, &q, &A, &b, &cones, settings).unwrap();
    s.solve();
    -s.solution.obj_val
}

fn main() {
    for &(d, m) in &[(784usize, 5usize), (784, 20), (784, 50), (3072, 20)] {
        let reps = 5;
        let (mut tm, mut tc) = (0.0, 0.0);
        let mut diff = 0.0f64;
        for seed in 0..reps {
            let (x, r, g, c) = problem(d, m, seed);
            let t0 = Instant::now();
            let a = microlp_slack(&x, r, &g, &c);
            tm += t0.elapsed().as_secs_f64();
            let t0 = Instant::now();
            let b = clarabel_slack(&x, r, &g, &c);
            tc += t0.elapsed().as_secs_f64();
            diff = diff.max((a - b).abs() / a.abs().max(1e-300));
            if seed == 0 {
                println!("  d={d} m={m}: slack microlp {a:.6e} clarabel {b:.6e}");
            }
        }
        println!(
            "d={d} m={m}: microlp {:.2} ms/LP, clarabel {:.2} ms/LP, max rel diff {diff:.1e}",
            tm / reps as f64 * 1e3,
            tc / reps as f64 * 1e3
        );
    }
}
