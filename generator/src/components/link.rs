//! Descriptor of `link` (`mh_link`): one stream carried end to end over a modelled
//! inter-FPGA link — `mh_link_tx` packs beats into link words and spends credits,
//! `mh_link_model` delays and rate-limits them (twice: data forward, credits back),
//! `mh_link_rx` buffers, unpacks and returns credits. The pair only has meaning
//! together (credits flow between them), so it is co-simulated as this one block; a
//! multi-device system instantiates `mh_link_tx` and `mh_link_rx` on either side of a
//! cut (`system::split`). The framing is [`golden::link`]; the golden model frames
//! and unframes every item, which must give the input back.

use std::collections::BTreeMap;

use golden::Format;

use super::common::{PARALLELISM, WIDTH, bits_format, lanewise_streams, rule};
use crate::component::{Behaviour, Component, FirstOutput, Instance, StreamDef, TensorDef, Timing};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Dim, Tensor, TensorMap};

pub struct Link;

const PARAMS: &[ParamSpec] = &[
    WIDTH,
    PARALLELISM,
    ParamSpec::int(
        "WORD_WIDTH",
        8,
        512,
        64,
        "link word width (bits; Aurora 64B/66B: 64 per lane)",
    ),
    ParamSpec::int(
        "ITEM_BEATS",
        1,
        1 << 24,
        8,
        "beats per item (a word never spans two items)",
    ),
    ParamSpec::int("CREDITS", 3, 1 << 16, 32, "receiver buffer (words)"),
    ParamSpec::int("LATENCY", 1, 4096, 8, "one-way link latency (cycles)"),
    ParamSpec::int(
        "BITS_PER_CYCLE",
        1,
        512,
        64,
        "link bandwidth (payload bits per cycle)",
    ),
];

/// `CREDITS` must hold the words one beat (`WIDTH` × `PARALLELISM` bits) splits into
/// at `word_bits` bits a word: the rule `link` and `link_vc` share.
pub(super) fn check_credits(component: &str, p: &Params, word_bits: usize) -> Result<(), GenError> {
    let beat = p.get_usize("WIDTH") * p.get_usize("PARALLELISM");
    let (_, split) = golden::link::pack_split(beat, word_bits);
    if p.get_usize("CREDITS") < split {
        return Err(rule(
            component,
            "CREDITS",
            p,
            format!("must hold the {split} words of one beat"),
        ));
    }
    Ok(())
}

/// Cycles a word's credit takes to come back to the sender after the word was
/// registered for sending, with one-way latency `latency` on both directions
/// (forward delay, FIFO 2, pop to credit register 1, reverse delay, counter 1).
pub fn credit_round_trip(latency: u64) -> u64 {
    2 * latency + 5
}

/// Credits for one word per cycle over a link of one-way latency `latency`.
pub fn credits_for_full_rate(latency: u64) -> u64 {
    credit_round_trip(latency) + 1
}

impl Component for Link {
    fn name(&self) -> &'static str {
        "link"
    }
    fn summary(&self) -> &'static str {
        "link_tx + link model + link_rx: beats packed into link words, credit flow control"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        if p.get("BITS_PER_CYCLE") > p.get("WORD_WIDTH") {
            return Err(rule(
                "link",
                "BITS_PER_CYCLE",
                p,
                format!("must not exceed WORD_WIDTH = {}", p.get("WORD_WIDTH")),
            ));
        }
        check_credits("link", p, p.get_usize("WORD_WIDTH"))?;
        Ok(Box::new(LinkInstance {
            params: p.clone(),
            format: bits_format(p),
            lanes: p.get_usize("PARALLELISM"),
        }))
    }
    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        vec![
            vec![],
            vec![("WIDTH", 1), ("PARALLELISM", 1), ("ITEM_BEATS", 70)],
            vec![("WIDTH", 16), ("PARALLELISM", 3), ("ITEM_BEATS", 5)],
            vec![("WIDTH", 16), ("PARALLELISM", 4), ("ITEM_BEATS", 1)],
            vec![("WIDTH", 25), ("PARALLELISM", 4), ("ITEM_BEATS", 3)],
            vec![("WIDTH", 64), ("PARALLELISM", 16), ("ITEM_BEATS", 2)],
            vec![
                ("WIDTH", 13),
                ("PARALLELISM", 1),
                ("WORD_WIDTH", 16),
                ("BITS_PER_CYCLE", 16),
                ("ITEM_BEATS", 7),
            ],
            vec![
                ("WIDTH", 40),
                ("PARALLELISM", 3),
                ("WORD_WIDTH", 16),
                ("BITS_PER_CYCLE", 5),
                ("ITEM_BEATS", 2),
            ],
            vec![("CREDITS", 3), ("LATENCY", 5)],
            vec![("BITS_PER_CYCLE", 24), ("WIDTH", 8), ("PARALLELISM", 8)],
            vec![
                ("LATENCY", 1),
                ("CREDITS", 8),
                ("WIDTH", 32),
                ("PARALLELISM", 1),
            ],
        ]
    }
    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        let word = [16, 64, 128][rng.below(3) as usize];
        let (width, lanes) = (rng.range(1, 40), rng.range(1, 9));
        let split = (width * lanes + word - 1) / word;
        vec![
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

struct LinkInstance {
    params: Params,
    format: Format,
    lanes: usize,
}

impl LinkInstance {
    fn beat_bits(&self) -> usize {
        self.lanes * self.format.width() as usize
    }
    fn get(&self, name: &str) -> u64 {
        self.params.get(name) as u64
    }
}

impl Instance for LinkInstance {
    fn component(&self) -> &'static dyn Component {
        &Link
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_link"
    }
    fn library(&self) -> Vec<&'static str> {
        vec![
            "mh_fifo",
            "mh_link_tx",
            "mh_link_model",
            "mh_link_rx",
            "mh_link",
        ]
    }
    fn sv_params(&self, _mem_dir: &str) -> Vec<(String, SvValue)> {
        let mut v = vec![(
            "DATA_WIDTH".to_string(),
            SvValue::Int(self.beat_bits() as i64),
        )];
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
        lanewise_streams(self.lanes, self.format, self.format)
    }
    fn tensors(&self) -> Vec<TensorDef> {
        let item = self.params.get_usize("ITEM_BEATS") * self.lanes;
        ["data_in", "data_out"]
            .iter()
            .zip([Dir::Input, Dir::Output])
            .map(|(name, direction)| TensorDef {
                name: name.to_string(),
                direction,
                shape: vec![Dim::Batch, Dim::Fixed(item)],
                format: self.format,
            })
            .collect()
    }
    fn behaviour(&self) -> Behaviour {
        // Moves bits: a word leaves once the beats it packs are in (or a beat's
        // words once the beat is), never a row.
        Behaviour::new(true, &[("data_in", FirstOutput::Beat)])
    }
    fn timing(&self) -> Timing {
        let (word, item) = (self.get("WORD_WIDTH"), self.get("ITEM_BEATS"));
        let (pack, split) = golden::link::pack_split(self.beat_bits(), word as usize);
        let (pack, split) = (pack as u64, split as u64);
        let lat = self.get("LATENCY");
        let bits = self.get("BITS_PER_CYCLE");
        // The link model takes the n-th word of a burst ceil(n·W/B) cycles after the
        // first; a split beat's last word leaves that much later.
        let latency = if split > 1 {
            ((split - 1) * word).div_ceil(bits) + lat + 5
        } else {
            pack.min(item) + lat + 3
        };
        // Cycles per word: the bandwidth's, or a round trip per CREDITS words.
        let per_word = (word as f64 / bits as f64)
            .max(credit_round_trip(lat) as f64 / self.get("CREDITS") as f64)
            .max(1.0);
        let words = golden::link::words_per_item(self.beat_bits(), word as usize, item as usize);
        Timing {
            latency,
            initiation_interval: (words as f64 * per_word / item as f64).ceil().max(1.0) as u64,
            ii_stream: "data_in".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        let word = self.get("WORD_WIDTH");
        BTreeMap::from([("memory_bits".to_string(), self.get("CREDITS") * word)])
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let x = crate::tensor::require(inputs, "link", "data_in", "input")?;
        let (word, item) = (
            self.params.get_usize("WORD_WIDTH"),
            self.params.get_usize("ITEM_BEATS"),
        );
        Ok(TensorMap::from([(
            "data_out".to_string(),
            frame_unframe(x, self.lanes, word, item),
        )]))
    }
}

/// `x` (beats of `lanes` lanes) framed into `word`-bit link words and unframed
/// again ([`golden::link::frame`], [`golden::link::unframe`]): what the far end of a
/// link delivers.
pub(crate) fn frame_unframe(x: &Tensor, lanes: usize, word: usize, item: usize) -> Tensor {
    let w = x.format.width() as usize;
    let beats: Vec<Vec<bool>> = x
        .raw
        .chunks(lanes)
        .map(|lanes| {
            lanes
                .iter()
                .flat_map(|&r| (0..w).map(move |k| (r >> k) & 1 == 1))
                .collect()
        })
        .collect();
    let bb = lanes * w;
    let words = golden::link::frame(&beats, bb, word, item);
    let back = golden::link::unframe(&words, bb, word, item);
    let raw: Vec<i128> = back
        .iter()
        .flat_map(|b| {
            b.chunks(w).map(|lane| {
                lane.iter()
                    .enumerate()
                    .fold(0i128, |a, (k, &bit)| a | (i128::from(bit) << k))
            })
        })
        .collect();
    Tensor::new(x.shape.clone(), raw, x.format)
}
