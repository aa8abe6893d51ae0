//! jsc-mlp (16-64-32-32-5 ReLU MLP, softmax) stitched into one top: lint-clean in
//! Verilator, compiles in Icarus, equal to the chained golden models bit for bit under
//! the four stall patterns, and close to the float reference.

use std::path::Path;

use generator::{Instance, Tensor, TensorMap};
use model::quant::QuantConfig;
use model::weights::{SyntheticInit, Weights};
use system::SystemInstance;
use testbenches::cosim::{Dut, Stall};

/// The shipped mixed-parallelism config (`examples/jsc-mlp-q.toml`, the one the README
/// runs): 16-bit activations and biases, 8-bit weights; lanes chosen so that every
/// producer/consumer pair agrees and every lane count divides its dimension.
fn shipped_config() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/jsc-mlp-q.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn setup() -> (model::graph::Graph, Weights, SystemInstance) {
    setup_with(&shipped_config())
}

fn setup_with(config: &str) -> (model::graph::Graph, Weights, SystemInstance) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/jsc-mlp.json");
    let g = model::json::load(&path).unwrap();
    // He initialisation: the realistic scale for a ReLU network (BERT's std 0.02
    // would shrink the activations layer by layer and make softmax nearly uniform).
    let w = Weights::synthetic_with(&g, 7, &SyntheticInit::he());
    let cfg = QuantConfig::from_toml(config).unwrap();
    let plan = system::map::resolve(&g, &cfg, &w, 0, 64).unwrap();
    let sys = SystemInstance::new(system::map_model(&g, &plan, &w).unwrap());
    (g, w, sys)
}

/// `rows` seeded N(0, 1) feature rows (float) and their quantized tensor.
fn features(g: &model::graph::Graph, sys: &SystemInstance, rows: u64) -> (Vec<Vec<f64>>, Tensor) {
    system::inputs::synthetic(g, sys, 1000, rows as usize).unwrap()
}

/// Co-simulates jsc-mlp under `config` on `rows` rows and the four stall patterns;
/// without stalls the measured latency and cycles per row equal the prediction.
fn cosim(config: &str, rows: usize) {
    let Some(v) = testbenches::verilator_or_skip("system_mlp") else {
        return;
    };
    let (g, _, sys) = setup_with(config);
    let (_, x) = features(&g, &sys, rows as u64);
    let mut inputs: TensorMap = sys.rom_tensors();
    inputs.insert("data_in".into(), x);
    let expected = sys.golden(&inputs).unwrap();
    let dut = Dut::build(&v, &sys, false).unwrap();
    let t = sys.timing();
    let intra = sys.node_timings().last().unwrap().first_row_beat_interval;
    let beats = expected["data_out"].raw.len() / sys.streams()[1].lanes;
    println!(
        "jsc-mlp: predicted latency {} cycles, {} cycles per row",
        t.latency,
        sys.item_interval()
    );
    for (k, stall) in Stall::ALL.into_iter().enumerate() {
        let out = dut
            .run(&inputs, &expected, stall, 11 + k as u64, None)
            .unwrap();
        assert!(
            out.passed(),
            "{stall}: {:?} {:?}",
            out.first_mismatch,
            out.errors
        );
        assert_eq!(out.beats_compared as usize, beats);
        // The harness gives the mean interval between output beats; first beat to last
        // spans rows − 1 row intervals plus the last row's own beats.
        let span = out.interval.unwrap() * (beats - 1) as f64;
        let per_row = (span - (beats / rows - 1) as f64 * intra) / (rows - 1) as f64;
        println!(
            "jsc-mlp {stall}: {} cycles for {rows} rows, latency {:?}, {per_row:.1} cycles per row",
            out.cycles, out.latency
        );
        if stall == Stall::None {
            assert_eq!(
                out.latency,
                Some(t.latency),
                "measured latency vs predicted"
            );
            let ii = sys.item_interval() as f64;
            assert!(
                (per_row - ii).abs() < 0.5,
                "measured {per_row} cycles per row, predicted {ii}"
            );
        }
    }
}

#[test]
fn jsc_mlp_system_matches_golden_under_stalls() {
    cosim(&shipped_config(), 12);
}

/// The default config: 16 bits everywhere, parallelism 1 (II 2048 cycles per row).
#[test]
fn jsc_mlp_system_at_parallelism_one_matches_golden_under_stalls() {
    cosim("", 4);
}

/// Accuracy of the golden system against the float model on 64 rows, at the logits
/// (`fc4`, where quantization error is visible) and at the probabilities.
///
/// The error is dominated by the 8-bit weights (16-bit activations with calibrated
/// fractional bits round far below them). Measured with He-initialised synthetic
/// weights (seed 7): logits cosine 0.99985 (max abs 0.10), probabilities cosine 0.99983
/// (max abs 0.030). The bounds, cosine ≥ 0.999 at both points (the target for
/// 16-bit activations) and probabilities within 0.05, leave that margin and still
/// catch a wrong format, ROM order or rounding mode, each of which costs far more.
#[test]
fn jsc_mlp_golden_is_close_to_float() {
    let (g, w, sys) = setup();
    let rows = 64;
    let (floats, x) = features(&g, &sys, rows);
    let trace = sys
        .golden_trace(&TensorMap::from([("data_in".to_string(), x)]))
        .unwrap();
    let real = |node: &str| -> Vec<f64> {
        let t = &trace.iter().find(|(n, _)| n == node).unwrap().1;
        t.raw.iter().map(|r| t.format.to_f64(*r)).collect()
    };
    let (mut logits, mut probs) = (Vec::new(), Vec::new());
    for f in floats {
        let ins = [(
            "features".to_string(),
            model::tensor::Tensor {
                shape: vec![1, 16],
                data: f,
            },
        )]
        .into();
        let acts = model::float::run(&g, &w, &ins).unwrap();
        logits.extend_from_slice(&acts.get("fc4").unwrap().data);
        probs.extend_from_slice(&acts.get("output").unwrap().data);
    }
    let l = model::float::compare(&real("fc4"), &logits);
    let p = model::float::compare(&real("probs"), &probs);
    println!(
        "jsc-mlp golden vs float over {rows} rows: logits cosine {:.6} max abs {:.2e}; probabilities cosine {:.6} max abs {:.2e}",
        l.cosine, l.max_abs_error, p.cosine, p.max_abs_error
    );
    assert!(l.cosine >= 0.999, "logits cosine {}", l.cosine);
    assert!(p.cosine >= 0.999, "probabilities cosine {}", p.cosine);
    assert!(
        p.max_abs_error <= 0.05,
        "probabilities max abs {}",
        p.max_abs_error
    );
}

#[test]
fn jsc_mlp_output_lints_and_compiles_in_icarus() {
    let Some(v) = testbenches::verilator_or_skip("system_mlp lint") else {
        return;
    };
    let _ = v;
    let (_, _, sys) = setup();
    let files = system::emit::render(&sys, "mh_jsc_mlp").unwrap();
    let dir = std::env::temp_dir().join(format!("mase-hw-system-{}", std::process::id()));
    generator::emit::write_dir(&files, &dir).unwrap();
    if let Err(e) = testbenches::lint::lint_dir(&dir, "mh_jsc_mlp", &files) {
        panic!("{e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
