//! Descriptor of `linear` (`mh_linear`): `Y = X·Wᵀ + b` with exact products and sums
//! and one output cast, parallel along `IN_SIZE` and `OUT_SIZE`, weights and bias from
//! streams or from ROMs written in exactly the order the hardware reads them.

use std::collections::BTreeMap;

use golden::Format;
use golden::linear::LinearFormats;

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
        let acc = golden::linear::accumulator_format(&formats, in_size).map_err(|e| {
            rule(
                n,
                "IN_WIDTH",
                p,
                format!("with WEIGHT_WIDTH, IN_SIZE and the bias alignment: {e}"),
            )
        })?;
        Ok(Box::new(LinearInstance {
            params: p.clone(),
            formats,
            acc,
            in_size,
            out_size,
            pi,
            po,
            rom: p.get_bool("WEIGHTS_FROM_ROM"),
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
            ("IN_PARALLELISM", divisor(rng, in_size)),
            ("OUT_PARALLELISM", divisor(rng, out_size)),
            ("WEIGHTS_FROM_ROM", rng.range(0, 1)),
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
            "mh_linear_adder_tree",
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
        if !self.rom {
            return Vec::new();
        }
        let f = &self.formats;
        let mut v = vec![MemDef {
            tensor: "weight".into(),
            param: "WEIGHT_MEM_FILE".into(),
            file: "weight.mem".into(),
            depth: self.kb() * self.jb(),
            word_width: (self.pi * self.po) as u32 * f.weight.width(),
        }];
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
        let raw = golden::linear::linear(
            &x.raw,
            rows,
            self.in_size,
            &w.raw,
            self.out_size,
            b,
            &self.formats,
        )
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
        } else {
            self.bias_words(t)
        })
    }
}
