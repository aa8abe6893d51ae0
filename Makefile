# Thin aliases. `make demo` and `make test` install everything they need first.
SHELL := /bin/bash
CARGO ?= cargo
MASE_HW := target/release/mase-hw

.PHONY: setup build demo test regress bench lint clean

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

bench: build
	$(MASE_HW) bench cosim

lint: setup
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) test --locked -p testbenches --test lint

clean:
	$(CARGO) clean
