//! The typed netlist of a system: component instances (nodes) and the valid/ready
//! streams between them (edges), each edge with its lane count and format.
//!
//! [`ChainBuilder`] appends nodes one after another and checks every connection: the
//! lane counts of producer and consumer must be equal (there is no lane-width
//! converter; a mismatch is an error naming both nodes), and where their formats
//! differ a `cast` instance is inserted. It is not a general graph: forks, joins and
//! FIFOs on reconvergent paths belong to fan-out stitching, which does not exist yet.

use golden::{Format, Overflow, Rounding};

use generator::component::{Instance, StreamDef};
use generator::components::cast::Cast;
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
}

impl NetNode {
    /// The node's single input stream.
    pub fn input(&self) -> Result<StreamDef, SystemError> {
        self.stream(Dir::Input)
    }
    /// The node's single output stream.
    pub fn output(&self) -> Result<StreamDef, SystemError> {
        self.stream(Dir::Output)
    }
    fn stream(&self, dir: Dir) -> Result<StreamDef, SystemError> {
        let s: Vec<StreamDef> = self
            .inst
            .streams()
            .into_iter()
            .filter(|s| s.direction == dir)
            .collect();
        match s.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(SystemError::node(
                &self.source,
                "streams",
                format!(
                    "a chain node needs exactly one {} stream, `{}` has {}",
                    if dir == Dir::Input { "input" } else { "output" },
                    self.inst.component().name(),
                    s.len()
                ),
            )),
        }
    }
}

/// Where an edge starts or ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// The top's input stream `data_in`.
    TopIn,
    /// The top's output stream `data_out`.
    TopOut,
    /// Node `i`'s (single) input or output stream.
    Node(usize),
}

/// A stream between two endpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub from: Endpoint,
    pub to: Endpoint,
    pub lanes: usize,
    pub format: Format,
}

/// A stitched system: nodes in stream order and the edges between them.
pub struct Netlist {
    /// Model name.
    pub name: String,
    /// The model's input and output node names.
    pub input_name: String,
    pub output_name: String,
    pub nodes: Vec<NetNode>,
    pub edges: Vec<Edge>,
}

impl Netlist {
    /// The edge into the top's output.
    pub fn output_edge(&self) -> &Edge {
        self.edge_to(Endpoint::TopOut)
    }
    /// The edge out of the top's input.
    pub fn input_edge(&self) -> &Edge {
        match self.edges.iter().find(|e| e.from == Endpoint::TopIn) {
            Some(e) => e,
            None => unreachable!("a finished netlist has an input edge"),
        }
    }
    fn edge_to(&self, to: Endpoint) -> &Edge {
        match self.edges.iter().find(|e| e.to == to) {
            Some(e) => e,
            None => unreachable!("a finished netlist has an edge into {to:?}"),
        }
    }
}

/// Appends nodes to a chain, checking (and where needed casting) each connection.
pub struct ChainBuilder {
    net: Netlist,
    tail: Endpoint,
    tail_name: String,
    lanes: usize,
    format: Format,
}

impl ChainBuilder {
    /// A chain whose top input carries `lanes` lanes of `format` for model node `input`.
    pub fn new(model: &str, input: &str, lanes: usize, format: Format) -> ChainBuilder {
        ChainBuilder {
            net: Netlist {
                name: model.to_string(),
                input_name: input.to_string(),
                output_name: String::new(),
                nodes: Vec::new(),
                edges: Vec::new(),
            },
            tail: Endpoint::TopIn,
            tail_name: input.to_string(),
            lanes,
            format,
        }
    }

    /// The format the chain currently ends in.
    pub fn format(&self) -> Format {
        self.format
    }
    /// The lanes the chain currently ends in.
    pub fn lanes(&self) -> usize {
        self.lanes
    }

    /// Appends `node`, inserting a `cast` (with `modes`) if its input format differs
    /// from the chain's current format.
    pub fn append(
        &mut self,
        node: NetNode,
        modes: (Rounding, Overflow),
    ) -> Result<(), SystemError> {
        let input = node.input()?;
        self.check_lanes(&node.source, input.lanes)?;
        if input.format() != self.format {
            let cast = cast_node(&node, self.format, input.format(), input.lanes, modes)?;
            self.push(cast)?;
        }
        self.push(node)
    }

    fn check_lanes(&self, consumer: &str, lanes: usize) -> Result<(), SystemError> {
        if lanes != self.lanes {
            return Err(SystemError::Lanes {
                producer: self.tail_name.clone(),
                producer_lanes: self.lanes,
                consumer: consumer.to_string(),
                consumer_lanes: lanes,
            });
        }
        Ok(())
    }

    fn push(&mut self, node: NetNode) -> Result<(), SystemError> {
        let input = node.input()?;
        let output = node.output()?;
        debug_assert!(input.lanes == self.lanes && input.format() == self.format);
        let idx = self.net.nodes.len();
        self.net.edges.push(Edge {
            from: self.tail,
            to: Endpoint::Node(idx),
            lanes: input.lanes,
            format: input.format(),
        });
        self.tail = Endpoint::Node(idx);
        self.tail_name = node.source.clone();
        self.lanes = output.lanes;
        self.format = output.format();
        self.net.nodes.push(node);
        Ok(())
    }

    /// Ends the chain at model output node `output`, which expects `lanes` lanes.
    pub fn finish(mut self, output: &str, lanes: usize) -> Result<Netlist, SystemError> {
        self.check_lanes(output, lanes)?;
        if self.net.nodes.is_empty() {
            return Err(SystemError::Ports {
                what: "no compute node between input and output".into(),
            });
        }
        self.net.edges.push(Edge {
            from: self.tail,
            to: Endpoint::TopOut,
            lanes,
            format: self.format,
        });
        self.net.output_name = output.to_string();
        Ok(self.net)
    }
}

/// A `cast` from `from` to `to` in front of `consumer`.
fn cast_node(
    consumer: &NetNode,
    from: Format,
    to: Format,
    lanes: usize,
    (rounding, overflow): (Rounding, Overflow),
) -> Result<NetNode, SystemError> {
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
            ("PARALLELISM", lanes as i64),
        ])
        .map_err(|source| SystemError::Component {
            node: consumer.source.clone(),
            source: Box::new(source),
        })?;
    Ok(NetNode {
        name: format!("{}_cast", consumer.name),
        source: consumer.source.clone(),
        inst,
        roms: TensorMap::new(),
        rom_params: Vec::new(),
    })
}

/// `name` made a legal SystemVerilog identifier fragment.
pub fn legal_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'n');
    }
    s
}
