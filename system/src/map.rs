//! Mapping a model graph onto components: each computing node becomes one instance
//! whose parameters come from the quantization plan (formats, rounding, overflow,
//! lanes); `linear` weights and biases and `layernorm` γ/β are quantized with their
//! tensors' resolved formats into the instance's ROM contents; `split_heads` and
//! `merge_heads` become `transpose` instances (swap of the two outer axes); `reshape`
//! changes no stream. A tensor read by several nodes is forked, and inputs of `add`,
//! `mul` and `matmul` are balanced with FIFOs ([`crate::netlist`] states the rule).
//! Data movers (fork, FIFO, transpose) pass their input format through: the plan's
//! format of a `split_heads`/`merge_heads` node is not used.
//!
//! Format rule: a node's input format is its producer's output format wherever the
//! component accepts it, so no cast is needed; where it does not (softmax takes at
//! most 24 input bits, at most 24 of them fractional), a `cast` dropping low
//! fractional bits (the integer range is kept) is inserted by the [`NetBuilder`] (likewise layernorm ≤ 24 and gelu ≤ 32 input bits). The softmax
//! output is unsigned and in [0, 1], so it takes the non-negative half of the plan's
//! signed format, `unsigned(W−1, min(F, W−2))` for `signed(W, F)`: 1.0 must be
//! representable even when calibration saw only smaller probabilities.

use std::collections::BTreeMap;

use golden::Format;
use model::graph::{Graph, Node, Op};
use model::quant::{Granularity, QuantPlan, TensorQuant};
use model::weights::Weights;

use generator::Component;
use generator::components::{
    add::Add, gelu::Gelu, layernorm::LayerNorm, linear::Linear, matmul::Matmul, mul::Mul,
    relu::Relu, softmax::Softmax, transpose::Transpose,
};
use generator::{Tensor, TensorMap};

use crate::error::SystemError;
use crate::netlist::{NetBuilder, NetNode, Netlist, Port, legal_name};

/// Widest softmax input the component accepts.
const SOFTMAX_MAX_IN_WIDTH: u32 = 24;
/// Most fractional bits of a softmax input.
const SOFTMAX_MAX_IN_FRAC: i32 = 24;
/// Widest layernorm input.
const LAYERNORM_MAX_IN_WIDTH: u32 = 24;
/// Widest gelu input.
const GELU_MAX_IN_WIDTH: u32 = 32;

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
    let raw = q
        .quantize_all(&t.data)
        .map_err(|e| SystemError::node(node, name, e.to_string()))?;
    Ok(Tensor::new(t.shape.clone(), raw, q.format))
}

/// Raw weights, weight-scale parameters, `weight_shift` tensor.
type LinearWeight = (Tensor, Vec<(String, i64)>, Option<Tensor>);

/// A linear layer's weight matrix quantized with its resolved granularity: the raw
/// tensor, the `WEIGHT_GRANULARITY`/`WEIGHT_BLOCK`/`WEIGHT_SHIFT_WIDTH` parameters and,
/// for per-channel and MX scales, the `weight_shift` tensor of `mh_linear`.
fn linear_weight(
    node: &str,
    name: &str,
    plan: &QuantPlan,
    weights: &Weights,
) -> Result<LinearWeight, SystemError> {
    let q = quant(plan, name)?;
    if q.granularity == Granularity::PerTensor {
        return Ok((quantized(node, name, plan, weights)?, Vec::new(), None));
    }
    let t = weights
        .get(name)
        .ok_or_else(|| SystemError::node(node, name, "no weights were given for it"))?;
    let in_size = t.shape.get(1).copied().unwrap_or(1);
    let g = model::quant::quantize_grouped(name, q, &t.data, in_size)
        .map_err(|e| SystemError::node(node, name, e.to_string()))?;
    let (code, block) = match q.granularity {
        Granularity::Mx { block } => (2, block),
        _ => (1, in_size),
    };
    let shift_format = Format::unsigned(g.shift_width, 0)
        .map_err(|e| SystemError::node(node, name, e.to_string()))?;
    let groups = in_size / g.block;
    let rows = t.shape.first().copied().unwrap_or(1);
    let shifts = Tensor::new(vec![rows, groups], g.shifts, shift_format);
    let params = vec![
        ("WEIGHT_GRANULARITY".to_string(), code),
        ("WEIGHT_BLOCK".to_string(), block as i64),
        ("WEIGHT_SHIFT_WIDTH".to_string(), i64::from(g.shift_width)),
    ];
    Ok((
        Tensor::new(t.shape.clone(), g.raw, g.format),
        params,
        Some(shifts),
    ))
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

/// The mapping state: the builder and, per model tensor, the ports not yet consumed.
struct Mapper<'a> {
    graph: &'a Graph,
    plan: &'a QuantPlan,
    weights: &'a Weights,
    b: NetBuilder,
    /// Ports of each produced model tensor, one per remaining consumer.
    avail: BTreeMap<String, Vec<Port>>,
    /// Consumers of each model tensor.
    consumers: BTreeMap<String, usize>,
}

/// What a computing node becomes: its component, parameters (all but `ROUNDING`
/// and `OVERFLOW`, which [`Mapper::instantiate`] adds), ROM contents with the model
/// parameter each came from, and its input streams.
struct Mapped<'c> {
    component: &'c dyn Component,
    params: Vec<(String, i64)>,
    roms: TensorMap,
    rom_params: Vec<(String, String)>,
    ports: Vec<(&'static str, Port)>,
}

impl<'c> Mapped<'c> {
    fn new(component: &'c dyn Component) -> Self {
        Mapped {
            component,
            params: Vec::new(),
            roms: TensorMap::new(),
            rom_params: Vec::new(),
            ports: Vec::new(),
        }
    }

    /// ROM `name` of the instance holds `tensor`, quantized from model parameter `param`.
    fn rom(&mut self, name: &str, param: &str, tensor: Tensor) {
        self.roms.insert(name.to_string(), tensor);
        self.rom_params.push((name.to_string(), param.to_string()));
    }
}

/// The last axis of `shape` (1 for a scalar).
fn last(shape: &[usize]) -> usize {
    shape.last().copied().unwrap_or(1)
}

/// Maps `graph` with resolved `plan` and float `weights` to a netlist: one instance
/// per computing node, a `transpose` per head split or merge, forks where a tensor
/// feeds several nodes, FIFOs on reconvergent paths, casts and lane converters where
/// neighbours disagree.
///
/// # Errors
/// Unsupported ops, formats or sizes a component rejects (naming the node and the
/// parameter), lanes that cannot be converted, missing weights.
pub fn map_model(
    graph: &Graph,
    plan: &QuantPlan,
    weights: &Weights,
) -> Result<Netlist, SystemError> {
    graph.validate().map_err(|e| SystemError::Model {
        model: graph.name.clone(),
        rule: e.to_string(),
    })?;
    let inputs: Vec<&Node> = graph.inputs().collect();
    let outputs: Vec<&Node> = graph.outputs().collect();
    if inputs.len() != 1 || outputs.len() != 1 {
        return Err(SystemError::Ports {
            what: format!("{} inputs, {} outputs", inputs.len(), outputs.len()),
        });
    }
    let mut consumers: BTreeMap<String, usize> = BTreeMap::new();
    for n in &graph.nodes {
        for i in &n.inputs {
            *consumers.entry(i.clone()).or_insert(0) += 1;
        }
    }
    let input = inputs[0];
    let q = quant(plan, &input.name)?;
    let (b, port) = NetBuilder::new(
        &graph.name,
        &input.name,
        &input.shape,
        lanes(plan, &input.name, "lanes")?,
        q.format,
        (q.rounding, q.overflow),
    );
    let mut m = Mapper {
        graph,
        plan,
        weights,
        b,
        avail: BTreeMap::new(),
        consumers,
    };
    m.produce(&input.name, port)?;
    for node in &graph.nodes {
        match &node.op {
            Op::Input => {}
            Op::Output => {
                let port = m.take(node, 0)?;
                let lanes = lanes(plan, &node.name, "lanes")?;
                return m.b.finish(port, &node.name, &node.shape, lanes);
            }
            _ => {
                let port = m.node(node)?;
                m.produce(&node.name, port)?;
            }
        }
    }
    Err(SystemError::Ports {
        what: "no output node".into(),
    })
}

impl Mapper<'_> {
    /// Makes `port` (model tensor `name`) available to its consumers, forking it if
    /// there are several.
    fn produce(&mut self, name: &str, port: Port) -> Result<(), SystemError> {
        let n = self.consumers.get(name).copied().unwrap_or(0);
        let ports = if n > 1 {
            self.b.fork(port, n)?
        } else {
            vec![port]
        };
        self.avail.insert(name.to_string(), ports);
        Ok(())
    }

    /// A port of `node`'s input `k`.
    fn take(&mut self, node: &Node, k: usize) -> Result<Port, SystemError> {
        let name = node.inputs.get(k).map(String::as_str).unwrap_or_default();
        self.avail
            .get_mut(name)
            .and_then(|v| (!v.is_empty()).then(|| v.remove(0)))
            .ok_or_else(|| {
                SystemError::node(&node.name, "inputs", format!("`{name}` has no stream left"))
            })
    }

    /// Maps one computing node; returns its output port. Computing ops become one
    /// instance ([`Self::instantiate`]); head splits and merges a `transpose`;
    /// `reshape` only relabels the stream.
    fn node(&mut self, node: &Node) -> Result<Port, SystemError> {
        let q = quant(self.plan, &node.name)?;
        self.b.set_modes((q.rounding, q.overflow));
        let mapped = match &node.op {
            Op::Linear { weight, bias } => self.linear(node, q, weight, bias.as_deref())?,
            Op::Relu => self.unary(node, q, &Relu, None)?,
            Op::Gelu => self.unary(node, q, &Gelu, Some((GELU_MAX_IN_WIDTH, 40)))?,
            Op::Softmax { scale } => self.softmax(node, q, *scale)?,
            Op::Layernorm { eps, gamma, beta } => self.layernorm(node, q, *eps, gamma, beta)?,
            Op::Add => self.binary(node, q, &Add)?,
            Op::Mul => self.binary(node, q, &Mul)?,
            Op::Matmul { transpose_b } => self.matmul(node, q, *transpose_b)?,
            Op::SplitHeads { heads } => return self.split_heads(node, *heads),
            Op::MergeHeads => return self.merge_heads(node),
            Op::Reshape => return self.reshape(node),
            op => {
                return Err(SystemError::Unsupported {
                    node: node.name.clone(),
                    op: op.kind().to_string(),
                });
            }
        };
        self.instantiate(node, q, mapped)
    }

    /// The lane count `key` of `node` as a parameter value.
    fn lanes_of(&self, node: &Node, key: &str) -> Result<i64, SystemError> {
        lanes(self.plan, &node.name, key).map(|l| l as i64)
    }

    /// Configures `m`'s component with the node's rounding and overflow added, adds
    /// it to the netlist and returns its output port.
    fn instantiate(
        &mut self,
        node: &Node,
        q: &TensorQuant,
        m: Mapped<'_>,
    ) -> Result<Port, SystemError> {
        let Mapped {
            component,
            mut params,
            roms,
            rom_params,
            ports,
        } = m;
        params.push(("ROUNDING".into(), i64::from(q.rounding.code())));
        params.push(("OVERFLOW".into(), i64::from(q.overflow.code())));
        let refs: Vec<(&str, i64)> = params.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let inst = configure(node, component, &refs)?;
        let idx = self.b.add(
            NetNode {
                name: legal_name(&node.name),
                source: node.name.clone(),
                inst,
                roms,
                rom_params,
                inserted: false,
            },
            ports,
        )?;
        self.b.port(idx, "data_out", &node.name, &node.shape)
    }

    /// `linear`: weight (and bias) quantized into the instance's ROMs.
    fn linear(
        &mut self,
        node: &Node,
        q: &TensorQuant,
        weight: &str,
        bias: Option<&str>,
    ) -> Result<Mapped<'static>, SystemError> {
        let mut m = Mapped::new(&Linear);
        let x = self.take(node, 0)?;
        let (w, scale_params, shifts) = linear_weight(&node.name, weight, self.plan, self.weights)?;
        m.params.extend(fmt_params("IN", x.format));
        m.params.extend(fmt_params("WEIGHT", w.format));
        m.params.extend(scale_params);
        m.params
            .push(("HAS_BIAS".into(), i64::from(bias.is_some())));
        m.rom("weight", weight, w);
        if let Some(shifts) = shifts {
            m.rom("weight_shift", weight, shifts);
        }
        if let Some(bias) = bias {
            let t = quantized(&node.name, bias, self.plan, self.weights)?;
            m.params.extend(fmt_params("BIAS", t.format));
            m.rom("bias", bias, t);
        }
        let in_size = self
            .graph
            .param(weight)
            .and_then(|p| p.shape.get(1))
            .copied()
            .unwrap_or(1);
        m.params.push(("IN_SIZE".into(), in_size as i64));
        m.params.push(("OUT_SIZE".into(), last(&node.shape) as i64));
        m.params
            .push(("IN_PARALLELISM".into(), self.lanes_of(node, "in")?));
        m.params
            .push(("OUT_PARALLELISM".into(), self.lanes_of(node, "out")?));
        m.params.push(("WEIGHTS_FROM_ROM".into(), 1));
        m.params.extend(fmt_params("OUT", q.format));
        m.ports.push(("data_in", x));
        Ok(m)
    }

    /// `relu` / `gelu`: one input, narrowed to `(max width, max frac)` if given.
    fn unary(
        &mut self,
        node: &Node,
        q: &TensorQuant,
        component: &'static dyn Component,
        narrow_to: Option<(u32, i32)>,
    ) -> Result<Mapped<'static>, SystemError> {
        let mut m = Mapped::new(component);
        let x = self.take(node, 0)?;
        let x_fmt = match narrow_to {
            Some((w, f)) => narrowed(&node.name, x.format, w, f)?,
            None => x.format,
        };
        m.params.extend(fmt_params("IN", x_fmt));
        m.params.extend(fmt_params("OUT", q.format));
        m.params
            .push(("PARALLELISM".into(), self.lanes_of(node, "lanes")?));
        m.ports.push(("data_in", x));
        Ok(m)
    }

    /// `softmax` over the last axis; its unsigned output format is derived from the
    /// plan's (module doc).
    fn softmax(
        &mut self,
        node: &Node,
        q: &TensorQuant,
        scale: f64,
    ) -> Result<Mapped<'static>, SystemError> {
        let mut m = Mapped::new(&Softmax);
        let x = self.take(node, 0)?;
        // Softmax takes at most 24 bits with at most 24 fractional bits: drop
        // low fractional bits first (the integer range is kept).
        let want_in = narrowed(
            &node.name,
            x.format,
            SOFTMAX_MAX_IN_WIDTH,
            SOFTMAX_MAX_IN_FRAC,
        )?;
        // Probabilities reach 1.0, so at least one integer bit whatever the calibration.
        let out_w = q.format.width().saturating_sub(1);
        let out = Format::unsigned(out_w, q.format.frac().min(out_w as i32 - 1))
            .map_err(|e| SystemError::node(&node.name, "width", e.to_string()))?;
        let (raw, frac) = scale_code(&node.name, scale)?;
        m.params.extend(fmt_params("IN", want_in));
        m.params.extend(fmt_params("OUT", out));
        m.params.push(("SIZE".into(), last(&node.shape) as i64));
        m.params
            .push(("PARALLELISM".into(), self.lanes_of(node, "lanes")?));
        m.params.push(("SCALE".into(), raw));
        m.params.push(("SCALE_FRAC_WIDTH".into(), frac));
        m.ports.push(("data_in", x));
        Ok(m)
    }

    /// `layernorm` over the last axis, γ and β quantized into its ROMs.
    fn layernorm(
        &mut self,
        node: &Node,
        q: &TensorQuant,
        eps: f64,
        gamma: &str,
        beta: &str,
    ) -> Result<Mapped<'static>, SystemError> {
        let mut m = Mapped::new(&LayerNorm);
        let x = self.take(node, 0)?;
        let want_in = narrowed(&node.name, x.format, LAYERNORM_MAX_IN_WIDTH, 32)?;
        let g = quantized(&node.name, gamma, self.plan, self.weights)?;
        let bt = quantized(&node.name, beta, self.plan, self.weights)?;
        m.params.extend(fmt_params("IN", want_in));
        m.params.extend(fmt_params("GAMMA", g.format));
        m.params.extend(fmt_params("BETA", bt.format));
        m.params.extend(fmt_params("OUT", q.format));
        m.params.push(("SIZE".into(), last(&node.shape) as i64));
        m.params
            .push(("PARALLELISM".into(), self.lanes_of(node, "lanes")?));
        let (mant, frac) = eps_code(&node.name, eps)?;
        m.params.push(("EPS_MANT".into(), mant));
        m.params.push(("EPS_FRAC_WIDTH".into(), frac));
        m.params.push(("AFFINE_FROM_ROM".into(), 1));
        m.rom("gamma", gamma, g);
        m.rom("beta", beta, bt);
        m.ports.push(("data_in", x));
        Ok(m)
    }

    /// The two inputs of a two-operand node, balanced with FIFOs.
    fn two_inputs(&mut self, node: &Node) -> Result<[Port; 2], SystemError> {
        let mut xs = vec![self.take(node, 0)?, self.take(node, 1)?];
        self.b.balance(&node.name, &mut xs)?;
        let [a, b]: [Port; 2] = xs.try_into().expect("two inputs");
        Ok([a, b])
    }

    /// `add` / `mul`: two balanced inputs `a` and `b`.
    fn binary(
        &mut self,
        node: &Node,
        q: &TensorQuant,
        component: &'static dyn Component,
    ) -> Result<Mapped<'static>, SystemError> {
        let mut m = Mapped::new(component);
        let [a, b] = self.two_inputs(node)?;
        m.params.extend(fmt_params("A", a.format));
        m.params.extend(fmt_params("B", b.format));
        m.params.extend(fmt_params("OUT", q.format));
        m.params
            .push(("PARALLELISM".into(), self.lanes_of(node, "lanes")?));
        m.ports.extend([("a", a), ("b", b)]);
        Ok(m)
    }

    /// `matmul` per head: outer axes of the output are heads, then `[M, N]`.
    fn matmul(
        &mut self,
        node: &Node,
        q: &TensorQuant,
        transpose_b: bool,
    ) -> Result<Mapped<'static>, SystemError> {
        let mut m = Mapped::new(&Matmul);
        let [a, b] = self.two_inputs(node)?;
        let a_shape = self
            .graph
            .node(&node.inputs[0])
            .map(|n| n.shape.clone())
            .unwrap_or_default();
        let dims = node.shape.len();
        let heads: usize = node.shape[..dims.saturating_sub(2)].iter().product();
        let m_size = if dims >= 2 { node.shape[dims - 2] } else { 1 };
        m.params.extend(fmt_params("A", a.format));
        m.params.extend(fmt_params("B", b.format));
        m.params.extend(fmt_params("OUT", q.format));
        m.params.push(("M_SIZE".into(), m_size as i64));
        m.params.push(("K_SIZE".into(), last(&a_shape) as i64));
        m.params.push(("N_SIZE".into(), last(&node.shape) as i64));
        m.params
            .push(("K_PARALLELISM".into(), self.lanes_of(node, "k")?));
        m.params
            .push(("N_PARALLELISM".into(), self.lanes_of(node, "n")?));
        m.params
            .push(("TRANSPOSE_B".into(), i64::from(transpose_b)));
        m.params.push(("HEADS".into(), heads.max(1) as i64));
        m.ports.extend([("a", a), ("b", b)]);
        Ok(m)
    }

    /// `split_heads`: `[s, heads·d] → [heads, s, d]`, a swap of the two outer axes of
    /// `[s, heads, d]`.
    fn split_heads(&mut self, node: &Node, heads: usize) -> Result<Port, SystemError> {
        let x = self.take(node, 0)?;
        let (s, d) = (node.shape.get(1).copied().unwrap_or(1), last(&node.shape));
        self.transpose(node, x, [s, heads, d])
    }

    /// `merge_heads`: `[heads, s, d] → [s, heads·d]`, a swap of the two outer axes of
    /// `[heads, s, d]`.
    fn merge_heads(&mut self, node: &Node) -> Result<Port, SystemError> {
        let x = self.take(node, 0)?;
        let in_shape = self
            .graph
            .node(&node.inputs[0])
            .map(|n| n.shape.clone())
            .unwrap_or_default();
        let [h, s, d] = in_shape[..] else {
            return Err(SystemError::node(
                &node.name,
                "shape",
                "merge_heads takes a [heads, s, d] input",
            ));
        };
        self.transpose(node, x, [h, s, d])
    }

    /// `reshape`: same elements in the same order, so the stream is unchanged and
    /// only its rows are counted anew (after a lane change if the plan asks one).
    fn reshape(&mut self, node: &Node) -> Result<Port, SystemError> {
        let out_row = last(&node.shape);
        let mut x = self.take(node, 0)?;
        let want = lanes(self.plan, &node.name, "lanes")?;
        if x.lanes != want {
            x = self
                .b
                .resize(&legal_name(&node.name), &node.name, "data_in", x, want)?;
        }
        if !out_row.is_multiple_of(x.lanes) {
            return Err(SystemError::node(
                &node.name,
                "shape",
                format!(
                    "the new last axis {out_row} is not a multiple of the {} lanes of `{}`",
                    x.lanes, x.tensor
                ),
            ));
        }
        x.row = out_row;
        x.elements = node.shape.iter().product();
        x.tensor = node.name.clone();
        Ok(x)
    }

    /// A `transpose` swapping the outer axes of `[a, b, c]` for `node`.
    fn transpose(
        &mut self,
        node: &Node,
        x: Port,
        [a, b, c]: [usize; 3],
    ) -> Result<Port, SystemError> {
        let lanes = lanes(self.plan, &node.name, "lanes")?;
        let inst = Transpose
            .configure(&[
                ("WIDTH", i64::from(x.format.width())),
                ("PARALLELISM", lanes as i64),
                ("A_SIZE", a as i64),
                ("B_SIZE", b as i64),
                ("C_SIZE", c as i64),
            ])
            .map_err(|source| SystemError::Component {
                node: node.name.clone(),
                source: Box::new(source),
            })?;
        let idx = self.b.add(
            NetNode::plain(legal_name(&node.name), &node.name, inst),
            vec![("data_in", x)],
        )?;
        self.b.port(idx, "data_out", &node.name, &node.shape)
    }
}

/// `f` with low fractional bits dropped so that it has at most `max_w` bits and at
/// most `max_f` fractional bits (the integer range is kept).
fn narrowed(node: &str, f: Format, max_w: u32, max_f: i32) -> Result<Format, SystemError> {
    let (w, fr) = (f.width(), f.frac());
    let drop = (w.saturating_sub(max_w) as i32).max(fr - max_f);
    if drop <= 0 {
        return Ok(f);
    }
    Format::signed(w.min(max_w), fr - drop)
        .map_err(|e| SystemError::node(node, "width", e.to_string()))
}

/// `eps` as `EPS_MANT · 2^-EPS_FRAC_WIDTH` (mantissa ≤ 2^20, frac ≤ 80), as precise
/// as those ranges allow.
fn eps_code(node: &str, eps: f64) -> Result<(i64, i64), SystemError> {
    if !(eps > 0.0 && eps.is_finite()) {
        return Err(SystemError::node(
            node,
            "eps",
            format!("{} must be positive", crate::error::real(eps)),
        ));
    }
    let mut frac = 80i32;
    while frac > 0 && eps * 2f64.powi(frac) > f64::from(1 << 20) {
        frac -= 1;
    }
    let mant = (eps * 2f64.powi(frac)).round();
    if !(1.0..=f64::from(1 << 20)).contains(&mant) {
        return Err(SystemError::node(
            node,
            "eps",
            format!("{} is outside [2^-80, 2^20]", crate::error::real(eps)),
        ));
    }
    Ok((mant as i64, i64::from(frac)))
}

/// Largest `SCALE` code and `SCALE_FRAC_WIDTH` the softmax component takes.
const SCALE_MAX: f64 = (1 << 20) as f64;
const SCALE_MAX_FRAC: i32 = 24;

/// Whether `scale` is exactly `k/2^f` with `1 ≤ k ≤ 2^20`, `f ≤ 24` (the softmax
/// component then applies it without error). Scales that are not are folded into the
/// query projection where the graph allows ([`model::fold`]).
pub fn exact_scale(scale: f64) -> bool {
    (0..=SCALE_MAX_FRAC).any(|f| {
        let raw = scale * 2f64.powi(f);
        raw.fract() == 0.0 && (1.0..=SCALE_MAX).contains(&raw)
    })
}

/// `scale` as `SCALE / 2^SCALE_FRAC_WIDTH`: exactly with the fewest fractional bits
/// when it is `k/2^f`, otherwise rounded with the most fractional bits that keep
/// `SCALE ≤ 2^20` (relative error ≤ 2^-20 for scales in [2^-4, 1], stated in
/// docs/model-json.md).
fn scale_code(node: &str, scale: f64) -> Result<(i64, i64), SystemError> {
    for frac in 0..=SCALE_MAX_FRAC {
        let raw = scale * 2f64.powi(frac);
        if raw.fract() == 0.0 && (1.0..=SCALE_MAX).contains(&raw) {
            return Ok((raw as i64, i64::from(frac)));
        }
    }
    for frac in (0..=SCALE_MAX_FRAC).rev() {
        let raw = (scale * 2f64.powi(frac)).round();
        if (1.0..=SCALE_MAX).contains(&raw) {
            return Ok((raw as i64, i64::from(frac)));
        }
    }
    Err(SystemError::node(
        node,
        "scale",
        format!(
            "{} is outside [2^-24, 2^20], the range of a softmax scale code",
            crate::error::real(scale)
        ),
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

/// Resolves `config` for `graph` with activation ranges from float runs on the given
/// model inputs (real data: `--calibration-inputs`, `--calibration-text`). The range
/// of a node is the largest absolute value seen (`quantile = 1`, the max-abs rule) or,
/// per input, the `quantile` of its absolute values, maximised over the inputs.
///
/// # Errors
/// As [`resolve`]; an input the float model rejects.
pub fn resolve_on(
    graph: &Graph,
    config: &model::quant::QuantConfig,
    weights: &Weights,
    inputs: &[BTreeMap<String, model::tensor::Tensor<f64>>],
    quantile: f64,
) -> Result<QuantPlan, SystemError> {
    let mut ranges = BTreeMap::new();
    for x in inputs {
        let acts = model::float::run(graph, weights, x)?;
        let r = if quantile >= 1.0 {
            acts.ranges()
        } else {
            acts.quantile_ranges(quantile)
        };
        model::float::Activations::merge_ranges(&mut ranges, &r);
    }
    Ok(config.resolve(graph, Some(weights), Some(&ranges))?)
}
