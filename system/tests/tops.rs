//! Pinned text of the stitched system tops of the examples (insta snapshots beside
//! this file): jsc-mlp with `examples/jsc-mlp-q.toml` and bert-tiny with
//! `examples/bert-tiny-q.toml`, synthetic weights of seed 1, 4 calibration inputs.

use generator::Instance;
use model::quant::QuantConfig;
use model::weights::Weights;
use system::SystemInstance;

fn system_top(model: &str, config: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let g = model::json::load(&root.join(model)).unwrap();
    let cfg = std::fs::read_to_string(root.join(config)).unwrap();
    let w = Weights::synthetic(&g, 1);
    let plan = system::map::resolve(&g, &QuantConfig::from_toml(&cfg).unwrap(), &w, 0, 4).unwrap();
    let sys = SystemInstance::new(system::map_model(&g, &plan, &w).unwrap());
    sys.top("mh_system_top", "mem").print()
}

#[test]
fn jsc_mlp_system_top() {
    insta::assert_snapshot!(system_top(
        "examples/jsc-mlp.json",
        "examples/jsc-mlp-q.toml"
    ));
}

#[test]
fn bert_tiny_system_top() {
    insta::assert_snapshot!(system_top(
        "examples/bert-tiny.json",
        "examples/bert-tiny-q.toml"
    ));
}
