//! A small graph with every stitching feature outside BERT's pattern: a tensor read
//! three times (one fork of three), a gated branch (`mul` of a ReLU path with its own
//! input), a residual `add`, a `reshape`, and differing lanes. Checked against the
//! float model (no Verilator: the stitching of the same primitives is co-simulated in
//! the bert-tiny test), plus the errors of models that cannot be stitched.

use generator::Instance;
use model::quant::QuantConfig;
use model::weights::{SyntheticInit, Weights};
use system::SystemInstance;

/// `y = fc2(reshape(x + relu(fc(x)) · x))`, `[4, 8]` reshaped to `[2, 16]`.
const MODEL: &str = include_str!("data/gated.json");

const CONFIG: &str = include_str!("data/gated.toml");

fn build(model: &str, cfg: &str) -> Result<(model::graph::Graph, Weights, SystemInstance), String> {
    let g = model::json::from_json(model).map_err(|e| e.to_string())?;
    let w = Weights::synthetic_with(&g, 4, &SyntheticInit::he());
    let cfg = QuantConfig::from_toml(cfg).map_err(|e| e.to_string())?;
    let plan = system::map::resolve(&g, &cfg, &w, 0, 8).map_err(|e| e.to_string())?;
    let net = system::map_model(&g, &plan, &w).map_err(|e| e.to_string())?;
    Ok((g, w, SystemInstance::new(net)))
}

#[test]
fn gated_residual_graph_is_stitched_and_close_to_float() {
    let (g, w, sys) = build(MODEL, CONFIG).unwrap();
    let kinds: Vec<&str> = sys
        .net
        .nodes
        .iter()
        .map(|n| n.inst.component().name())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "fork").count(), 1);
    // x (2 lanes) into fc (4), fc (8) into relu (2), the reshaped rows (2) into fc2 (8).
    assert_eq!(kinds.iter().filter(|k| **k == "resize").count(), 3);
    // x reaches `gate` one row (fc) earlier than `act` does, and `res` one row
    // earlier than `gate` does: a FIFO of two rows of 8 in 2 lanes for each.
    let fifos: Vec<usize> = sys.net.fifos.iter().map(|(_, d, _)| *d).collect();
    assert_eq!(fifos, [8, 8]);
    let x = model::float::synthetic_inputs(&g, 9);
    let fmt = sys.tensors()[0].format;
    let raw: Vec<i128> = x["x"]
        .data
        .iter()
        .map(|v| {
            fmt.from_f64(*v, golden::Rounding::Rnd, golden::Overflow::Sat)
                .unwrap()
        })
        .collect();
    let t = generator::Tensor::new(vec![1, 4, 8], raw, fmt);
    let (_, y) = sys
        .golden_run(&generator::TensorMap::from([("data_in".to_string(), t)]))
        .unwrap();
    assert_eq!(y.shape, [1, 2, 4]);
    let got: Vec<f64> = y.raw.iter().map(|r| y.format.to_f64(*r)).collect();
    let reference = model::float::run(&g, &w, &x).unwrap();
    let acc = model::float::compare(&got, &reference.get("y").unwrap().data);
    assert!(acc.cosine > 0.9999, "cosine {}", acc.cosine);
    // The top lints as a netlist: every edge's producer exists before its consumer.
    for e in &sys.net.edges {
        if let (system::netlist::Endpoint::Node(a), system::netlist::Endpoint::Node(b)) =
            (e.from, e.to)
        {
            assert!(a < b, "edge {e:?} goes backwards");
        }
    }
}

#[test]
fn unstitchable_models_are_errors_naming_the_problem() {
    // Two outputs.
    let two = MODEL.replace(
        r#"{"name": "y", "op": "output", "inputs": ["fc2"], "shape": [2, 4]}"#,
        r#"{"name": "y", "op": "output", "inputs": ["fc2"], "shape": [2, 4]},
    {"name": "z", "op": "output", "inputs": ["res"], "shape": [4, 8]}"#,
    );
    let e = build(&two, CONFIG).err().unwrap();
    assert!(e.contains("exactly one input and one output"), "{e}");
    // A reshape to rows narrower than the lanes before it: converted first.
    let narrow = MODEL
        .replace(r#""shape": [2, 16]}"#, r#""shape": [8, 4]}"#)
        .replace(
            r#"{"name": "fc2.weight", "shape": [4, 16]}"#,
            r#"{"name": "fc2.weight", "shape": [4, 4]}"#,
        )
        .replace(
            r#""inputs": ["flat"], "shape": [2, 4]}"#,
            r#""inputs": ["flat"], "shape": [8, 4]}"#,
        )
        .replace(
            r#""inputs": ["fc2"], "shape": [2, 4]}"#,
            r#""inputs": ["fc2"], "shape": [8, 4]}"#,
        );
    let cfg = "[default]\nparallelism = 8\n[node.flat]\nparallelism = 4\n[node.fc2]\nparallelism = 4\n[node.y]\nparallelism = 4\n";
    let (_, _, sys) = build(&narrow, cfg).unwrap();
    let flat = sys
        .net
        .nodes
        .iter()
        .find(|n| n.name == "flat_data_in_resize");
    assert!(flat.is_some(), "no converter before the reshape");
    // Lanes the new rows cannot hold are the config's error, naming node and key.
    let e = build(&narrow, "[default]\nparallelism = 8\n")
        .err()
        .unwrap();
    assert!(
        e.contains("node `flat`") && e.contains("parallelism.lanes = 8"),
        "{e}"
    );
}
