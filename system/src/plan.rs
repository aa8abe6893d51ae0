//! Partitioning a model over several FPGAs: a [`Partition`] lists, per device, the
//! board it runs on and the model nodes it holds. Every node of the graph belongs to
//! exactly one device, and each device's nodes are contiguous in the graph's
//! topological order (device 0 holds the graph input, the last device its output), so
//! a cut between two devices is a position in the node list and every tensor produced
//! before it and read after it crosses the link.
//!
//! [`balanced_partition`] is the forced-device-count entry point: given the resolved
//! lanes of every node it places the cuts so that the slowest device's estimated
//! cycles per item are as small as possible (an exact min-max dynamic programme over
//! the cut positions).

use std::collections::BTreeMap;

use generator::resources::{self, ResourceEstimate};
use model::graph::{Graph, Node, Op};
use model::quant::QuantPlan;

use crate::SystemError;
use crate::board::Board;

/// A model split over devices, in pipeline order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Partition {
    pub devices: Vec<DevicePart>,
}

/// One device of a [`Partition`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DevicePart {
    /// Catalog name of the board ([`crate::board::find`]).
    pub board: String,
    /// Model node names, contiguous in topological order.
    pub nodes: Vec<String>,
}

impl Partition {
    /// The device holding `node`, if any.
    pub fn device_of(&self, node: &str) -> Option<usize> {
        self.devices
            .iter()
            .position(|d| d.nodes.iter().any(|n| n == node))
    }
}

/// Estimated cycles per item of one node at its resolved lanes: the multiply-adds
/// (or elements) of one item divided by the lanes working on them in parallel.
pub fn node_cycles(graph: &Graph, plan: &QuantPlan, name: &str) -> u64 {
    let Some(node) = graph.node(name) else {
        return 0;
    };
    let lanes = |k: &str| {
        plan.parallelism
            .get(name)
            .and_then(|m| m.get(k))
            .copied()
            .unwrap_or(1)
            .max(1) as u64
    };
    let elems = |s: &[usize]| s.iter().product::<usize>() as u64;
    let in_last = node
        .inputs
        .first()
        .and_then(|i| graph.node(i))
        .and_then(|n| n.shape.last().copied())
        .unwrap_or(1) as u64;
    match &node.op {
        Op::Linear { .. } => elems(&node.shape) * in_last / (lanes("in") * lanes("out")),
        Op::Matmul { .. } => elems(&node.shape) * in_last / (lanes("k") * lanes("n")),
        Op::Input | Op::Output | Op::Reshape => 0,
        _ => elems(&node.shape) / lanes("lanes"),
    }
}

/// Splits `graph` into `devices` contiguous parts of `board`s minimising the largest
/// per-device sum of [`node_cycles`] (the pipeline's bottleneck when each device
/// runs its nodes one after another).
///
/// # Errors
/// A device count of zero or above the number of nodes.
pub fn balanced_partition(
    graph: &Graph,
    plan: &QuantPlan,
    board: &Board,
    devices: usize,
) -> Result<Partition, SystemError> {
    let n = graph.nodes.len();
    if devices == 0 || devices > n {
        return Err(SystemError::Model {
            model: graph.name.clone(),
            rule: format!("--devices {devices}: must be between 1 and the number of nodes ({n})"),
        });
    }
    let cost: Vec<u64> = graph
        .nodes
        .iter()
        .map(|nd| node_cycles(graph, plan, &nd.name))
        .collect();
    let cuts = min_max_cuts(&cost, devices);
    Ok(from_cuts(graph, &board.name, &cuts))
}

/// The partition whose device `d` holds nodes `cuts[d]..cuts[d + 1]` (`cuts` starts
/// at 0 and ends at the node count).
pub fn from_cuts(graph: &Graph, board: &str, cuts: &[usize]) -> Partition {
    Partition {
        devices: cuts
            .windows(2)
            .map(|w| DevicePart {
                board: board.to_string(),
                nodes: graph.nodes[w[0]..w[1]]
                    .iter()
                    .map(|n| n.name.clone())
                    .collect(),
            })
            .collect(),
    }
}

/// Cut positions `[0, c1, .., n]` splitting `cost` into `k` non-empty contiguous
/// parts with the smallest possible maximum part sum (O(k·n²) dynamic programme; ties
/// keep the earliest cut).
pub fn min_max_cuts(cost: &[u64], k: usize) -> Vec<usize> {
    let n = cost.len();
    let mut prefix = vec![0u64; n + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i] + cost[i];
    }
    // best[j][i]: smallest max over j parts covering the first i nodes.
    let mut best = vec![vec![u64::MAX; n + 1]; k + 1];
    let mut arg = vec![vec![0usize; n + 1]; k + 1];
    best[0][0] = 0;
    for j in 1..=k {
        for i in j..=n {
            for c in (j - 1)..i {
                if best[j - 1][c] == u64::MAX {
                    continue;
                }
                let v = best[j - 1][c].max(prefix[i] - prefix[c]);
                if v < best[j][i] {
                    best[j][i] = v;
                    arg[j][i] = c;
                }
            }
        }
    }
    let mut cuts = vec![n];
    let mut i = n;
    for j in (1..=k).rev() {
        i = arg[j][i];
        cuts.push(i);
    }
    cuts.reverse();
    cuts
}

/// How many devices `plan` may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceCount {
    /// Exactly this many.
    Fixed(usize),
    /// The count with the highest throughput per device (or, with a target, the
    /// smallest count reaching it), up to the given maximum.
    Auto { max: usize },
}

/// What the planner is given besides the graph and its formats.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    pub board: Board,
    pub devices: DeviceCount,
    /// Clock of every device (MHz).
    pub clock_mhz: f64,
    /// Line rate of one link port (Gb/s), before the 64B/66B coding overhead.
    pub link_gbps: f64,
    /// Ports joining two neighbouring devices.
    pub links_per_cut: u32,
    /// Items (sequences, samples) per second to reach, if any.
    pub target_items_per_s: Option<f64>,
    /// Where the pipeline may be cut.
    pub cuts: CutPolicy,
}

/// Which cut positions the planner considers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CutPolicy {
    /// Only where one stream is live (after a residual add or its LayerNorm): the
    /// cuts the netlist splitter ([`crate::split`]) builds.
    #[default]
    SingleStream,
    /// Anywhere, a cut carrying every live tensor (inside a residual block: the main
    /// path and the residual), the streams spread over the cut's ports.
    Any,
}

impl PlanOptions {
    /// Payload bandwidth of one cut (Gb/s): line rate × 64/66 × ports.
    pub fn cut_gbps(&self) -> f64 {
        self.port_gbps() * f64::from(self.links_per_cut)
    }
    /// Payload bandwidth of one link port (Gb/s): line rate × 64/66 (Aurora 64B/66B).
    pub fn port_gbps(&self) -> f64 {
        self.link_gbps * 64.0 / 66.0
    }
}

/// The streams of one cut assigned to its `ports` physical links: each stream whole
/// on one port, largest first onto the least-loaded port (ties: the lower port), so a
/// cut with no more streams than ports gives each stream its own link and the rest
/// share one through a multiplexer. Returns the port of every stream, in input order.
pub fn assign_ports(bits: &[u64], ports: u32) -> Vec<usize> {
    let ports = ports.max(1) as usize;
    let mut order: Vec<usize> = (0..bits.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(bits[i]), i));
    let mut load = vec![0u64; ports];
    let mut port = vec![0usize; bits.len()];
    for i in order {
        let p = (0..ports).min_by_key(|&p| (load[p], p)).unwrap_or(0);
        load[p] += bits[i];
        port[i] = p;
    }
    port
}

/// Bits per item on the busiest port of a cut whose streams carry `bits`.
fn busiest_port(bits: &[u64], ports: u32) -> u64 {
    let port = assign_ports(bits, ports);
    let mut load = vec![0u64; ports.max(1) as usize];
    for (b, p) in bits.iter().zip(port) {
        load[p] += b;
    }
    load.into_iter().max().unwrap_or(0)
}

/// The chosen lanes of one node and what they cost.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NodePlan {
    pub name: String,
    pub op: &'static str,
    pub lanes: BTreeMap<&'static str, usize>,
    /// Multiply-adds (linear, matmul) or elements (other ops) of one item.
    pub work: u64,
    /// Whether `work` counts multiply-adds.
    pub macs: bool,
    /// Cycles per item at these lanes.
    pub cycles: u64,
    pub resources: ResourceEstimate,
}

/// One device of a plan.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DevicePlan {
    pub board: String,
    pub nodes: Vec<String>,
    /// Model layers (`encoder.layer.N`) whose nodes the device holds, if any.
    pub layers: Vec<String>,
    /// Everything the device holds: its nodes, `buffers` included.
    pub resources: ResourceEstimate,
    /// The part of `resources` that is buffering, not nodes: the FIFOs on the short
    /// branches of reconvergent paths whose join is on this device, and the link
    /// receive buffers of every stream arriving over its upstream cut.
    pub buffers: ResourceEstimate,
    pub budget: ResourceEstimate,
    /// The slowest node's cycles per item on this device.
    pub cycles: u64,
    pub slowest_node: String,
    /// `compute`, `memory` or `link`: what stops this device from going faster.
    pub bound: String,
    /// The resource closest to its budget and its used fraction.
    pub tightest: String,
    pub tightest_fraction: f64,
}

/// Traffic over one cut.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CutPlan {
    /// Last node of the device before the cut.
    pub after: String,
    /// Tensors crossing it.
    pub tensors: Vec<String>,
    pub bits_per_item: u64,
    pub gbps: f64,
    pub gbps_available: f64,
    /// The physical links (ports) of the cut and the streams each carries.
    pub links: Vec<LinkPlan>,
}

/// One physical link of a cut.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LinkPlan {
    /// Port index within the cut.
    pub port: usize,
    /// Streams (model tensors) on this port; more than one share it through a
    /// multiplexer.
    pub tensors: Vec<String>,
    pub bits_per_item: u64,
    pub gbps: f64,
    /// Payload bandwidth of the port (line rate × 64/66).
    pub gbps_available: f64,
}

/// A complete plan: lanes, partition, predicted performance.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SystemPlan {
    pub model: String,
    pub board: String,
    pub clock_mhz: f64,
    pub devices: Vec<DevicePlan>,
    pub cuts: Vec<CutPlan>,
    pub nodes: Vec<NodePlan>,
    /// Cycles between items in steady state (the slowest node).
    pub interval_cycles: u64,
    pub items_per_s: f64,
    pub tokens_per_s: f64,
    /// Tokens (rows) of one item.
    pub tokens_per_item: u64,
    /// Upper bound on one item's latency: every node's item time in sequence.
    pub latency_upper_s: f64,
    /// Multiply-adds of one item.
    pub work_macs: u64,
    /// `work_macs` ÷ the chosen devices' usable DSPs: the cycles per item if every
    /// usable multiplier did useful work every cycle.
    pub roofline_cycles: f64,
    /// `roofline_cycles ÷ interval_cycles`.
    pub roofline_fraction: f64,
    /// One sentence: the slowest node and what bounds the design.
    pub bottleneck: String,
    /// Device counts tried (`auto`), with their interval.
    pub tried: Vec<(usize, Option<u64>)>,
    /// Filled in by [`SystemPlan::check_netlist`] once the model is stitched: the
    /// stitched system's own timing estimate and, per device, the summed
    /// [`generator::Instance::resource_estimate`] of every instance (including the
    /// forks, FIFOs and converters the planner does not see; memories as BRAM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub netlist: Option<NetlistCheck>,
}

/// The stitched system against the plan.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NetlistCheck {
    pub interval_cycles: u64,
    pub latency_cycles: u64,
    pub latency_s: f64,
    pub devices: Vec<ResourceEstimate>,
}

impl SystemPlan {
    /// The partition the netlist splitter consumes.
    pub fn partition(&self) -> Partition {
        Partition {
            devices: self
                .devices
                .iter()
                .map(|d| DevicePart {
                    board: d.board.clone(),
                    nodes: d.nodes.clone(),
                })
                .collect(),
        }
    }

    /// Records the stitched system's timing estimate and per-device instance resources.
    pub fn check_netlist(&mut self, sys: &crate::SystemInstance) {
        use generator::Instance;
        let mut devices = vec![ResourceEstimate::default(); self.devices.len()];
        let part = self.partition();
        for n in &sys.net.nodes {
            if let Some(d) = part.device_of(&n.source) {
                devices[d] += n.inst.resource_estimate();
            }
        }
        let latency = sys.timing().latency;
        self.netlist = Some(NetlistCheck {
            interval_cycles: sys.item_interval(),
            latency_cycles: latency,
            latency_s: latency as f64 / (self.clock_mhz * 1e6),
            devices,
        });
    }

    /// Writes the chosen lanes into `quant`'s per-node parallelism.
    pub fn apply(&self, quant: &mut QuantPlan) {
        for n in &self.nodes {
            quant.parallelism.insert(n.name.clone(), n.lanes.clone());
        }
    }
}

/// The dimensions a node's lanes divide: (key, size) pairs, as `model::quant` names
/// them.
fn lane_dims(graph: &Graph, node: &Node) -> Vec<(&'static str, usize)> {
    let last = |s: &[usize]| s.last().copied().unwrap_or(1);
    let in_shape = node
        .inputs
        .first()
        .and_then(|i| graph.node(i))
        .map(|n| n.shape.as_slice())
        .unwrap_or_default();
    match &node.op {
        Op::Linear { .. } => vec![("in", last(in_shape)), ("out", last(&node.shape))],
        Op::Matmul { .. } => vec![("k", last(in_shape)), ("n", last(&node.shape))],
        _ => vec![("lanes", last(&node.shape))],
    }
}

/// Largest lanes per dimension the components accept.
const MAX_LANES: usize = 256;

fn divisors(n: usize) -> Vec<usize> {
    (1..=n.min(MAX_LANES))
        .filter(|d| n.is_multiple_of(*d))
        .collect()
}

struct NodeModel {
    work: u64,
    macs: bool,
    dims: Vec<(&'static str, usize)>,
    /// Lane options, cheapest first for each total.
    options: Vec<(u64, Vec<usize>)>,
}

fn width(quant: &QuantPlan, tensor: &str) -> u32 {
    quant.tensors.get(tensor).map_or(16, |t| t.format.width())
}

fn clog2(x: u64) -> u32 {
    if x <= 1 {
        0
    } else {
        64 - (x - 1).leading_zeros()
    }
}

/// Resources of `node` at `lanes` (plan-level: the same primitives as the components'
/// [`generator::Instance::resource_estimate`], without elaborating them).
fn node_resources(
    graph: &Graph,
    quant: &QuantPlan,
    board: &Board,
    node: &Node,
    lanes: &[usize],
) -> ResourceEstimate {
    let uram = (board.uram > 0).then(|| board.bram36 as f64 / board.uram as f64);
    let elems = node.shape.iter().product::<usize>() as u64;
    let last = node.shape.last().copied().unwrap_or(1) as u64;
    let input = node.inputs.first().map(String::as_str).unwrap_or("");
    let a = width(quant, input);
    let out = width(quant, &node.name);
    let in_last = graph
        .node(input)
        .and_then(|n| n.shape.last().copied())
        .unwrap_or(1) as u64;
    let l0 = lanes.first().copied().unwrap_or(1) as u64;
    let l1 = lanes.get(1).copied().unwrap_or(1) as u64;
    let per_lane = |dsp: u64, lut: u64, ff: u64| ResourceEstimate {
        dsp: dsp * l0,
        lut: lut * l0 + 40,
        ff: ff * l0 + 40,
        ..Default::default()
    };
    match &node.op {
        Op::Linear { weight, .. } => {
            let w = width(quant, weight);
            resources::linear(
                in_last,
                last,
                l0,
                l1,
                a,
                w,
                a + w + clog2(in_last),
                out,
                true,
                uram,
            )
        }
        Op::Matmul { .. } => {
            let b = node.inputs.get(1).map_or(16, |t| width(quant, t));
            resources::matmul(
                in_last,
                last,
                l0,
                l1,
                a,
                b,
                a + b + clog2(in_last),
                out,
                uram,
            )
        }
        Op::Input | Op::Output | Op::Reshape => ResourceEstimate::default(),
        Op::SplitHeads { .. } | Op::MergeHeads => {
            let beats = elems / l0;
            let mut r = per_lane(0, u64::from(a), 2 * u64::from(a));
            r += resources::memory(l0 * u64::from(a), 2 * beats, uram).1;
            r
        }
        Op::Softmax { .. } => {
            let mut r = per_lane(3, 12 * u64::from(a), 14 * u64::from(a));
            r += resources::memory(l0 * u64::from(a), 2 * last / l0, uram).1;
            r
        }
        Op::Layernorm { .. } => {
            let mut r = per_lane(4, 10 * u64::from(a), 12 * u64::from(a));
            r.dsp += 8;
            r += resources::memory(l0 * u64::from(a), 3 * last / l0, uram).1;
            r += resources::memory(2 * l0 * u64::from(a), last / l0, uram).1;
            r
        }
        Op::Gelu => per_lane(1, 6 * u64::from(a), 6 * u64::from(a)),
        Op::Mul => per_lane(1, 2 * u64::from(a), 3 * u64::from(a)),
        Op::Add | Op::Relu => per_lane(0, 2 * u64::from(a), 2 * u64::from(a)),
    }
}

fn node_model(graph: &Graph, node: &Node) -> NodeModel {
    let elems = node.shape.iter().product::<usize>() as u64;
    let dims = lane_dims(graph, node);
    let (work, macs) = match &node.op {
        Op::Linear { .. } | Op::Matmul { .. } => (elems * dims[0].1 as u64, true),
        _ => (elems, false),
    };
    // Every combination of divisors; for each total, the most balanced split.
    let mut options: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    match dims.as_slice() {
        [(_, d0), (_, d1)] => {
            for a in divisors(*d0) {
                for b in divisors(*d1) {
                    let p = (a * b) as u64;
                    let better = match options.get(&p) {
                        None => true,
                        Some(o) => a.abs_diff(b) < o[0].abs_diff(o[1]),
                    };
                    if better {
                        options.insert(p, vec![a, b]);
                    }
                }
            }
        }
        [(_, d0)] => {
            for a in divisors(*d0) {
                options.insert(a as u64, vec![a]);
            }
        }
        _ => {
            options.insert(1, vec![1]);
        }
    }
    NodeModel {
        work,
        macs,
        dims,
        options: options.into_iter().collect(),
    }
}

/// Lane options of every node with their resources, and for each option index the
/// cheapest option at or after it (by the sum of used budget fractions), so a node
/// takes the cheapest lanes that meet an interval, not merely the fewest: narrow
/// weight ROMs waste URAM, so a few more lanes can cost less memory.
struct Costed {
    res: Vec<ResourceEstimate>,
    /// BRAM36 blocks the option's URAM memories would take in BRAM instead.
    balt: Vec<u64>,
    best_from: Vec<usize>,
}

fn costed(graph: &Graph, quant: &QuantPlan, board: &Board, node: &Node, m: &NodeModel) -> Costed {
    let cap = arr(&budget(board));
    let res: Vec<ResourceEstimate> = m
        .options
        .iter()
        .map(|(_, l)| node_resources(graph, quant, board, node, l))
        .collect();
    let no_uram = Board {
        uram: 0,
        ..board.clone()
    };
    let balt: Vec<u64> = m
        .options
        .iter()
        .zip(&res)
        .map(|((_, l), r)| {
            node_resources(graph, quant, &no_uram, node, l)
                .bram36
                .saturating_sub(r.bram36)
        })
        .collect();
    let cost = |r: &ResourceEstimate| {
        arr(r)
            .iter()
            .zip(cap)
            .map(|(u, c)| *u as f64 / c.max(1) as f64)
            .sum::<f64>()
    };
    let mut best_from = vec![0; res.len()];
    for i in (0..res.len()).rev() {
        best_from[i] = if i + 1 < res.len() && cost(&res[best_from[i + 1]]) < cost(&res[i]) {
            best_from[i + 1]
        } else {
            i
        };
    }
    Costed {
        res,
        balt,
        best_from,
    }
}

/// The cheapest option with `work / lanes ≤ interval` (or the most lanes there are).
fn lanes_for(m: &NodeModel, c: &Costed, interval: u64) -> usize {
    let need = m.work.div_ceil(interval.max(1));
    let first = m.options.partition_point(|(p, _)| *p < need);
    c.best_from[first.min(m.options.len() - 1)]
}

/// Resources as an array for budget arithmetic.
fn arr(r: &ResourceEstimate) -> [u64; 5] {
    [r.dsp, r.lut, r.ff, r.bram36, r.uram]
}
const RESOURCE_NAMES: [&str; 5] = ["DSP", "LUT", "FF", "BRAM36", "URAM"];

fn budget(board: &Board) -> ResourceEstimate {
    ResourceEstimate {
        dsp: board.usable_of(board.dsp),
        lut: board.usable_of(board.lut),
        ff: board.usable_of(board.ff),
        lutram: 0,
        bram36: board.usable_of(board.bram36),
        uram: board.usable_of(board.uram),
    }
}

/// Tensors crossing each cut position `c` (produced by a node before `c`, read at or
/// after it), with their bits per item.
fn cut_tensors(graph: &Graph, quant: &QuantPlan) -> Vec<Vec<(String, u64)>> {
    let n = graph.nodes.len();
    let index: BTreeMap<&str, usize> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, nd)| (nd.name.as_str(), i))
        .collect();
    let mut last_use = vec![0usize; n];
    for (i, nd) in graph.nodes.iter().enumerate() {
        for inp in &nd.inputs {
            if let Some(&p) = index.get(inp.as_str()) {
                last_use[p] = last_use[p].max(i);
            }
        }
    }
    (0..=n)
        .map(|c| {
            (0..c.min(n))
                .filter(|&p| last_use[p] >= c)
                .map(|p| {
                    let nd = &graph.nodes[p];
                    let bits = nd.shape.iter().product::<usize>() as u64
                        * u64::from(width(quant, &nd.name));
                    (nd.name.clone(), bits)
                })
                .collect()
        })
        .collect()
}

/// A FIFO the netlist puts on the short branch of a reconvergent path
/// ([`crate::netlist::NetBuilder::balance`]): before node `consumer`, on its input
/// from node `producer`, `rows` rows of `row` elements (the same sizing rule, applied
/// to the model graph).
#[derive(Clone, Debug)]
struct JoinFifo {
    consumer: usize,
    producer: usize,
    rows: u64,
    row: u64,
}

/// Every reconvergent FIFO of `graph`: each stream's `need` (rows that must have left
/// each upstream fork before its first beat) propagated in topological order as the
/// netlist builder does — a node waiting for a row adds one, one waiting for a tensor
/// (matmul, the head transposes) needs the whole sequence — and at a node whose
/// inputs share a fork, the input needing `gap` rows fewer gets `gap + 1` rows.
fn join_fifos(graph: &Graph) -> Vec<JoinFifo> {
    let index: BTreeMap<&str, usize> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, nd)| (nd.name.as_str(), i))
        .collect();
    let mut consumers = vec![0usize; graph.nodes.len()];
    for nd in &graph.nodes {
        for i in nd.inputs.iter().filter_map(|t| index.get(t.as_str())) {
            consumers[*i] += 1;
        }
    }
    let seq = graph.inputs().next().map_or(1, |n| {
        n.shape[..n.shape.len().saturating_sub(1)]
            .iter()
            .product::<usize>()
    }) as u64;
    let mut needs: Vec<BTreeMap<usize, u64>> = Vec::with_capacity(graph.nodes.len());
    let mut out = Vec::new();
    for (i, nd) in graph.nodes.iter().enumerate() {
        let ins: Vec<(usize, BTreeMap<usize, u64>)> = nd
            .inputs
            .iter()
            .filter_map(|t| index.get(t.as_str()).copied())
            .filter(|&p| p < i)
            .map(|p| {
                let mut m = needs[p].clone();
                if consumers[p] >= 2 {
                    m.insert(p, 0);
                }
                (p, m)
            })
            .collect();
        if ins.len() >= 2 {
            let mut most: BTreeMap<usize, (u64, usize)> = BTreeMap::new();
            for (_, m) in &ins {
                for (&f, &n) in m {
                    let e = most.entry(f).or_insert((0, 0));
                    *e = (e.0.max(n), e.1 + 1);
                }
            }
            most.retain(|_, (_, c)| *c >= 2);
            for (p, m) in &ins {
                let gap = m
                    .iter()
                    .filter_map(|(f, &n)| most.get(f).map(|&(top, _)| top - n))
                    .max()
                    .unwrap_or(0);
                if gap > 0 {
                    out.push(JoinFifo {
                        consumer: i,
                        producer: *p,
                        rows: gap + 1,
                        row: graph.nodes[*p].shape.last().copied().unwrap_or(1) as u64,
                    });
                }
            }
        }
        let mut need: BTreeMap<usize, u64> = BTreeMap::new();
        for (_, m) in ins {
            for (f, n) in m {
                let e = need.entry(f).or_insert(0);
                *e = (*e).max(n);
            }
        }
        for n in need.values_mut() {
            *n = match nd.op {
                Op::Linear { .. } | Op::Softmax { .. } | Op::Layernorm { .. } => (*n + 1).min(seq),
                Op::Matmul { .. } | Op::SplitHeads { .. } | Op::MergeHeads => seq,
                _ => *n,
            };
        }
        needs.push(need);
    }
    out
}

/// Link word width and receive buffer depth (words) of one stream over a cut: the
/// simulation and RTL defaults of [`crate::split::LinkParams`].
fn link_buffer() -> ResourceEstimate {
    let l = crate::split::LinkParams::default();
    resources::memory(l.word_width as u64, l.credits, None).1
}

/// Resources of the reconvergent FIFOs at the chosen lanes, per consumer node. FIFOs
/// are counted in BRAM (as Vivado infers a deep FIFO without a `ram_style`), their
/// width the producer's output lanes × its format.
fn fifo_resources(
    graph: &Graph,
    quant: &QuantPlan,
    fifos: &[JoinFifo],
    lanes: &[(u64, Vec<usize>)],
) -> Vec<ResourceEstimate> {
    let mut v = vec![ResourceEstimate::default(); graph.nodes.len()];
    for f in fifos {
        let l = lanes[f.producer].1.last().copied().unwrap_or(1).max(1) as u64;
        let w = u64::from(width(quant, &graph.nodes[f.producer].name));
        let depth = (f.rows * f.row).div_ceil(l).max(2);
        v[f.consumer] += resources::memory(l * w, depth, None).1;
    }
    v
}

struct Fit {
    interval: u64,
    lanes: Vec<(u64, Vec<usize>)>,
    res: Vec<ResourceEstimate>,
    balt: Vec<u64>,
    /// Reconvergent FIFOs per consumer node at these lanes.
    fifo: Vec<ResourceEstimate>,
    cuts: Vec<usize>,
}

/// Summed `[dsp, lut, ff, bram36, uram, bram36 alternative of the URAM]` of some
/// nodes → what they use on one device of capacity `cap`: URAM beyond the budget moves
/// to BRAM at the segment's own BRAM-per-URAM rate.
fn pool(sum: [u64; 6], cap: [u64; 5]) -> [u64; 5] {
    let [dsp, lut, ff, bram, uram, balt] = sum;
    if uram <= cap[4] || uram == 0 {
        return [dsp, lut, ff, bram, uram];
    }
    let moved = uram - cap[4];
    let extra = (moved as f64 * balt as f64 / uram as f64).ceil() as u64;
    [dsp, lut, ff, bram + extra, cap[4]]
}

/// Lanes for `interval` and the most balanced feasible cut into `k` devices, or why
/// none exists (resource name and shortfall).
/// What [`fit`] reads besides the device count and interval.
struct Ctx<'a> {
    graph: &'a Graph,
    quant: &'a QuantPlan,
    models: &'a [NodeModel],
    costs: &'a [Costed],
    crossing: &'a [Vec<(String, u64)>],
    fifos: &'a [JoinFifo],
    opts: &'a PlanOptions,
}

fn fit(ctx: &Ctx, k: usize, interval: u64) -> Result<Fit, String> {
    let Ctx {
        graph,
        quant,
        models,
        costs,
        crossing,
        fifos,
        opts,
    } = *ctx;
    let picks: Vec<usize> = models
        .iter()
        .zip(costs)
        .map(|(m, c)| lanes_for(m, c, interval))
        .collect();
    let lanes: Vec<(u64, Vec<usize>)> = models
        .iter()
        .zip(&picks)
        .map(|(m, &i)| m.options[i].clone())
        .collect();
    let res: Vec<ResourceEstimate> = costs.iter().zip(&picks).map(|(c, &i)| c.res[i]).collect();
    let balt: Vec<u64> = costs.iter().zip(&picks).map(|(c, &i)| c.balt[i]).collect();
    let fifo = fifo_resources(graph, quant, fifos, &lanes);
    let n = res.len();
    let cap = arr(&budget(&opts.board));
    let mut prefix = vec![[0u64; 6]; n + 1];
    for i in 0..n {
        let mut r = res[i];
        r += fifo[i];
        let r = arr(&r);
        for j in 0..5 {
            prefix[i + 1][j] = prefix[i][j] + r[j];
        }
        prefix[i + 1][5] = prefix[i][5] + balt[i];
    }
    let hz = opts.clock_mhz * 1e6;
    let link_ok = |c: usize| {
        let bits: Vec<u64> = crossing[c].iter().map(|t| t.1).collect();
        busiest_port(&bits, opts.links_per_cut) as f64 * hz / interval as f64
            <= opts.port_gbps() * 1e9
    };
    let rx = arr(&link_buffer());
    // Cost of a segment: the largest used fraction of any budget (> 1: infeasible).
    let seg = |a: usize, b: usize| {
        let mut sum = [0u64; 6];
        for j in 0..6 {
            sum[j] = prefix[b][j] - prefix[a][j];
        }
        // Receive buffers of the streams arriving over the upstream cut.
        if a > 0 {
            for j in 0..5 {
                sum[j] += rx[j] * crossing[a].len() as u64;
            }
        }
        let used = pool(sum, cap);
        (0..5)
            .map(|j| used[j] as f64 / cap[j].max(1) as f64)
            .fold(0.0f64, f64::max)
    };
    // Cut positions: with `SingleStream`, only those the netlist splitter realises
    // (`single_stream_cuts`); with `Any`, every position with computing nodes on both
    // sides.
    let mut splittable = vec![false; n + 1];
    for c in cut_points(graph, opts.cuts) {
        splittable[c] = true;
    }
    let mut best = vec![vec![f64::INFINITY; n + 1]; k + 1];
    let mut arg = vec![vec![0usize; n + 1]; k + 1];
    best[0][0] = 0.0;
    for j in 1..=k {
        for i in j..=n {
            if i < n && (!splittable[i] || !link_ok(i)) {
                continue;
            }
            for c in (j - 1..i).rev() {
                let s = seg(c, i);
                if s > 1.0 {
                    break;
                }
                let v = best[j - 1][c].max(s);
                if v < best[j][i] {
                    best[j][i] = v;
                    arg[j][i] = c;
                }
            }
        }
    }
    if best[k][n].is_finite() {
        let mut cuts = vec![n];
        let mut i = n;
        for j in (1..=k).rev() {
            i = arg[j][i];
            cuts.push(i);
        }
        cuts.reverse();
        return Ok(Fit {
            interval,
            lanes,
            res,
            balt,
            fifo,
            cuts,
        });
    }
    // Why: the total against k budgets, else a single node, else the links.
    let kcap: [u64; 5] = std::array::from_fn(|j| cap[j] * k as u64);
    let total = pool(prefix[n], kcap);
    for j in 0..5 {
        if total[j] > cap[j] * k as u64 {
            let pooled = if j == 3 && prefix[n][4] > kcap[4] {
                " after filling every URAM"
            } else {
                ""
            };
            let buffered = arr(&fifo.iter().copied().sum())[j];
            let fifos = if buffered > 0 {
                format!(" ({buffered} of it reconvergent FIFOs)")
            } else {
                String::new()
            };
            return Err(format!(
                "{} devices provide {} usable {} ({} each), the model needs {}{fifos}{pooled} at this folding: short by {}",
                k,
                cap[j] * k as u64,
                RESOURCE_NAMES[j],
                cap[j],
                total[j],
                total[j] - cap[j] * k as u64
            ));
        }
    }
    for (i, r) in res.iter().enumerate() {
        let mut r = *r;
        r += fifo[i];
        let a = arr(&r);
        let r = pool([a[0], a[1], a[2], a[3], a[4], balt[i]], cap);
        for j in 0..5 {
            if r[j] > cap[j] {
                return Err(format!(
                    "node `{}` alone needs {} {} but one device has {} usable: short by {}",
                    graph.nodes[i].name,
                    r[j],
                    RESOURCE_NAMES[j],
                    cap[j],
                    r[j] - cap[j]
                ));
            }
        }
    }
    Err(format!(
        "no cut into {k} contiguous parts fits every device's budget and the links ({:.1} Gb/s per port, {} port(s) per cut)",
        opts.port_gbps(),
        opts.links_per_cut
    ))
}

/// Smallest interval at which `k` devices fit, by binary search (resources fall as
/// the interval grows).
fn best_fit(ctx: &Ctx, k: usize) -> Result<Fit, String> {
    let models = ctx.models;
    let hi = models.iter().map(|m| m.work).max().unwrap_or(1).max(1);
    let top = fit(ctx, k, hi)?;
    let (mut lo, mut hi, mut best) = (1u64, hi, top);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match fit(ctx, k, mid) {
            Ok(f) => {
                hi = mid;
                best = f;
            }
            Err(_) => lo = mid + 1,
        }
    }
    // The interval actually reached is the slowest node at the chosen lanes.
    best.interval = models
        .iter()
        .zip(&best.lanes)
        .map(|(m, (p, _))| m.work.div_ceil(*p))
        .max()
        .unwrap_or(1);
    Ok(best)
}

/// Chooses every node's lanes and a contiguous partition over devices maximising
/// steady-state throughput within every device's usable budget and every cut's link
/// bandwidth (docs/partitioning.md).
///
/// # Errors
/// A configuration that cannot fit, naming the resource and the shortfall.
pub fn plan(
    graph: &Graph,
    quant: &QuantPlan,
    opts: &PlanOptions,
) -> Result<SystemPlan, SystemError> {
    let err = |rule: String| SystemError::Board {
        board: opts.board.name.clone(),
        rule,
    };
    if !(opts.clock_mhz > 0.0 && opts.clock_mhz.is_finite()) {
        return Err(err(format!(
            "--clock {}: must be a positive number of MHz",
            opts.clock_mhz
        )));
    }
    if !(opts.link_gbps > 0.0 && opts.link_gbps.is_finite()) {
        return Err(err(format!(
            "--link-gbps {}: must be positive",
            opts.link_gbps
        )));
    }
    let models: Vec<NodeModel> = graph.nodes.iter().map(|nd| node_model(graph, nd)).collect();
    let costs: Vec<Costed> = graph
        .nodes
        .iter()
        .zip(&models)
        .map(|(nd, m)| costed(graph, quant, &opts.board, nd, m))
        .collect();
    let crossing = cut_tensors(graph, quant);
    let fifos = join_fifos(graph);
    let ctx = Ctx {
        graph,
        quant,
        models: &models,
        costs: &costs,
        crossing: &crossing,
        fifos: &fifos,
        opts,
    };
    let hz = opts.clock_mhz * 1e6;
    let mut tried = Vec::new();
    let chosen = match opts.devices {
        DeviceCount::Fixed(k) => {
            if k == 0 || k > graph.nodes.len() {
                return Err(err(format!(
                    "--devices {k}: must be between 1 and the number of nodes ({})",
                    graph.nodes.len()
                )));
            }
            let f = best_fit(&ctx, k).map_err(err)?;
            tried.push((k, Some(f.interval)));
            f
        }
        DeviceCount::Auto { max } => {
            let mut best: Option<Fit> = None;
            let mut last_err = String::new();
            for k in 1..=max.min(graph.nodes.len()) {
                match best_fit(&ctx, k) {
                    Ok(f) => {
                        tried.push((k, Some(f.interval)));
                        let rate = hz / f.interval as f64;
                        if let Some(t) = opts.target_items_per_s {
                            if rate >= t {
                                best = Some(f);
                                break;
                            }
                            best = Some(f);
                            continue;
                        }
                        // Throughput per device; more devices only if strictly better.
                        let per_dev = |f: &Fit| hz / f.interval as f64 / (f.cuts.len() - 1) as f64;
                        let better = best
                            .as_ref()
                            .is_none_or(|b| per_dev(&f) > per_dev(b) * 1.0001);
                        if better {
                            best = Some(f);
                        }
                    }
                    Err(e) => {
                        tried.push((k, None));
                        last_err = e;
                    }
                }
            }
            let best =
                best.ok_or_else(|| err(format!("no device count up to {max} fits: {last_err}")))?;
            if let Some(t) = opts.target_items_per_s {
                let rate = hz / best.interval as f64;
                if rate < t {
                    return Err(err(format!(
                        "target {t} items/s is not reached with up to {max} devices (best {rate:.1} items/s)"
                    )));
                }
            }
            best
        }
    };
    Ok(report(graph, &models, &crossing, opts, chosen, tried))
}

fn layer_of(name: &str) -> Option<String> {
    let i = name.find("layer.")?;
    let rest = &name[i + 6..];
    let num: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!num.is_empty()).then(|| format!("{}{num}", &name[..i + 6]))
}

fn report(
    graph: &Graph,
    models: &[NodeModel],
    crossing: &[Vec<(String, u64)>],
    opts: &PlanOptions,
    f: Fit,
    tried: Vec<(usize, Option<u64>)>,
) -> SystemPlan {
    let hz = opts.clock_mhz * 1e6;
    let cap = budget(&opts.board);
    let nodes: Vec<NodePlan> = graph
        .nodes
        .iter()
        .zip(models)
        .zip(f.lanes.iter().zip(&f.res))
        .map(|((nd, m), ((p, l), r))| NodePlan {
            name: nd.name.clone(),
            op: nd.op.kind(),
            lanes: m.dims.iter().map(|d| d.0).zip(l.iter().copied()).collect(),
            work: m.work,
            macs: m.macs,
            cycles: m.work.div_ceil(*p),
            resources: *r,
        })
        .collect();
    let interval = f.interval.max(1);
    let cut_gbps = |c: usize| {
        let bits: u64 = crossing[c].iter().map(|t| t.1).sum();
        (bits, bits as f64 * hz / interval as f64 / 1e9)
    };
    let port_gbps = |c: usize| {
        let bits: Vec<u64> = crossing[c].iter().map(|t| t.1).collect();
        busiest_port(&bits, opts.links_per_cut) as f64 * hz / interval as f64 / 1e9
    };
    let rx = link_buffer();
    let devices: Vec<DevicePlan> = f
        .cuts
        .windows(2)
        .map(|w| {
            let part = &nodes[w[0]..w[1]];
            let mut buffers: ResourceEstimate = f.fifo[w[0]..w[1]].iter().copied().sum();
            if w[0] > 0 {
                for _ in &crossing[w[0]] {
                    buffers += rx;
                }
            }
            let mut resources: ResourceEstimate = part.iter().map(|n| n.resources).sum();
            resources += buffers;
            let a = arr(&resources);
            let balt: u64 = f.balt[w[0]..w[1]].iter().sum();
            let [_, _, _, bram, uram] = pool([a[0], a[1], a[2], a[3], a[4], balt], arr(&cap));
            resources.bram36 = bram;
            resources.uram = uram;
            let slow = part
                .iter()
                .max_by_key(|n| n.cycles)
                .expect("non-empty part");
            let used = arr(&resources);
            let caps = arr(&cap);
            // URAM overflow moved to BRAM (see `pool`), so a full URAM alone does not
            // make memory the tightest: the BRAM left to absorb more does.
            let frac = |j: usize| used[j] as f64 / caps[j].max(1) as f64;
            let saturated = used[4] >= caps[4] && balt > 0;
            let (ti, tf) = (0..5)
                .filter(|&j| !(saturated && j == 4))
                .map(|j| (j, frac(j)))
                .fold((0, -1.0), |a, b| if b.1 > a.1 { b } else { a });
            let link_frac = [w[0], w[1]]
                .iter()
                .filter(|&&c| c > 0 && c < nodes.len())
                .map(|&c| port_gbps(c) / opts.port_gbps())
                .fold(0.0, f64::max);
            // A device is compute-bound when its slowest node already has the most
            // lanes its dimensions allow or DSP/logic is the tightest budget,
            // memory-bound when BRAM/URAM is, link-bound when a cut is nearly full.
            let bound = if link_frac > tf.max(0.9) {
                "link"
            } else if ti >= 3 {
                "memory"
            } else {
                "compute"
            };
            let mut layers: Vec<String> = part.iter().filter_map(|n| layer_of(&n.name)).collect();
            layers.dedup();
            DevicePlan {
                board: opts.board.name.clone(),
                nodes: part.iter().map(|n| n.name.clone()).collect(),
                layers,
                resources,
                buffers,
                budget: cap,
                cycles: slow.cycles,
                slowest_node: slow.name.clone(),
                bound: bound.to_string(),
                tightest: RESOURCE_NAMES[ti].to_string(),
                tightest_fraction: tf,
            }
        })
        .collect();
    let cuts: Vec<CutPlan> = f.cuts[1..f.cuts.len() - 1]
        .iter()
        .map(|&c| {
            let (bits, gbps) = cut_gbps(c);
            let per: Vec<u64> = crossing[c].iter().map(|t| t.1).collect();
            let port = assign_ports(&per, opts.links_per_cut);
            let links = (0..opts.links_per_cut as usize)
                .filter(|p| port.contains(p))
                .map(|p| {
                    let on: Vec<usize> = (0..per.len()).filter(|&i| port[i] == p).collect();
                    let b: u64 = on.iter().map(|&i| per[i]).sum();
                    LinkPlan {
                        port: p,
                        tensors: on.iter().map(|&i| crossing[c][i].0.clone()).collect(),
                        bits_per_item: b,
                        gbps: b as f64 * hz / interval as f64 / 1e9,
                        gbps_available: opts.port_gbps(),
                    }
                })
                .collect();
            CutPlan {
                after: graph.nodes[c - 1].name.clone(),
                tensors: crossing[c].iter().map(|t| t.0.clone()).collect(),
                bits_per_item: bits,
                gbps,
                gbps_available: opts.cut_gbps(),
                links,
            }
        })
        .collect();
    let work_macs: u64 = nodes.iter().filter(|n| n.macs).map(|n| n.work).sum();
    let dsps = cap.dsp * devices.len() as u64;
    let roofline_cycles = work_macs as f64 / dsps.max(1) as f64;
    let tokens = graph.inputs().next().map_or(1, |n| {
        n.shape[..n.shape.len().saturating_sub(1)]
            .iter()
            .product::<usize>()
    }) as u64;
    let items_per_s = hz / interval as f64;
    let slow = nodes.iter().max_by_key(|n| n.cycles).expect("a node");
    let dev = devices
        .iter()
        .position(|d| d.nodes.contains(&slow.name))
        .unwrap_or(0);
    let bottleneck = format!(
        "node `{}` ({}, lanes {:?}) on device {}: {} cycles per item; device {} is {}-bound ({} at {:.0}% of budget)",
        slow.name,
        slow.op,
        slow.lanes,
        dev,
        slow.cycles,
        dev,
        devices[dev].bound,
        devices[dev].tightest,
        devices[dev].tightest_fraction * 100.0
    );
    let latency_cycles: u64 = nodes.iter().map(|n| n.cycles).sum();
    SystemPlan {
        model: graph.name.clone(),
        board: opts.board.name.clone(),
        clock_mhz: opts.clock_mhz,
        devices,
        cuts,
        nodes,
        interval_cycles: interval,
        items_per_s,
        tokens_per_s: items_per_s * tokens as f64,
        tokens_per_item: tokens,
        latency_upper_s: latency_cycles as f64 / hz,
        work_macs,
        roofline_cycles,
        roofline_fraction: roofline_cycles / interval as f64,
        bottleneck,
        tried,
        netlist: None,
    }
}

/// Positions `k` (cut between node `k − 1` and node `k`) where exactly one tensor is
/// live, i.e. produced before and consumed at or after `k`, with a computing node on
/// both sides (not only the model's input or output node).
pub fn single_stream_cuts(graph: &Graph) -> Vec<usize> {
    let n = graph.nodes.len();
    let pos = |name: &str| graph.nodes.iter().position(|m| m.name == name);
    // Last consumer of every node's output.
    let mut last = vec![0usize; n];
    for (j, node) in graph.nodes.iter().enumerate() {
        for i in node.inputs.iter().filter_map(|t| pos(t)) {
            last[i] = last[i].max(j);
        }
    }
    let computes = |r: std::ops::Range<usize>| {
        graph.nodes[r]
            .iter()
            .any(|m| !matches!(m.op, Op::Input | Op::Output))
    };
    (1..n)
        .filter(|&k| (0..k).filter(|&i| last[i] >= k).count() == 1)
        .filter(|&k| computes(0..k) && computes(k..n))
        .collect()
}

/// Cut positions `policy` allows: [`single_stream_cuts`], or every position with a
/// computing node on both sides.
pub fn cut_points(graph: &Graph, policy: CutPolicy) -> Vec<usize> {
    match policy {
        CutPolicy::SingleStream => single_stream_cuts(graph),
        CutPolicy::Any => {
            let n = graph.nodes.len();
            let computes = |r: std::ops::Range<usize>| {
                graph.nodes[r]
                    .iter()
                    .any(|m| !matches!(m.op, Op::Input | Op::Output))
            };
            (1..n)
                .filter(|&k| computes(0..k) && computes(k..n))
                .collect()
        }
    }
}

/// `devices` parts of `graph` on `board`, cut where one tensor is live, each part's
/// weight count (parameter elements, plus one per node) as close to an equal share
/// as those cuts allow.
///
/// # Errors
/// Zero devices, or fewer single-stream cut points than `devices − 1`.
pub fn split_by_count(
    graph: &Graph,
    devices: usize,
    board: &str,
) -> Result<Partition, SystemError> {
    let bad = |rule: String| SystemError::Model {
        model: graph.name.clone(),
        rule,
    };
    if devices == 0 {
        return Err(bad("--devices: must be at least 1".into()));
    }
    let size = |p: &str| {
        graph
            .params
            .iter()
            .find(|q| q.name == p)
            .map_or(0, |q| q.shape.iter().product::<usize>())
    };
    let weight: Vec<usize> = graph
        .nodes
        .iter()
        .map(|n| 1 + n.op.params().iter().map(|p| size(p)).sum::<usize>())
        .collect();
    let total: usize = weight.iter().sum();
    let mut prefix = vec![0usize];
    for w in &weight {
        prefix.push(prefix.last().copied().unwrap_or(0) + w);
    }
    let cuts = single_stream_cuts(graph);
    if cuts.len() + 1 < devices {
        return Err(bad(format!(
            "--devices {devices}: only {} cut points carry a single stream (cuts inside a residual block are not supported)",
            cuts.len()
        )));
    }
    let mut chosen: Vec<usize> = Vec::new();
    for d in 1..devices {
        let target = total * d / devices;
        let lo = chosen.last().copied().unwrap_or(0);
        // Leave enough cut points for the remaining devices.
        let left = devices - 1 - d;
        let avail: Vec<usize> = cuts.iter().copied().filter(|&c| c > lo).collect();
        let avail = &avail[..avail.len() - left];
        let best = avail
            .iter()
            .copied()
            .min_by_key(|&c| prefix[c].abs_diff(target))
            .ok_or_else(|| {
                bad(format!(
                    "--devices {devices}: no cut point left for device {d}"
                ))
            })?;
        chosen.push(best);
    }
    let mut bounds = vec![0];
    bounds.extend(chosen);
    bounds.push(graph.nodes.len());
    Ok(from_cuts(graph, board, &bounds))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The best maximum part sum over every choice of `k − 1` cut positions.
    fn brute(cost: &[u64], k: usize) -> u64 {
        fn go(cost: &[u64], left: usize, start: usize, acc: u64) -> u64 {
            let n = cost.len();
            if left == 1 {
                return acc.max(cost[start..].iter().sum());
            }
            (start + 1..=n - left + 1)
                .map(|c| go(cost, left - 1, c, acc.max(cost[start..c].iter().sum())))
                .min()
                .unwrap_or(u64::MAX)
        }
        go(cost, k, 0, 0)
    }

    #[test]
    fn streams_get_their_own_port_until_ports_run_out() {
        let mut rng = generator::rng::Rng::new(11);
        for _ in 0..200 {
            let n = 1 + rng.below(6) as usize;
            let ports = 1 + rng.below(3) as u32;
            let bits: Vec<u64> = (0..n).map(|_| 1 + rng.below(1000)).collect();
            let port = assign_ports(&bits, ports);
            assert_eq!(port.len(), n);
            assert!(port.iter().all(|&p| p < ports as usize));
            let used: std::collections::BTreeSet<usize> = port.iter().copied().collect();
            assert_eq!(
                used.len(),
                n.min(ports as usize),
                "{bits:?} on {ports}: {port:?}"
            );
            // Largest-first onto the least loaded: the busiest port carries at most
            // the average plus the largest stream.
            let busiest = busiest_port(&bits, ports);
            let total: u64 = bits.iter().sum();
            let most = *bits.iter().max().unwrap();
            assert!(busiest <= total.div_ceil(u64::from(ports)) + most);
            assert!(busiest >= most);
        }
    }

    #[test]
    fn min_max_cuts_matches_exhaustive_search() {
        let mut rng = generator::rng::Rng::new(7);
        for _ in 0..200 {
            let n = 1 + rng.below(9) as usize;
            let k = 1 + rng.below(n as u64) as usize;
            let cost: Vec<u64> = (0..n).map(|_| rng.below(50)).collect();
            let cuts = min_max_cuts(&cost, k);
            assert_eq!(cuts.len(), k + 1);
            assert_eq!((cuts[0], cuts[k]), (0, n));
            assert!(cuts.windows(2).all(|w| w[0] < w[1]), "{cuts:?}");
            let got = cuts
                .windows(2)
                .map(|w| cost[w[0]..w[1]].iter().sum::<u64>())
                .max()
                .unwrap();
            assert_eq!(got, brute(&cost, k), "{cost:?} k={k}");
        }
    }
}
