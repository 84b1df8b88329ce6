//! Exact arithmetic for the region walk: dyadic rationals ([`num`]), affine maps in
//! integers ([`lin`]), polytopes with rational vertices ([`polytope`]) and the exact path
//! of the walk (`walk`), taken for the cells whose float predicates were undecided.

pub mod lin;
pub mod num;
pub mod polytope;
pub(crate) mod walk;

pub use lin::{ExactLin, ExactNet};
pub use polytope::ExactPolytope;
