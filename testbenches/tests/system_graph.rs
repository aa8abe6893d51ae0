//! The gated-residual toy graph of `system/tests/data/gated.json` (a three-way fork, a
//! `mul` gate, a residual `add`, a `reshape`, three lane converters, reconvergent
//! FIFOs) in Verilator: equal to the golden model bit for bit under the four stall
//! patterns, several items back to back.

use generator::{Instance, TensorMap};
use model::quant::QuantConfig;
use model::weights::{SyntheticInit, Weights};
use system::SystemInstance;
use testbenches::cosim::{Dut, Stall};

const CONFIG: &str = include_str!("../../system/tests/data/gated.toml");

#[test]
fn gated_graph_matches_golden_under_stalls() {
    let Some(v) = testbenches::verilator_or_skip("system_graph") else {
        return;
    };
    let g = model::json::from_json(include_str!("../../system/tests/data/gated.json")).unwrap();
    let w = Weights::synthetic_with(&g, 4, &SyntheticInit::he());
    let plan =
        system::map::resolve(&g, &QuantConfig::from_toml(CONFIG).unwrap(), &w, 0, 8).unwrap();
    let sys = SystemInstance::new(system::map_model(&g, &plan, &w).unwrap());
    let items = 5;
    let (_, x) = system::inputs::synthetic(&g, &sys, 40, items).unwrap();
    let mut inputs: TensorMap = sys.rom_tensors();
    inputs.insert("data_in".into(), x);
    let expected = sys.golden(&inputs).unwrap();
    let dut = Dut::build(&v, &sys, false).unwrap();
    for (k, stall) in Stall::ALL.into_iter().enumerate() {
        let out = dut
            .run(&inputs, &expected, stall, 21 + k as u64, None)
            .unwrap();
        assert!(
            out.passed(),
            "{stall:?}: {:?} {:?}",
            out.first_mismatch,
            out.errors
        );
        assert_eq!(out.beats_compared as usize, items * 8 / 2);
    }
}
