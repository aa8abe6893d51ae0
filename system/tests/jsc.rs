//! jsc-mlp mapped with a per-node parallelism config: structure, errors, determinism.

use generator::Instance;
use model::quant::QuantConfig;
use model::weights::Weights;
use system::{SystemError, SystemInstance};

const CONFIG: &str = r#"
[default]
width = 16
frac = "auto"
[node.features]
parallelism = 4
[node.fc1]
parallelism = { in = 4, out = 8 }
[node.relu1]
parallelism = 8
[node.fc2]
parallelism = { in = 8, out = 4 }
[node.relu2]
parallelism = 4
[node.fc3]
parallelism = 4
[node.relu3]
parallelism = 4
[node.fc4]
parallelism = { in = 4, out = 5 }
[node.probs]
parallelism = 5
[node.output]
parallelism = 5
"#;

fn graph() -> model::graph::Graph {
    model::json::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/jsc-mlp.json"),
    )
    .unwrap()
}

fn build(cfg: &str) -> Result<SystemInstance, SystemError> {
    let g = graph();
    let w = Weights::synthetic(&g, 1);
    let plan = system::map::resolve(&g, &QuantConfig::from_toml(cfg).unwrap(), &w, 0, 16)?;
    Ok(SystemInstance::new(system::map_model(&g, &plan, &w)?))
}

#[test]
fn maps_jsc_mlp_to_a_chain() {
    let s = build(CONFIG).unwrap();
    let kinds: Vec<&str> = s
        .net
        .nodes
        .iter()
        .map(|n| n.inst.component().name())
        .collect();
    assert_eq!(
        kinds,
        [
            "linear", "relu", "linear", "relu", "linear", "relu", "linear", "softmax"
        ]
    );
    assert_eq!(s.net.edges.len(), 9);
    assert_eq!(s.memories().len(), 8);
    let files = system::emit::render(&s, "mh_jsc_mlp").unwrap();
    assert!(files.contains_key("rtl/mh_jsc_mlp.sv"));
    assert!(files.contains_key("mem/fc1_weight.mem"));
    assert!(files["rtl/mh_jsc_mlp.sv"].contains("\"mem/fc1_weight.mem\""));
    // Deterministic.
    assert_eq!(
        files,
        system::emit::render(&build(CONFIG).unwrap(), "mh_jsc_mlp").unwrap()
    );
}

#[test]
fn lane_mismatch_gets_a_converter() {
    let cfg = CONFIG.replace(
        "[node.relu1]\nparallelism = 8",
        "[node.relu1]\nparallelism = 4",
    );
    let s = build(&cfg).unwrap();
    let n = &s.net.nodes[1];
    assert_eq!(n.inst.component().name(), "resize");
    assert_eq!(
        (n.source.as_str(), n.name.as_str()),
        ("relu1", "relu1_data_in_resize")
    );
    let lanes: Vec<usize> = n.inst.streams().iter().map(|s| s.lanes).collect();
    assert_eq!(lanes, [8, 4]);
    // 8 → 4 lanes emits one beat per cycle: the relu row of 64 takes 16 cycles, as
    // before the linear's 8-lane output takes 8: the system's II is unchanged.
    assert_eq!(s.item_interval(), build(CONFIG).unwrap().item_interval());
}

#[test]
fn wide_softmax_input_gets_a_cast() {
    let cfg = format!("{CONFIG}\n[tensor.fc4]\nwidth = 28\n");
    let s = build(&cfg).unwrap();
    let kinds: Vec<&str> = s
        .net
        .nodes
        .iter()
        .map(|n| n.inst.component().name())
        .collect();
    assert_eq!(kinds[7..], ["cast", "softmax"]);
}

#[test]
fn report_lists_nodes_formats_lanes_and_timing() {
    let s = build(CONFIG).unwrap();
    let r: serde_json::Value =
        serde_json::from_str(&system::emit::report(&s, "mh_jsc_mlp")).unwrap();
    assert_eq!(r["latency_cycles"], 216);
    assert_eq!(r["item_interval_cycles"], 64);
    let nodes = r["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 8);
    assert_eq!(nodes[0]["model_node"], "fc1");
    assert_eq!(
        (
            nodes[0]["lanes_in"].as_u64(),
            nodes[0]["lanes_out"].as_u64()
        ),
        (Some(4), Some(8))
    );
    assert_eq!(nodes[7]["component"], "softmax");
    assert!(nodes[7]["output"].as_str().unwrap().starts_with('u'));
    let per_node: u64 = nodes
        .iter()
        .map(|n| n["resources"]["multipliers"].as_u64().unwrap_or(0))
        .sum();
    // The four linears' Pi·Po plus the softmax's own.
    assert!(per_node > 4 * 8 + 8 * 4 + 4 * 4 + 4 * 5);
    assert_eq!(r["resources"]["multipliers"].as_u64(), Some(per_node));
}
