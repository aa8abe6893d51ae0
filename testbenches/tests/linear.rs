//! Verilator regression of `linear` against its golden model: corner configurations and
//! random ones, each under the four stall patterns (the corners include per-channel and
//! MX weight shifts at several parallelisms, streamed and ROM weights); and bert-tiny
//! mapped with MX and per-channel weights from the quant config, Verilator equal to
//! the golden model under stalls.

use std::path::Path;

use generator::{Instance, TensorMap};
use model::quant::QuantConfig;
use model::weights::Weights;
use system::SystemInstance;
use testbenches::cosim::{Dut, Stall};

#[test]
fn linear_matches_golden_under_stalls() {
    testbenches::check_component("linear", 3);
}

/// The quant config's `granularity`/`block` keys reach `mh_linear` through the mapper:
/// every linear of bert-tiny gets MX blocks of 16 except the first query projection
/// (per channel), the shift ROMs are written in the hardware's order, and Verilator
/// equals the golden model bit for bit.
#[test]
fn bert_tiny_with_mx_and_per_channel_weights_matches_golden() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
    let g = model::json::from_json(&read("bert-tiny.json")).unwrap();
    let w = Weights::synthetic(&g, 3);
    let config = read("bert-tiny-q.toml").replace(
        "[weights]\nwidth = 8\n",
        "[weights]\nwidth = 8\ngranularity = \"mx\"\nblock = 16\n\
         [tensor.\"encoder.layer.0.attention.self.query.weight\"]\ngranularity = \"per_channel\"\n",
    );
    assert!(config.contains("block = 16"));
    let cfg = QuantConfig::from_toml(&config).unwrap();
    let plan = system::map::resolve(&g, &cfg, &w, 0, 16).unwrap();
    let sys = SystemInstance::new(system::map_model(&g, &plan, &w).unwrap());
    let granularity: Vec<(String, i64)> = sys
        .net
        .nodes
        .iter()
        .filter(|n| n.inst.component().name() == "linear")
        .map(|n| (n.source.clone(), n.inst.params().get("WEIGHT_GRANULARITY")))
        .collect();
    assert_eq!(granularity.len(), 12);
    for (node, code) in &granularity {
        let want = if node == "encoder.layer.0.attention.self.query" {
            1
        } else {
            2
        };
        assert_eq!(*code, want, "{node}");
    }
    let Some(v) = testbenches::verilator_or_skip("linear bert-tiny mx") else {
        return;
    };
    let (_, x) = system::inputs::synthetic(&g, &sys, 500, 1).unwrap();
    let mut inputs: TensorMap = sys.rom_tensors();
    inputs.insert("data_in".into(), x);
    let expected = sys.golden(&inputs).unwrap();
    let dut = Dut::build(&v, &sys, false).unwrap();
    for (k, stall) in [Stall::None, Stall::Both].into_iter().enumerate() {
        let out = dut
            .run(&inputs, &expected, stall, 21 + k as u64, None)
            .unwrap();
        assert!(
            out.passed(),
            "{stall:?}: {:?} {:?}",
            out.first_mismatch,
            out.errors
        );
        assert_eq!(out.beats_compared as usize, 8 * 64 / 4);
    }
}
