//! The stitched system as an [`Instance`]: its top module instantiates every node's
//! library module directly (parameters from each node's `sv_params`, streams joined by
//! wires), its ROMs are the nodes' ROMs with instance-prefixed file names, and its
//! golden model chains the nodes' golden models. Emission and the co-simulation
//! harness therefore handle a system exactly like a single component.
//!
//! Timing is predicted from the nodes' signatures by following the first row down the
//! chain with no stalls. A node's signature latency assumes its input beats arrive back
//! to back; a node that needs the whole row before its first output (`linear`,
//! `softmax`) fed one beat every `p` cycles starts `(beats − 1)·(p − 1)` cycles later.
//! Inside the first row a row node, holding its whole input, emits at its own beat
//! rate; an elementwise node at the slower of its own and its producer's. The steady
//! row interval is the slowest node's cycles per row. Co-simulation of jsc-mlp matches
//! both to the cycle at parallelism 1 and at the test's mixed parallelism.

use std::collections::BTreeMap;

use generator::component::{CoreBinding, MemDef, StreamDef, TensorDef, Timing};
use generator::params::{ParamSpec, Params};
use generator::sv::{Dir, SvInstance, SvModule, SvPort, SvValue, range};
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
    /// From the node's signature: cycles per row (sample) in steady state.
    pub row_interval: u64,
    /// From the system's first input beat to this node's first output beat.
    pub first_output: f64,
    /// Cycles between this node's output beats within the first row.
    pub first_row_beat_interval: f64,
}

/// Components whose first output needs the whole input row.
fn buffers_row(component: &str) -> bool {
    matches!(component, "linear" | "softmax" | "layernorm" | "matmul")
}

/// Elements per row of `inst`'s tensor `name` (its last dimension, when fixed; an
/// elementwise component leaves it free).
fn row_len(inst: &dyn Instance, name: &str) -> Option<usize> {
    inst.tensors()
        .into_iter()
        .find(|d| d.name == name)
        .and_then(|d| match d.shape.last() {
            Some(Dim::Fixed(n)) => Some(*n),
            _ => None,
        })
}

/// Lanes of `inst`'s stream `name`.
fn lanes(inst: &dyn Instance, name: &str) -> usize {
    inst.streams()
        .iter()
        .find(|s| s.name == name)
        .map_or(1, |s| s.lanes.max(1))
}

impl SystemInstance {
    pub fn new(net: Netlist) -> SystemInstance {
        let mut sys = SystemInstance {
            net,
            params: Params::defaults(PARAMS),
        };
        let text = sys.top("mh_system", "").print();
        let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
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

    /// The golden chain: every node's output (with its model node name), in order.
    ///
    /// # Errors
    /// A missing or malformed `data_in`, as any node's golden model reports it.
    pub fn golden_trace(&self, inputs: &TensorMap) -> Result<Vec<(String, Tensor)>, GenError> {
        let mut x = generator::tensor::require(inputs, "system", "data_in", "input rows")?.clone();
        let mut trace = Vec::with_capacity(self.net.nodes.len());
        for n in &self.net.nodes {
            let mut m = n.roms.clone();
            m.insert("data_in".into(), x);
            x = n
                .inst
                .golden(&m)?
                .remove("data_out")
                .ok_or_else(|| GenError::MissingTensor {
                    component: n.name.clone(),
                    tensor: "data_out".into(),
                    what: "golden output".into(),
                })?;
            trace.push((n.source.clone(), x.clone()));
        }
        Ok(trace)
    }

    /// Predicted timing of every node, in chain order.
    pub fn node_timings(&self) -> Vec<NodeTiming> {
        let (mut t, mut p) = (0.0f64, 1.0f64);
        let mut row = self.row_len(false);
        let mut v = Vec::with_capacity(self.net.nodes.len());
        for n in &self.net.nodes {
            let inst = &*n.inst;
            let sig = inst.timing();
            let in_row = row_len(inst, "data_in").unwrap_or(row);
            let out_row = row_len(inst, "data_out").unwrap_or(in_row);
            let in_beats = (in_row / lanes(inst, "data_in")).max(1) as u64;
            let out_beats = (out_row / lanes(inst, "data_out")).max(1) as u64;
            let ii_beats = if sig.ii_stream == "data_in" {
                in_beats
            } else {
                out_beats
            };
            let row_interval = sig.initiation_interval * ii_beats;
            let wait = if buffers_row(inst.component().name()) {
                (in_beats - 1) as f64 * (p - 1.0)
            } else {
                0.0
            };
            t += sig.latency as f64 + wait;
            // Inside the first row a row node has its whole input and emits at its own
            // rate; an elementwise node cannot outrun its producer.
            let own = row_interval as f64 / ii_beats as f64;
            p = if buffers_row(inst.component().name()) {
                own
            } else {
                own.max(p)
            };
            row = out_row;
            v.push(NodeTiming {
                latency: sig.latency,
                row_interval,
                first_output: t,
                first_row_beat_interval: p,
            });
        }
        v
    }

    /// Cycles per row of the whole system: its slowest node.
    pub fn row_interval(&self) -> u64 {
        self.node_timings()
            .iter()
            .map(|t| t.row_interval)
            .max()
            .unwrap_or(1)
    }

    fn io(&self) -> (StreamDef, StreamDef) {
        let (i, o) = (self.net.input_edge(), self.net.output_edge());
        (
            StreamDef::new("data_in", Dir::Input, i.lanes, i.format, "data_in"),
            StreamDef::new("data_out", Dir::Output, o.lanes, o.format, "data_out"),
        )
    }

    /// Elements per row of the first node's input (`out` false) or the last node's
    /// output, following the chain through elementwise nodes.
    fn row_len(&self, out: bool) -> usize {
        let mut row = self
            .net
            .nodes
            .first()
            .and_then(|n| row_len(&*n.inst, "data_in"))
            .unwrap_or(1);
        if out {
            for n in &self.net.nodes {
                row = row_len(&*n.inst, "data_out").unwrap_or(row);
            }
        }
        row
    }

    /// The wire stem of the stream leaving `from`.
    fn wire(&self, from: Endpoint) -> String {
        match from {
            Endpoint::TopIn => "data_in".into(),
            Endpoint::TopOut => "data_out".into(),
            Endpoint::Node(i) => format!("{}_out", self.net.nodes[i].name),
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
    fn streams(&self) -> Vec<StreamDef> {
        let (i, o) = self.io();
        vec![i, o]
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
    fn tensors(&self) -> Vec<TensorDef> {
        let (i, o) = self.io();
        let mut v = vec![
            TensorDef {
                name: "data_in".into(),
                direction: Dir::Input,
                shape: vec![Dim::Batch, Dim::Fixed(self.row_len(false))],
                format: i.format(),
            },
            TensorDef {
                name: "data_out".into(),
                direction: Dir::Output,
                shape: vec![Dim::Batch, Dim::Fixed(self.row_len(true))],
                format: o.format(),
            },
        ];
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
        let latency = self
            .node_timings()
            .last()
            .map_or(0, |t| t.first_output.ceil() as u64);
        let (_, o) = self.io();
        let beats = (self.row_len(true) / o.lanes).max(1) as u64;
        Timing {
            latency,
            initiation_interval: self.row_interval().div_ceil(beats),
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
        let x = self.golden_trace(inputs)?.pop();
        let x = x.map(|(_, t)| t).ok_or_else(|| GenError::MissingTensor {
            component: "system".into(),
            tensor: "data_out".into(),
            what: "golden output".into(),
        })?;
        Ok(TensorMap::from([("data_out".to_string(), x)]))
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
            let ready = if s.direction == Dir::Input {
                Dir::Output
            } else {
                Dir::Input
            };
            for (suffix, dir, width) in [
                ("", s.direction, s.data_width()),
                ("_valid", s.direction, 1),
                ("_ready", ready, 1),
            ] {
                m.ports.push(SvPort {
                    name: format!("{}{suffix}", s.name),
                    dir,
                    width,
                });
            }
        }
        for (i, n) in self.net.nodes.iter().enumerate() {
            let from = self
                .net
                .edges
                .iter()
                .find(|e| e.to == Endpoint::Node(i))
                .map_or(Endpoint::TopIn, |e| e.from);
            let input = self.wire(from);
            let output = self.wire(Endpoint::Node(i));
            let mut conns: Vec<(String, String)> =
                vec![("clk".into(), "clk".into()), ("rst".into(), "rst".into())];
            for s in n.inst.streams() {
                debug_assert_eq!(s.binding, CoreBinding::Direct);
                let wire = if s.direction == Dir::Input {
                    &input
                } else {
                    m.wires.push((output.clone(), range(s.data_width())));
                    m.wires.push((format!("{output}_valid"), String::new()));
                    m.wires.push((format!("{output}_ready"), String::new()));
                    &output
                };
                for suffix in ["", "_valid", "_ready"] {
                    conns.push((format!("{}{suffix}", s.name), format!("{wire}{suffix}")));
                }
            }
            conns.extend(n.inst.tie_offs());
            for (port, width) in n.inst.unused_outputs() {
                let w = format!("{}_unused_{port}", n.name);
                m.wires.push((w.clone(), range(width)));
                conns.push((port, w));
            }
            m.instances.push(SvInstance {
                module: n.inst.module().to_string(),
                name: format!("u_{}", n.name),
                params: n.inst.sv_params(&format!("{mem_dir}{}_", n.name)),
                conns,
            });
        }
        let last = self.wire(self.net.output_edge().from);
        m.assigns.push(("data_out".into(), last.clone()));
        m.assigns
            .push(("data_out_valid".into(), format!("{last}_valid")));
        m.assigns
            .push((format!("{last}_ready"), "data_out_ready".into()));
        m
    }
}
