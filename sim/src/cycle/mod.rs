//! The fast cycle simulator: exact handshake timing at beat granularity.
//!
//! A design is a [`Net`] of nodes (one [`CycleModel`] each) joined by streams. For every
//! beat of every stream the engine records three cycles: when the producer raises
//! valid (`valid`), when the consumer is ready for it (a [`Ready`] window: one isolated
//! cycle and/or every cycle from some cycle on) and the handshake, the first cycle in
//! the window at or after valid. A cycle model turns the handshakes it has seen into
//! the valid times of its next output beats and the ready windows of its next input
//! beats — a max-plus recurrence for pipelines, explicit counts for FIFOs and buffers —
//! so the cost grows with the number of beats, never with cycles × instances: a
//! stretch of a million steady-state cycles costs what its beats cost.
//!
//! Cycles are numbered as the Verilator harness numbers them: cycle 0 is the first
//! cycle after reset, and a handshake at cycle `c` is `valid && ready` sampled before
//! the `c`-th rising edge. The system's boundary (its input and output streams) is a
//! [`Stimulus`]: when an input offers its next beat and when an output is ready, drawn
//! in cycle order so a seeded stall pattern gives the engine the stimulus the Verilator
//! harness gives the RTL.
//!
//! Not here: the values carried by beats (`data`, read off a finished run), stitching
//! (`system`), and the stall generator itself (`testbenches::cosim::Pattern`, shared with Verilator).

mod accumulator;
mod blocks;
mod credit_fifo;
pub mod data;
mod fifo;
mod fork;
mod layernorm;
mod linear;
pub mod link;
pub mod link_vc;
mod matmul;
mod mul;
mod pipeline;
mod resize;
pub mod sizing;
mod skid_buffer;
mod softmax;
mod stepped;
pub mod system;
mod transpose;
pub mod waves;
mod weight_rom;

use std::collections::VecDeque;
use std::fmt;

use generator::component::Instance;
use generator::sv::Dir;

/// When a consumer is ready for one beat: at cycle `pulse` (if not [`NEVER`]) and at
/// every cycle from `from` on. Windows hold between the previous beat's handshake and
/// this beat's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ready {
    pub pulse: u64,
    pub from: u64,
}

/// No such cycle.
pub const NEVER: u64 = u64::MAX;

impl Ready {
    /// Ready at every cycle from `c` on.
    pub fn from(c: u64) -> Ready {
        Ready {
            pulse: NEVER,
            from: c,
        }
    }
    /// The handshake cycle of a beat whose valid rises at `valid`.
    pub fn handshake(self, valid: u64) -> u64 {
        if self.pulse != NEVER && valid <= self.pulse {
            self.pulse
        } else {
            valid.max(self.from)
        }
    }
}

/// Where a stream ends: a node's port (index among its inputs or outputs), or the
/// design boundary (index among the boundary's inputs or outputs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Node { node: usize, port: usize },
    Boundary(usize),
}

/// One stream and the cycles of its beats so far.
#[derive(Clone, Debug)]
pub struct Stream {
    pub name: String,
    /// Beats the stream carries in this run.
    pub beats: usize,
    pub producer: End,
    pub consumer: End,
    valid: Vec<u64>,
    ready: Vec<Ready>,
    hs: Vec<u64>,
}

impl Stream {
    /// Handshake cycles so far, in beat order.
    pub fn handshakes(&self) -> &[u64] {
        &self.hs
    }
    /// Cycle at which each beat's valid rose.
    pub fn valid_cycles(&self) -> &[u64] {
        &self.valid
    }
}

/// The design boundary: when inputs offer beats and outputs accept them.
pub trait Stimulus {
    /// The first cycle `>= from` at which boundary input `input` offers its next beat
    /// (`from` is the cycle after the previous beat's handshake, 0 for the first).
    fn offer(&mut self, input: usize, from: u64) -> u64;
    /// The first cycle `>= from` at which boundary output `output` is ready; `from`
    /// never decreases between calls for one output.
    fn accept(&mut self, output: usize, from: u64) -> u64;
}

/// A boundary without stalls: inputs always offer, outputs always accept.
pub struct NoStalls;

impl Stimulus for NoStalls {
    fn offer(&mut self, _: usize, from: u64) -> u64 {
        from
    }
    fn accept(&mut self, _: usize, from: u64) -> u64 {
        from
    }
}

/// A component's cycle model: from the cycles seen on its streams, posts the valid
/// cycle of its next output beats and the ready window of its next input beats.
pub trait CycleModel: Send {
    /// Posts everything that can be derived now; returns whether anything was posted.
    fn advance(&mut self, io: &mut Io<'_>) -> bool;
    /// Called only when no node can advance: posts what a model can derive by assuming
    /// the beats it waits for have not come yet (see `stepped`); whether it posted.
    fn run_ahead(&mut self, _io: &mut Io<'_>) -> bool {
        false
    }
    /// For a node whose work is not one output beat per busy cycle (a MAC engine issues
    /// `kb` blocks per output beat): its busy and backpressured cycles in the run.
    fn activity(&self) -> Option<Activity> {
        None
    }
}

/// Cycles a node worked, and cycles it was ready to work but held by its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Activity {
    pub busy: u64,
    pub backpressured: u64,
}

/// A node's view of its streams during [`CycleModel::advance`].
pub struct Io<'a> {
    streams: &'a mut [Stream],
    ins: &'a [usize],
    outs: &'a [usize],
    stim: &'a mut dyn Stimulus,
    changed: &'a mut Vec<usize>,
}

impl Io<'_> {
    /// Beats input `i` carries in this run.
    pub fn in_beats(&self, i: usize) -> usize {
        self.streams[self.ins[i]].beats
    }
    /// Beats output `o` carries in this run.
    pub fn out_beats(&self, o: usize) -> usize {
        self.streams[self.outs[o]].beats
    }
    /// Valid cycle of input `i`'s beat `k`, once the producer posted it.
    pub fn in_valid(&self, i: usize, k: usize) -> Option<u64> {
        self.streams[self.ins[i]].valid.get(k).copied()
    }
    /// Handshake cycle of input `i`'s beat `k`, once known.
    pub fn in_hs(&self, i: usize, k: usize) -> Option<u64> {
        self.streams[self.ins[i]].hs.get(k).copied()
    }
    /// Handshake cycle of output `o`'s beat `k`, once known.
    pub fn out_hs(&self, o: usize, k: usize) -> Option<u64> {
        self.streams[self.outs[o]].hs.get(k).copied()
    }
    /// Ready windows posted on input `i` so far (the index of the next one).
    pub fn ready_posted(&self, i: usize) -> usize {
        self.streams[self.ins[i]].ready.len()
    }
    /// Valid cycles posted on output `o` so far (the index of the next one).
    pub fn valid_posted(&self, o: usize) -> usize {
        self.streams[self.outs[o]].valid.len()
    }
    /// Posts the ready window of input `i`'s next beat.
    pub fn post_ready(&mut self, i: usize, r: Ready) {
        let s = self.ins[i];
        self.streams[s].ready.push(r);
        self.changed.push(s);
        resolve(self.streams, s, self.stim, self.changed);
    }
    /// Posts the valid cycle of output `o`'s next beat.
    pub fn post_valid(&mut self, o: usize, c: u64) {
        let s = self.outs[o];
        self.streams[s].valid.push(c);
        self.changed.push(s);
        resolve(self.streams, s, self.stim, self.changed);
    }
}

/// Computes every handshake of stream `s` that both sides now allow; boundary inputs
/// offer their next beat as soon as the previous one was taken.
fn resolve(streams: &mut [Stream], s: usize, stim: &mut dyn Stimulus, changed: &mut Vec<usize>) {
    let st = &mut streams[s];
    let before = st.hs.len();
    loop {
        let k = st.hs.len();
        if k >= st.beats {
            break;
        }
        if let End::Boundary(b) = st.producer
            && st.valid.len() == k
        {
            let from = if k == 0 { 0 } else { st.hs[k - 1] + 1 };
            st.valid.push(stim.offer(b, from));
        }
        let Some(&v) = st.valid.get(k) else { break };
        let h = match st.consumer {
            End::Boundary(b) => stim.accept(b, v),
            End::Node { .. } => match st.ready.get(k) {
                Some(r) => r.handshake(v),
                None => break,
            },
        };
        st.hs.push(h);
    }
    if st.hs.len() != before {
        changed.push(s);
    }
}

/// A node of a [`Net`].
pub struct Node {
    pub name: String,
    pub ins: Vec<usize>,
    pub outs: Vec<usize>,
    pub model: Box<dyn CycleModel>,
}

/// Streams that wait when progress stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadlock {
    /// The cycle after the last handshake anywhere.
    pub cycle: u64,
    /// Each stuck stream: its name, producer and consumer names, beats done of total,
    /// and which side it waits for.
    pub waiting: Vec<String>,
}

impl fmt::Display for Deadlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "deadlock at cycle {}: {}",
            self.cycle,
            self.waiting.join("; ")
        )
    }
}

/// Errors of the cycle simulator.
#[derive(Debug, thiserror::Error)]
pub enum CycleError {
    #[error("component {component}: no cycle model yet")]
    NoModel { component: String },
    #[error("{0}")]
    Deadlock(Deadlock),
    #[error("node {node}: a stream is not connected")]
    Unconnected { node: String },
    #[error(
        "the cut after device {device} carries {streams} streams over one link: the fast engine simulates single-stream cuts only (use Verilator: sim system)"
    )]
    MultiStreamCut { device: usize, streams: usize },
}

/// A netlist of cycle models.
#[derive(Default)]
pub struct Net {
    pub nodes: Vec<Node>,
    pub streams: Vec<Stream>,
}

impl Net {
    /// Adds a stream carrying `beats` beats; returns its index.
    pub fn add_stream(&mut self, name: &str, beats: usize, producer: End, consumer: End) -> usize {
        self.streams.push(Stream {
            name: name.to_string(),
            beats,
            producer,
            consumer,
            valid: Vec::with_capacity(beats),
            ready: Vec::with_capacity(beats),
            hs: Vec::with_capacity(beats),
        });
        self.streams.len() - 1
    }

    /// A net of one component instance: its input streams are boundary inputs and its
    /// outputs boundary outputs, in stream order; `beats` gives each stream's beat count.
    pub fn single(inst: &dyn Instance, beats: &dyn Fn(&str) -> usize) -> Result<Net, CycleError> {
        let mut net = Net::default();
        let (mut ins, mut outs) = (Vec::new(), Vec::new());
        for s in inst.streams() {
            let n = beats(&s.name);
            if s.direction == Dir::Input {
                let port = ins.len();
                let b = ins.len();
                ins.push(net.add_stream(&s.name, n, End::Boundary(b), End::Node { node: 0, port }));
            } else {
                let port = outs.len();
                let b = outs.len();
                outs.push(net.add_stream(
                    &s.name,
                    n,
                    End::Node { node: 0, port },
                    End::Boundary(b),
                ));
            }
        }
        net.nodes.push(Node {
            name: inst.component().name().to_string(),
            ins,
            outs,
            model: model_for(inst)?,
        });
        Ok(net)
    }

    /// Runs to completion: every stream carries all its beats, or a [`Deadlock`] names
    /// the streams that wait.
    pub fn run(&mut self, stim: &mut dyn Stimulus) -> Result<(), CycleError> {
        let mut changed = Vec::new();
        for s in 0..self.streams.len() {
            resolve(&mut self.streams, s, stim, &mut changed);
        }
        let n = self.nodes.len();
        let mut queued = vec![true; n];
        let mut work: VecDeque<usize> = (0..n).collect();
        let wake = |changed: &mut Vec<usize>,
                    streams: &[Stream],
                    work: &mut VecDeque<usize>,
                    queued: &mut [bool]| {
            for s in changed.drain(..) {
                for e in [streams[s].producer, streams[s].consumer] {
                    if let End::Node { node, .. } = e
                        && !queued[node]
                    {
                        queued[node] = true;
                        work.push_back(node);
                    }
                }
            }
        };
        changed.clear();
        loop {
            while let Some(id) = work.pop_front() {
                queued[id] = false;
                let node = &mut self.nodes[id];
                let mut io = Io {
                    streams: &mut self.streams,
                    ins: &node.ins,
                    outs: &node.outs,
                    stim,
                    changed: &mut changed,
                };
                while node.model.advance(&mut io) {}
                wake(&mut changed, &self.streams, &mut work, &mut queued);
            }
            if self.streams.iter().all(|s| s.hs.len() >= s.beats) {
                break;
            }
            let mut ahead = false;
            for node in &mut self.nodes {
                let mut io = Io {
                    streams: &mut self.streams,
                    ins: &node.ins,
                    outs: &node.outs,
                    stim,
                    changed: &mut changed,
                };
                ahead |= node.model.run_ahead(&mut io);
            }
            if !ahead {
                break;
            }
            wake(&mut changed, &self.streams, &mut work, &mut queued);
        }
        let stuck: Vec<&Stream> = self
            .streams
            .iter()
            .filter(|s| s.hs.len() < s.beats)
            .collect();
        if stuck.is_empty() {
            return Ok(());
        }
        let cycle = self
            .streams
            .iter()
            .filter_map(|s| s.hs.last())
            .max()
            .map_or(0, |c| c + 1);
        let name = |e: End| match e {
            End::Node { node, .. } => self.nodes[node].name.clone(),
            End::Boundary(_) => "boundary".to_string(),
        };
        let waiting = stuck
            .iter()
            .map(|s| {
                let k = s.hs.len();
                let side = if s.valid.len() <= k {
                    "waits for valid"
                } else {
                    "waits for ready"
                };
                format!(
                    "{} ({} -> {}) {side} at beat {k} of {}",
                    s.name,
                    name(s.producer),
                    name(s.consumer),
                    s.beats
                )
            })
            .collect();
        Err(CycleError::Deadlock(Deadlock { cycle, waiting }))
    }
}

/// The cycle model of an instance: the one place that maps components to models.
pub fn model_for(inst: &dyn Instance) -> Result<Box<dyn CycleModel>, CycleError> {
    let p = inst.params();
    let name = inst.component().name();
    Ok(match name {
        "skid_buffer" => Box::new(skid_buffer::SkidBuffer),
        "fifo" => Box::new(fifo::Fifo::new(p.get_usize("DEPTH"))),
        "fork" => Box::new(fork::Fork),
        "join" | "add" | "relu" | "cast" => Box::new(pipeline::Pipeline::new(1)),
        "adder_tree" => Box::new(pipeline::Pipeline::new(tree_levels(p.get_usize("IN_SIZE")))),
        "dot_product" => Box::new(pipeline::Pipeline::new(
            1 + tree_levels(p.get_usize("PARALLELISM")),
        )),
        "accumulator" => Box::new(accumulator::Accumulator::new(p.get_usize("DEPTH"))),
        "mul" => Box::new(mul::Mul::default()),
        "resize" => Box::new(resize::Resize::new(
            p.get_usize("IN_PARALLELISM"),
            p.get_usize("OUT_PARALLELISM"),
        )),
        "transpose" => Box::new(transpose::Transpose::new(
            p.get_usize("A_SIZE") * p.get_usize("B_SIZE") * p.get_usize("C_SIZE")
                / p.get_usize("PARALLELISM").max(1),
        )),
        "gelu" if sv_int(inst, "FULL_TABLE") != Some(0) => Box::new(pipeline::Pipeline::new(1)),
        "gelu" => Box::new(mul::Mul::default()),
        "linear" => {
            let inputs: Vec<String> = inst
                .streams()
                .into_iter()
                .filter(|s| s.direction == Dir::Input)
                .map(|s| s.name)
                .collect();
            Box::new(linear::Linear::new(
                p.get_usize("IN_SIZE"),
                p.get_usize("OUT_SIZE"),
                p.get_usize("IN_PARALLELISM"),
                p.get_usize("OUT_PARALLELISM"),
                &inputs,
            ))
        }
        "weight_rom" => Box::new(weight_rom::WeightRom),
        "matmul" => Box::new(matmul::Matmul::new(
            p.get_usize("M_SIZE"),
            p.get_usize("K_SIZE"),
            p.get_usize("N_SIZE"),
            p.get_usize("K_PARALLELISM"),
            p.get_usize("N_PARALLELISM"),
            p.get_bool("TRANSPOSE_B"),
        )),
        "layernorm" => {
            let streams = !p.get_bool("AFFINE_FROM_ROM");
            Box::new(stepped::Stepper::new(
                layernorm::Layernorm::new(
                    p.get_usize("SIZE") / p.get_usize("PARALLELISM").max(1),
                    p.get_usize("NR_ITERS"),
                    streams,
                ),
                if streams { 3 } else { 1 },
                1,
            ))
        }
        "link" | "link_vc" => {
            let k = if name == "link" {
                1
            } else {
                p.get_usize("CHANNELS")
            };
            let word = p.get_usize("WORD_WIDTH");
            let ch = link_vc::Channel {
                beat_bits: p.get_usize("WIDTH") * p.get_usize("PARALLELISM"),
                word_bits: if k > 1 {
                    word - generator::components::link_vc::tag_width(k)
                } else {
                    word
                },
                item_beats: p.get_usize("ITEM_BEATS"),
                credits: p.get("CREDITS") as u64,
            };
            let wire = link_vc::Wire {
                word_width: word as u64,
                latency: p.get_usize("LATENCY"),
                bits_per_cycle: p.get("BITS_PER_CYCLE") as u64,
            };
            Box::new(stepped::Stepper::new(
                link_vc::LinkVc::new(vec![ch; k], wire),
                k,
                k,
            ))
        }
        "softmax" => Box::new(stepped::Stepper::new(
            softmax::Softmax::new(
                p.get_usize("SIZE") / p.get_usize("PARALLELISM").max(1),
                sv_int(inst, "RECIP_FRAC_WIDTH").unwrap_or(0).max(0) as usize,
            ),
            1,
            1,
        )),
        _ => {
            return Err(CycleError::NoModel {
                component: name.to_string(),
            });
        }
    })
}

/// An integer parameter the instance passes to its module.
fn sv_int(inst: &dyn Instance, name: &str) -> Option<i64> {
    inst.sv_params("").into_iter().find_map(|(k, v)| match v {
        generator::sv::SvValue::Int(i) if k == name => Some(i),
        _ => None,
    })
}

/// Register levels of `mh_adder_tree` over `n` lanes: `ceil(log2 n)`, at least one.
fn tree_levels(n: usize) -> usize {
    if n > 1 {
        (usize::BITS - (n - 1).leading_zeros()) as usize
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use generator::components;

    /// fork → join directly and fork → transpose → join: the transpose emits nothing
    /// before it holds a whole tensor, the join takes nothing before both inputs are
    /// valid, and the fork cannot pass beat 1 before both outputs took beat 0, so the
    /// design hangs; with a FIFO holding the tensor on the direct path it completes.
    fn fork_transpose_join(fifo: Option<i64>) -> Result<(), CycleError> {
        let inst = |c: &str, o: &[(&str, i64)]| components::find(c).unwrap().configure(o).unwrap();
        let t = inst(
            "transpose",
            &[
                ("WIDTH", 8),
                ("PARALLELISM", 1),
                ("A_SIZE", 2),
                ("B_SIZE", 2),
                ("C_SIZE", 2),
            ],
        );
        let f = inst("fork", &[("WIDTH", 8), ("PARALLELISM", 1), ("N", 2)]);
        let j = inst("join", &[("WIDTH", 8), ("PARALLELISM", 1), ("N", 2)]);
        let beats = 16;
        let mut net = Net::default();
        let node = |node, port| End::Node { node, port };
        let s_in = net.add_stream("data_in", beats, End::Boundary(0), node(0, 0));
        let f0 = net.add_stream("fork.data_out_0", beats, node(0, 0), node(1, 0));
        let f1 = net.add_stream("fork.data_out_1", beats, node(0, 1), node(2, 0));
        let t_out = net.add_stream("transpose.data_out", beats, node(1, 0), node(2, 1));
        let out = net.add_stream("data_out", beats, node(2, 0), End::Boundary(0));
        net.nodes.push(Node {
            name: "fork".into(),
            ins: vec![s_in],
            outs: vec![f0, f1],
            model: model_for(&*f)?,
        });
        net.nodes.push(Node {
            name: "transpose".into(),
            ins: vec![f0],
            outs: vec![t_out],
            model: model_for(&*t)?,
        });
        let direct = match fifo {
            None => f1,
            Some(depth) => {
                let q = inst(
                    "fifo",
                    &[("WIDTH", 8), ("PARALLELISM", 1), ("DEPTH", depth)],
                );
                let q_out = net.add_stream("fifo.data_out", beats, node(3, 0), node(2, 0));
                net.streams[f1].consumer = node(3, 0);
                net.nodes.push(Node {
                    name: "join".into(),
                    ins: vec![q_out, t_out],
                    outs: vec![out],
                    model: model_for(&*j)?,
                });
                net.nodes.push(Node {
                    name: "fifo".into(),
                    ins: vec![f1],
                    outs: vec![q_out],
                    model: model_for(&*q)?,
                });
                return net.run(&mut NoStalls);
            }
        };
        net.nodes.push(Node {
            name: "join".into(),
            ins: vec![direct, t_out],
            outs: vec![out],
            model: model_for(&*j)?,
        });
        net.run(&mut NoStalls)
    }

    #[test]
    fn a_reconvergent_path_without_buffering_is_reported_as_a_deadlock() {
        match fork_transpose_join(None) {
            Err(CycleError::Deadlock(d)) => {
                let text = d.to_string();
                assert!(
                    text.contains("fork.data_out_1 (fork -> join) waits for ready at beat 0"),
                    "{text}"
                );
                assert!(
                    text.contains(
                        "transpose.data_out (transpose -> join) waits for valid at beat 0"
                    ),
                    "{text}"
                );
                assert!(d.cycle > 0, "{text}");
            }
            other => panic!("expected a deadlock, got {other:?}"),
        }
        // A FIFO holding the tensor (8 beats = DEPTH 7 + the output register) suffices.
        fork_transpose_join(Some(7)).unwrap();
        assert!(matches!(
            fork_transpose_join(Some(2)),
            Err(CycleError::Deadlock(_))
        ));
    }
}
