//! The stitched system as an [`Instance`]: its top module instantiates every node's
//! library module directly (parameters from each node's `sv_params`, streams joined by
//! wires), its ROMs are the nodes' ROMs with instance-prefixed file names, and its
//! golden model chains the nodes' golden models. Emission and the co-simulation
//! harness therefore handle a system exactly like a single component.
//!
//! Timing is estimated from the nodes' signatures: latency is the sum of the node
//! latencies, a lower bound (each node's latency assumes input beats back to back; a
//! row-buffering node fed by a slower producer waits longer); the row interval is the
//! slowest node's cycles per row, which the Verilator run matches.

use std::collections::BTreeMap;

use generator::component::{CoreBinding, MemDef, StreamDef, TensorDef, Timing};
use generator::params::{ParamSpec, Params};
use generator::sv::{Dir, SvInstance, SvModule, SvPort, SvValue, range};
use generator::tensor::{Beat, Dim};
use generator::{Component, GenError, Instance, TensorMap};

use crate::netlist::{Endpoint, Netlist};

/// The registry entry of stitched systems (built from models, never from parameters).
pub struct System;

impl Component for System {
    fn name(&self) -> &'static str {
        "system"
    }
    fn summary(&self) -> &'static str {
        "a model stitched from components (mase-hw gen)"
    }
    fn params(&self) -> &'static [ParamSpec] {
        &[]
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

/// Per-row figures of one node.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NodeTiming {
    pub latency: u64,
    /// Cycles per row (sample) in steady state.
    pub row_interval: u64,
}

impl SystemInstance {
    pub fn new(net: Netlist) -> SystemInstance {
        SystemInstance {
            net,
            params: Params::defaults(&[]),
        }
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

    /// Latency and cycles per row of node `i`, from its signature.
    pub fn node_timing(&self, i: usize) -> NodeTiming {
        let inst = &self.net.nodes[i].inst;
        let t = inst.timing();
        let row_beats = inst
            .streams()
            .iter()
            .find(|s| s.name == t.ii_stream)
            .and_then(|s| {
                let def = inst.tensors().into_iter().find(|d| d.name == s.tensor)?;
                match def.shape.last() {
                    Some(Dim::Fixed(n)) => Some((*n / s.lanes) as u64),
                    _ => None,
                }
            })
            .unwrap_or(1);
        NodeTiming {
            latency: t.latency,
            row_interval: t.initiation_interval * row_beats,
        }
    }

    /// Cycles per row of the whole system: its slowest node.
    pub fn row_interval(&self) -> u64 {
        (0..self.net.nodes.len())
            .map(|i| self.node_timing(i).row_interval)
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

    /// Elements per row of the first node's input (`out` false) or the last node's output.
    fn row_len(&self, out: bool) -> usize {
        let (node, tensor) = if out {
            (self.net.nodes.last(), "data_out")
        } else {
            (self.net.nodes.first(), "data_in")
        };
        node.and_then(|n| n.inst.tensors().into_iter().find(|d| d.name == tensor))
            .and_then(|d| match d.shape.last() {
                Some(Dim::Fixed(n)) => Some(*n),
                _ => None,
            })
            .unwrap_or(1)
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
        let latency = (0..self.net.nodes.len())
            .map(|i| self.node_timing(i).latency)
            .sum();
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
        let mut x = generator::tensor::require(inputs, "system", "data_in", "input rows")?.clone();
        for n in &self.net.nodes {
            let mut m = n.roms.clone();
            m.insert("data_in".into(), x);
            let mut out = n.inst.golden(&m)?;
            x = out
                .remove("data_out")
                .ok_or_else(|| GenError::MissingTensor {
                    component: n.name.clone(),
                    tensor: "data_out".into(),
                    what: "golden output".into(),
                })?;
        }
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
