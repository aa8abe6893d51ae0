//! The model JSON files shipped in `examples/`: each loads and validates, and the BERT
//! ones are exactly the Hugging Face expansion (regenerate them with
//! `MASE_HW_BLESS=1 cargo test -p model --test examples`).

use std::path::PathBuf;

use model::hf::{BertConfig, expand};
use model::json::{load, to_json};
use model::weights::{SyntheticInit, Weights};
use model::{float, graph::Op};

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name)
}

fn check_expansion(file: &str, cfg: &BertConfig, seq: usize, name: &str) {
    let graph = expand(cfg, seq, name).unwrap();
    let text = to_json(&graph);
    let path = example(file);
    if std::env::var_os("MASE_HW_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap();
    assert!(
        on_disk == text,
        "{file} differs from the expansion; rerun with MASE_HW_BLESS=1"
    );
    assert_eq!(load(&path).unwrap(), graph);
}

#[test]
fn bert_tiny() {
    check_expansion("bert-tiny.json", &BertConfig::tiny(), 8, "bert-tiny");
}

#[test]
fn bert_base() {
    check_expansion("bert-base.json", &BertConfig::base(), 128, "bert-base");
    let g = load(&example("bert-base.json")).unwrap();
    assert_eq!(g.nodes.len(), 2 + 12 * 18);
    let n: usize = g
        .params
        .iter()
        .map(|p| p.shape.iter().product::<usize>())
        .sum();
    assert_eq!(n, 85_054_464); // the encoder of bert-base-uncased
}

#[test]
fn jsc_mlp() {
    let g = load(&example("jsc-mlp.json")).unwrap();
    let widths: Vec<usize> = g
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Input | Op::Linear { .. }))
        .map(|n| n.shape[1])
        .collect();
    assert_eq!(widths, [16, 64, 32, 32, 5]);
    let w = Weights::synthetic_with(&g, 1, &SyntheticInit::he());
    let a = float::run(&g, &w, &float::synthetic_inputs(&g, 1)).unwrap();
    let p = &a.get("output").unwrap().data;
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
}
