//! cocotb's environment conventions for `mase-hw test`, so a cocotb user's habits
//! carry over: `SIM` (verilator | icarus), `WAVES=1` (VCDs into `waves/`),
//! `TOPLEVEL` (the component to test), `TESTCASE` (one configuration label such as
//! `corner0` or `random1`), `RANDOM_SEED` (the seed) and `COCOTB_RESULTS_FILE` (JUnit
//! results). Command-line flags win over the variables.

use std::path::PathBuf;

use anyhow::Result;

/// What `mase-hw test` takes from its flags and the environment.
pub struct TestEnv {
    pub sim: String,
    pub junit: Option<PathBuf>,
    pub waves: Option<PathBuf>,
    pub seed: u64,
    pub toplevel: Option<String>,
    pub testcase: Option<String>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl TestEnv {
    /// Flags first, then the variables.
    pub fn from_env(
        sim: Option<String>,
        junit: Option<PathBuf>,
        waves: Option<PathBuf>,
        seed: u64,
    ) -> Result<TestEnv> {
        let sim = sim.unwrap_or_else(testbenches::backend::from_env);
        if !testbenches::backend::SIMULATORS.contains(&sim.as_str()) {
            return Err(crate::user(format!(
                "--sim / SIM: unknown simulator `{sim}` (expected one of {})",
                testbenches::backend::SIMULATORS.join(", ")
            )));
        }
        let waves = waves.or_else(|| {
            var("WAVES")
                .filter(|v| v == "1")
                .map(|_| PathBuf::from("waves"))
        });
        let seed = match var("RANDOM_SEED") {
            Some(s) => s.parse::<u64>().map_err(|_| {
                crate::user(format!("RANDOM_SEED: `{s}` is not a non-negative integer"))
            })?,
            None => seed,
        };
        Ok(TestEnv {
            sim,
            junit: junit.or_else(|| var("COCOTB_RESULTS_FILE").map(PathBuf::from)),
            waves,
            seed,
            toplevel: var("TOPLEVEL"),
            testcase: var("TESTCASE"),
        })
    }
}
