# Everyday targets. `make dev` once, then `make test` / `make lint` / `make docs` / `make bench`.
export CARGO_TARGET_DIR ?= /var/tmp/regions-cargo-target
PY ?= python3

.PHONY: dev build test lint fmt docs bench ci wheel

dev:  ## install the package with the test and gate extras (release build of the extension)
	$(PY) -m pip install --quiet '.[test,dev]'

build:  ## rebuild and reinstall the extension after a Rust change
	$(PY) -m pip install --quiet --no-deps --force-reinstall .

test:  ## Rust core tests, then the Python tests against the installed wheel
	cargo test -p regions-core
	$(PY) -m pytest -q tests

fmt:  ## apply the formatters
	cargo fmt --all
	$(PY) -m ruff format python tests benches examples
	$(PY) -m ruff check --fix python tests benches examples

lint:  ## every gate of .ci/run except the tests
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" cargo doc -p regions-core --no-deps --quiet
	$(PY) -m ruff check python tests benches examples
	$(PY) -m ruff format --check python tests benches examples
	$(PY) -m mypy --strict python/regions
	cd /tmp && $(PY) -m mypy.stubtest regions._core
	$(PY) -m mkdocs build --strict --quiet

wheel:  ## a stripped manylinux2014 wheel in dist/ (zig links it against glibc 2.17), checked by auditwheel
	CARGO_TARGET_DIR=/var/tmp/regions-wheel-target $(PY) -m maturin build --release --zig \
		--compatibility manylinux2014 --strip --quiet -o dist
	$(PY) -m auditwheel show dist/activation_regions-*manylinux_2_17_x86_64.whl | grep -q 'consistent with the following platform tag' \
		&& $(PY) -m auditwheel show dist/activation_regions-*manylinux_2_17_x86_64.whl | grep -q manylinux_2_17_x86_64

docs:  ## build the API docs into /tmp/regions-site
	$(PY) -m mkdocs build --strict

bench:  ## the benchmarks, side by side with their baselines (single-threaded BLAS)
	for b in patterns regions landscape maxpool exactness cnn local; do OPENBLAS_NUM_THREADS=1 $(PY) benches/$$b.py || exit 1; done

ci:  ## what CI runs, on this checkout
	bash .ci/run
