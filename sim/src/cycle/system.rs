//! A stitched system (`system::netlist::Netlist`) as a [`Net`] of cycle models, and the
//! timing figures read off a finished run: latency, first-input-to-last-output,
//! cycles per item back to back, every node's first and last beat and its
//! busy / starved / backpressured split.
//!
//! Each netlist edge becomes one stream carrying `items × elements / lanes` beats; the
//! top's `data_in` is boundary input 0 and `data_out` boundary output 0, matching the
//! stream order of `SystemInstance::streams`, so the harness's stall patterns apply.
//! A split system ([`multi_net`]) is every device's net plus one cycle-stepped node per
//! cut (the link ends and the link models of `link`), so the fast engine simulates the
//! devices and their links as one design; cuts crossed by several streams are not
//! simulated here yet (see [`multi_net`]).

use generator::sv::Dir;
use system::netlist::{Endpoint, Netlist};
use system::split::MultiInstance;

use super::{CycleError, End, Net, Node, model_for};

/// Builds the net of `net` for `items` back-to-back items.
pub fn system_net(net: &Netlist, items: usize) -> Result<Net, CycleError> {
    let mut out = Net::default();
    let mut top_in = |_: &str| End::Boundary(0);
    let mut top_out = |_: &str| End::Boundary(0);
    add_netlist(&mut out, net, items, "", &mut top_in, &mut top_out)?;
    Ok(out)
}

/// Builds the net of a split system for `items` items: every device's netlist (stream
/// names prefixed `dev<d>.`), and per cut one node (`link<d>`, a
/// [`super::link_vc::LinkVc`]) whose input `k` is the sending device's `data_out[_k]`
/// and output `k` the receiving device's `data_in[_k]`. Boundary input 0 is the first
/// device's `data_in`, boundary output 0 the last device's `data_out`.
///
/// # Errors
/// A cut crossed by several streams ([`CycleError::MultiStreamCut`]): the stepped link
/// model advances a cycle only once every channel's handshake in it is known, and a
/// channel whose first beat comes late (the main path behind a row-wait) would hold
/// the residual channel's readies back, which its producer (the fork feeding both)
/// needs first; the engine would report a deadlock the hardware does not have.
pub fn multi_net(m: &MultiInstance, items: usize) -> Result<Net, CycleError> {
    if let Some(c) = m.cuts.iter().find(|c| c.is_multiplexed()) {
        return Err(CycleError::MultiStreamCut {
            device: c.from,
            streams: c.streams.len(),
        });
    }
    let mut out = Net::default();
    let n_dev = m.devices.len();
    let base: usize = m.devices.iter().map(|s| s.net.nodes.len()).sum();
    // Streams of each link node's inputs and outputs, by channel.
    let mut link_ins: Vec<Vec<Option<usize>>> =
        m.cuts.iter().map(|c| vec![None; c.streams.len()]).collect();
    let mut link_outs = link_ins.clone();
    let channel = |s: &str, base: &str| -> usize {
        s.strip_prefix(base)
            .and_then(|r| r.strip_prefix('_'))
            .and_then(|r| r.parse().ok())
            .unwrap_or(0)
    };
    for (d, dev) in m.devices.iter().enumerate() {
        let before = out.streams.len();
        let mut top_in = |s: &str| {
            if d == 0 {
                End::Boundary(0)
            } else {
                End::Node {
                    node: base + d - 1,
                    port: channel(s, "data_in"),
                }
            }
        };
        let mut top_out = |s: &str| {
            if d + 1 == n_dev {
                End::Boundary(0)
            } else {
                End::Node {
                    node: base + d,
                    port: channel(s, "data_out"),
                }
            }
        };
        add_netlist(
            &mut out,
            &dev.net,
            items,
            &format!("dev{d}."),
            &mut top_in,
            &mut top_out,
        )?;
        for (i, st) in out.streams.iter().enumerate().skip(before) {
            if let End::Node { node, port } = st.producer
                && node >= base
            {
                link_outs[node - base][port] = Some(i);
            }
            if let End::Node { node, port } = st.consumer
                && node >= base
            {
                link_ins[node - base][port] = Some(i);
            }
        }
    }
    let wire = super::link_vc::Wire {
        word_width: m.link.word_width as u64,
        latency: m.link.latency as usize,
        bits_per_cycle: m.link.bits_per_cycle,
    };
    for (c, cut) in m.cuts.iter().enumerate() {
        let word = cut.channel_width(&m.link);
        let ch = cut
            .streams
            .iter()
            .map(|s| super::link_vc::Channel {
                beat_bits: s.lanes * s.lane_width as usize,
                word_bits: word,
                item_beats: s.item_beats,
                credits: m.link.credits,
            })
            .collect();
        let unconnected = || CycleError::Unconnected {
            node: format!("link{c}"),
        };
        let k = cut.streams.len();
        out.nodes.push(Node {
            name: format!("link{c}"),
            ins: link_ins[c]
                .iter()
                .map(|s| s.ok_or_else(unconnected))
                .collect::<Result<_, _>>()?,
            outs: link_outs[c]
                .iter()
                .map(|s| s.ok_or_else(unconnected))
                .collect::<Result<_, _>>()?,
            model: Box::new(super::stepped::Stepper::new(
                super::link_vc::LinkVc::new(ch, wire),
                k,
                k,
            )),
        });
    }
    Ok(out)
}

/// Adds `net`'s nodes and edges to `out` (node indices offset by the nodes already
/// there); the top's streams get the ends `top_in(stream)` / `top_out(stream)`.
fn add_netlist(
    out: &mut Net,
    net: &Netlist,
    items: usize,
    prefix: &str,
    top_in: &mut dyn FnMut(&str) -> End,
    top_out: &mut dyn FnMut(&str) -> End,
) -> Result<(), CycleError> {
    let off = out.nodes.len();
    let mut ins: Vec<Vec<Option<usize>>> = net
        .nodes
        .iter()
        .map(|n| vec![None; n.streams(Dir::Input).len()])
        .collect();
    let mut outs: Vec<Vec<Option<usize>>> = net
        .nodes
        .iter()
        .map(|n| vec![None; n.streams(Dir::Output).len()])
        .collect();
    let port = |i: usize, dir: Dir, stream: &str| {
        net.nodes[i]
            .streams(dir)
            .iter()
            .position(|s| s.name == stream)
            .unwrap_or(0)
    };
    for e in &net.edges {
        let beats = items * e.elements / e.lanes.max(1);
        let producer = match e.from {
            Endpoint::Node(i) => End::Node {
                node: off + i,
                port: port(i, Dir::Output, &e.from_stream),
            },
            _ => top_in(&e.from_stream),
        };
        let consumer = match e.to {
            Endpoint::Node(i) => End::Node {
                node: off + i,
                port: port(i, Dir::Input, &e.to_stream),
            },
            _ => top_out(&e.to_stream),
        };
        let name = match e.from {
            Endpoint::Node(i) => format!("{prefix}{}.{}", net.nodes[i].name, e.from_stream),
            _ => format!("{prefix}{}", e.from_stream),
        };
        let name = match e.to {
            Endpoint::Node(i) => format!("{name} -> {}.{}", net.nodes[i].name, e.to_stream),
            _ => format!("{name} -> {prefix}{}", e.to_stream),
        };
        let s = out.add_stream(&name, beats, producer, consumer);
        if let Endpoint::Node(i) = e.from {
            outs[i][port(i, Dir::Output, &e.from_stream)] = Some(s);
        }
        if let Endpoint::Node(i) = e.to {
            ins[i][port(i, Dir::Input, &e.to_stream)] = Some(s);
        }
    }
    for (i, n) in net.nodes.iter().enumerate() {
        let unconnected = || CycleError::Unconnected {
            node: n.name.clone(),
        };
        out.nodes.push(Node {
            name: format!("{prefix}{}", n.name),
            ins: ins[i]
                .iter()
                .map(|s| s.ok_or_else(unconnected))
                .collect::<Result<_, _>>()?,
            outs: outs[i]
                .iter()
                .map(|s| s.ok_or_else(unconnected))
                .collect::<Result<_, _>>()?,
            model: model_for(&*n.inst)?,
        });
    }
    Ok(())
}

/// One node's timing in a finished run.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeTiming {
    pub name: String,
    /// First handshake on any input, last on any output (`None`: no beats).
    pub first_in: Option<u64>,
    pub last_out: Option<u64>,
    /// Fractions of the cycles between its first input and last output beat in which its
    /// first output stream moved a beat (busy), had no beat to offer (starved), or
    /// offered one that was not taken (backpressured). A MAC engine (`linear`,
    /// `matmul`) counts its issue cycles as busy and the cycles an issue waited for an
    /// output credit as backpressured instead ([`super::CycleModel::activity`]).
    pub busy: f64,
    pub starved: f64,
    pub backpressured: f64,
    /// True when the shares come from the node's issue cycles (a MAC engine in the fast
    /// engine), false when from its first output stream.
    pub shares_from_issue: bool,
}

/// Timing figures of a finished run of a net.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub items: usize,
    /// First input handshake to first output handshake.
    pub latency_cycles: u64,
    /// First input handshake to last output handshake.
    pub first_in_to_last_out_cycles: u64,
    /// Cycles between the last output beats of the first and last items, per item
    /// (`None` for one item).
    pub cycles_per_item: Option<f64>,
    pub nodes: Vec<NodeTiming>,
}

impl Net {
    /// The timing figures of a finished run with `items` items; the boundary input and
    /// output are the streams with boundary ends.
    pub fn summary(&self, items: usize) -> Summary {
        self.summary_with(items, true)
    }

    /// [`Net::summary`] with every node's shares from its first output stream, the
    /// figures an observer of the streams alone can measure (an RTL simulation through
    /// [`Net::set_observed`]): MAC engines' issue cycles are not used.
    pub fn stream_summary(&self, items: usize) -> Summary {
        self.summary_with(items, false)
    }

    /// Replaces stream `s`'s record by one observed elsewhere: beat `k` offered from
    /// `valid[k]` and taken at `handshakes[k]` (offers past the last handshake are
    /// dropped).
    pub fn set_observed(&mut self, s: usize, mut valid: Vec<u64>, handshakes: Vec<u64>) {
        valid.truncate(handshakes.len());
        let st = &mut self.streams[s];
        st.valid = valid;
        st.hs = handshakes;
        st.ready.clear();
    }

    fn summary_with(&self, items: usize, issue: bool) -> Summary {
        let input = self
            .streams
            .iter()
            .find(|s| matches!(s.producer, End::Boundary(_)));
        let output = self
            .streams
            .iter()
            .find(|s| matches!(s.consumer, End::Boundary(_)));
        let first_in = input.and_then(|s| s.hs.first().copied()).unwrap_or(0);
        let out_hs = output.map_or(&[][..], |s| &s.hs[..]);
        let per_item = out_hs.len() / items.max(1);
        let last_of = |k: usize| out_hs.get((k + 1) * per_item.max(1) - 1).copied();
        let nodes = self
            .nodes
            .iter()
            .map(|n| {
                let first = n
                    .ins
                    .iter()
                    .filter_map(|&s| self.streams[s].hs.first())
                    .min();
                let last = n
                    .outs
                    .iter()
                    .filter_map(|&s| self.streams[s].hs.last())
                    .max();
                let (mut busy, mut starved, mut bp) = (0.0, 0.0, 0.0);
                let activity = if issue { n.model.activity() } else { None };
                if let (Some(&s), Some(&f), Some(&o)) = (first, last, n.outs.first()) {
                    let st = &self.streams[o];
                    let span = (f + 1 - s) as f64;
                    match activity {
                        Some(a) => {
                            busy = a.busy as f64 / span;
                            bp = a.backpressured as f64 / span;
                        }
                        None => {
                            let beats = st.hs.len() as f64;
                            let waiting: u64 =
                                st.valid.iter().zip(&st.hs).map(|(v, h)| h - v).sum();
                            busy = beats / span;
                            bp = waiting as f64 / span;
                        }
                    }
                    starved = (1.0 - busy - bp).max(0.0);
                }
                NodeTiming {
                    name: n.name.clone(),
                    first_in: first.copied(),
                    last_out: last.copied(),
                    busy,
                    starved,
                    backpressured: bp,
                    shares_from_issue: activity.is_some(),
                }
            })
            .collect();
        Summary {
            items,
            latency_cycles: out_hs.first().map_or(0, |c| c - first_in),
            first_in_to_last_out_cycles: out_hs.last().map_or(0, |c| c - first_in),
            cycles_per_item: (items >= 2)
                .then(|| last_of(items - 1).zip(last_of(0)))
                .flatten()
                .map(|(b, a)| (b - a) as f64 / (items - 1) as f64),
            nodes,
        }
    }
}

/// One FIFO node's occupancy in a finished run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FifoPeak {
    pub name: String,
    /// Its capacity in beats (`DEPTH` entries plus the output register).
    pub depth: usize,
    /// Beats accepted minus beats emitted, at its worst cycle (a beat taken in and out
    /// in one cycle counts as held).
    pub peak: usize,
    /// Its index in the netlist (and the net).
    pub node: usize,
}

/// The occupancy peak of every reconvergent FIFO the netlist builder inserted
/// ([`Netlist::fifos`]) in the finished run `run` (built by [`system_net`] from the same
/// netlist), in netlist order.
pub fn fifo_peaks(netlist: &Netlist, run: &Net) -> Vec<FifoPeak> {
    fifo_peaks_at(netlist, run, 0)
}

/// [`fifo_peaks`] of a netlist whose nodes are `run`'s nodes from `base` on (one device
/// of a [`multi_net`]).
pub fn fifo_peaks_at(netlist: &Netlist, run: &Net, base: usize) -> Vec<FifoPeak> {
    let mut v = Vec::new();
    for (i, node) in netlist.nodes.iter().enumerate() {
        let i = base + i;
        let instance = format!("u_{}", node.name);
        if !netlist.fifos.iter().any(|(f, _, _)| *f == instance) {
            continue;
        }
        let n = &run.nodes[i];
        let (a, e) = (&run.streams[n.ins[0]].hs, &run.streams[n.outs[0]].hs);
        let (mut j, mut peak) = (0, 0);
        for (k, &c) in a.iter().enumerate() {
            while j < e.len() && e[j] < c {
                j += 1;
            }
            peak = peak.max(k + 1 - j);
        }
        v.push(FifoPeak {
            name: node.name.clone(),
            depth: node.inst.params().get_usize("DEPTH") + 1,
            peak,
            node: i,
        });
    }
    v
}
