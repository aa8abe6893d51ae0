//! The stitched system as an [`Instance`]: its top module instantiates every node's
//! library module directly (parameters from each node's `sv_params`, streams joined by
//! wires; bundled streams such as a fork's outputs split out by `assign`s), its ROMs
//! are the nodes' ROMs with instance-prefixed file names, and its golden model runs
//! every node's golden model over the netlist in order, each input reshaped to the
//! node's tensor shape (a stream is a flat sequence of elements) and data movers'
//! raw bits reinterpreted in the edge's format. Emission and the co-simulation harness
//! therefore handle a system exactly like a single component.
//!
//! Timing is predicted from the nodes' signatures by following the first row through
//! the netlist with no stalls. A node's signature latency assumes its input beats
//! arrive back to back; a node that needs the whole row before its first output
//! (`linear`, `softmax`, `layernorm`) fed one beat every `p` cycles starts
//! `(beats − 1)·(p − 1)` cycles later (a `transpose` the whole tensor, a `matmul` the
//! whole of B for a head, whose last row arrives `rows − 1` producer row periods after
//! the first). Inside the first row a row node, holding its whole input, emits at its
//! own beat rate; an elementwise node at the slower of its own and its producer's
//! (scaled by the lanes, for converters). A matmul's A rows start once B is held. The
//! steady item interval is the slowest node's cycles per item. For chains this equals
//! Verilator to the cycle (jsc-mlp at three parallelisms); with forks a node waits for
//! its latest input and the figure is an estimate, within a few cycles on bert-tiny
//! (8,984 vs 8,978 measured; 143,860 vs 143,862 at one lane).

use std::collections::BTreeMap;

use generator::component::{
    Behaviour, FirstOutput, MemDef, StreamDef, TensorDef, Timing, connect_streams, stream_ports,
};
use generator::params::{ParamSpec, Params};
use generator::sv::{Dir, SvInstance, SvModule, SvPort, SvValue, SvWire};
use generator::tensor::{Beat, Dim};
use generator::{Component, GenError, Instance, Tensor, TensorMap};

use crate::netlist::{Endpoint, Netlist};

/// The registry entry of stitched systems (built from models, never from parameters).
pub struct System;

/// A system's only parameter: a fingerprint of its top, so that caches keyed by
/// component and parameters (the co-simulation's ROM directory) tell systems apart.
const PARAMS: &[ParamSpec] = &[ParamSpec::int(
    "FINGERPRINT",
    0,
    (1 << 48) - 1,
    0,
    "48-bit FNV-1a of the generated top (identifies the netlist)",
)];

impl Component for System {
    fn name(&self) -> &'static str {
        "system"
    }
    fn summary(&self) -> &'static str {
        "a model stitched from components (mase-hw gen)"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn elaborate(&self, _: &Params) -> Result<Box<dyn Instance>, GenError> {
        Err(GenError::bad_param(
            "system",
            "model",
            "",
            "a system is generated from a model (mase-hw gen --model)",
        ))
    }
    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        Vec::new()
    }
    fn random(&self, _: &mut generator::rng::Rng) -> Vec<(&'static str, i64)> {
        Vec::new()
    }
}

/// A netlist seen as one instance with streams `data_in` and `data_out`.
pub struct SystemInstance {
    pub net: Netlist,
    params: Params,
}

/// Predicted figures of one node (no stalls, cycles).
#[derive(Clone, Debug, serde::Serialize)]
pub struct NodeTiming {
    /// From the node's signature: first input beat to first output beat, inputs back to back.
    pub latency: u64,
    /// From the node's signature: cycles per item (sample or sequence) in steady state.
    pub item_interval: u64,
    /// From the system's first input beat to this node's first output beat.
    pub first_output: f64,
    /// Cycles between this node's output beats within the first row.
    pub first_row_beat_interval: f64,
    /// Cycles between the starts of consecutive output rows: its own rate, or a
    /// slower producer's (a node holding a whole tensor emits at its own).
    pub row_period: f64,
}

/// `t` (a stream's tensor) as raw bits of `bits` (a data mover's lane format).
fn to_bits(t: &Tensor, bits: golden::Format) -> Tensor {
    let mask = (1i128 << bits.width()) - 1;
    Tensor::new(
        t.shape.clone(),
        t.raw.iter().map(|&r| r & mask).collect(),
        bits,
    )
}

/// Raw bits `t` read back as `format` (sign-extended where signed).
fn from_bits(t: &Tensor, format: golden::Format) -> Tensor {
    let w = format.width();
    let raw = t
        .raw
        .iter()
        .map(|&r| {
            if format.is_signed() && w < 128 && (r >> (w - 1)) & 1 == 1 {
                r - (1i128 << w)
            } else {
                r
            }
        })
        .collect();
    Tensor::new(t.shape.clone(), raw, format)
}

/// `t`'s elements reshaped to `dims` (the stream is a flat sequence; shapes only
/// interpret it): fixed axes as declared, a `Multiple` axis the edge's row, the batch
/// axis whatever is left.
fn conform(
    t: Tensor,
    dims: &[Dim],
    row: usize,
    who: &str,
    stream: &str,
) -> Result<Tensor, GenError> {
    let mut shape: Vec<usize> = dims
        .iter()
        .map(|d| match d {
            Dim::Fixed(n) => *n,
            Dim::Multiple(m) if row.is_multiple_of(*m) => row,
            Dim::Multiple(m) => *m,
            Dim::Batch => 1,
        })
        .collect();
    let known: usize = shape.iter().product();
    let total = t.raw.len();
    if let Some(b) = dims.iter().position(|d| *d == Dim::Batch) {
        if known == 0 || !total.is_multiple_of(known) {
            return Err(GenError::bad_tensor(
                who,
                stream,
                format!("{total} elements do not fill whole items of {known}"),
            ));
        }
        shape[b] = total / known;
    } else if known != total {
        return Err(GenError::bad_tensor(
            who,
            stream,
            format!("{total} elements where {known} are expected"),
        ));
    }
    Ok(Tensor { shape, ..t })
}

impl SystemInstance {
    pub fn new(net: Netlist) -> SystemInstance {
        let mut sys = SystemInstance {
            net,
            params: Params::defaults(PARAMS),
        };
        let text = sys.top("mh_system", "").print();
        let hash = golden::hash::fnv1a(text.as_bytes());
        let fingerprint = (hash & ((1 << 48) - 1)) as i64;
        if let Ok(p) = Params::with("system", PARAMS, &[("FINGERPRINT", fingerprint)]) {
            sys.params = p;
        }
        sys
    }

    /// ROM tensors by global name `<instance>.<tensor>` (what `memories()` refer to).
    pub fn rom_tensors(&self) -> TensorMap {
        let mut m = TensorMap::new();
        for n in &self.net.nodes {
            for (k, t) in &n.roms {
                m.insert(format!("{}.{k}", n.name), t.clone());
            }
        }
        m
    }

    /// Runs every node's golden model in netlist order on `data_in` (`[N, ..input
    /// shape]` or the input shape alone). Returns, per node, its model node name,
    /// component name and first output, and the system output `[N, ..output shape]`.
    ///
    /// # Errors
    /// A missing or malformed `data_in`, as any node's golden model reports it.
    #[allow(clippy::type_complexity)]
    pub fn golden_run(
        &self,
        inputs: &TensorMap,
    ) -> Result<(Vec<(String, &'static str, Tensor)>, Tensor), GenError> {
        self.execute(inputs, true).map(|(t, y, _)| (t, y))
    }

    /// [`Self::golden_run`]; the per-node trace (a copy of every node's first
    /// output) only with `keep_trace`. The phases: check the input items, step every
    /// node ([`Self::node_golden`]) on its producers' outputs in netlist order, take the
    /// system output.
    #[allow(clippy::type_complexity)]
    fn execute(
        &self,
        inputs: &TensorMap,
        keep_trace: bool,
    ) -> Result<(Vec<(String, &'static str, Tensor)>, Tensor, TensorMap), GenError> {
        let x = self.input_items(inputs)?;
        let mut streams: BTreeMap<(Endpoint, String), Tensor> = BTreeMap::new();
        streams.insert((Endpoint::TopIn, "data_in".into()), x.clone());
        for e in self.net.extra_edges().0 {
            let t = generator::tensor::require(inputs, "system", &e.from_stream, "device input")?;
            streams.insert((Endpoint::TopIn, e.from_stream.clone()), t.clone());
        }
        let mut trace = Vec::with_capacity(self.net.nodes.len());
        for (i, n) in self.net.nodes.iter().enumerate() {
            let incoming = self.incoming(i, &mut streams)?;
            let outs = self.node_golden(i, incoming)?;
            if keep_trace && let Some((_, t)) = outs.first() {
                trace.push((n.source.clone(), n.inst.component().name(), t.clone()));
            }
            for (s, t) in outs {
                streams.insert((Endpoint::Node(i), s), t);
            }
        }
        let mut extra = TensorMap::new();
        for e in self.net.extra_edges().1 {
            let t = streams
                .remove(&(e.from, e.from_stream.clone()))
                .ok_or_else(|| GenError::MissingTensor {
                    component: "system".into(),
                    tensor: e.to_stream.clone(),
                    what: "golden output".into(),
                })?;
            extra.insert(e.to_stream.clone(), t);
        }
        let y = self.system_output(&mut streams)?;
        Ok((trace, y, extra))
    }

    /// The input tensor `data_in`, checked to hold whole items in range.
    fn input_items<'t>(&self, inputs: &'t TensorMap) -> Result<&'t Tensor, GenError> {
        let x = generator::tensor::require(inputs, "system", "data_in", "input items")?;
        let item: usize = self.net.input_shape.iter().product();
        if item == 0 || x.raw.len() % item != 0 {
            return Err(GenError::bad_tensor(
                "system",
                "data_in",
                format!(
                    "shape {:?}: not a whole number of items of shape {:?}",
                    x.shape, self.net.input_shape
                ),
            ));
        }
        x.check_range("system", "data_in")?;
        Ok(x)
    }

    /// Node `i`'s input streams as its producers emitted them, by the node's stream
    /// name, taken out of `streams` (every stream has one consumer).
    fn incoming(
        &self,
        i: usize,
        streams: &mut BTreeMap<(Endpoint, String), Tensor>,
    ) -> Result<Vec<(String, Tensor)>, GenError> {
        let n = &self.net.nodes[i];
        let mut incoming = Vec::new();
        for e in self.net.edges.iter().filter(|e| e.to == Endpoint::Node(i)) {
            // Every stream has exactly one consumer (fan-out goes through forks).
            let t = streams
                .remove(&(e.from, e.from_stream.clone()))
                .ok_or_else(|| GenError::MissingTensor {
                    component: n.name.clone(),
                    tensor: e.to_stream.clone(),
                    what: "producer output".into(),
                })?;
            incoming.push((e.to_stream.clone(), t));
        }
        Ok(incoming)
    }

    /// One node's golden step: `incoming` holds each input stream's tensor as its
    /// producer emitted it (by the node's stream name; its shape does not matter, a
    /// stream is a flat sequence), which is reshaped to the node's tensor shape (data
    /// movers: as raw bits). Returns the output tensors in the node's stream order (data
    /// movers' bits read back in the format of the edge into them). The system's golden
    /// model and the fast engine's data mode both step nodes with this.
    ///
    /// # Errors
    /// An input that does not fill the node's tensor shape, or as the node's golden model
    /// reports it.
    pub fn node_golden(
        &self,
        i: usize,
        incoming: Vec<(String, Tensor)>,
    ) -> Result<Vec<(String, Tensor)>, GenError> {
        let n = &self.net.nodes[i];
        let defs = n.inst.tensors();
        let mut m = n.roms.clone();
        for (stream, t) in incoming {
            let row = self
                .net
                .edges
                .iter()
                .find(|e| e.to == Endpoint::Node(i) && e.to_stream == stream)
                .map_or(1, |e| e.row);
            let def = defs.iter().find(|d| d.name == stream);
            let dims = def.map(|d| d.shape.clone()).unwrap_or_default();
            let mut t = conform(t, &dims, row, &n.name, &stream)?;
            if let Some(d) = def.filter(|_| n.is_mover()) {
                t = to_bits(&t, d.format);
            }
            m.insert(stream, t);
        }
        let mut outs = n.inst.golden(&m)?;
        let mut result = Vec::new();
        for s in n.streams(Dir::Output) {
            let mut t = outs
                .remove(&s.name)
                .ok_or_else(|| GenError::MissingTensor {
                    component: n.name.clone(),
                    tensor: s.name.clone(),
                    what: "golden output".into(),
                })?;
            if n.is_mover() {
                let f = self
                    .net
                    .edges
                    .iter()
                    .find(|e| e.to == Endpoint::Node(i))
                    .map_or(t.format, |e| e.format);
                t = from_bits(&t, f);
            }
            result.push((s.name.clone(), t));
        }
        Ok(result)
    }

    /// The system output `data_out`: the output edge's stream in the model's shape.
    fn system_output(
        &self,
        streams: &mut BTreeMap<(Endpoint, String), Tensor>,
    ) -> Result<Tensor, GenError> {
        let e = self.net.output_edge();
        let y = streams
            .remove(&(e.from, e.from_stream.clone()))
            .ok_or_else(|| GenError::MissingTensor {
                component: "system".into(),
                tensor: "data_out".into(),
                what: "golden output".into(),
            })?;
        self.output_tensor(y)
    }

    /// The elements of the stream into `data_out` as the system output `[N, ..output
    /// shape]`.
    ///
    /// # Errors
    /// A number of elements that is not a whole number of items.
    pub fn output_tensor(&self, y: Tensor) -> Result<Tensor, GenError> {
        let mut dims = vec![Dim::Batch];
        dims.extend(self.net.output_shape.iter().map(|&d| Dim::Fixed(d)));
        conform(y, &dims, self.net.output_edge().row, "system", "data_out")
    }

    /// The output of every model node's own instance (not the forks, FIFOs, casts and
    /// converters around it), by model node name, in netlist order.
    ///
    /// # Errors
    /// As [`Self::golden_run`].
    pub fn golden_trace(&self, inputs: &TensorMap) -> Result<Vec<(String, Tensor)>, GenError> {
        let (trace, _) = self.golden_run(inputs)?;
        Ok(self.model_trace(trace))
    }

    /// The entries of a [`Self::golden_run`] trace that belong to model nodes' own
    /// instances, by model node name.
    pub fn model_trace(&self, trace: Vec<(String, &'static str, Tensor)>) -> Vec<(String, Tensor)> {
        self.net
            .nodes
            .iter()
            .zip(trace)
            // Every model node has one instance of its own; the others around it
            // (forks, FIFOs, casts, converters) are inserted by the builder.
            .filter(|(n, _)| !n.inserted)
            .map(|(_, (source, _, t))| (source, t))
            .collect()
    }

    /// Predicted timing of every node, in netlist order. Exact for chains (every node
    /// one input, one output; checked against Verilator); for graphs with forks an
    /// estimate along the slowest input of each node.
    pub fn node_timings(&self) -> Vec<NodeTiming> {
        let mut v: Vec<NodeTiming> = Vec::with_capacity(self.net.nodes.len());
        for (i, n) in self.net.nodes.iter().enumerate() {
            let inst = &*n.inst;
            let sig = inst.timing();
            let behaviour = inst.behaviour();
            let (mut t, mut p, mut rp) = (0.0f64, 1.0f64, 0.0f64);
            let out = self.net.edges.iter().find(|e| e.from == Endpoint::Node(i));
            let out_lanes = out.map_or(1, |e| e.lanes.max(1));
            for e in self.net.edges.iter().filter(|e| e.to == Endpoint::Node(i)) {
                let (tp, pp, rpp) = match e.from {
                    Endpoint::Node(j) => (
                        v[j].first_output,
                        v[j].first_row_beat_interval,
                        v[j].row_period,
                    ),
                    _ => (0.0, 1.0, 0.0),
                };
                t = t.max(self.input_ready(i, e, &behaviour, (tp, pp, rpp)));
                // Beat intervals scale with the lanes (a converter regroups elements).
                p = p.max(pp * out_lanes as f64 / e.lanes.max(1) as f64);
                rp = rp.max(rpp);
            }
            let item_interval = self.item_interval_of(i);
            let ii_beats = self.stream_beats(i, &sig.ii_stream).max(1);
            let own = item_interval as f64 / ii_beats as f64;
            // Inside the first row a row node has its whole input and emits at its own
            // rate; an elementwise node cannot outrun its producer.
            p = if behaviour.buffers() { own } else { own.max(p) };
            let out_rows = out.map_or(1, |e| (e.elements / e.row.max(1)).max(1));
            let own_row = item_interval as f64 / out_rows as f64;
            let row_period = if behaviour.holds_tensor() {
                own_row
            } else {
                own_row.max(rp)
            };
            v.push(NodeTiming {
                latency: sig.latency,
                item_interval,
                first_output: t + sig.latency as f64,
                first_row_beat_interval: p,
                row_period,
            });
        }
        v
    }

    /// The cycle from which node `i`'s signature latency runs on input edge `e`, given
    /// the producer's (first output, first-row beat interval, row period).
    fn input_ready(
        &self,
        i: usize,
        e: &crate::netlist::Edge,
        behaviour: &Behaviour,
        (tp, pp, rpp): (f64, f64, f64),
    ) -> f64 {
        let inst = &*self.net.nodes[i].inst;
        // Beats of one item (one head) of a whole tensor an input stream waits for.
        let whole_beats =
            |e: &crate::netlist::Edge| e.elements / e.lanes.max(1) / self.heads(inst).max(1);
        let row_beats = (e.row / e.lanes.max(1)).max(1);
        // Beats the signature latency counts as arriving back to back.
        let declared = behaviour.input(&e.to_stream);
        let waits = declared.map_or(FirstOutput::Beat, |d| d.first_output);
        let whole = match waits {
            FirstOutput::Tensor { .. } => Some(whole_beats(e)),
            _ => None,
        };
        let ready = match whole {
            // The last beat of a whole tensor arrives (rows − 1) row periods
            // and a row's beats after the first; the signature counts T − 1.
            Some(beats) => {
                let rows = (beats / row_beats).max(1);
                let last = (rows - 1) as f64 * rpp.max(row_beats as f64 * pp)
                    + (row_beats - 1) as f64 * pp;
                tp + (last - (beats.max(1) - 1) as f64).max(0.0)
            }
            None if behaviour.buffers() => tp + (row_beats - 1) as f64 * (pp - 1.0),
            None => tp,
        };
        // A stream read only after another's whole tensor is held (matmul's A
        // after B): the signature latency runs from that stream's first beat
        // and includes its beats.
        let after = declared.and_then(|d| d.after.as_deref()).and_then(|a| {
            self.net
                .edges
                .iter()
                .find(|x| x.to == Endpoint::Node(i) && x.to_stream == a)
        });
        match after {
            Some(x) => ready - whole_beats(x) as f64,
            None => ready,
        }
    }

    /// Node `i`'s instance in the top `m`: its streams joined to the wires of their
    /// producers (ROM-fed inputs tied off by the instance), declaring the wires of its
    /// outputs in `m`, and its unused outputs on wires of their own.
    fn node_instance(&self, m: &mut SvModule, i: usize, mem_dir: &str) -> SvInstance {
        let n = &self.net.nodes[i];
        let mut conns: Vec<(String, String)> =
            vec![("clk".into(), "clk".into()), ("rst".into(), "rst".into())];
        let mut wired: Vec<(StreamDef, String)> = Vec::new();
        for s in n.inst.streams() {
            let wire = if s.direction == Dir::Input {
                let e = self
                    .net
                    .edges
                    .iter()
                    .find(|e| e.to == Endpoint::Node(i) && e.to_stream == s.name);
                match e {
                    Some(e) => self.wire(e.from, &e.from_stream),
                    // ROM-fed inputs are tied off by the instance.
                    None => continue,
                }
            } else {
                self.wire(Endpoint::Node(i), &s.name)
            };
            wired.push((s, wire));
        }
        conns.extend(connect_streams(m, &format!("{}_", n.name), wired, true));
        conns.extend(n.inst.tie_offs());
        for (port, width) in n.inst.unused_outputs() {
            let w = format!("{}_unused_{port}", n.name);
            m.wires.push(SvWire::bits(w.clone(), width));
            conns.push((port, w));
        }
        SvInstance {
            module: n.inst.module().to_string(),
            name: format!("u_{}", n.name),
            params: n.inst.sv_params(&format!("{mem_dir}{}_", n.name)),
            conns,
        }
    }
    /// Heads of a matmul instance (1 for anything else).
    fn heads(&self, inst: &dyn Instance) -> usize {
        inst.tensors()
            .into_iter()
            .find(|d| d.name == "a")
            .and_then(|d| match d.shape.get(1) {
                Some(Dim::Fixed(h)) => Some(*h),
                _ => None,
            })
            .unwrap_or(1)
    }

    /// Beats per item on node `i`'s stream `stream`.
    fn stream_beats(&self, i: usize, stream: &str) -> usize {
        self.net
            .edges
            .iter()
            .find(|e| {
                (e.to == Endpoint::Node(i) && e.to_stream == stream)
                    || (e.from == Endpoint::Node(i) && e.from_stream == stream)
            })
            .map_or(1, |e| e.elements / e.lanes.max(1))
    }

    /// Node `i`'s cycles per item in steady state (its II times its beats per item).
    fn item_interval_of(&self, i: usize) -> u64 {
        let sig = self.net.nodes[i].inst.timing();
        sig.initiation_interval * self.stream_beats(i, &sig.ii_stream).max(1) as u64
    }

    /// Cycles per item of the whole system: its slowest node.
    pub fn item_interval(&self) -> u64 {
        (0..self.net.nodes.len())
            .map(|i| self.item_interval_of(i))
            .max()
            .unwrap_or(1)
    }

    /// Whether [`Self::node_timings`] is exact (a chain) rather than an estimate.
    pub fn timing_is_exact(&self) -> bool {
        self.net.is_chain()
    }

    fn io(&self) -> (StreamDef, StreamDef) {
        let (i, o) = (self.net.input_edge(), self.net.output_edge());
        (
            StreamDef::new("data_in", Dir::Input, i.lanes, i.format, "data_in"),
            StreamDef::new("data_out", Dir::Output, o.lanes, o.format, "data_out"),
        )
    }

    /// The wire stem of node `i`'s output stream `stream` (or the top input).
    pub(crate) fn wire(&self, from: Endpoint, stream: &str) -> String {
        match from {
            Endpoint::TopIn | Endpoint::TopOut => stream.to_string(),
            Endpoint::Node(i) => format!("{}_{stream}", self.net.nodes[i].name),
        }
    }
}

impl Instance for SystemInstance {
    fn component(&self) -> &'static dyn Component {
        &System
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_system"
    }
    fn library(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = Vec::new();
        for n in &self.net.nodes {
            for m in n.inst.library() {
                if !v.contains(&m) {
                    v.push(m);
                }
            }
        }
        v
    }
    fn sv_params(&self, _mem_dir: &str) -> Vec<(String, SvValue)> {
        Vec::new()
    }
    /// `data_in`, `data_out`, then a device's extra boundary streams (`data_in_<k>`,
    /// `data_out_<k>`, see [`Netlist::extra_edges`]).
    fn streams(&self) -> Vec<StreamDef> {
        let (i, o) = self.io();
        let mut v = vec![i, o];
        let (ins, outs) = self.net.extra_edges();
        for e in ins {
            let n = &e.from_stream;
            v.push(StreamDef::new(n, Dir::Input, e.lanes, e.format, n));
        }
        for e in outs {
            let n = &e.to_stream;
            v.push(StreamDef::new(n, Dir::Output, e.lanes, e.format, n));
        }
        v
    }
    fn memories(&self) -> Vec<MemDef> {
        let mut v = Vec::new();
        for n in &self.net.nodes {
            for m in n.inst.memories() {
                v.push(MemDef {
                    tensor: format!("{}.{}", n.name, m.tensor),
                    param: format!("{}.{}", n.name, m.param),
                    file: format!("{}_{}", n.name, m.file),
                    ..m
                });
            }
        }
        v
    }
    /// The system's input waits for the strongest need of any node: the whole input
    /// tensor if some node holds a tensor, its first row if some node buffers a row.
    fn behaviour(&self) -> Behaviour {
        let e = self.net.input_edge();
        let lanes = e.lanes.max(1);
        let nodes = self.net.nodes.iter().map(|n| n.inst.behaviour());
        let first_output = nodes.fold(FirstOutput::Beat, |acc, b| match (acc, b.strongest()) {
            (FirstOutput::Tensor { .. }, _) => acc,
            (_, FirstOutput::Tensor { .. }) => FirstOutput::Tensor {
                beats: e.elements / lanes,
            },
            (FirstOutput::Beat, FirstOutput::Row { .. }) => FirstOutput::Row {
                beats: e.row / lanes,
            },
            _ => acc,
        });
        Behaviour::new(false, &[("data_in", first_output)])
    }
    fn tensors(&self) -> Vec<TensorDef> {
        let (i, o) = self.io();
        let shape = |s: &[usize]| {
            let mut v = vec![Dim::Batch];
            v.extend(s.iter().map(|&d| Dim::Fixed(d)));
            v
        };
        let mut v = vec![
            TensorDef {
                name: "data_in".into(),
                direction: Dir::Input,
                shape: shape(&self.net.input_shape),
                format: i.format(),
            },
            TensorDef {
                name: "data_out".into(),
                direction: Dir::Output,
                shape: shape(&self.net.output_shape),
                format: o.format(),
            },
        ];
        let (ins, outs) = self.net.extra_edges();
        for (e, name, direction) in ins
            .iter()
            .map(|e| (e, &e.from_stream, Dir::Input))
            .chain(outs.iter().map(|e| (e, &e.to_stream, Dir::Output)))
        {
            v.push(TensorDef {
                name: name.clone(),
                direction,
                shape: shape(&[e.elements / e.row.max(1), e.row]),
                format: e.format,
            });
        }
        for n in &self.net.nodes {
            for d in n.inst.tensors() {
                if n.roms.contains_key(&d.name) {
                    v.push(TensorDef {
                        name: format!("{}.{}", n.name, d.name),
                        ..d
                    });
                }
            }
        }
        v
    }
    fn timing(&self) -> Timing {
        let e = self.net.output_edge();
        let latency = match e.from {
            Endpoint::Node(i) => self.node_timings()[i].first_output.ceil() as u64,
            _ => 0,
        };
        let beats = (e.elements / e.lanes.max(1)).max(1) as u64;
        Timing {
            latency,
            initiation_interval: self.item_interval().div_ceil(beats),
            ii_stream: "data_out".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        let mut r = BTreeMap::new();
        for n in &self.net.nodes {
            for (k, v) in n.inst.resources() {
                *r.entry(k).or_insert(0) += v;
            }
        }
        r
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let (_, y, mut out) = self.execute(inputs, false)?;
        out.insert("data_out".to_string(), y);
        Ok(out)
    }
    fn memory_words(&self, mem: &MemDef, tensors: &TensorMap) -> Result<Vec<Beat>, GenError> {
        for n in &self.net.nodes {
            for m in n.inst.memories() {
                if format!("{}.{}", n.name, m.tensor) == mem.tensor {
                    let t = generator::tensor::require(tensors, "system", &mem.tensor, "ROM")?;
                    let local = TensorMap::from([(m.tensor.clone(), t.clone())]);
                    return n.inst.memory_words(&m, &local);
                }
            }
        }
        Err(GenError::bad_tensor(
            "system",
            &mem.tensor,
            "no node has this ROM",
        ))
    }

    fn top(&self, top: &str, mem_dir: &str) -> SvModule {
        let mut m = SvModule {
            name: top.to_string(),
            doc: vec![
                format!(
                    "{top}: model `{}` stitched from {} component instances; generated by mase-hw.",
                    self.net.name,
                    self.net.nodes.len()
                ),
                format!(
                    "data_in carries model input `{}`, data_out model output `{}`.",
                    self.net.input_name, self.net.output_name
                ),
            ],
            ..SvModule::default()
        };
        for (name, dir) in [("clk", Dir::Input), ("rst", Dir::Input)] {
            m.ports.push(SvPort {
                name: name.into(),
                dir,
                width: 1,
            });
        }
        for s in self.streams() {
            m.ports.extend(stream_ports(&s));
        }
        for i in 0..self.net.nodes.len() {
            let inst = self.node_instance(&mut m, i, mem_dir);
            m.instances.push(inst);
        }
        let mut outs = vec![self.net.output_edge()];
        outs.extend(self.net.extra_edges().1);
        for e in outs {
            let last = self.wire(e.from, &e.from_stream);
            let port = &e.to_stream;
            m.assigns.push((port.clone(), last.clone()));
            m.assigns
                .push((format!("{port}_valid"), format!("{last}_valid")));
            m.assigns
                .push((format!("{last}_ready"), format!("{port}_ready")));
        }
        m
    }
}
