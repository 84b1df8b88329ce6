//! # regions-core
//!
//! The algorithms of `regions`: geometry of activation regions of piecewise-linear
//! neural networks. Pure Rust (no Python): functions take slices and shapes and
//! return plain types or an [`Error`]. Every quantity is defined in the repository's
//! `docs/math.md`.
//!
//! ## Modules
//! Features:
//! - [`network`]: the model, its blocked forward pass and the pattern layout.
//! - [`patterns`]: activation patterns of many points, in parallel and streamed.
//! - [`regions`]: exact linear regions on segments, 2D slices and full-dimensional
//!   polytopes (cells, affine maps with error bounds, the walk, its exact fallback).
//! - [`landscape`]: activation regions in parameter space and Jacobian ranks there.
//! - [`functional`]: the parameter Jacobian and the batch functional dimension.
//! - [`maxpool`]: vertices and faces of max-pooling layers, exact big integers.
//!
//! Shared mechanisms:
//! - [`bits`]: packed bit rows. [`hashset`]: the one hash table ([`hashset::WordMap`]).
//! - [`linalg`]: faer wrappers with explicit parallelism, numerical rank
//!   ([`linalg::rank`]) and exact rank modulo primes ([`linalg::modp`]).
//! - [`control`]: cancellation and progress. [`random`]: reproducible streams.
//!   [`error`]: the error type. [`unionfind`]: disjoint sets.
//!
//! ## Example
//! The patterns of two points under a one-unit ReLU network `x ↦ relu(x₀ − x₁)`:
//! ```
//! use regions_core::{patterns, Activation, Affine, Control, Layer, Network};
//!
//! let hidden = Affine::new(vec![1.0, -1.0], vec![0.0], 1, 2, "weights[0]").unwrap();
//! let output = Affine::new(vec![1.0], vec![0.0], 1, 1, "weights[1]").unwrap();
//! let layer = Layer::Dense { affine: hidden, activation: Activation::Relu };
//! let net = Network::new(vec![layer], output).unwrap();
//! let x = [2.0, 1.0, /* second point */ 1.0, 2.0];
//! let packed = patterns::patterns_packed(&net, &x, 2, &Control::new()).unwrap();
//! assert_eq!(packed, vec![1, 0]); // active at (2, 1), inactive at (1, 2)
//! assert_eq!(patterns::count_patterns(&net, &x, 2, &Control::new()).unwrap(), 2);
//! ```

pub mod bits;
pub mod control;
pub mod cpu;
pub mod error;
pub mod functional;
pub mod hashset;
pub mod landscape;
pub mod linalg;
pub mod local;
pub mod maxpool;
pub mod network;
pub mod patterns;
pub mod random;
pub mod regions;
pub mod unionfind;

pub use control::Control;
pub use error::{Error, Result};
pub use network::{Activation, Affine, Csr, Layer, Network, Params, Weights};
