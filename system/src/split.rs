//! A system cut into devices: the netlist of the whole model split along a
//! [`Partition`] into one sub-netlist per device, each wrapped in a device top
//! (`mh_dev<i>`) with a `mh_link_rx` on its upstream side and a `mh_link_tx` on its
//! downstream side, and the devices chained through simulation link models into one
//! [`MultiInstance`] that simulates like a single system.
//!
//! Every netlist node goes to the device of the model node it implements (`source`);
//! a fork whose consumers all sit on a later device moves there, so a layer's input
//! crosses a cut once, not once per branch. Each cut between devices `d` and `d + 1`
//! carries every stream live there over ONE link: one stream (after a LayerNorm) gets
//! a `mh_link_tx`/`mh_link_rx` pair; several (a cut inside a residual block: the main
//! path and the residual skip; inside attention up to four) get one pair per stream,
//! each with its own receive buffer and credits (a virtual channel), joined by an
//! `mh_link_mux` on the sending device and an `mh_link_demux` on the receiving one,
//! and the credits return the same way (the `link_vc` component is exactly this, co-
//! simulated on its own). A device's partition then has extra boundary streams
//! `data_in_<k>` / `data_out_<k>` besides `data_in` / `data_out`. One pool of credits
//! shared by the streams would deadlock a reconvergent join on the receiving device
//! (the skip stream, read late, takes every credit while the join waits for the main
//! path); the argument is in docs/components.md (`link_vc`). A partition that skips a
//! device (a stream from device `d` to `d + 2`) is refused with the stream named.
//!
//! The device tops are what `fpga/<device>/top.sv` holds; the link model stands in
//! for the Aurora 64B/66B core and cable in simulation only.

use std::collections::BTreeMap;

use generator::component::{Behaviour, MemDef, StreamDef, TensorDef, Timing};
use generator::params::{ParamSpec, Params};
use generator::sv::{Dir, SvInstance, SvModule, SvPort, SvValue, SvWire};
use generator::tensor::Beat;
use generator::{Component, GenError, Instance, TensorMap};

use crate::netlist::{Edge, Endpoint, NetNode, Netlist};
use crate::plan::Partition;
use crate::{SystemError, SystemInstance};

/// The link between two devices, as both the RTL and the cycle simulator model it.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LinkParams {
    /// Link word width, bits (Aurora 64B/66B: 64 per lane).
    pub word_width: usize,
    /// One-way latency, kernel-clock cycles.
    pub latency: u64,
    /// Payload bandwidth, bits per kernel-clock cycle (≤ `word_width`).
    pub bits_per_cycle: u64,
    /// Receiver buffer, words (the sender's credits).
    pub credits: u64,
}

impl Default for LinkParams {
    /// One 25.78125 Gb/s Aurora lane (64 payload bits per 402.8 MHz `user_clk`
    /// cycle, ≈ 103 bits per 250 MHz kernel cycle, so a full 64-bit word per kernel
    /// cycle), ≈ 55 `user_clk` cycles of core latency plus a few metres of cable:
    /// 64 kernel cycles; credits for full rate over that round trip.
    fn default() -> Self {
        let latency = 64;
        LinkParams {
            word_width: 64,
            latency,
            bits_per_cycle: 64,
            credits: generator::components::link::credits_for_full_rate(latency),
        }
    }
}

/// One stream crossing a cut.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CutStream {
    /// The model node whose output crosses.
    pub tensor: String,
    pub lanes: usize,
    pub lane_width: u32,
    /// Beats per item (one model input) and link words per item.
    pub item_beats: usize,
    pub item_words: usize,
}

/// One cut: the streams leaving device `from` for device `from + 1`, over one link.
/// Stream `k` leaves the sending device's partition as `data_out` (`k = 0`) or
/// `data_out_<k>` and enters the receiving one's as `data_in` / `data_in_<k>`; with
/// several streams each is a virtual channel of an `mh_link_mux`/`mh_link_demux` pair
/// (channel `k`, its own credits), as `link_vc` builds it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Cut {
    pub from: usize,
    pub streams: Vec<CutStream>,
}

impl Cut {
    /// Several streams share the link through a multiplexer.
    pub fn is_multiplexed(&self) -> bool {
        self.streams.len() > 1
    }
    /// Link words per item over all streams.
    pub fn item_words(&self) -> usize {
        self.streams.iter().map(|c| c.item_words).sum()
    }
    /// The word width each stream's link ends use: the link's, less the channel tag.
    pub fn channel_width(&self, link: &LinkParams) -> usize {
        if self.is_multiplexed() {
            link.word_width - generator::components::link_vc::tag_width(self.streams.len())
        } else {
            link.word_width
        }
    }
}

/// A system split into devices.
pub struct MultiInstance {
    pub name: String,
    pub devices: Vec<SystemInstance>,
    pub boards: Vec<String>,
    pub cuts: Vec<Cut>,
    pub link: LinkParams,
    params: Params,
}

/// Registry-less component of split systems (for caches keyed by component name).
pub struct MultiSystem;

const PARAMS: &[ParamSpec] = &[ParamSpec::int(
    "FINGERPRINT",
    0,
    (1 << 48) - 1,
    0,
    "48-bit FNV-1a of the generated device tops",
)];

impl Component for MultiSystem {
    fn name(&self) -> &'static str {
        "multi_system"
    }
    fn summary(&self) -> &'static str {
        "a model split over several devices joined by links (mase-hw gen --devices)"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn elaborate(&self, _: &Params) -> Result<Box<dyn Instance>, GenError> {
        Err(GenError::bad_param(
            "multi_system",
            "model",
            "",
            "a split system is generated from a model (mase-hw gen --devices)",
        ))
    }
    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        Vec::new()
    }
    fn random(&self, _: &mut generator::rng::Rng) -> Vec<(&'static str, i64)> {
        Vec::new()
    }
}

fn split_error(model: &str, rule: String) -> SystemError {
    SystemError::Model {
        model: model.to_string(),
        rule,
    }
}

/// Splits `net` along `partition` (see the module docs).
///
/// # Errors
/// A partition that does not cover the model's nodes in order, leaves a device empty,
/// or feeds a stream past the next device; link parameters out of range (too few
/// credits for a beat, a word too narrow for the channel tag).
pub fn split(
    net: Netlist,
    partition: &Partition,
    link: LinkParams,
) -> Result<MultiInstance, SystemError> {
    let model = net.name.clone();
    let n_dev = partition.devices.len();
    if n_dev == 0 {
        return Err(split_error(&model, "partition: no devices".into()));
    }
    if link.bits_per_cycle == 0 || link.bits_per_cycle > link.word_width as u64 || link.latency == 0
    {
        return Err(split_error(
            &model,
            format!(
                "link: latency {} and bits per cycle {} must be ≥ 1, bits per cycle ≤ word width {}",
                link.latency, link.bits_per_cycle, link.word_width
            ),
        ));
    }
    let mut device_of: BTreeMap<&str, usize> = BTreeMap::new();
    for (d, part) in partition.devices.iter().enumerate() {
        for n in &part.nodes {
            if device_of.insert(n.as_str(), d).is_some() {
                return Err(split_error(
                    &model,
                    format!("partition: node `{n}` is on two devices"),
                ));
            }
        }
    }
    // Device of every netlist node: its model node's, else its predecessor's.
    let mut dev: Vec<usize> = Vec::with_capacity(net.nodes.len());
    for n in &net.nodes {
        let d = match device_of.get(n.source.as_str()) {
            Some(&d) => d,
            None => dev.last().copied().unwrap_or(0),
        };
        if dev.last().is_some_and(|&p| d < p) {
            return Err(split_error(
                &model,
                format!(
                    "partition: node `{}` comes before a node of an earlier device (devices must take contiguous runs in topological order)",
                    n.source
                ),
            ));
        }
        dev.push(d);
    }
    let at = |e: Endpoint, dev: &[usize]| match e {
        Endpoint::TopIn => 0,
        Endpoint::TopOut => n_dev - 1,
        Endpoint::Node(i) => dev[i],
    };
    // Fan-outs (nodes that move bits to several outputs: the inserted forks) follow
    // their consumers when those all sit on one later device.
    for (i, n) in net.nodes.iter().enumerate() {
        let outputs = n
            .inst
            .streams()
            .iter()
            .filter(|s| s.direction == Dir::Output)
            .count();
        let fan_out = n.inst.behaviour().moves_bits && outputs > 1;
        if !fan_out {
            continue;
        }
        let outs: Vec<usize> = net
            .edges
            .iter()
            .filter(|e| e.from == Endpoint::Node(i))
            .map(|e| at(e.to, &dev))
            .collect();
        if let Some(&first) = outs.first()
            && outs.iter().all(|&d| d == first)
            && first > dev[i]
        {
            dev[i] = first;
        }
    }
    for (d, part) in partition.devices.iter().enumerate() {
        if !dev.contains(&d) {
            return Err(split_error(
                &model,
                format!(
                    "partition: device {d} ({}) has no component",
                    part.nodes.first().map_or("no nodes", |s| s.as_str())
                ),
            ));
        }
    }
    // Classify edges.
    let mut crossing: Vec<Vec<&Edge>> = vec![Vec::new(); n_dev.saturating_sub(1)];
    for e in &net.edges {
        let (a, b) = (at(e.from, &dev), at(e.to, &dev));
        if b == a {
            continue;
        }
        if b != a + 1 {
            return Err(split_error(
                &model,
                format!(
                    "partition: stream into `{}` goes from device {a} to device {b} (a cut may only feed the next device)",
                    name_of(&net, e.to)
                ),
            ));
        }
        crossing[a].push(e);
    }
    let mut cuts = Vec::new();
    for (a, c) in crossing.iter().enumerate() {
        if c.is_empty() {
            return Err(split_error(
                &model,
                format!(
                    "partition: no stream crosses the cut between devices {a} and {}",
                    a + 1
                ),
            ));
        }
        let mut cut = Cut {
            from: a,
            streams: Vec::new(),
        };
        let tag = generator::components::link_vc::tag_width(c.len());
        let word = if c.len() > 1 {
            link.word_width.checked_sub(tag).filter(|&w| w >= 8)
        } else {
            Some(link.word_width)
        };
        let Some(word) = word else {
            return Err(split_error(
                &model,
                format!(
                    "link: word width {} leaves fewer than 8 bits per word for the {} streams of the cut after device {a} (a {tag}-bit channel tag)",
                    link.word_width,
                    c.len()
                ),
            ));
        };
        for e in c {
            let item_beats = e.elements / e.lanes.max(1);
            let bits = e.lanes * e.format.width() as usize;
            cut.streams.push(CutStream {
                tensor: name_of(&net, e.from),
                lanes: e.lanes,
                lane_width: e.format.width(),
                item_beats,
                item_words: golden::link::words_per_item(bits, word, item_beats),
            });
            let (_, split) = golden::link::pack_split(bits, word);
            if (link.credits as usize) < split.max(3) {
                return Err(split_error(
                    &model,
                    format!(
                        "link: {} credits cannot hold the {split} words of one beat of `{}`",
                        link.credits,
                        name_of(&net, e.from)
                    ),
                ));
            }
        }
        cuts.push(cut);
    }
    // Build the sub-netlists.
    let mut index = vec![0usize; net.nodes.len()];
    let mut counts = vec![0usize; n_dev];
    for (i, &d) in dev.iter().enumerate() {
        index[i] = counts[d];
        counts[d] += 1;
    }
    let shape_of = |e: &Edge| vec![e.elements / e.row.max(1), e.row];
    let mut subs: Vec<Netlist> = (0..n_dev)
        .map(|d| Netlist {
            name: format!("{}_dev{d}", net.name),
            input_name: if d == 0 {
                net.input_name.clone()
            } else {
                cuts[d - 1].streams[0].tensor.clone()
            },
            output_name: if d + 1 == n_dev {
                net.output_name.clone()
            } else {
                cuts[d].streams[0].tensor.clone()
            },
            input_shape: if d == 0 {
                net.input_shape.clone()
            } else {
                shape_of(crossing[d - 1][0])
            },
            output_shape: if d + 1 == n_dev {
                net.output_shape.clone()
            } else {
                shape_of(crossing[d][0])
            },
            nodes: Vec::new(),
            edges: Vec::new(),
            fifos: Vec::new(),
        })
        .collect();
    let local = |e: Endpoint| match e {
        Endpoint::Node(i) => Endpoint::Node(index[i]),
        other => other,
    };
    for e in &net.edges {
        let (a, b) = (at(e.from, &dev), at(e.to, &dev));
        if a == b {
            subs[a].edges.push(Edge {
                from: local(e.from),
                to: local(e.to),
                ..e.clone()
            });
        } else {
            let k = crossing[a]
                .iter()
                .position(|c| std::ptr::eq(*c, e))
                .unwrap_or(0);
            let suffix = if k == 0 {
                String::new()
            } else {
                format!("_{k}")
            };
            subs[a].edges.push(Edge {
                from: local(e.from),
                to: Endpoint::TopOut,
                to_stream: format!("data_out{suffix}"),
                ..e.clone()
            });
            subs[b].edges.push(Edge {
                from: Endpoint::TopIn,
                from_stream: format!("data_in{suffix}"),
                to: local(e.to),
                ..e.clone()
            });
        }
    }
    let Netlist { nodes, fifos, .. } = net;
    let mut where_: BTreeMap<String, usize> = BTreeMap::new();
    for (n, &d) in nodes.into_iter().zip(&dev) {
        where_.insert(format!("u_{}", n.name), d);
        let n: NetNode = n;
        subs[d].nodes.push(n);
    }
    for f in fifos {
        if let Some(&d) = where_.get(&f.0) {
            subs[d].fifos.push(f);
        }
    }
    let devices: Vec<SystemInstance> = subs.into_iter().map(SystemInstance::new).collect();
    let mut m = MultiInstance {
        name: model,
        devices,
        boards: partition.devices.iter().map(|p| p.board.clone()).collect(),
        cuts,
        link,
        params: Params::defaults(PARAMS),
    };
    let text: String = m.generated("").iter().map(SvModule::print).collect();
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    if let Ok(p) = Params::with(
        "multi_system",
        PARAMS,
        &[("FINGERPRINT", (hash & ((1 << 48) - 1)) as i64)],
    ) {
        m.params = p;
    }
    Ok(m)
}

fn name_of(net: &Netlist, e: Endpoint) -> String {
    match e {
        Endpoint::TopIn => net.input_name.clone(),
        Endpoint::TopOut => net.output_name.clone(),
        Endpoint::Node(i) => net.nodes[i].source.clone(),
    }
}

fn port(name: &str, dir: Dir, width: u32) -> SvPort {
    SvPort {
        name: name.to_string(),
        dir,
        width,
    }
}

/// The three signals of a valid/ready stream port (`ready` opposite to `dir`).
fn stream_ports(m: &mut SvModule, name: &str, dir: Dir, width: u32, with_ready: bool) {
    m.ports.push(port(name, dir, width));
    m.ports.push(port(&format!("{name}_valid"), dir, 1));
    if with_ready {
        let back = if dir == Dir::Input {
            Dir::Output
        } else {
            Dir::Input
        };
        m.ports.push(port(&format!("{name}_ready"), back, 1));
    }
}

impl MultiInstance {
    /// Name of device `d`'s top module.
    pub fn device_top(d: usize) -> String {
        format!("mh_dev{d}")
    }
    /// Name of device `d`'s partition module (the stitched nodes, no links).
    pub fn part_top(d: usize) -> String {
        format!("mh_dev{d}_part")
    }

    fn link_params(&self, cut: &CutStream, word_width: usize) -> Vec<(String, SvValue)> {
        vec![
            (
                "DATA_WIDTH".into(),
                SvValue::Int((cut.lanes * cut.lane_width as usize) as i64),
            ),
            ("WORD_WIDTH".into(), SvValue::Int(word_width as i64)),
            ("ITEM_BEATS".into(), SvValue::Int(cut.item_beats as i64)),
            ("CREDITS".into(), SvValue::Int(self.link.credits as i64)),
        ]
    }

    /// Device `d`'s top: its partition, a `mh_link_rx` from the previous device and a
    /// `mh_link_tx` to the next (host streams `data_in`/`data_out` at the ends).
    pub fn device_module(&self, d: usize) -> SvModule {
        let n = self.devices.len();
        let w = self.link.word_width as u32;
        let part = &self.devices[d];
        let streams = part.streams();
        let (si, so) = (&streams[0], &streams[1]);
        let mut m = SvModule {
            name: Self::device_top(d),
            doc: vec![
                format!(
                    "{}: device {d} of {n} of model `{}` (board {}); generated by mase-hw.",
                    Self::device_top(d),
                    self.name,
                    self.boards[d]
                ),
                if d == 0 {
                    "data_in: the model input from the host.".to_string()
                } else {
                    format!(
                        "up_*: the link from device {}: data words in (no ready), credit words back.",
                        d - 1
                    )
                },
                if d + 1 == n {
                    "data_out: the model output to the host.".to_string()
                } else {
                    format!(
                        "down_*: the link to device {}: data words out, credit words in (no ready).",
                        d + 1
                    )
                },
            ],
            ..SvModule::default()
        };
        m.ports.push(port("clk", Dir::Input, 1));
        m.ports.push(port("rst", Dir::Input, 1));
        if d == 0 {
            stream_ports(&mut m, "data_in", Dir::Input, si.data_width(), true);
        } else {
            stream_ports(&mut m, "up_data", Dir::Input, w, false);
            stream_ports(&mut m, "up_credit", Dir::Output, w, true);
        }
        if d + 1 == n {
            stream_ports(&mut m, "data_out", Dir::Output, so.data_width(), true);
        } else {
            stream_ports(&mut m, "down_data", Dir::Output, w, true);
            stream_ports(&mut m, "down_credit", Dir::Input, w, false);
        }
        let clk = || {
            vec![
                ("clk".to_string(), "clk".to_string()),
                ("rst".to_string(), "rst".to_string()),
            ]
        };
        // The partition's streams on wires `part_<port>`.
        let mut conns = clk();
        for st in &streams {
            let wire = format!("part_{}", st.name);
            m.wires.push(SvWire::bits(wire.clone(), st.data_width()));
            m.wires.push(SvWire::bits(format!("{wire}_valid"), 1));
            m.wires.push(SvWire::bits(format!("{wire}_ready"), 1));
            for suffix in ["", "_valid", "_ready"] {
                conns.push((format!("{}{suffix}", st.name), format!("{wire}{suffix}")));
            }
        }
        if d == 0 {
            let pin = "part_data_in";
            m.assigns.push((pin.into(), "data_in".into()));
            m.assigns
                .push((format!("{pin}_valid"), "data_in_valid".into()));
            m.assigns
                .push(("data_in_ready".into(), format!("{pin}_ready")));
        } else {
            self.receiving_end(&mut m, &self.cuts[d - 1]);
        }
        m.instances.push(SvInstance {
            module: Self::part_top(d),
            name: "u_part".into(),
            params: Vec::new(),
            conns,
        });
        if d + 1 == n {
            let pout = "part_data_out";
            m.assigns.push(("data_out".into(), pout.into()));
            m.assigns
                .push(("data_out_valid".into(), format!("{pout}_valid")));
            m.assigns
                .push((format!("{pout}_ready"), "data_out_ready".into()));
        } else {
            self.sending_end(&mut m, &self.cuts[d]);
        }
        m
    }

    /// Stream `k` of a cut: the partition port it leaves or enters by.
    fn channel_port(base: &str, k: usize) -> String {
        if k == 0 {
            base.to_string()
        } else {
            format!("{base}_{k}")
        }
    }

    /// `mh_link_mux`/`mh_link_demux` parameters for `cut`.
    fn vc_params(&self, cut: &Cut) -> Vec<(String, SvValue)> {
        vec![
            ("CHANNELS".into(), SvValue::Int(cut.streams.len() as i64)),
            (
                "WORD_WIDTH".into(),
                SvValue::Int(self.link.word_width as i64),
            ),
        ]
    }

    /// The link ends receiving `cut` (from `up_data`, credits to `up_credit`) into the
    /// partition's input wires: one `mh_link_rx`, or one per stream between an
    /// `mh_link_demux` (data) and an `mh_link_mux` (credits).
    fn receiving_end(&self, m: &mut SvModule, cut: &Cut) {
        let clk = || {
            vec![
                ("clk".to_string(), "clk".to_string()),
                ("rst".to_string(), "rst".to_string()),
            ]
        };
        let k_n = cut.streams.len();
        let cw = cut.channel_width(&self.link) as u32;
        let multi = cut.is_multiplexed();
        if multi {
            for (w, width) in [
                ("rx_word", k_n as u32 * cw),
                ("rx_valid", k_n as u32),
                ("rx_credit", k_n as u32 * cw),
                ("rx_credit_valid", k_n as u32),
                ("rx_credit_ready", k_n as u32),
            ] {
                m.wires.push(SvWire::bits(w, width));
            }
            let mut conns = vec![
                ("data_in".to_string(), "up_data".to_string()),
                ("data_in_valid".into(), "up_data_valid".into()),
                ("data_out".into(), "rx_word".into()),
                ("data_out_valid".into(), "rx_valid".into()),
            ];
            m.instances.push(SvInstance {
                module: "mh_link_demux".into(),
                name: "u_link_demux".into(),
                params: self.vc_params(cut),
                conns: std::mem::take(&mut conns),
            });
            let mut conns = clk();
            conns.extend([
                ("data_in".to_string(), "rx_credit".to_string()),
                ("data_in_valid".into(), "rx_credit_valid".into()),
                ("data_in_ready".into(), "rx_credit_ready".into()),
                ("data_out".into(), "up_credit".into()),
                ("data_out_valid".into(), "up_credit_valid".into()),
                ("data_out_ready".into(), "up_credit_ready".into()),
            ]);
            m.instances.push(SvInstance {
                module: "mh_link_mux".into(),
                name: "u_credit_mux".into(),
                params: self.vc_params(cut),
                conns,
            });
        }
        for (k, st) in cut.streams.iter().enumerate() {
            let pin = format!("part_{}", Self::channel_port("data_in", k));
            let slice = |w: &str| format!("{w}[{}:{}]", (k as u32 + 1) * cw - 1, k as u32 * cw);
            let (link_in, link_valid, credit, credit_valid, credit_ready) = if multi {
                (
                    slice("rx_word"),
                    format!("rx_valid[{k}]"),
                    slice("rx_credit"),
                    format!("rx_credit_valid[{k}]"),
                    format!("rx_credit_ready[{k}]"),
                )
            } else {
                (
                    "up_data".into(),
                    "up_data_valid".into(),
                    "up_credit".into(),
                    "up_credit_valid".into(),
                    "up_credit_ready".into(),
                )
            };
            let mut conns = clk();
            conns.extend([
                ("link_in".into(), link_in),
                ("link_in_valid".into(), link_valid),
                ("data_out".into(), pin.clone()),
                ("data_out_valid".into(), format!("{pin}_valid")),
                ("data_out_ready".into(), format!("{pin}_ready")),
                ("credit_out".into(), credit),
                ("credit_out_valid".into(), credit_valid),
                ("credit_out_ready".into(), credit_ready),
            ]);
            m.instances.push(SvInstance {
                module: "mh_link_rx".into(),
                name: if multi {
                    format!("u_link_rx_{k}")
                } else {
                    "u_link_rx".into()
                },
                params: self.link_params(st, cw as usize),
                conns,
            });
        }
    }

    /// The link ends sending `cut` from the partition's output wires (to `down_data`,
    /// credits from `down_credit`): one `mh_link_tx`, or one per stream between an
    /// `mh_link_mux` (data) and an `mh_link_demux` (credits).
    fn sending_end(&self, m: &mut SvModule, cut: &Cut) {
        let clk = || {
            vec![
                ("clk".to_string(), "clk".to_string()),
                ("rst".to_string(), "rst".to_string()),
            ]
        };
        let k_n = cut.streams.len();
        let cw = cut.channel_width(&self.link) as u32;
        let multi = cut.is_multiplexed();
        if multi {
            for (w, width) in [
                ("tx_word", k_n as u32 * cw),
                ("tx_valid", k_n as u32),
                ("tx_ready", k_n as u32),
                ("tx_credit", k_n as u32 * cw),
                ("tx_credit_valid", k_n as u32),
            ] {
                m.wires.push(SvWire::bits(w, width));
            }
            let mut conns = clk();
            conns.extend([
                ("data_in".to_string(), "tx_word".to_string()),
                ("data_in_valid".into(), "tx_valid".into()),
                ("data_in_ready".into(), "tx_ready".into()),
                ("data_out".into(), "down_data".into()),
                ("data_out_valid".into(), "down_data_valid".into()),
                ("data_out_ready".into(), "down_data_ready".into()),
            ]);
            m.instances.push(SvInstance {
                module: "mh_link_mux".into(),
                name: "u_link_mux".into(),
                params: self.vc_params(cut),
                conns,
            });
            m.instances.push(SvInstance {
                module: "mh_link_demux".into(),
                name: "u_credit_demux".into(),
                params: self.vc_params(cut),
                conns: vec![
                    ("data_in".to_string(), "down_credit".to_string()),
                    ("data_in_valid".into(), "down_credit_valid".into()),
                    ("data_out".into(), "tx_credit".into()),
                    ("data_out_valid".into(), "tx_credit_valid".into()),
                ],
            });
        }
        for (k, st) in cut.streams.iter().enumerate() {
            let pout = format!("part_{}", Self::channel_port("data_out", k));
            let slice = |w: &str| format!("{w}[{}:{}]", (k as u32 + 1) * cw - 1, k as u32 * cw);
            let (link_out, link_valid, link_ready, credit, credit_valid) = if multi {
                (
                    slice("tx_word"),
                    format!("tx_valid[{k}]"),
                    format!("tx_ready[{k}]"),
                    slice("tx_credit"),
                    format!("tx_credit_valid[{k}]"),
                )
            } else {
                (
                    "down_data".into(),
                    "down_data_valid".into(),
                    "down_data_ready".into(),
                    "down_credit".into(),
                    "down_credit_valid".into(),
                )
            };
            let mut conns = clk();
            conns.extend([
                ("data_in".into(), pout.clone()),
                ("data_in_valid".into(), format!("{pout}_valid")),
                ("data_in_ready".into(), format!("{pout}_ready")),
                ("link_out".into(), link_out),
                ("link_out_valid".into(), link_valid),
                ("link_out_ready".into(), link_ready),
                ("credit_in".into(), credit),
                ("credit_in_valid".into(), credit_valid),
            ]);
            m.instances.push(SvInstance {
                module: "mh_link_tx".into(),
                name: if multi {
                    format!("u_link_tx_{k}")
                } else {
                    "u_link_tx".into()
                },
                params: self.link_params(st, cw as usize),
                conns,
            });
        }
    }

    /// Library modules one device needs (its partition's, plus the link ends).
    pub fn device_library(&self, d: usize) -> Vec<&'static str> {
        let mut v = self.devices[d].library();
        let muxed = [d.checked_sub(1), Some(d)]
            .into_iter()
            .flatten()
            .filter_map(|c| self.cuts.get(c))
            .any(Cut::is_multiplexed);
        if muxed {
            v.insert(0, "mh_link_demux");
            v.insert(0, "mh_link_mux");
        }
        for m in ["mh_fifo", "mh_link_tx", "mh_link_rx"] {
            if !v.contains(&m) {
                v.insert(0, m);
            }
        }
        v
    }

    fn device_of_rom(&self, tensor: &str) -> Option<&SystemInstance> {
        self.devices
            .iter()
            .find(|s| s.memories().iter().any(|m| m.tensor == tensor))
    }

    /// ROM tensors of every device by global name (as [`SystemInstance::rom_tensors`]).
    pub fn rom_tensors(&self) -> TensorMap {
        self.devices.iter().flat_map(|s| s.rom_tensors()).collect()
    }
}

impl Instance for MultiInstance {
    fn component(&self) -> &'static dyn Component {
        &MultiSystem
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_multi"
    }
    fn library(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = vec!["mh_fifo", "mh_link_tx", "mh_link_rx", "mh_link_model"];
        if self.cuts.iter().any(Cut::is_multiplexed) {
            v.extend(["mh_link_mux", "mh_link_demux"]);
        }
        for s in &self.devices {
            for m in s.library() {
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
        let first = self.devices[0].streams();
        let last = self.devices[self.devices.len() - 1].streams();
        vec![first[0].clone(), last[1].clone()]
    }
    fn memories(&self) -> Vec<MemDef> {
        self.devices.iter().flat_map(|s| s.memories()).collect()
    }
    fn tensors(&self) -> Vec<TensorDef> {
        let first = self.devices[0].tensors();
        let last = self.devices[self.devices.len() - 1].tensors();
        let mut v = vec![first[0].clone(), last[1].clone()];
        for s in &self.devices {
            // ROM tensors (`<instance>.<tensor>`), not a device's boundary streams.
            v.extend(
                s.tensors()
                    .into_iter()
                    .skip(2)
                    .filter(|t| t.name.contains('.')),
            );
        }
        v
    }
    /// The first device's declaration: the links only move words.
    fn behaviour(&self) -> Behaviour {
        self.devices[0].behaviour()
    }
    fn timing(&self) -> Timing {
        // First beat: each device's latency plus each link's (words on the way, the
        // model's delay, the receiver's FIFO and unpacking).
        let lat: u64 = self.devices.iter().map(|s| s.timing().latency).sum::<u64>()
            + self.cuts.len() as u64 * (self.link.latency + 4);
        let per_word = (self.link.word_width as f64 / self.link.bits_per_cycle as f64).max(
            generator::components::link::credit_round_trip(self.link.latency) as f64
                / self.link.credits as f64,
        );
        let link_cycles = self
            .cuts
            .iter()
            .map(|c| (c.item_words() as f64 * per_word).ceil() as u64)
            .max()
            .unwrap_or(0);
        let item = self
            .devices
            .iter()
            .map(|s| s.item_interval())
            .max()
            .unwrap_or(1)
            .max(link_cycles);
        let out = &self.streams()[1];
        let last = &self.devices[self.devices.len() - 1];
        let e = last.net.output_edge();
        let beats = (e.elements / out.lanes.max(1)).max(1) as u64;
        Timing {
            latency: lat,
            initiation_interval: item.div_ceil(beats),
            ii_stream: "data_out".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        let mut r = BTreeMap::new();
        for s in &self.devices {
            for (k, v) in s.resources() {
                *r.entry(k).or_insert(0) += v;
            }
        }
        r
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let x =
            generator::tensor::require(inputs, "multi_system", "data_in", "input items")?.clone();
        // Every device's outputs `data_out[_k]` are the next one's `data_in[_k]`.
        let mut m = TensorMap::from([("data_in".to_string(), x)]);
        for s in &self.devices {
            let out = s.golden(&std::mem::take(&mut m))?;
            for (k, t) in out {
                if let Some(rest) = k.strip_prefix("data_out") {
                    m.insert(format!("data_in{rest}"), t);
                }
            }
        }
        let y = m.remove("data_in").ok_or_else(|| GenError::MissingTensor {
            component: "multi_system".into(),
            tensor: "data_out".into(),
            what: "device output".into(),
        })?;
        Ok(TensorMap::from([("data_out".to_string(), y)]))
    }
    fn memory_words(&self, mem: &MemDef, tensors: &TensorMap) -> Result<Vec<Beat>, GenError> {
        match self.device_of_rom(&mem.tensor) {
            Some(s) => s.memory_words(mem, tensors),
            None => Err(GenError::bad_tensor(
                "multi_system",
                &mem.tensor,
                "no device has this ROM",
            )),
        }
    }
    fn generated(&self, mem_dir: &str) -> Vec<SvModule> {
        let mut v = Vec::new();
        for (d, s) in self.devices.iter().enumerate() {
            v.push(s.top(&Self::part_top(d), mem_dir));
            v.push(self.device_module(d));
        }
        v
    }
    fn top(&self, top: &str, _mem_dir: &str) -> SvModule {
        let n = self.devices.len();
        let streams = self.streams();
        let mut m = SvModule {
            name: top.to_string(),
            doc: vec![
                format!("{top}: model `{}` on {n} devices joined by simulation link models (latency {} cycles, {} bits per cycle, {} credits); generated by mase-hw.", self.name, self.link.latency, self.link.bits_per_cycle, self.link.credits),
                "Simulation only: in hardware each link model is an Aurora 64B/66B core and a cable.".into(),
            ],
            ..SvModule::default()
        };
        m.ports.push(port("clk", Dir::Input, 1));
        m.ports.push(port("rst", Dir::Input, 1));
        stream_ports(&mut m, "data_in", Dir::Input, streams[0].data_width(), true);
        stream_ports(
            &mut m,
            "data_out",
            Dir::Output,
            streams[1].data_width(),
            true,
        );
        let w = self.link.word_width as u32;
        let clk = || {
            vec![
                ("clk".to_string(), "clk".to_string()),
                ("rst".to_string(), "rst".to_string()),
            ]
        };
        for k in 0..self.cuts.len() {
            for (s, ready) in [
                ("data", true),
                ("data_rx", false),
                ("credit", true),
                ("credit_rx", false),
            ] {
                let name = format!("link{k}_{s}");
                m.wires.push(SvWire::bits(name.clone(), w));
                m.wires.push(SvWire::bits(format!("{name}_valid"), 1));
                if ready {
                    m.wires.push(SvWire::bits(format!("{name}_ready"), 1));
                }
            }
        }
        for d in 0..n {
            let mut conns = clk();
            if d == 0 {
                for s in ["data_in", "data_in_valid", "data_in_ready"] {
                    conns.push((s.into(), s.into()));
                }
            } else {
                let k = d - 1;
                conns.push(("up_data".into(), format!("link{k}_data_rx")));
                conns.push(("up_data_valid".into(), format!("link{k}_data_rx_valid")));
                for suffix in ["", "_valid", "_ready"] {
                    conns.push((
                        format!("up_credit{suffix}"),
                        format!("link{k}_credit{suffix}"),
                    ));
                }
            }
            if d + 1 == n {
                for s in ["data_out", "data_out_valid", "data_out_ready"] {
                    conns.push((s.into(), s.into()));
                }
            } else {
                for suffix in ["", "_valid", "_ready"] {
                    conns.push((
                        format!("down_data{suffix}"),
                        format!("link{d}_data{suffix}"),
                    ));
                }
                conns.push(("down_credit".into(), format!("link{d}_credit_rx")));
                conns.push((
                    "down_credit_valid".into(),
                    format!("link{d}_credit_rx_valid"),
                ));
            }
            m.instances.push(SvInstance {
                module: Self::device_top(d),
                name: format!("u_dev{d}"),
                params: Vec::new(),
                conns,
            });
        }
        let lp = vec![
            (
                "WORD_WIDTH".to_string(),
                SvValue::Int(self.link.word_width as i64),
            ),
            (
                "LATENCY".to_string(),
                SvValue::Int(self.link.latency as i64),
            ),
            (
                "BITS_PER_CYCLE".to_string(),
                SvValue::Int(self.link.bits_per_cycle as i64),
            ),
        ];
        for k in 0..self.cuts.len() {
            for (dir, from, to) in [
                ("forward", "data", "data_rx"),
                ("reverse", "credit", "credit_rx"),
            ] {
                let mut conns = clk();
                conns.extend([
                    ("data_in".to_string(), format!("link{k}_{from}")),
                    ("data_in_valid".to_string(), format!("link{k}_{from}_valid")),
                    ("data_in_ready".to_string(), format!("link{k}_{from}_ready")),
                    ("data_out".to_string(), format!("link{k}_{to}")),
                    ("data_out_valid".to_string(), format!("link{k}_{to}_valid")),
                ]);
                m.instances.push(SvInstance {
                    module: "mh_link_model".into(),
                    name: format!("u_link{k}_{dir}"),
                    params: lp.clone(),
                    conns,
                });
            }
        }
        m
    }
}
