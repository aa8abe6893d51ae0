//! Co-simulation harness and regressions: drives each component's Verilator model
//! from Rust under stall patterns and compares every output beat with the golden
//! model. `cosim` runs one configuration and vector set; `regress` sweeps components,
//! configurations and stall patterns and prints the summary.
//!
//! Tests under `tests/` (one file per component) call [`verilator_or_skip`] and
//! [`check_component`]; outside CI a missing Verilator skips them with a message,
//! under `CI=true` it fails them.

pub mod accuracy;
pub mod backend;
pub mod cocotb;
pub mod cosim;
pub mod fast;
pub mod icarus;
pub mod lint;
pub mod monitor;
pub mod regress;

use sim::Verilator;

/// The project's Verilator, or `None` (with a message) when it is missing and this is
/// not CI. Under `CI=true` a missing Verilator panics: CI must not pass by skipping.
pub fn verilator_or_skip(test: &str) -> Option<Verilator> {
    match Verilator::discover() {
        Ok(v) => Some(v),
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("{test}: {e} (CI=true: tests that need Verilator fail instead of skipping)");
            }
            eprintln!("SKIPPED {test}: {e}");
            None
        }
    }
}

/// The simulator `SIM` names (default Verilator), or `None` (with a message) when it
/// is missing and this is not CI; under `CI=true` a missing simulator panics.
pub fn simulator_or_skip(test: &str) -> Option<Box<dyn backend::Backend>> {
    match backend::discover(&backend::from_env()) {
        Ok(v) => Some(v),
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!(
                    "{test}: {e} (CI=true: tests that need a simulator fail instead of skipping)"
                );
            }
            eprintln!("SKIPPED {test}: {e}");
            None
        }
    }
}

/// Runs the regression of one component (corners + `random` random configurations)
/// on the simulator `SIM` names (Verilator by default) and panics with every failure
/// if any configuration failed.
pub fn check_component(name: &str, random: usize) {
    let Some(v) = simulator_or_skip(name) else {
        return;
    };
    let c = match generator::components::find(name) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let opts = regress::Options {
        random_configs: random,
        ..regress::Options::default()
    };
    let t = std::time::Instant::now();
    let reports = regress::regress(&*v, &[c], &opts, &|_| {});
    eprintln!("{}", regress::summary(&reports, t.elapsed().as_secs_f64()));
    let failures: Vec<&String> = reports.iter().flat_map(|r| &r.failures).collect();
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        reports.iter().all(|r| r.beats > 0),
        "a configuration compared no beats"
    );
}
