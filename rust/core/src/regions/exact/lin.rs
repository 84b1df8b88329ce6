//! Affine maps of a cell's coordinates in exact integer arithmetic: a layer's values
//! `z_j(s) = 2^e (a_j + Σ_c B_jc s_c)` with integers `a`, `B` and one exponent `e`.

use num_bigint::BigInt;
use num_traits::{Signed, Zero};

use super::num::{decompose, to_f64, to_ints};
use crate::network::{Activation, Affine, Layer, Network, Weights};

/// `n` affine maps of `k` coordinates: `2^e (a_j + B_j · s)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExactLin {
    pub e: i64,
    pub k: usize,
    pub a: Vec<BigInt>,
    /// `n × k`, row-major.
    pub b: Vec<BigInt>,
}

impl ExactLin {
    /// The maps `origin + Σ_c s_c (dirs_c + lo_c)` of a slice (`dirs`, `lo`: `k` rows of
    /// length `n`; `lo` holds exact corrections of `dirs`, e.g. the rounding errors of
    /// `q − p`).
    pub fn slice(origin: &[f64], dirs: &[f64], lo: &[f64], k: usize) -> Self {
        let n = origin.len();
        let mut all = origin.to_vec();
        all.extend_from_slice(dirs);
        all.extend_from_slice(lo);
        let (ints, e) = to_ints(&all);
        let a = ints[..n].to_vec();
        let mut b = vec![BigInt::zero(); n * k];
        for c in 0..k {
            for j in 0..n {
                b[j * k + c] = &ints[n + c * n + j] + &ints[n + n * k + c * n + j];
            }
        }
        ExactLin { e, k, a, b }
    }

    /// Number of maps.
    pub fn len(&self) -> usize {
        self.a.len()
    }

    /// Whether there are no maps.
    pub fn is_empty(&self) -> bool {
        self.a.is_empty()
    }

    /// Coefficients `(a_j, B_j)` of map `j`.
    pub fn row(&self, j: usize) -> (&BigInt, &[BigInt]) {
        (&self.a[j], &self.b[j * self.k..(j + 1) * self.k])
    }

    /// Whether map `j` is identically zero.
    pub fn is_zero(&self, j: usize) -> bool {
        let (a, b) = self.row(j);
        a.is_zero() && b.iter().all(Zero::is_zero)
    }

    /// `map q − map r` (up to the positive factor `2^e`).
    pub fn diff(&self, q: usize, r: usize) -> (BigInt, Vec<BigInt>) {
        let ((aq, bq), (ar, br)) = (self.row(q), self.row(r));
        (aq - ar, bq.iter().zip(br).map(|(x, y)| x - y).collect())
    }

    /// The maps with these rows (indices into `self`).
    pub fn select(&self, rows: impl Iterator<Item = usize>) -> Self {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for j in rows {
            a.push(self.a[j].clone());
            b.extend_from_slice(&self.b[j * self.k..(j + 1) * self.k]);
        }
        ExactLin {
            e: self.e,
            k: self.k,
            a,
            b,
        }
    }

    /// These maps followed by rows `rows` of `src` (the inputs a layer carries past its
    /// units), at the smaller of the two exponents.
    pub fn with_rows(mut self, src: &ExactLin, rows: &[usize]) -> Self {
        if rows.is_empty() {
            return self;
        }
        let e = self.e.min(src.e);
        let (up, up_src) = ((self.e - e) as usize, (src.e - e) as usize);
        if up > 0 {
            self.a.iter_mut().for_each(|x| *x <<= up);
            self.b.iter_mut().for_each(|x| *x <<= up);
        }
        for &j in rows {
            self.a.push(&src.a[j] << up_src);
            self.b.extend(
                src.b[j * self.k..(j + 1) * self.k]
                    .iter()
                    .map(|x| x << up_src),
            );
        }
        self.e = e;
        self
    }

    /// Rounded to floats: `(a, B)` of `α + B s`.
    pub fn to_f64(&self) -> (Vec<f64>, Vec<f64>) {
        (
            self.a.iter().map(|x| to_f64(x, self.e)).collect(),
            self.b.iter().map(|x| to_f64(x, self.e)).collect(),
        )
    }
}

/// An [`Affine`] map in integers: `W = 2^ew Wi`, `b = 2^eb bi`.
#[derive(Debug, Clone)]
pub struct ExactAffine {
    n_out: usize,
    /// Row `i`'s weights are `w[ptr[i]..ptr[i+1]]`, in columns `col[..]` (every column
    /// of a dense row when `col` is empty).
    ptr: Vec<usize>,
    col: Vec<u32>,
    w: Vec<BigInt>,
    ew: i64,
    b: Vec<BigInt>,
    eb: i64,
}

impl ExactAffine {
    fn new(a: &Affine) -> Self {
        let (w, ew) = to_ints(a.values());
        let (b, eb) = to_ints(&a.b);
        let (ptr, col) = match &a.weights {
            Weights::Dense(_) => ((0..=a.n_out).map(|i| i * a.n_in).collect(), Vec::new()),
            Weights::Sparse(s) => (s.ptr.clone(), s.col.clone()),
        };
        ExactAffine {
            n_out: a.n_out,
            ptr,
            col,
            w,
            ew,
            b,
            eb,
        }
    }

    /// Update `h = W z_old + b` ([`ExactAffine::apply`]) to `W z_new + b`, where
    /// `z_new` differs from `z_old` only in rows `cols` (same exponent): `O(|cols| n k)`
    /// instead of `O(n_in n k)`. `false` (and `h` untouched) for sparse weights.
    pub fn apply_delta(
        &self,
        h: &mut ExactLin,
        z_old: &ExactLin,
        z_new: &ExactLin,
        cols: &[usize],
    ) -> bool {
        if !self.col.is_empty() || z_old.e != z_new.e {
            return false;
        }
        let k = z_new.k;
        let n_in = z_new.len();
        let ep = self.ew + z_new.e;
        let sp = (ep - h.e) as usize;
        for &j in cols {
            let da = &z_new.a[j] - &z_old.a[j];
            let db: Vec<BigInt> = (0..k)
                .map(|c| &z_new.b[j * k + c] - &z_old.b[j * k + c])
                .collect();
            for i in 0..self.n_out {
                let w = &self.w[i * n_in + j];
                if w.is_zero() {
                    continue;
                }
                if !da.is_zero() {
                    h.a[i] += (w * &da) << sp;
                }
                for (c, d) in db.iter().enumerate() {
                    if !d.is_zero() {
                        h.b[i * k + c] += (w * d) << sp;
                    }
                }
            }
        }
        true
    }

    /// `W z + b` as maps of the cell's coordinates, exactly.
    pub fn apply(&self, z: &ExactLin) -> ExactLin {
        let (n, k) = (self.n_out, z.k);
        let ep = self.ew + z.e;
        let e = ep.min(self.eb);
        let (sp, sb) = ((ep - e) as usize, (self.eb - e) as usize);
        let mut a = Vec::with_capacity(n);
        let mut b = Vec::with_capacity(n * k);
        let mut acc = vec![BigInt::zero(); k];
        for i in 0..n {
            let mut acc_a = BigInt::zero();
            acc.iter_mut().for_each(|x| x.set_zero());
            let (s, t) = (self.ptr[i], self.ptr[i + 1]);
            for (r, w) in (s..t).zip(&self.w[s..t]) {
                let j = if self.col.is_empty() {
                    r - s
                } else {
                    self.col[r] as usize
                };
                if w.is_zero() {
                    continue;
                }
                if !z.a[j].is_zero() {
                    acc_a += w * &z.a[j];
                }
                for (x, zb) in acc.iter_mut().zip(&z.b[j * k..(j + 1) * k]) {
                    if !zb.is_zero() {
                        *x += w * zb;
                    }
                }
            }
            a.push((acc_a << sp) + (&self.b[i] << sb));
            b.extend(acc.iter().map(|x| x << sp));
        }
        ExactLin { e, k, a, b }
    }
}

/// A hidden layer in integers.
#[derive(Debug, Clone)]
pub enum ExactLayer {
    /// Affine map; `slope = Some((m, e))` is a leaky ReLU's `α = m 2^e`, `None` ReLU or maxout.
    Dense {
        affine: ExactAffine,
        activation: Activation,
        slope: Option<(BigInt, i64)>,
    },
    MaxPool {
        windows: Vec<Vec<usize>>,
    },
}

/// A [`Network`] in integers (built on first use of the exact path).
#[derive(Debug, Clone)]
pub struct ExactNet {
    pub layers: Vec<ExactLayer>,
    /// Per layer, the inputs it carries past its units ([`Network::carry`]).
    pub carry: Vec<Vec<usize>>,
    pub output: ExactAffine,
}

impl ExactNet {
    pub fn new(net: &Network) -> Self {
        let layers = net
            .layers()
            .iter()
            .map(|l| match l {
                Layer::Dense { affine, activation } => {
                    let slope = match activation {
                        Activation::LeakyRelu(s) => {
                            let (m, e) = decompose(*s);
                            Some((BigInt::from(m), e))
                        }
                        _ => None,
                    };
                    ExactLayer::Dense {
                        affine: ExactAffine::new(affine),
                        activation: *activation,
                        slope,
                    }
                }
                Layer::MaxPool { windows, .. } => ExactLayer::MaxPool {
                    windows: windows.clone(),
                },
            })
            .collect();
        ExactNet {
            layers,
            carry: (0..net.layers().len())
                .map(|l| net.carry(l).to_vec())
                .collect(),
            output: ExactAffine::new(net.output()),
        }
    }
}

/// The next layer's input after a ReLU / leaky-ReLU layer with values `h` and bits `on`:
/// `h_i` where on, `α h_i` (leaky) or `0` (ReLU) elsewhere.
pub fn rectify(
    h: &ExactLin,
    on: impl Fn(usize) -> bool,
    slope: &Option<(BigInt, i64)>,
) -> ExactLin {
    let k = h.k;
    match slope {
        None => {
            let mut z = h.clone();
            for i in 0..h.len() {
                if !on(i) {
                    z.a[i].set_zero();
                    z.b[i * k..(i + 1) * k].iter_mut().for_each(Zero::set_zero);
                }
            }
            z
        }
        Some((m, es)) => {
            // Common exponent e + min(es, 0): active rows shift by -es when es < 0.
            let e = h.e + es.min(&0);
            let up = (-es).max(0) as usize;
            let down_m = if *es > 0 {
                m << *es as usize
            } else {
                m.clone()
            };
            let mut z = h.clone();
            z.e = e;
            for i in 0..h.len() {
                let f = |x: &BigInt| if on(i) { x << up } else { x * &down_m };
                z.a[i] = f(&h.a[i]);
                for c in 0..k {
                    z.b[i * k + c] = f(&h.b[i * k + c]);
                }
            }
            z
        }
    }
}

/// The sign of `a w + B · x` at the homogeneous point `(x, w)`.
pub fn sign_at(a: &BigInt, b: &[BigInt], x: &[BigInt]) -> i8 {
    let k = b.len();
    let mut v = a * &x[k];
    for (bc, xc) in b.iter().zip(x) {
        if !bc.is_zero() && !xc.is_zero() {
            v += bc * xc;
        }
    }
    if v.is_zero() {
        0
    } else if v.is_negative() {
        -1
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense(n: usize, m: usize, seed: u64) -> Layer {
        // Weights of mixed exponents (powers of two and thirds), so shifts matter.
        let w = (0..n * m)
            .map(|i| ((i as u64 * 7919 + seed) % 13) as f64 / 3.0 - 2.0)
            .collect();
        let b = (0..n).map(|i| 0.125 * i as f64 - 0.3).collect();
        Layer::Dense {
            affine: Affine::new(w, b, n, m, "l").unwrap(),
            activation: Activation::Relu,
        }
    }

    #[test]
    fn apply_delta_equals_apply() {
        let out = Affine::new(vec![1.0; 5], vec![0.0], 1, 5, "o").unwrap();
        let net = Network::new(vec![dense(7, 3, 1), dense(5, 7, 2)], out).unwrap();
        let exact = ExactNet::new(&net);
        let ExactLayer::Dense { affine, .. } = &exact.layers[1] else {
            panic!("dense")
        };
        let z0 = ExactLin::slice(
            &[0.5, -0.25, 1.0],
            &[1.0, 0.1, 0.0, 0.0, 1.0, 0.3],
            &[0.0; 6],
            2,
        );
        let ExactLayer::Dense { affine: a0, .. } = &exact.layers[0] else {
            panic!("dense")
        };
        let h = a0.apply(&z0);
        let (on1, on2) = (|i: usize| i % 2 == 0, |i: usize| i % 3 != 1);
        let (z1, z2) = (rectify(&h, on1, &None), rectify(&h, on2, &None));
        let cols: Vec<usize> = (0..h.len()).filter(|&i| on1(i) != on2(i)).collect();
        let mut inc = affine.apply(&z1);
        assert!(affine.apply_delta(&mut inc, &z1, &z2, &cols));
        let full = affine.apply(&z2);
        assert_eq!(inc.e, full.e);
        // Equal as maps: the same integers at the same exponent.
        assert_eq!(inc, full);
    }
}
