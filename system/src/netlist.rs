//! The typed netlist of a system: component instances (nodes) and the valid/ready
//! streams between them (edges), each edge with its lane count and format.
//!
//! [`NetBuilder`] adds nodes in a topological order and checks every connection it
//! makes. Where a producer and a consumer disagree it inserts an adapter rather than
//! guessing: a `cast` where formats differ, a `resize` (lane-width converter) where lane
//! counts differ. [`NetBuilder::fork`] broadcasts a stream to several consumers, and
//! before a node with several inputs (add, matmul) [`NetBuilder::balance`] puts a FIFO
//! on every input that arrives earlier than its siblings, sized by the rule below, so
//! that a fork that rejoins cannot deadlock.
//!
//! ## FIFO sizing on reconvergent paths
//! Every stream carries, per fork upstream of it, `need`: the rows (positions of the
//! sequence; one row is the last axis of the fork's tensor) that must have left that
//! fork before the stream's first beat can appear. A fork's outputs start at 0; an
//! elementwise node keeps the largest need of its inputs; a node that needs its whole
//! input row before its first output (its [`Behaviour`](generator::component::Behaviour) declares
//! [`FirstOutput::Row`] on an input: `linear`, `softmax`, `layernorm`) adds one row;
//! a node that needs a whole tensor ([`FirstOutput::Tensor`]: `transpose`, and
//! `matmul`, which holds all of B) needs the whole sequence. Needs are capped at the sequence length `S`. At a node
//! with several inputs that share a fork, an input whose need `n` is below the largest
//! sibling need `m` gets a FIFO of `(m − n + 1)` rows of its own stream. While the
//! slower branch has not produced its first beat, the fork can push at most `m` rows
//! into the faster one, so the FIFO never fills before the slower branch delivers: the
//! join always makes progress and the design cannot deadlock. (It sizes for
//! correctness, not for overlapping back-to-back sequences through a long branch.)
//!
//! The rule is a safe upper bound, not the boundary: the long branch's own buffers
//! (row FIFOs, transposes, matmul's B buffer) hold beats too. For bert-tiny's attention
//! residual (shipped config: rule 9 rows = 144 beats) the smallest `DEPTH` that
//! completes is 126 under all four stall patterns (fast engine, 2 items; Verilator
//! agrees for one item), and 125 deadlocks: a margin of 18 beats, about 1.1 rows.
//! `mase-hw sim system --engine fast --size-fifos` finds the smallest depths by
//! simulation (`sim::cycle::sizing`, docs/fifo-sizing.md).
//!
//! Data-moving nodes (those declaring [`Behaviour::moves_bits`](generator::component::Behaviour::moves_bits): `fork`, `fifo`,
//! `skid_buffer`, `transpose`, `resize`, `join`) carry raw bits; the netlist's edges
//! keep the meaning (the format) of what flows through them. Nothing here matches on
//! a component's name: every rule reads the instance's declared [`Behaviour`](generator::component::Behaviour).

use std::collections::BTreeMap;

use golden::{Format, Overflow, Rounding};

use generator::component::{FirstOutput, Instance, StreamDef};
use generator::components::cast::Cast;
use generator::components::resize::Resize;
use generator::sv::Dir;
use generator::{Component, TensorMap};

use crate::error::SystemError;

/// One component instance of the system.
pub struct NetNode {
    /// SystemVerilog-legal instance stem (`u_<name>` in the top).
    pub name: String,
    /// The model node it implements (for errors and the report).
    pub source: String,
    pub inst: Box<dyn Instance>,
    /// ROM contents by the instance's own tensor name (`weight`, `bias`).
    pub roms: TensorMap,
    /// The model parameter each ROM tensor came from (instance tensor → parameter).
    pub rom_params: Vec<(String, String)>,
    /// Inserted by the builder (a fork, reconvergent FIFO, cast or lane converter
    /// around model nodes) rather than implementing a model node.
    pub inserted: bool,
}

impl NetNode {
    /// A node without ROMs.
    pub fn plain(name: String, source: &str, inst: Box<dyn Instance>) -> NetNode {
        NetNode {
            name,
            source: source.to_string(),
            inst,
            roms: TensorMap::new(),
            rom_params: Vec::new(),
            inserted: false,
        }
    }

    /// A node the builder inserts around model nodes (see [`NetNode::inserted`]).
    pub fn inserted(name: String, source: &str, inst: Box<dyn Instance>) -> NetNode {
        NetNode {
            inserted: true,
            ..NetNode::plain(name, source, inst)
        }
    }
    /// Whether the node moves raw bits (its streams' formats are `unsigned(W, 0)`),
    /// as its instance declares.
    pub fn is_mover(&self) -> bool {
        self.inst.behaviour().moves_bits
    }
    /// The node's data streams in `dir` (ROM-fed streams are not connected).
    pub fn streams(&self, dir: Dir) -> Vec<StreamDef> {
        self.inst
            .streams()
            .into_iter()
            .filter(|s| s.direction == dir)
            .collect()
    }
    /// The stream called `name`.
    pub fn stream(&self, name: &str) -> Result<StreamDef, SystemError> {
        self.inst
            .streams()
            .into_iter()
            .find(|s| s.name == name)
            .ok_or_else(|| {
                SystemError::node(
                    &self.source,
                    "streams",
                    format!(
                        "component `{}` has no stream `{name}`",
                        self.inst.component().name()
                    ),
                )
            })
    }
    /// The node's first input stream (for reports).
    pub fn input(&self) -> Result<StreamDef, SystemError> {
        self.streams(Dir::Input)
            .into_iter()
            .next()
            .ok_or_else(|| SystemError::node(&self.source, "streams", "no input stream"))
    }
    /// The node's first output stream (for reports).
    pub fn output(&self) -> Result<StreamDef, SystemError> {
        self.streams(Dir::Output)
            .into_iter()
            .next()
            .ok_or_else(|| SystemError::node(&self.source, "streams", "no output stream"))
    }
}

/// Where an edge starts or ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Endpoint {
    /// The top's input stream `data_in`.
    TopIn,
    /// The top's output stream `data_out`.
    TopOut,
    /// Node `i`.
    Node(usize),
}

/// A stream between two endpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub from: Endpoint,
    /// The producer's stream (`data_in` for the top input).
    pub from_stream: String,
    pub to: Endpoint,
    /// The consumer's stream (`data_out` for the top output).
    pub to_stream: String,
    pub lanes: usize,
    /// What the lanes mean (for a data mover's ports, the format of the data it moves).
    pub format: Format,
    /// Elements per row of the tensor it carries (its last axis).
    pub row: usize,
    /// Elements of that tensor per item (one model input: a sample or a sequence).
    pub elements: usize,
}

/// A stitched system: nodes in a topological order and the edges between them.
pub struct Netlist {
    /// Model name.
    pub name: String,
    /// The model's input and output node names.
    pub input_name: String,
    pub output_name: String,
    /// Model input and output shapes (one item; the batch axis is not included).
    pub input_shape: Vec<usize>,
    pub output_shape: Vec<usize>,
    pub nodes: Vec<NetNode>,
    pub edges: Vec<Edge>,
    /// FIFOs inserted on reconvergent paths: (instance, depth in beats, why).
    pub fifos: Vec<(String, usize, String)>,
}

impl Netlist {
    /// The edge into the top's output.
    pub fn output_edge(&self) -> &Edge {
        self.edge_to(Endpoint::TopOut, "data_out")
    }
    /// The edge out of the top's input.
    pub fn input_edge(&self) -> &Edge {
        match self
            .edges
            .iter()
            .find(|e| e.from == Endpoint::TopIn && e.from_stream == "data_in")
        {
            Some(e) => e,
            None => unreachable!("a finished netlist has an input edge"),
        }
    }
    /// The edges of the extra boundary streams of a device of a split system (a cut
    /// crossed by several streams): out of `data_in_<k>` and into `data_out_<k>`,
    /// `k ≥ 1`, in `k` order. Empty for a whole model.
    pub fn extra_edges(&self) -> (Vec<&Edge>, Vec<&Edge>) {
        let key = |s: &str, base: &str| -> Option<usize> {
            s.strip_prefix(base)?.strip_prefix('_')?.parse().ok()
        };
        let mut ins: Vec<(usize, &Edge)> = self
            .edges
            .iter()
            .filter(|e| e.from == Endpoint::TopIn)
            .filter_map(|e| key(&e.from_stream, "data_in").map(|k| (k, e)))
            .collect();
        let mut outs: Vec<(usize, &Edge)> = self
            .edges
            .iter()
            .filter(|e| e.to == Endpoint::TopOut)
            .filter_map(|e| key(&e.to_stream, "data_out").map(|k| (k, e)))
            .collect();
        ins.sort_by_key(|p| p.0);
        outs.sort_by_key(|p| p.0);
        (
            ins.into_iter().map(|p| p.1).collect(),
            outs.into_iter().map(|p| p.1).collect(),
        )
    }
    /// The edge into `to`'s stream `stream`.
    pub fn edge_to(&self, to: Endpoint, stream: &str) -> &Edge {
        match self
            .edges
            .iter()
            .find(|e| e.to == to && e.to_stream == stream)
        {
            Some(e) => e,
            None => unreachable!("a finished netlist has an edge into {to:?}.{stream}"),
        }
    }
    /// Sets the `DEPTH` of inserted FIFO `instance` (`u_<stem>`, as in [`Netlist::fifos`])
    /// to `depth` beats, recording `why` as its reason.
    ///
    /// # Errors
    /// No such inserted FIFO, or a depth the component rejects.
    pub fn set_fifo_depth(
        &mut self,
        instance: &str,
        depth: usize,
        why: String,
    ) -> Result<(), SystemError> {
        let missing = || SystemError::Ports {
            what: format!("no inserted FIFO `{instance}`"),
        };
        let entry = self
            .fifos
            .iter_mut()
            .find(|f| f.0 == instance)
            .ok_or_else(missing)?;
        let node = self
            .nodes
            .iter_mut()
            .find(|n| format!("u_{}", n.name) == instance)
            .ok_or_else(missing)?;
        let p = node.inst.params();
        let (w, l) = (p.get("WIDTH"), p.get("PARALLELISM"));
        node.inst = generator::components::fifo::Fifo
            .configure(&[
                ("WIDTH", w),
                ("PARALLELISM", l),
                ("DEPTH", i64::try_from(depth).unwrap_or(i64::MAX)),
            ])
            .map_err(|source| SystemError::Component {
                node: instance.to_string(),
                source: Box::new(source),
            })?;
        *entry = (instance.to_string(), depth, why);
        Ok(())
    }
    /// Whether any node has more than one data input (the system is not a chain).
    pub fn is_chain(&self) -> bool {
        self.nodes
            .iter()
            .all(|n| n.streams(Dir::Input).len() <= 1 && n.streams(Dir::Output).len() <= 1)
    }
}

/// A produced stream not yet connected to its consumer.
#[derive(Clone, Debug)]
pub struct Port {
    pub from: Endpoint,
    pub stream: String,
    pub lanes: usize,
    pub format: Format,
    /// Elements per row (the tensor's last axis).
    pub row: usize,
    /// Elements per item (one model input).
    pub elements: usize,
    /// The model tensor it carries (for errors).
    pub tensor: String,
    /// Rows that must leave each upstream fork (by fork node index) before this
    /// stream's first beat.
    pub need: BTreeMap<usize, usize>,
}

impl Port {
    /// The carried tensor's shape per item, as rows × row.
    pub fn shape(&self) -> [usize; 2] {
        [self.elements / self.row.max(1), self.row]
    }
}

/// Builds a [`Netlist`] node by node (see the module docs).
pub struct NetBuilder {
    net: Netlist,
    /// Rows per item (sequence length), the cap of every need.
    seq_rows: usize,
    /// Rounding and overflow of inserted casts.
    modes: (Rounding, Overflow),
    /// Output needs per node.
    needs: Vec<BTreeMap<usize, usize>>,
    /// Every identifier of the top taken so far (see [`generator::names`]).
    namer: generator::names::Namer,
}

impl NetBuilder {
    /// A netlist whose top input carries model node `input` (shape `in_shape`,
    /// `lanes` lanes of `format`); returns the builder and the input's port.
    pub fn new(
        model: &str,
        input: &str,
        in_shape: &[usize],
        lanes: usize,
        format: Format,
        modes: (Rounding, Overflow),
    ) -> (NetBuilder, Port) {
        let seq_rows = if in_shape.len() >= 2 {
            in_shape[..in_shape.len() - 1].iter().product()
        } else {
            1
        };
        let b = NetBuilder {
            net: Netlist {
                name: model.to_string(),
                input_name: input.to_string(),
                output_name: String::new(),
                input_shape: in_shape.to_vec(),
                output_shape: Vec::new(),
                nodes: Vec::new(),
                edges: Vec::new(),
                fifos: Vec::new(),
            },
            seq_rows,
            modes,
            needs: Vec::new(),
            namer: top_namer(),
        };
        let port = Port {
            from: Endpoint::TopIn,
            stream: "data_in".into(),
            lanes,
            format,
            row: in_shape.last().copied().unwrap_or(1),
            elements: in_shape.iter().product(),
            tensor: input.to_string(),
            need: BTreeMap::new(),
        };
        (b, port)
    }

    /// Rounding and overflow of the casts inserted from now on.
    pub fn set_modes(&mut self, modes: (Rounding, Overflow)) {
        self.modes = modes;
    }

    /// Adds `node`, connecting each `(stream, port)`; a `cast` is inserted where the
    /// port's format differs from what a computing node's stream takes, a `resize`
    /// where the lane counts differ. Returns the node's index.
    ///
    /// # Errors
    /// A stream the node does not have, or an adapter that cannot be built.
    pub fn add(&mut self, node: NetNode, inputs: Vec<(&str, Port)>) -> Result<usize, SystemError> {
        let mut adapted = Vec::with_capacity(inputs.len());
        for (stream, port) in inputs {
            let s = node.stream(stream)?;
            let mut port = port;
            if s.lanes != port.lanes {
                port = self.resize(&node.name, &node.source, stream, port, s.lanes)?;
            }
            if !node.is_mover() && s.format() != port.format {
                port = self.cast(&node.name, &node.source, stream, port, s.format())?;
            }
            adapted.push((stream.to_string(), port));
        }
        let waits = node.inst.behaviour().strongest();
        let mut need: BTreeMap<usize, usize> = BTreeMap::new();
        for (_, p) in &adapted {
            for (&f, &n) in &p.need {
                let e = need.entry(f).or_insert(0);
                *e = (*e).max(n);
            }
        }
        let cap = self.seq_rows;
        for n in need.values_mut() {
            *n = match waits {
                FirstOutput::Row { .. } => (*n + 1).min(cap),
                FirstOutput::Tensor { .. } => cap,
                FirstOutput::Beat => *n,
            };
        }
        let mut node = node;
        node.name = self.namer.claim(&node.name, &derived_suffixes(&*node.inst));
        let idx = self.net.nodes.len();
        for (stream, port) in adapted {
            self.net.edges.push(Edge {
                from: port.from,
                from_stream: port.stream,
                to: Endpoint::Node(idx),
                to_stream: stream,
                lanes: port.lanes,
                format: port.format,
                row: port.row,
                elements: port.elements,
            });
        }
        self.net.nodes.push(node);
        self.needs.push(need);
        Ok(idx)
    }

    /// The output stream `stream` of node `idx`, carrying model tensor `tensor` of
    /// `shape` (per item). A data mover's output keeps the format of its input.
    ///
    /// # Errors
    /// The node has no such stream.
    pub fn port(
        &self,
        idx: usize,
        stream: &str,
        tensor: &str,
        shape: &[usize],
    ) -> Result<Port, SystemError> {
        let n = &self.net.nodes[idx];
        let s = n.stream(stream)?;
        let format = if n.is_mover() {
            self.net
                .edges
                .iter()
                .find(|e| e.to == Endpoint::Node(idx))
                .map_or(s.format(), |e| e.format)
        } else {
            s.format()
        };
        Ok(Port {
            from: Endpoint::Node(idx),
            stream: stream.to_string(),
            lanes: s.lanes,
            format,
            row: shape.last().copied().unwrap_or(1),
            elements: shape.iter().product(),
            tensor: tensor.to_string(),
            need: self.needs[idx].clone(),
        })
    }

    /// Broadcasts `port` to `n ≥ 2` consumers through a `fork` named after the tensor.
    ///
    /// # Errors
    /// The fork cannot be configured (lanes or width out of its range).
    pub fn fork(&mut self, port: Port, n: usize) -> Result<Vec<Port>, SystemError> {
        let inst = generator::components::fork::Fork
            .configure(&[
                ("WIDTH", i64::from(port.format.width())),
                ("PARALLELISM", port.lanes as i64),
                ("N", n as i64),
            ])
            .map_err(|source| SystemError::Component {
                node: port.tensor.clone(),
                source: Box::new(source),
            })?;
        let name = format!("{}_fork", legal_name(&port.tensor));
        let (tensor, shape) = (port.tensor.clone(), port.shape());
        let idx = self.add(
            NetNode::inserted(name, &tensor, inst),
            vec![("data_in", port)],
        )?;
        (0..n)
            .map(|i| {
                let mut p = self.port(idx, &format!("data_out_{i}"), &tensor, &shape)?;
                p.need.insert(idx, 0);
                Ok(p)
            })
            .collect()
    }

    /// Puts a FIFO on every input of a multi-input node that reaches it earlier than a
    /// sibling sharing one of its forks (the sizing rule is in the module docs).
    ///
    /// # Errors
    /// A FIFO deeper than the component allows.
    pub fn balance(&mut self, consumer: &str, ports: &mut [Port]) -> Result<(), SystemError> {
        // Largest need per fork, over the forks at least two inputs share.
        let mut most: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
        for p in ports.iter() {
            for (&f, &n) in &p.need {
                let e = most.entry(f).or_insert((0, 0));
                *e = (e.0.max(n), e.1 + 1);
            }
        }
        most.retain(|_, (_, count)| *count >= 2);
        for (k, p) in ports.iter_mut().enumerate() {
            let Some((fork, gap)) = p
                .need
                .iter()
                .filter_map(|(&f, &n)| most.get(&f).map(|&(m, _)| (f, m - n)))
                .max_by_key(|&(_, gap)| gap)
            else {
                continue;
            };
            if gap == 0 {
                continue;
            }
            let rows = gap + 1;
            let depth = (rows * p.row).div_ceil(p.lanes).max(2);
            let inst = generator::components::fifo::Fifo
                .configure(&[
                    ("WIDTH", i64::from(p.format.width())),
                    ("PARALLELISM", p.lanes as i64),
                    ("DEPTH", depth as i64),
                ])
                .map_err(|source| SystemError::Component {
                    node: consumer.to_string(),
                    source: Box::new(source),
                })?;
            let name = format!("{}_in{k}_fifo", legal_name(consumer));
            let why = format!(
                "input {k} of `{consumer}` ({}) needs {} rows less of `{}` than its sibling: {rows} rows of {} elements",
                p.tensor, gap, self.net.nodes[fork].source, p.row
            );
            let (tensor, shape) = (p.tensor.clone(), p.shape());
            let idx = self.add(
                NetNode::inserted(name, consumer, inst),
                vec![("data_in", p.clone())],
            )?;
            let name = &self.net.nodes[idx].name;
            self.net.fifos.push((format!("u_{name}"), depth, why));
            *p = self.port(idx, "data_out", &tensor, &shape)?;
        }
        Ok(())
    }

    fn cast(
        &mut self,
        consumer: &str,
        source: &str,
        stream: &str,
        port: Port,
        to: Format,
    ) -> Result<Port, SystemError> {
        let (rounding, overflow) = self.modes;
        let from = port.format;
        let inst = Cast
            .configure(&[
                ("IN_WIDTH", i64::from(from.width())),
                ("IN_FRAC_WIDTH", i64::from(from.frac())),
                ("IN_SIGNED", i64::from(from.is_signed())),
                ("OUT_WIDTH", i64::from(to.width())),
                ("OUT_FRAC_WIDTH", i64::from(to.frac())),
                ("OUT_SIGNED", i64::from(to.is_signed())),
                ("ROUNDING", i64::from(rounding.code())),
                ("OVERFLOW", i64::from(overflow.code())),
                ("PARALLELISM", port.lanes as i64),
            ])
            .map_err(|e| SystemError::Component {
                node: source.to_string(),
                source: Box::new(e),
            })?;
        let name = format!("{consumer}_{stream}_cast");
        let (tensor, shape) = (port.tensor.clone(), port.shape());
        let idx = self.add(
            NetNode::inserted(name, source, inst),
            vec![("data_in", port)],
        )?;
        self.port(idx, "data_out", &tensor, &shape)
    }

    /// `port` converted to `lanes` lanes by a `resize` named after `consumer`'s
    /// `stream` (model node `source`).
    ///
    /// # Errors
    /// The lane counts cannot be joined (their lcm does not divide the row).
    pub fn resize(
        &mut self,
        consumer: &str,
        source: &str,
        stream: &str,
        port: Port,
        lanes: usize,
    ) -> Result<Port, SystemError> {
        let lanes_error = |port: &Port| SystemError::Lanes {
            producer: port.tensor.clone(),
            producer_lanes: port.lanes,
            consumer: source.to_string(),
            consumer_lanes: lanes,
        };
        let lcm = port.lanes / gcd(port.lanes, lanes) * lanes;
        if !port.row.is_multiple_of(lcm) {
            return Err(lanes_error(&port));
        }
        let inst = Resize
            .configure(&[
                ("WIDTH", i64::from(port.format.width())),
                ("IN_PARALLELISM", port.lanes as i64),
                ("OUT_PARALLELISM", lanes as i64),
            ])
            .map_err(|_| lanes_error(&port))?;
        let name = format!("{consumer}_{stream}_resize");
        let (tensor, shape) = (port.tensor.clone(), port.shape());
        let idx = self.add(
            NetNode::inserted(name, source, inst),
            vec![("data_in", port)],
        )?;
        self.port(idx, "data_out", &tensor, &shape)
    }

    /// Ends the netlist at model output node `output` (shape `shape`), which expects
    /// `lanes` lanes.
    ///
    /// # Errors
    /// No compute node, or lanes that cannot be converted.
    pub fn finish(
        mut self,
        port: Port,
        output: &str,
        shape: &[usize],
        lanes: usize,
    ) -> Result<Netlist, SystemError> {
        if self.net.nodes.is_empty() {
            return Err(SystemError::Ports {
                what: "no compute node between input and output".into(),
            });
        }
        let mut port = port;
        if port.lanes != lanes {
            port = self.resize(&legal_name(output), output, "data_out", port, lanes)?;
        }
        self.net.edges.push(Edge {
            from: port.from,
            from_stream: port.stream,
            to: Endpoint::TopOut,
            to_stream: "data_out".into(),
            lanes,
            format: port.format,
            row: port.row,
            elements: port.elements,
        });
        self.net.output_name = output.to_string();
        self.net.output_shape = shape.to_vec();
        Ok(self.net)
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// `name` made a legal SystemVerilog identifier fragment ([`generator::names::legal`];
/// not unique: [`NetBuilder::add`] makes instance stems unique).
pub fn legal_name(name: &str) -> String {
    generator::names::legal(name)
}

/// A namer with the top's ports and the library's module names reserved.
fn top_namer() -> generator::names::Namer {
    let mut n = generator::names::Namer::new(generator::library::module_names());
    for s in ["clk", "rst", "data_in", "data_out"] {
        n.reserve(s);
        for x in ["valid", "ready"] {
            n.reserve(&format!("{s}_{x}"));
        }
    }
    n
}

/// The suffixes of every identifier the top derives from an instance stem: stream
/// wires (`<stem>_<stream>`, `_valid`, `_ready`), bundles, unused-output wires and ROM
/// file names.
fn derived_suffixes(inst: &dyn Instance) -> Vec<String> {
    let mut v = Vec::new();
    for s in inst.streams() {
        let base = match s.binding {
            generator::component::CoreBinding::Direct => s.name.clone(),
            generator::component::CoreBinding::Bundle { base, .. } => base.to_string(),
        };
        for b in [s.name.clone(), base] {
            for x in ["", "_valid", "_ready"] {
                v.push(format!("{b}{x}"));
            }
        }
    }
    for (port, _) in inst.unused_outputs() {
        v.push(format!("unused_{port}"));
    }
    for m in inst.memories() {
        v.push(m.file.clone());
    }
    v.sort();
    v.dedup();
    v
}
