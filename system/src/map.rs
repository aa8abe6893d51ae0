//! Mapping a chain model onto components: each graph node becomes one instance whose
//! parameters come from the quantization plan (formats, rounding, overflow, lanes),
//! and each `linear` node's weights and bias are quantized with their tensors'
//! resolved formats into the instance's ROM contents.
//!
//! Format rule: a node's input format is its producer's output format wherever the
//! component accepts it, so no cast is needed; where it does not (softmax takes at
//! most 24 input bits, at most 24 of them fractional), a `cast` dropping low
//! fractional bits (the integer range is kept) is inserted by the [`ChainBuilder`]. The softmax
//! output is unsigned and in [0, 1], so it takes the non-negative half of the plan's
//! signed format, `unsigned(W−1, min(F, W−2))` for `signed(W, F)`: 1.0 must be
//! representable even when calibration saw only smaller probabilities.

use std::collections::BTreeMap;

use golden::Format;
use model::graph::{Graph, Node, Op};
use model::quant::{QuantPlan, TensorQuant};
use model::weights::Weights;

use generator::Component;
use generator::components::{linear::Linear, relu::Relu, softmax::Softmax};
use generator::{Tensor, TensorMap};

use crate::error::SystemError;
use crate::netlist::{ChainBuilder, NetNode, Netlist, legal_name};

/// Widest softmax input the component accepts.
const SOFTMAX_MAX_IN_WIDTH: u32 = 24;
/// Most fractional bits of a softmax input.
const SOFTMAX_MAX_IN_FRAC: i32 = 24;

/// The nodes of `graph` in stream order, checked to form a single chain.
fn chain(graph: &Graph) -> Result<Vec<&Node>, SystemError> {
    graph.validate().map_err(|e| SystemError::Model {
        model: graph.name.clone(),
        rule: e.to_string(),
    })?;
    let mut consumers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for n in &graph.nodes {
        for i in &n.inputs {
            consumers.entry(i.as_str()).or_default().push(&n.name);
        }
    }
    // The first fan-out in stream (topological) order.
    if let Some((node, c)) = graph.nodes.iter().find_map(|n| {
        consumers
            .get(n.name.as_str())
            .filter(|c| c.len() > 1)
            .map(|c| (n, c))
    }) {
        return Err(SystemError::FanOut {
            node: node.name.clone(),
            consumers: c
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let inputs: Vec<&Node> = graph.inputs().collect();
    let outputs: Vec<&Node> = graph.outputs().collect();
    if inputs.len() != 1 || outputs.len() != 1 {
        return Err(SystemError::Ports {
            what: format!("{} inputs, {} outputs", inputs.len(), outputs.len()),
        });
    }
    let mut order = vec![inputs[0]];
    while let Some(next) = consumers
        .get(order[order.len() - 1].name.as_str())
        .and_then(|c| graph.node(c[0]))
    {
        order.push(next);
    }
    if order.len() != graph.nodes.len() || order[order.len() - 1].name != outputs[0].name {
        return Err(SystemError::Ports {
            what: "the nodes do not form one path from input to output".into(),
        });
    }
    Ok(order)
}

fn quant<'p>(plan: &'p QuantPlan, tensor: &str) -> Result<&'p TensorQuant, SystemError> {
    plan.tensors
        .get(tensor)
        .ok_or_else(|| SystemError::node(tensor, "format", "the quantization plan has none"))
}

fn lanes(plan: &QuantPlan, node: &str, key: &str) -> Result<usize, SystemError> {
    plan.parallelism
        .get(node)
        .and_then(|m| m.get(key))
        .copied()
        .ok_or_else(|| {
            SystemError::node(
                node,
                &format!("parallelism.{key}"),
                "the plan has no lane count",
            )
        })
}

/// The parameter `name` quantized with its resolved format.
fn quantized(
    node: &str,
    name: &str,
    plan: &QuantPlan,
    weights: &Weights,
) -> Result<Tensor, SystemError> {
    let q = quant(plan, name)?;
    let t = weights
        .get(name)
        .ok_or_else(|| SystemError::node(node, name, "no weights were given for it"))?;
    let raw = t
        .data
        .iter()
        .map(|&x| q.quantize(f64::from(x)))
        .collect::<Result<Vec<i128>, _>>()
        .map_err(|e| SystemError::node(node, name, e.to_string()))?;
    Ok(Tensor::new(t.shape.clone(), raw, q.format))
}

fn configure(
    node: &Node,
    c: &dyn Component,
    params: &[(&str, i64)],
) -> Result<Box<dyn generator::Instance>, SystemError> {
    c.configure(params)
        .map_err(|source| SystemError::Component {
            node: node.name.clone(),
            source: Box::new(source),
        })
}

fn fmt_params(prefix: &str, f: Format) -> [(String, i64); 2] {
    [
        (format!("{prefix}_WIDTH"), i64::from(f.width())),
        (format!("{prefix}_FRAC_WIDTH"), i64::from(f.frac())),
    ]
}

/// Maps a chain `graph` with resolved `plan` and float `weights` to a netlist.
///
/// # Errors
/// Fan-out, unsupported ops, lane mismatches between neighbours, formats a component
/// rejects (naming the node and the parameter), missing weights.
pub fn map_chain(
    graph: &Graph,
    plan: &QuantPlan,
    weights: &Weights,
) -> Result<Netlist, SystemError> {
    let order = chain(graph)?;
    let input = order[0];
    let mut b = ChainBuilder::new(
        &graph.name,
        &input.name,
        lanes(plan, &input.name, "lanes")?,
        quant(plan, &input.name)?.format,
    );
    for node in &order[1..order.len() - 1] {
        let q = quant(plan, &node.name)?;
        let modes = (q.rounding, q.overflow);
        let last = |s: &[usize]| s.last().copied().unwrap_or(1) as i64;
        let in_fmt = b.format();
        let mut params: Vec<(String, i64)> = Vec::new();
        let mut roms = TensorMap::new();
        let mut rom_params = Vec::new();
        let (component, out_fmt): (&dyn Component, Format) = match &node.op {
            Op::Linear { weight, bias } => {
                let w = quantized(&node.name, weight, plan, weights)?;
                params.extend(fmt_params("IN", in_fmt));
                params.extend(fmt_params("WEIGHT", w.format));
                params.push(("HAS_BIAS".into(), i64::from(bias.is_some())));
                roms.insert("weight".to_string(), w);
                rom_params.push(("weight".to_string(), weight.clone()));
                if let Some(bias) = bias {
                    let t = quantized(&node.name, bias, plan, weights)?;
                    params.extend(fmt_params("BIAS", t.format));
                    roms.insert("bias".to_string(), t);
                    rom_params.push(("bias".to_string(), bias.clone()));
                }
                let in_size = graph
                    .param(weight)
                    .and_then(|p| p.shape.get(1))
                    .copied()
                    .unwrap_or(1);
                params.push(("IN_SIZE".into(), in_size as i64));
                params.push(("OUT_SIZE".into(), last(&node.shape)));
                params.push((
                    "IN_PARALLELISM".into(),
                    lanes(plan, &node.name, "in")? as i64,
                ));
                params.push((
                    "OUT_PARALLELISM".into(),
                    lanes(plan, &node.name, "out")? as i64,
                ));
                params.push(("WEIGHTS_FROM_ROM".into(), 1));
                params.extend(fmt_params("OUT", q.format));
                (&Linear, q.format)
            }
            Op::Relu => {
                params.extend(fmt_params("IN", in_fmt));
                params.extend(fmt_params("OUT", q.format));
                params.push((
                    "PARALLELISM".into(),
                    lanes(plan, &node.name, "lanes")? as i64,
                ));
                (&Relu, q.format)
            }
            Op::Softmax { scale } => {
                // Softmax takes at most 24 bits with at most 24 fractional bits: drop
                // low fractional bits first (the integer range is kept).
                let (w, f) = (in_fmt.width(), in_fmt.frac());
                let drop =
                    (w.saturating_sub(SOFTMAX_MAX_IN_WIDTH) as i32).max(f - SOFTMAX_MAX_IN_FRAC);
                let want_in = if drop > 0 {
                    Format::signed(w.min(SOFTMAX_MAX_IN_WIDTH), f - drop)
                        .map_err(|e| SystemError::node(&node.name, "width", e.to_string()))?
                } else {
                    in_fmt
                };
                // Probabilities reach 1.0, so at least one integer bit whatever the calibration.
                let out_w = q.format.width().saturating_sub(1);
                let out = Format::unsigned(out_w, q.format.frac().min(out_w as i32 - 1))
                    .map_err(|e| SystemError::node(&node.name, "width", e.to_string()))?;
                let (raw, frac) = scale_code(&node.name, *scale)?;
                params.extend(fmt_params("IN", want_in));
                params.extend(fmt_params("OUT", out));
                params.push(("SIZE".into(), last(&node.shape)));
                params.push((
                    "PARALLELISM".into(),
                    lanes(plan, &node.name, "lanes")? as i64,
                ));
                params.push(("SCALE".into(), raw));
                params.push(("SCALE_FRAC_WIDTH".into(), frac));
                (&Softmax, out)
            }
            op => {
                return Err(SystemError::Unsupported {
                    node: node.name.clone(),
                    op: op.kind().to_string(),
                });
            }
        };
        params.push(("ROUNDING".into(), i64::from(q.rounding.code())));
        params.push(("OVERFLOW".into(), i64::from(q.overflow.code())));
        let refs: Vec<(&str, i64)> = params.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let inst = configure(node, component, &refs)?;
        debug_assert_eq!(
            inst.streams()
                .iter()
                .find(|s| s.direction == generator::sv::Dir::Output)
                .map(|s| s.format()),
            Some(out_fmt)
        );
        b.append(
            NetNode {
                name: legal_name(&node.name),
                source: node.name.clone(),
                inst,
                roms,
                rom_params,
            },
            modes,
        )?;
    }
    let output = order[order.len() - 1];
    b.finish(&output.name, lanes(plan, &output.name, "lanes")?)
}

/// `scale` as `SCALE / 2^SCALE_FRAC_WIDTH` exactly, with the fewest fractional bits.
fn scale_code(node: &str, scale: f64) -> Result<(i64, i64), SystemError> {
    for frac in 0..=24i32 {
        let raw = scale * 2f64.powi(frac);
        if raw.fract() == 0.0 && (1.0..=f64::from(1 << 20)).contains(&raw) {
            return Ok((raw as i64, i64::from(frac)));
        }
    }
    Err(SystemError::node(
        node,
        "scale",
        format!("{scale} is not k/2^f with 1 ≤ k ≤ 2^20 and f ≤ 24"),
    ))
}

/// Resolves `config` for `graph`: weight ranges from `weights`, activation ranges from
/// float runs on `calibration_rows` seeded synthetic inputs (seeds `seed..`).
///
/// # Errors
/// The config's own errors (unknown node, bad key, parallelism not dividing), naming
/// the node and the key.
pub fn resolve(
    graph: &Graph,
    config: &model::quant::QuantConfig,
    weights: &Weights,
    seed: u64,
    calibration_rows: u64,
) -> Result<QuantPlan, SystemError> {
    let mut ranges = BTreeMap::new();
    for s in seed..seed + calibration_rows {
        let x = model::float::synthetic_inputs(graph, s);
        let acts = model::float::run(graph, weights, &x)?;
        model::float::Activations::merge_ranges(&mut ranges, &acts.ranges());
    }
    Ok(config.resolve(graph, Some(weights), Some(&ranges))?)
}
