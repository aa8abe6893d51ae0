# Thin aliases. `make demo` and `make test` install everything they need first.
SHELL := /bin/bash
CARGO ?= cargo
MASE_HW := target/release/mase-hw

.PHONY: setup build demo test regress bench lint fuzz clean

setup:
	bash scripts/setup.sh

build: setup
	$(CARGO) build --release --locked

demo: build
	bash scripts/demo.sh

test: setup
	$(CARGO) test --workspace --locked

# The full Verilator regression with more random configurations than `make test`.
regress: build
	$(MASE_HW) test --configs 8

# Every benchmark in one table (minutes); BENCHMARKS.md is this table from a real run.
bench: build
	$(MASE_HW) bench all --markdown target/bench.md

lint: setup
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) test --locked -p testbenches --test lint

# Byte fuzzing of every parser and the fixed-point operations (proptest-driven; see
# fuzz/README.md): FUZZ_SECS seconds per target.
FUZZ_SECS ?= 60
fuzz: export FUZZ_CASES = 1000000000
fuzz:
	FUZZ_SECS=$(FUZZ_SECS) $(CARGO) test --release --locked -p golden --test fuzz -- --nocapture
	FUZZ_SECS=$(FUZZ_SECS) $(CARGO) test --release --locked -p model --test fuzz -- --nocapture --test-threads 1
	FUZZ_SECS=$(FUZZ_SECS) $(CARGO) test --release --locked -p mase-hw --test fuzz -- --nocapture

clean:
	$(CARGO) clean
