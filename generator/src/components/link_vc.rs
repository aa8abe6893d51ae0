//! Descriptor of `link_vc` (`mh_link_vc`): `CHANNELS` streams carried end to end over
//! ONE modelled inter-FPGA link, as a cut crossed by several streams is built
//! (`system::split`): per stream an `mh_link_tx` and an `mh_link_rx` with a receive
//! buffer and credits of its own (a virtual channel), `mh_link_mux` merging the
//! senders' words round-robin onto the link with the channel number in the top
//! `TAG_WIDTH = ⌈log2 CHANNELS⌉` bits of every word, `mh_link_demux` handing each word
//! to its channel's receiver; the credit words return the same way. Each channel is
//! therefore an `mh_link` of word width `WORD_WIDTH - TAG_WIDTH`, and the golden model
//! frames and unframes every channel at that width ([`golden::link`]).
//!
//! Why one credit pool per channel, not one for the link: see `docs/components.md`
//! (`link_vc`); in short, a shared pool lets a stream that its consumer reads late
//! (the residual skip into a join) take every credit while the join waits for the
//! other stream, which then can never be sent.

use std::collections::BTreeMap;

use golden::Format;

use super::common::{PARALLELISM, WIDTH, bits_format, rule};
use super::link::{check_credits, credit_round_trip, frame_unframe};
use crate::component::{Behaviour, Component, FirstOutput, Instance, StreamDef, TensorDef, Timing};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Dim, TensorMap};

pub struct LinkVc;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("CHANNELS", 2, 16, 2, "streams sharing the link"),
    WIDTH,
    PARALLELISM,
    ParamSpec::int(
        "WORD_WIDTH",
        12,
        512,
        64,
        "link word width, channel tag included (bits; Aurora 64B/66B: 64 per lane)",
    ),
    ParamSpec::int(
        "ITEM_BEATS",
        1,
        1 << 24,
        8,
        "beats per item of every channel (a word never spans two items)",
    ),
    ParamSpec::int(
        "CREDITS",
        3,
        1 << 16,
        32,
        "receiver buffer per channel (words)",
    ),
    ParamSpec::int("LATENCY", 1, 4096, 8, "one-way link latency (cycles)"),
    ParamSpec::int(
        "BITS_PER_CYCLE",
        1,
        512,
        64,
        "link bandwidth (payload bits per cycle)",
    ),
];

/// Bits of every link word that name its channel, for `channels` ≥ 2 streams.
pub fn tag_width(channels: usize) -> usize {
    (usize::BITS - (channels.max(2) - 1).leading_zeros()) as usize
}

impl Component for LinkVc {
    fn name(&self) -> &'static str {
        "link_vc"
    }
    fn summary(&self) -> &'static str {
        "several streams over one link: per-stream link_tx/link_rx credits, round-robin link_mux, link_demux"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        if p.get("BITS_PER_CYCLE") > p.get("WORD_WIDTH") {
            return Err(rule(
                "link_vc",
                "BITS_PER_CYCLE",
                p,
                format!("must not exceed WORD_WIDTH = {}", p.get("WORD_WIDTH")),
            ));
        }
        let tag = tag_width(p.get_usize("CHANNELS"));
        let word = p.get_usize("WORD_WIDTH");
        if word < 8 + tag {
            return Err(rule(
                "link_vc",
                "WORD_WIDTH",
                p,
                format!("must leave 8 bits per channel word after the {tag}-bit channel tag"),
            ));
        }
        check_credits("link_vc", p, word - tag)?;
        Ok(Box::new(LinkVcInstance {
            params: p.clone(),
            format: bits_format(p),
            lanes: p.get_usize("PARALLELISM"),
        }))
    }
    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        vec![
            vec![],
            vec![
                ("CHANNELS", 3),
                ("WIDTH", 8),
                ("PARALLELISM", 4),
                ("ITEM_BEATS", 5),
            ],
            vec![
                ("CHANNELS", 2),
                ("WIDTH", 1),
                ("PARALLELISM", 1),
                ("ITEM_BEATS", 70),
            ],
            vec![
                ("CHANNELS", 4),
                ("WIDTH", 40),
                ("PARALLELISM", 3),
                ("WORD_WIDTH", 16),
                ("BITS_PER_CYCLE", 5),
                ("ITEM_BEATS", 2),
            ],
            vec![("CHANNELS", 2), ("CREDITS", 3), ("LATENCY", 5)],
            vec![
                ("CHANNELS", 5),
                ("LATENCY", 1),
                ("CREDITS", 8),
                ("WIDTH", 16),
                ("PARALLELISM", 4),
            ],
        ]
    }
    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        let channels = rng.range(2, 5);
        let word = [16, 64, 128][rng.below(3) as usize];
        let (width, lanes) = (rng.range(1, 40), rng.range(1, 9));
        let inner = word - tag_width(channels as usize) as i64;
        let split = (width * lanes + inner - 1) / inner;
        vec![
            ("CHANNELS", channels),
            ("WIDTH", width),
            ("PARALLELISM", lanes),
            ("WORD_WIDTH", word),
            ("ITEM_BEATS", rng.range(1, 12)),
            ("CREDITS", rng.range(3, 40).max(split)),
            ("LATENCY", rng.range(1, 12)),
            ("BITS_PER_CYCLE", rng.range(word / 4, word)),
        ]
    }
}

struct LinkVcInstance {
    params: Params,
    format: Format,
    lanes: usize,
}

impl LinkVcInstance {
    fn channels(&self) -> usize {
        self.params.get_usize("CHANNELS")
    }
    fn beat_bits(&self) -> usize {
        self.lanes * self.format.width() as usize
    }
    fn channel_word(&self) -> usize {
        self.params.get_usize("WORD_WIDTH") - tag_width(self.channels())
    }
    fn get(&self, name: &str) -> u64 {
        self.params.get(name) as u64
    }
    fn names(&self, base: &str) -> Vec<String> {
        (0..self.channels())
            .map(|k| format!("{base}_{k}"))
            .collect()
    }
}

impl Instance for LinkVcInstance {
    fn component(&self) -> &'static dyn Component {
        &LinkVc
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_link_vc"
    }
    fn library(&self) -> Vec<&'static str> {
        vec![
            "mh_fifo",
            "mh_link_tx",
            "mh_link_model",
            "mh_link_rx",
            "mh_link_mux",
            "mh_link_demux",
            "mh_link_vc",
        ]
    }
    fn sv_params(&self, _mem_dir: &str) -> Vec<(String, SvValue)> {
        let mut v = vec![
            (
                "CHANNELS".to_string(),
                SvValue::Int(self.params.get("CHANNELS")),
            ),
            (
                "DATA_WIDTH".to_string(),
                SvValue::Int(self.beat_bits() as i64),
            ),
        ];
        for n in [
            "WORD_WIDTH",
            "ITEM_BEATS",
            "CREDITS",
            "LATENCY",
            "BITS_PER_CYCLE",
        ] {
            v.push((n.to_string(), SvValue::Int(self.params.get(n))));
        }
        v
    }
    fn streams(&self) -> Vec<StreamDef> {
        let n = self.channels();
        let mut v = Vec::new();
        for (base, dir) in [("data_in", Dir::Input), ("data_out", Dir::Output)] {
            for (k, name) in self.names(base).iter().enumerate() {
                v.push(
                    StreamDef::new(name, dir, self.lanes, self.format, name).bundled(base, k, n),
                );
            }
        }
        v
    }
    fn tensors(&self) -> Vec<TensorDef> {
        let item = self.params.get_usize("ITEM_BEATS") * self.lanes;
        let mut v = Vec::new();
        for (base, direction) in [("data_in", Dir::Input), ("data_out", Dir::Output)] {
            for name in self.names(base) {
                v.push(TensorDef {
                    name,
                    direction,
                    shape: vec![Dim::Batch, Dim::Fixed(item)],
                    format: self.format,
                });
            }
        }
        v
    }
    fn behaviour(&self) -> Behaviour {
        // Moves bits, channel by channel: a word leaves once the beats it packs are in.
        let names = self.names("data_in");
        let waits: Vec<(&str, FirstOutput)> = names
            .iter()
            .map(|n| (n.as_str(), FirstOutput::Beat))
            .collect();
        Behaviour::new(true, &waits)
    }
    fn timing(&self) -> Timing {
        let (word, item) = (self.channel_word() as u64, self.get("ITEM_BEATS"));
        let link_word = self.get("WORD_WIDTH");
        let (pack, split) = golden::link::pack_split(self.beat_bits(), word as usize);
        let (pack, split) = (pack as u64, split as u64);
        let lat = self.get("LATENCY");
        let bits = self.get("BITS_PER_CYCLE");
        // Every channel starts at once and channel 0 wins the first grant; a beat
        // split over several words waits for its later words between the other
        // channels' (every CHANNELS-th link word is channel 0's).
        let c = self.channels() as u64;
        let latency = if split > 1 {
            ((split - 1) * c * link_word).div_ceil(bits) + lat + 5
        } else {
            pack.min(item) + lat + 3
        };
        // With every channel busy each gets every CHANNELS-th link word (at most one
        // word per cycle in all), unless its own credits bound it first.
        let c = c as f64;
        let per_word = (c * (link_word as f64 / bits as f64).max(1.0))
            .max(credit_round_trip(lat) as f64 / self.get("CREDITS") as f64);
        let words = golden::link::words_per_item(self.beat_bits(), word as usize, item as usize);
        Timing {
            latency,
            // Rounded, not rounded up: the rate is fractional when the bandwidth is.
            initiation_interval: (words as f64 * per_word / item as f64).round().max(1.0) as u64,
            ii_stream: "data_in_0".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        BTreeMap::from([(
            "memory_bits".to_string(),
            self.get("CHANNELS") * self.get("CREDITS") * self.channel_word() as u64,
        )])
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let (word, item) = (self.channel_word(), self.params.get_usize("ITEM_BEATS"));
        let mut out = TensorMap::new();
        for (i, o) in self.names("data_in").iter().zip(self.names("data_out")) {
            let x = crate::tensor::require(inputs, "link_vc", i, "input")?;
            out.insert(o, frame_unframe(x, self.lanes, word, item));
        }
        Ok(out)
    }
}
