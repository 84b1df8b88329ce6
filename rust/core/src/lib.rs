//! # regions-core
//!
//! The algorithms of `regions`: geometry of activation regions of piecewise-linear
//! neural networks. Pure Rust (no Python): functions take slices and shapes and
//! return plain types or an [`Error`]. Conventions follow `shared/MATH.md`.
//!
//! Modules: [`network`] (model, blocked forward pass, pattern layout), [`patterns`]
//! (parallel pattern enumeration and counting), [`control`] (cancel / progress),
//! [`random`] (reproducible streams).

pub mod bits;
pub mod control;
pub mod error;
pub mod functional;
pub mod hashset;
pub mod landscape;
pub mod linalg;
pub mod maxpool;
pub mod network;
pub mod patterns;
pub mod random;
pub mod regions;

pub use control::Control;
pub use error::{Error, Result};
pub use network::{Activation, Affine, Layer, Network};
