//! Descriptor of `linear` (`mh_linear`): `Y = X·Wᵀ + b` with exact products and sums
//! and one output cast, parallel along `IN_SIZE` and `OUT_SIZE`, weights and bias from
//! streams or from ROMs written in exactly the order the hardware reads them.
//!
//! Weight scales: `WEIGHT_GRANULARITY` 0 is one format for the matrix; 1 (per output
//! channel) and 2 (MX: `WEIGHT_BLOCK` consecutive inputs of a row) give every group an
//! unsigned `WEIGHT_SHIFT_WIDTH`-bit shift in tensor `weight_shift` (`[OUT_SIZE,
//! groups per row]`), held in its own ROM whose word `j*NB + g` is the shifts of output
//! block `j`, group `g`, one per output lane (see [`golden::linear::WeightScales`]).

use std::collections::BTreeMap;

use golden::Format;
use golden::linear::{LinearFormats, WeightScales};

use super::common::{clog2, divides, format_of, rule};
use crate::component::{
    Behaviour, Component, FirstOutput, Instance, MemDef, StreamDef, TensorDef, Timing,
};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Beat, Dim, Tensor, TensorMap, require};

pub struct Linear;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("IN_WIDTH", 1, 64, 8, "data_in lane width (bits, signed)"),
    ParamSpec::int("IN_FRAC_WIDTH", -64, 128, 4, "data_in fractional bits"),
    ParamSpec::int("WEIGHT_WIDTH", 1, 64, 8, "weight width (bits, signed)"),
    ParamSpec::int("WEIGHT_FRAC_WIDTH", -64, 128, 4, "weight fractional bits"),
    ParamSpec::bool("HAS_BIAS", true, "add a bias"),
    ParamSpec::int("BIAS_WIDTH", 1, 64, 8, "bias width (bits, signed)"),
    ParamSpec::int("BIAS_FRAC_WIDTH", -64, 128, 4, "bias fractional bits"),
    ParamSpec::int("OUT_WIDTH", 1, 64, 8, "data_out lane width (bits, signed)"),
    ParamSpec::int("OUT_FRAC_WIDTH", -64, 128, 4, "data_out fractional bits"),
    ParamSpec::rounding("ROUNDING", "output rounding mode"),
    ParamSpec::overflow("OVERFLOW", "output overflow mode"),
    ParamSpec::int("IN_SIZE", 1, 65536, 16, "input features per row"),
    ParamSpec::int("OUT_SIZE", 1, 65536, 8, "output features per row"),
    ParamSpec::int(
        "IN_PARALLELISM",
        1,
        256,
        4,
        "data_in lanes (divides IN_SIZE)",
    ),
    ParamSpec::int(
        "OUT_PARALLELISM",
        1,
        256,
        2,
        "data_out lanes (divides OUT_SIZE)",
    ),
    ParamSpec::bool(
        "WEIGHTS_FROM_ROM",
        false,
        "weights and bias from ROM files instead of streams",
    ),
    ParamSpec::int(
        "WEIGHT_GRANULARITY",
        0,
        2,
        0,
        "weight scales: 0 per tensor, 1 per output channel (shift ROM), 2 MX blocks",
    ),
    ParamSpec::int(
        "WEIGHT_BLOCK",
        1,
        65536,
        32,
        "inputs sharing one shift with WEIGHT_GRANULARITY 2 (divides IN_SIZE, multiple of IN_PARALLELISM)",
    ),
    ParamSpec::int(
        "WEIGHT_SHIFT_WIDTH",
        1,
        6,
        4,
        "bits of one weight shift code (WEIGHT_GRANULARITY 1, 2)",
    ),
];

/// Most multipliers one instance may have.
const MAX_MULTIPLIERS: usize = 4096;

impl Component for Linear {
    fn name(&self) -> &'static str {
        "linear"
    }
    fn summary(&self) -> &'static str {
        "Y = X*W^T + b, exact MACs, one output cast, IN/OUT parallelism, weights streamed or in ROM"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        let n = self.name();
        let (in_size, out_size) = (p.get_usize("IN_SIZE"), p.get_usize("OUT_SIZE"));
        let (pi, po) = (
            p.get_usize("IN_PARALLELISM"),
            p.get_usize("OUT_PARALLELISM"),
        );
        divides(n, p, "IN_PARALLELISM", "IN_SIZE")?;
        divides(n, p, "OUT_PARALLELISM", "OUT_SIZE")?;
        if pi * po > MAX_MULTIPLIERS {
            return Err(rule(
                n,
                "OUT_PARALLELISM",
                p,
                format!(
                    "IN_PARALLELISM*OUT_PARALLELISM = {} exceeds {MAX_MULTIPLIERS} multipliers",
                    pi * po
                ),
            ));
        }
        let has_bias = p.get_bool("HAS_BIAS");
        let formats = LinearFormats {
            input: format_of(n, p, "IN")?,
            weight: format_of(n, p, "WEIGHT")?,
            bias: if has_bias {
                Some(format_of(n, p, "BIAS")?)
            } else {
                None
            },
            output: format_of(n, p, "OUT")?,
            rounding: p.rounding("ROUNDING"),
            overflow: p.overflow("OVERFLOW"),
        };
        let granularity = p.get("WEIGHT_GRANULARITY");
        let group = match granularity {
            0 => None,
            1 => Some(in_size),
            _ => {
                let block = p.get_usize("WEIGHT_BLOCK");
                if !in_size.is_multiple_of(block) {
                    return Err(rule(
                        n,
                        "WEIGHT_BLOCK",
                        p,
                        format!("must divide IN_SIZE = {in_size}"),
                    ));
                }
                if !block.is_multiple_of(pi) {
                    return Err(rule(
                        n,
                        "WEIGHT_BLOCK",
                        p,
                        format!("must be a multiple of IN_PARALLELISM = {pi}"),
                    ));
                }
                Some(block)
            }
        };
        let shift_width = p.get_u32("WEIGHT_SHIFT_WIDTH");
        let max_shift = if group.is_some() {
            (1u32 << shift_width) - 1
        } else {
            0
        };
        let acc = golden::linear::accumulator_format_scaled(&formats, in_size, max_shift).map_err(
            |e| {
                rule(
                    n,
                    "IN_WIDTH",
                    p,
                    format!("with WEIGHT_WIDTH, IN_SIZE and the bias alignment: {e}"),
                )
            },
        )?;
        Ok(Box::new(LinearInstance {
            params: p.clone(),
            formats,
            acc,
            in_size,
            out_size,
            pi,
            po,
            rom: p.get_bool("WEIGHTS_FROM_ROM"),
            group,
            shift_width,
        }))
    }

    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        vec![
            vec![],
            vec![("WEIGHTS_FROM_ROM", 1)],
            vec![
                ("IN_PARALLELISM", 1),
                ("OUT_PARALLELISM", 1),
                ("IN_SIZE", 5),
                ("OUT_SIZE", 3),
            ],
            vec![
                ("IN_PARALLELISM", 16),
                ("OUT_PARALLELISM", 8),
                ("WEIGHTS_FROM_ROM", 1),
            ],
            vec![
                ("IN_SIZE", 12),
                ("IN_PARALLELISM", 3),
                ("OUT_SIZE", 10),
                ("OUT_PARALLELISM", 5),
                ("HAS_BIAS", 0),
            ],
            vec![
                ("IN_SIZE", 1),
                ("IN_PARALLELISM", 1),
                ("OUT_SIZE", 4),
                ("OUT_PARALLELISM", 4),
                ("WEIGHTS_FROM_ROM", 1),
            ],
            vec![
                ("IN_WIDTH", 7),
                ("WEIGHT_WIDTH", 13),
                ("BIAS_WIDTH", 13),
                ("OUT_WIDTH", 13),
                ("IN_FRAC_WIDTH", 0),
                ("WEIGHT_FRAC_WIDTH", 0),
                ("BIAS_FRAC_WIDTH", 6),
                ("OUT_FRAC_WIDTH", 7),
                ("ROUNDING", 6),
                ("OVERFLOW", 3),
            ],
            vec![
                ("IN_WIDTH", 16),
                ("WEIGHT_WIDTH", 16),
                ("OUT_WIDTH", 16),
                ("IN_FRAC_WIDTH", 8),
                ("WEIGHT_FRAC_WIDTH", 8),
                ("OUT_FRAC_WIDTH", 8),
                ("IN_SIZE", 32),
                ("IN_PARALLELISM", 16),
                ("OUT_SIZE", 16),
                ("OUT_PARALLELISM", 2),
                ("WEIGHTS_FROM_ROM", 1),
            ],
            // Per output channel: shift ROM word per output block.
            vec![("WEIGHT_GRANULARITY", 1), ("WEIGHTS_FROM_ROM", 1)],
            // MX blocks of 8 over 4 lanes (2 weight blocks a shift word), 4 output lanes.
            vec![
                ("WEIGHT_GRANULARITY", 2),
                ("WEIGHT_BLOCK", 8),
                ("WEIGHT_SHIFT_WIDTH", 3),
                ("IN_SIZE", 32),
                ("OUT_SIZE", 8),
                ("OUT_PARALLELISM", 4),
                ("WEIGHTS_FROM_ROM", 1),
            ],
            // MX block = lanes (a new shift every block), weights streamed.
            vec![
                ("WEIGHT_GRANULARITY", 2),
                ("WEIGHT_BLOCK", 4),
                ("WEIGHT_SHIFT_WIDTH", 2),
                ("OUT_PARALLELISM", 1),
            ],
            // MX with one lane, blocks of 2, no bias, all outputs in one beat.
            vec![
                ("WEIGHT_GRANULARITY", 2),
                ("WEIGHT_BLOCK", 2),
                ("WEIGHT_SHIFT_WIDTH", 5),
                ("IN_SIZE", 6),
                ("IN_PARALLELISM", 1),
                ("OUT_SIZE", 3),
                ("OUT_PARALLELISM", 3),
                ("HAS_BIAS", 0),
                ("WEIGHTS_FROM_ROM", 1),
            ],
            // Per channel, one weight word and one shift word (KB = JB = 1), 8-bit MXINT-like.
            vec![
                ("WEIGHT_GRANULARITY", 1),
                ("WEIGHT_SHIFT_WIDTH", 1),
                ("IN_SIZE", 4),
                ("OUT_SIZE", 2),
                ("OUT_PARALLELISM", 2),
                ("WEIGHTS_FROM_ROM", 1),
            ],
            vec![
                ("IN_WIDTH", 1),
                ("WEIGHT_WIDTH", 1),
                ("BIAS_WIDTH", 1),
                ("OUT_WIDTH", 1),
                ("IN_FRAC_WIDTH", 0),
                ("WEIGHT_FRAC_WIDTH", 0),
                ("BIAS_FRAC_WIDTH", 0),
                ("OUT_FRAC_WIDTH", 0),
                ("OVERFLOW", 0),
            ],
        ]
    }

    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        let divisor = |rng: &mut Rng, n: i64| {
            let d: Vec<i64> = (1..=n).filter(|d| n % d == 0).collect();
            rng.pick(&d)
        };
        let in_size = rng.range(1, 24);
        let out_size = rng.range(1, 12);
        let pi = divisor(rng, in_size);
        let granularity = rng.range(0, 2);
        let blocks: Vec<i64> = (1..=in_size)
            .filter(|b| in_size % b == 0 && b % pi == 0)
            .collect();
        vec![
            ("IN_WIDTH", rng.range(2, 16)),
            ("IN_FRAC_WIDTH", rng.range(0, 8)),
            ("WEIGHT_WIDTH", rng.range(2, 16)),
            ("WEIGHT_FRAC_WIDTH", rng.range(0, 8)),
            ("HAS_BIAS", rng.range(0, 1)),
            ("BIAS_WIDTH", rng.range(2, 16)),
            ("BIAS_FRAC_WIDTH", rng.range(0, 12)),
            ("OUT_WIDTH", rng.range(2, 16)),
            ("OUT_FRAC_WIDTH", rng.range(0, 10)),
            ("ROUNDING", rng.range(0, 6)),
            ("OVERFLOW", rng.range(0, 3)),
            ("IN_SIZE", in_size),
            ("OUT_SIZE", out_size),
            ("IN_PARALLELISM", pi),
            ("OUT_PARALLELISM", divisor(rng, out_size)),
            ("WEIGHTS_FROM_ROM", rng.range(0, 1)),
            ("WEIGHT_GRANULARITY", granularity),
            ("WEIGHT_BLOCK", rng.pick(&blocks)),
            ("WEIGHT_SHIFT_WIDTH", rng.range(1, 4)),
        ]
    }
}

struct LinearInstance {
    params: Params,
    formats: LinearFormats,
    acc: Format,
    in_size: usize,
    out_size: usize,
    pi: usize,
    po: usize,
    rom: bool,
    /// Inputs per weight-scale group (`in_size` per channel), `None` per tensor.
    group: Option<usize>,
    shift_width: u32,
}

impl LinearInstance {
    fn kb(&self) -> usize {
        self.in_size / self.pi
    }
    fn jb(&self) -> usize {
        self.out_size / self.po
    }

    /// Weight blocks in the order the hardware reads them: word `j*KB + k` holds
    /// `W[j*Po + o][k*Pi + i]` in lane `o*Pi + i`.
    fn weight_words(&self, w: &Tensor) -> Vec<Beat> {
        let mut words = Vec::with_capacity(self.kb() * self.jb());
        self.each_weight_word(w, |word| words.push(word.to_vec()));
        words
    }

    /// Calls `f` on every weight word in that order (`Pi·Po` lanes each: block `j` of
    /// `Po` output rows, then input block `k` of `Pi` columns, output row `o` within
    /// the word), built in one reused buffer.
    fn each_weight_word(&self, w: &Tensor, mut f: impl FnMut(&[i128])) {
        let mut word = Vec::with_capacity(self.pi * self.po);
        for j in 0..self.jb() {
            for k in 0..self.kb() {
                word.clear();
                for o in 0..self.po {
                    let row = (j * self.po + o) * self.in_size;
                    word.extend_from_slice(&w.raw[row + k * self.pi..row + (k + 1) * self.pi]);
                }
                f(&word);
            }
        }
    }

    fn bias_words(&self, b: &Tensor) -> Vec<Beat> {
        b.raw.chunks(self.po).map(<[i128]>::to_vec).collect()
    }

    /// Weight-scale groups per output row (1 without scales).
    fn groups(&self) -> usize {
        self.group.map_or(1, |g| self.in_size / g)
    }

    /// Format of one shift code.
    fn shift_format(&self) -> Format {
        match Format::unsigned(self.shift_width, 0) {
            Ok(f) => f,
            Err(e) => unreachable!("WEIGHT_SHIFT_WIDTH is range-checked: {e}"),
        }
    }

    /// Shift words in the order the hardware reads them: word `j*NB + g` holds
    /// `shift[j*Po + o][g]` in lane `o`.
    fn shift_words(&self, s: &Tensor) -> Vec<Beat> {
        let nb = self.groups();
        let mut words = Vec::with_capacity(self.jb() * nb);
        for j in 0..self.jb() {
            for g in 0..nb {
                words.push(
                    (0..self.po)
                        .map(|o| s.raw[(j * self.po + o) * nb + g])
                        .collect(),
                );
            }
        }
        words
    }
}

impl Instance for LinearInstance {
    fn component(&self) -> &'static dyn Component {
        &Linear
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_linear"
    }
    fn library(&self) -> Vec<&'static str> {
        vec![
            "mh_cast_lane",
            "mh_fifo",
            "mh_pipelined_adder_tree",
            "mh_mac_lane",
            "mh_credit_fifo",
            "mh_linear",
        ]
    }
    fn sv_params(&self, mem_dir: &str) -> Vec<(String, SvValue)> {
        let mut v: Vec<(String, SvValue)> = PARAMS
            .iter()
            .map(|s| (s.name.to_string(), SvValue::Int(self.params.get(s.name))))
            .collect();
        let file = |f: &str| {
            if self.rom {
                SvValue::Str(format!("{mem_dir}{f}"))
            } else {
                SvValue::Str(String::new())
            }
        };
        v.push(("WEIGHT_MEM_FILE".into(), file("weight.mem")));
        v.push((
            "BIAS_MEM_FILE".into(),
            if self.formats.bias.is_some() {
                file("bias.mem")
            } else {
                SvValue::Str(String::new())
            },
        ));
        v.push((
            "SHIFT_MEM_FILE".into(),
            if self.group.is_some() {
                SvValue::Str(format!("{mem_dir}weight_shift.mem"))
            } else {
                SvValue::Str(String::new())
            },
        ));
        v
    }
    fn streams(&self) -> Vec<StreamDef> {
        let f = &self.formats;
        let mut v = vec![StreamDef::new(
            "data_in",
            Dir::Input,
            self.pi,
            f.input,
            "data_in",
        )];
        if !self.rom {
            v.push(StreamDef::new(
                "weight",
                Dir::Input,
                self.pi * self.po,
                f.weight,
                "weight",
            ));
            if let Some(b) = f.bias {
                v.push(StreamDef::new("bias", Dir::Input, self.po, b, "bias"));
            }
        }
        v.push(StreamDef::new(
            "data_out",
            Dir::Output,
            self.po,
            f.output,
            "data_out",
        ));
        v
    }
    fn tie_offs(&self) -> Vec<(String, String)> {
        let f = &self.formats;
        let mut v = Vec::new();
        if self.rom {
            let bits = (self.pi * self.po) as u32 * f.weight.width();
            v.extend([
                ("weight".into(), format!("{bits}'d0")),
                ("weight_valid".into(), "1'b0".into()),
            ]);
        }
        if self.rom || f.bias.is_none() {
            // The port keeps its declared width even when the layer has no bias.
            let bits = self.po as u32 * self.params.get_u32("BIAS_WIDTH");
            v.extend([
                ("bias".into(), format!("{bits}'d0")),
                ("bias_valid".into(), "1'b0".into()),
            ]);
        }
        v
    }
    fn unused_outputs(&self) -> Vec<(String, u32)> {
        let mut v = Vec::new();
        if self.rom {
            v.push(("weight_ready".to_string(), 1));
        }
        if self.rom || self.formats.bias.is_none() {
            v.push(("bias_ready".to_string(), 1));
        }
        v
    }
    fn memories(&self) -> Vec<MemDef> {
        let mut v = Vec::new();
        if self.group.is_some() {
            v.push(MemDef {
                tensor: "weight_shift".into(),
                param: "SHIFT_MEM_FILE".into(),
                file: "weight_shift.mem".into(),
                depth: self.jb() * self.groups(),
                word_width: self.po as u32 * self.shift_width,
            });
        }
        if !self.rom {
            return v;
        }
        let f = &self.formats;
        v.push(MemDef {
            tensor: "weight".into(),
            param: "WEIGHT_MEM_FILE".into(),
            file: "weight.mem".into(),
            depth: self.kb() * self.jb(),
            word_width: (self.pi * self.po) as u32 * f.weight.width(),
        });
        if let Some(b) = f.bias {
            v.push(MemDef {
                tensor: "bias".into(),
                param: "BIAS_MEM_FILE".into(),
                file: "bias.mem".into(),
                depth: self.jb(),
                word_width: self.po as u32 * b.width(),
            });
        }
        v
    }
    fn tensors(&self) -> Vec<TensorDef> {
        let f = &self.formats;
        let mut v = vec![
            TensorDef {
                name: "data_in".into(),
                direction: Dir::Input,
                shape: vec![Dim::Batch, Dim::Fixed(self.in_size)],
                format: f.input,
            },
            TensorDef {
                name: "weight".into(),
                direction: Dir::Input,
                shape: vec![Dim::Fixed(self.out_size), Dim::Fixed(self.in_size)],
                format: f.weight,
            },
        ];
        if self.group.is_some() {
            v.push(TensorDef {
                name: "weight_shift".into(),
                direction: Dir::Input,
                shape: vec![Dim::Fixed(self.out_size), Dim::Fixed(self.groups())],
                format: self.shift_format(),
            });
        }
        if let Some(b) = f.bias {
            v.push(TensorDef {
                name: "bias".into(),
                direction: Dir::Input,
                shape: vec![Dim::Fixed(self.out_size)],
                format: b,
            });
        }
        v.push(TensorDef {
            name: "data_out".into(),
            direction: Dir::Output,
            shape: vec![Dim::Batch, Dim::Fixed(self.out_size)],
            format: f.output,
        });
        v
    }
    fn behaviour(&self) -> Behaviour {
        // An output block needs the whole input row and its weights' KB beats.
        let row = FirstOutput::Row { beats: self.kb() };
        let mut v = vec![("data_in", row)];
        if !self.rom {
            v.push(("weight", row));
            if self.formats.bias.is_some() {
                v.push(("bias", FirstOutput::Beat));
            }
        }
        Behaviour::new(false, &v)
    }
    fn timing(&self) -> Timing {
        Timing {
            latency: (self.kb() + clog2(self.pi) as usize + 6) as u64,
            initiation_interval: self.kb() as u64,
            ii_stream: "data_out".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn weight_format(&self) -> Option<String> {
        let w = self.formats.weight;
        Some(match (self.group, self.params.get("WEIGHT_GRANULARITY")) {
            (None, _) => format!("{w} per_tensor"),
            (Some(_), 1) => format!(
                "{}-bit per_channel, frac {} - shift, {}-bit shifts",
                w.width(),
                w.frac(),
                self.shift_width
            ),
            (Some(block), _) => format!(
                "{}-bit mx(block {block}), frac {} - shift, {}-bit shifts",
                w.width(),
                w.frac(),
                self.shift_width
            ),
        })
    }
    fn resource_estimate(&self) -> crate::resources::ResourceEstimate {
        let f = &self.formats;
        crate::resources::linear(
            self.in_size as u64,
            self.out_size as u64,
            self.pi as u64,
            self.po as u64,
            f.input.width(),
            f.weight.width(),
            self.acc.width(),
            f.output.width(),
            self.rom,
            None,
        )
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        let f = &self.formats;
        let mut r = BTreeMap::new();
        r.insert("multipliers".to_string(), (self.pi * self.po) as u64);
        r.insert(
            "row_buffer_bits".to_string(),
            (2 * self.in_size) as u64 * u64::from(f.input.width()),
        );
        r.insert(
            "accumulator_bits".to_string(),
            self.po as u64 * u64::from(self.acc.width()),
        );
        if self.group.is_some() {
            r.insert(
                "shift_rom_bits".to_string(),
                (self.out_size * self.groups()) as u64 * u64::from(self.shift_width),
            );
            r.insert(
                "shift_pipeline_bits".to_string(),
                (2 + clog2(self.pi) as u64) * self.po as u64 * u64::from(self.shift_width),
            );
        }
        if self.rom {
            r.insert(
                "weight_rom_bits".to_string(),
                (self.in_size * self.out_size) as u64 * u64::from(f.weight.width()),
            );
            if let Some(b) = f.bias {
                r.insert(
                    "bias_rom_bits".to_string(),
                    self.out_size as u64 * u64::from(b.width()),
                );
            }
        }
        r
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let n = "linear";
        let x = require(inputs, n, "data_in", "input rows")?;
        let w = require(inputs, n, "weight", "weights")?;
        let b = if self.formats.bias.is_some() {
            Some(&require(inputs, n, "bias", "bias")?.raw[..])
        } else {
            None
        };
        let rows = x.shape[0];
        let raw = match self.group {
            None => golden::linear::linear(
                &x.raw,
                rows,
                self.in_size,
                &w.raw,
                self.out_size,
                b,
                &self.formats,
            ),
            Some(block) => {
                let shifts = require(inputs, n, "weight_shift", "weight shifts")?;
                let scales = WeightScales {
                    block,
                    shift_width: self.shift_width,
                    shifts: &shifts.raw,
                };
                golden::linear::linear_scaled(
                    &x.raw,
                    rows,
                    self.in_size,
                    &w.raw,
                    self.out_size,
                    b,
                    &scales,
                    &self.formats,
                )
            }
        }
        .map_err(|source| GenError::Fixed {
            component: n.to_string(),
            source,
        })?;
        Ok(TensorMap::from([(
            "data_out".to_string(),
            Tensor::new(vec![rows, self.out_size], raw, self.formats.output),
        )]))
    }
    fn stream_beats(&self, stream: &StreamDef, tensors: &TensorMap) -> Result<Vec<Beat>, GenError> {
        let n = "linear";
        let rows = require(tensors, n, "data_in", "input rows")?.shape[0];
        match stream.name.as_str() {
            "weight" => {
                let words = self.weight_words(require(tensors, n, "weight", "weights")?);
                Ok((0..rows).flat_map(|_| words.iter().cloned()).collect())
            }
            "bias" => {
                let words = self.bias_words(require(tensors, n, "bias", "bias")?);
                Ok((0..rows).flat_map(|_| words.iter().cloned()).collect())
            }
            _ => require(tensors, n, &stream.tensor, "stream data")?.to_beats(
                n,
                &stream.tensor,
                stream.lanes,
            ),
        }
    }
    fn write_memory(
        &self,
        mem: &MemDef,
        tensors: &TensorMap,
        format: golden::Format,
        out: &mut Vec<u8>,
    ) -> Result<(), GenError> {
        let t = require(tensors, "linear", &mem.tensor, "ROM contents")?;
        if mem.tensor == "weight_shift" {
            let words = self.shift_words(t);
            crate::bits::write_mem(out, words.iter().map(Vec::as_slice), format, mem.word_width);
            return Ok(());
        }
        if mem.tensor != "weight" {
            crate::bits::write_mem(out, t.raw.chunks(self.po), format, mem.word_width);
            return Ok(());
        }
        if self.po == 1 {
            // One output row per word group: the ROM is the matrix in row-major order.
            crate::bits::write_mem(out, t.raw.chunks(self.pi), format, mem.word_width);
            return Ok(());
        }
        self.each_weight_word(t, |word| {
            crate::bits::write_mem(out, [word], format, mem.word_width);
        });
        Ok(())
    }
    fn memory_words(&self, mem: &MemDef, tensors: &TensorMap) -> Result<Vec<Beat>, GenError> {
        let t = require(tensors, "linear", &mem.tensor, "ROM contents")?;
        Ok(if mem.tensor == "weight" {
            self.weight_words(t)
        } else if mem.tensor == "weight_shift" {
            self.shift_words(t)
        } else {
            self.bias_words(t)
        })
    }
}
