//! The work and memory a model will cost, estimated from its (validated) graph alone,
//! and the budget it must fit before anything is allocated. Weights cost their `f32`
//! values, their `i128` codes and their ROM text; every node's output is kept per item
//! by the float reference (`f64`) and the golden model (`i128`); work is
//! multiply-adds (a linear or matmul output element costs its reduction length, any
//! other element one). [`check`] refuses a model that exceeds the budget, naming the
//! largest tensor, its size and the budget; callers raise the budget on request. This
//! module only counts: it allocates nothing in proportion to the model.

use thiserror::Error;

use crate::graph::{Graph, Op, element_count};

/// Bytes one weight costs end to end: `f32` value, `i128` code, ROM text and the
/// copies between them (measured: a 20k × 20k linear peaked at 19 GB, 47 bytes a weight).
pub const BYTES_PER_WEIGHT: u64 = 48;
/// Bytes one activation element costs per item: `f64` float value + `i128` code.
pub const BYTES_PER_ACTIVATION: u64 = 24;

/// Limits a run must fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Estimated peak memory, bytes.
    pub max_bytes: u64,
    /// Multiply-adds of every float and golden run together.
    pub max_macs: u64,
}

impl Default for Budget {
    /// 8 GiB (bert-base with 4 items fits) and 2^40 multiply-adds (about a minute of
    /// float reference).
    fn default() -> Self {
        Budget {
            max_bytes: 8 << 30,
            max_macs: 1 << 40,
        }
    }
}

/// What a model costs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cost {
    /// Weight elements.
    pub weights: u64,
    /// Activation elements of one item (every node's output).
    pub activations: u64,
    /// Multiply-adds of one item.
    pub macs: u64,
    /// The largest weight: (node, parameter, shape, elements).
    pub largest_weight: Option<(String, String, Vec<usize>, u64)>,
    /// The node with the largest output: (node, shape, elements).
    pub largest_activation: Option<(String, Vec<usize>, u64)>,
}

/// Why a run does not fit its budget.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BudgetError {
    /// Estimated memory above the budget.
    #[error(
        "{what}: about {need} of memory, above the budget of {budget} (raise it with --max-memory)"
    )]
    Memory {
        /// The tensor and node that dominate, and the count.
        what: String,
        /// Estimated bytes, printed.
        need: String,
        /// The budget, printed.
        budget: String,
    },
    /// Estimated work above the budget.
    #[error(
        "{what}: {need} multiply-adds, above the budget of {budget} (raise it with --max-work)"
    )]
    Work {
        /// What is run how often.
        what: String,
        /// Multiply-adds.
        need: u64,
        /// The budget.
        budget: u64,
    },
}

/// Bytes in binary units, one decimal (`3.2 GiB`).
pub fn human_bytes(b: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// Counts the cost of a validated graph (saturating; a graph that passed validation has
/// every tensor at most 2^48 elements).
pub fn cost(graph: &Graph) -> Cost {
    let count = |s: &[usize]| element_count(s).map_or(u64::MAX, |n| n as u64);
    let params: std::collections::BTreeMap<&str, &[usize]> = graph
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.shape.as_slice()))
        .collect();
    let shapes: std::collections::BTreeMap<&str, &[usize]> = graph
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), n.shape.as_slice()))
        .collect();
    let mut c = Cost {
        weights: 0,
        activations: 0,
        macs: 0,
        largest_weight: None,
        largest_activation: None,
    };
    for node in &graph.nodes {
        for p in node.op.params() {
            if let Some(shape) = params.get(p) {
                let n = count(shape);
                c.weights = c.weights.saturating_add(n);
                if c.largest_weight.as_ref().is_none_or(|w| n > w.3) {
                    c.largest_weight = Some((node.name.clone(), p.to_string(), shape.to_vec(), n));
                }
            }
        }
        let out = count(&node.shape);
        c.activations = c.activations.saturating_add(out);
        if c.largest_activation.as_ref().is_none_or(|a| out > a.2) {
            c.largest_activation = Some((node.name.clone(), node.shape.clone(), out));
        }
        let reduction = match &node.op {
            Op::Linear { weight, .. } => params
                .get(weight.as_str())
                .and_then(|s| s.last().copied())
                .unwrap_or(1),
            Op::Matmul { transpose_b } => {
                let b = node
                    .inputs
                    .get(1)
                    .and_then(|i| shapes.get(i.as_str()).copied())
                    .unwrap_or(&[]);
                let axis = if *transpose_b { 1 } else { 2 };
                b.len()
                    .checked_sub(axis)
                    .and_then(|i| b.get(i))
                    .copied()
                    .unwrap_or(1)
            }
            _ => 1,
        };
        c.macs = c.macs.saturating_add(out.saturating_mul(reduction as u64));
    }
    c
}

/// Checks that `graph` fits `budget` with the activations of `items` inputs held at
/// once (accuracy and simulation runs keep every item) and `runs` inputs evaluated in
/// all (calibration runs too, one at a time).
///
/// # Errors
/// [`BudgetError`] naming the dominant tensor or the run, the estimate and the budget.
pub fn check_runs(
    graph: &Graph,
    items: u64,
    runs: u64,
    budget: &Budget,
) -> Result<Cost, BudgetError> {
    let c = cost(graph);
    let weight_bytes = c.weights.saturating_mul(BYTES_PER_WEIGHT);
    let act_bytes = c
        .activations
        .saturating_mul(BYTES_PER_ACTIVATION)
        .saturating_mul(items.max(1));
    let total = weight_bytes.saturating_add(act_bytes);
    if total > budget.max_bytes {
        let what = if weight_bytes >= act_bytes {
            match &c.largest_weight {
                Some((node, p, shape, n)) => format!(
                    "node `{node}`: parameter `{p}` {shape:?} ({n} elements; {} weights in all)",
                    c.weights
                ),
                None => format!("{} weights", c.weights),
            }
        } else {
            match &c.largest_activation {
                Some((node, shape, n)) => format!(
                    "node `{node}`: output {shape:?} ({n} elements) × {} item(s)",
                    items.max(1)
                ),
                None => format!("{} activations × {} item(s)", c.activations, items),
            }
        };
        return Err(BudgetError::Memory {
            what,
            need: human_bytes(total),
            budget: human_bytes(budget.max_bytes),
        });
    }
    let work = c.macs.saturating_mul(runs.max(1));
    if work > budget.max_macs {
        return Err(BudgetError::Work {
            what: format!(
                "model `{}` ({} multiply-adds per item) × {} item(s)",
                graph.name,
                c.macs,
                runs.max(1)
            ),
            need: work,
            budget: budget.max_macs,
        });
    }
    Ok(c)
}

/// [`check_runs`] with every run's activations held at once.
///
/// # Errors
/// As [`check_runs`].
pub fn check(graph: &Graph, items: u64, budget: &Budget) -> Result<Cost, BudgetError> {
    check_runs(graph, items, items, budget)
}

/// Parses a memory size: bytes, or a number with `K`, `M`, `G`, `T` (binary units,
/// optional `i`/`B`), e.g. `16G`, `512MiB`.
///
/// # Errors
/// A one-line rule for anything else.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let shift = match unit
        .trim()
        .trim_end_matches(['B', 'b'])
        .trim_end_matches('i')
    {
        "" => 0,
        "K" | "k" => 10,
        "M" | "m" => 20,
        "G" | "g" => 30,
        "T" | "t" => 40,
        _ => {
            return Err(format!(
                "{s:?}: a size is a number with an optional K, M, G or T"
            ));
        }
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{s:?}: a size is a number with an optional K, M, G or T"))?;
    let bytes = v * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes >= u64::MAX as f64 {
        return Err(format!("{s:?}: must be between 1 byte and 16 EiB"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Node, Param};

    fn linear(rows: usize, d_in: usize, d_out: usize) -> Graph {
        let node = |name: &str, op, inputs: &[&str], shape: Vec<usize>| Node {
            name: name.into(),
            op,
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            shape,
        };
        Graph {
            version: 1,
            name: "big".into(),
            params: vec![Param {
                name: "w".into(),
                shape: vec![d_out, d_in],
            }],
            nodes: vec![
                node("x", Op::Input, &[], vec![rows, d_in]),
                node(
                    "fc",
                    Op::Linear {
                        weight: "w".into(),
                        bias: None,
                    },
                    &["x"],
                    vec![rows, d_out],
                ),
                node("y", Op::Output, &["fc"], vec![rows, d_out]),
            ],
        }
    }

    #[test]
    fn counts_weights_activations_and_macs() {
        let g = linear(3, 5, 7);
        g.validate().unwrap();
        let c = cost(&g);
        assert_eq!(c.weights, 35);
        assert_eq!(c.activations, 15 + 21 + 21);
        assert_eq!(c.macs, 15 + 21 * 5 + 21);
    }

    #[test]
    fn a_huge_linear_is_refused_before_any_weight_exists() {
        let g = linear(1, 100_000, 100_000);
        g.validate().unwrap();
        let e = check(&g, 1, &Budget::default()).unwrap_err().to_string();
        assert!(
            e.contains("node `fc`") && e.contains("[100000, 100000]"),
            "{e}"
        );
        assert!(e.contains("budget of 8.0 GiB"), "{e}");
        // Raising the budget lets it through (the check only counts).
        let big = Budget {
            max_bytes: u64::MAX,
            max_macs: u64::MAX,
        };
        assert!(check(&g, 1, &big).is_ok());
    }

    #[test]
    fn many_items_are_refused_by_memory_or_work() {
        let g = linear(4, 16, 16);
        let e = check(&g, 1_000_000_000, &Budget::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("item(s)"), "{e}");
        let e = check(
            &g,
            1_000_000,
            &Budget {
                max_bytes: u64::MAX,
                max_macs: 1 << 20,
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("multiply-adds"), "{e}");
    }

    #[test]
    fn bert_base_fits_the_default_budget() {
        let g = crate::hf::expand(&crate::hf::BertConfig::base(), 128, "bert-base").unwrap();
        let c = check_runs(&g, 4, 5, &Budget::default()).unwrap();
        assert!(c.weights > 80_000_000 && c.weights < 90_000_000, "{c:?}");
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_bytes("16G").unwrap(), 16 << 30);
        assert_eq!(parse_bytes("512MiB").unwrap(), 512 << 20);
        assert_eq!(parse_bytes("100").unwrap(), 100);
        assert!(parse_bytes("0").is_err());
        assert!(parse_bytes("1X").is_err());
        assert!(parse_bytes("1e400").is_err());
    }
}
