//! `regions._core`: thin PyO3 bindings over `regions-core`.
//!
//! Bindings check shapes, borrow NumPy slices, release the GIL, run on the thread
//! pool ([`run::run`]), map errors ([`errors::BindError`]) and convert results. No
//! algorithm lives here.

mod errors;
mod interior;
mod landscape;
mod local;
mod maxpool;
mod network;
mod regions;
mod run;

use pyo3::prelude::*;

/// mimalloc for every Rust allocation of the extension: the walks allocate a few maps
/// per cell, and glibc's malloc, free and realloc took 12% of a trained-LeNet plane
/// (docs/DEVELOPING.md, session 13).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "LimitExceededError",
        m.py().get_type::<errors::LimitExceededError>(),
    )?;
    m.add_function(wrap_pyfunction!(run::set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(run::get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(run::_panic_in_worker, m)?)?;
    m.add_class::<network::CoreNetwork>()?;
    m.add_class::<network::UniquePatterns>()?;
    maxpool::register(m)?;
    landscape::register(m)?;
    regions::register(m)?;
    local::register(m)?;
    interior::register(m)?;
    Ok(())
}
