//! Descriptor of `layernorm` (`mh_layernorm`): `y = γ·(x − mean)/√(var + ε) + β` over
//! rows of `SIZE` elements, `PARALLELISM` lanes a beat, exact one-pass statistics,
//! reciprocal square root by range reduction + table + Newton–Raphson, γ and β from
//! streams or ROMs, one output cast. The integer algorithm is `golden::layernorm`.

use std::collections::BTreeMap;

use golden::layernorm::{LayerNormConfig, LayerNormWidths};
use golden::{Format, Overflow, Rounding};

use super::common::{divides, format_of, rule};
use crate::component::{
    AccuracyBound, Behaviour, Component, FirstOutput, Instance, MemDef, StreamDef, TensorDef,
    Timing,
};
use crate::error::GenError;
use crate::params::{ParamSpec, Params};
use crate::rng::Rng;
use crate::sv::{Dir, SvValue};
use crate::tensor::{Beat, Dim, Tensor, TensorMap, require};

pub struct LayerNorm;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::int("IN_WIDTH", 2, 24, 16, "data_in lane width (bits, signed)"),
    ParamSpec::int("IN_FRAC_WIDTH", -8, 32, 8, "data_in fractional bits"),
    ParamSpec::int("GAMMA_WIDTH", 1, 24, 16, "gamma width (bits, signed)"),
    ParamSpec::int("GAMMA_FRAC_WIDTH", -8, 32, 12, "gamma fractional bits"),
    ParamSpec::int("BETA_WIDTH", 1, 24, 16, "beta width (bits, signed)"),
    ParamSpec::int("BETA_FRAC_WIDTH", -8, 40, 12, "beta fractional bits"),
    ParamSpec::int("OUT_WIDTH", 1, 32, 16, "data_out lane width (bits, signed)"),
    ParamSpec::int("OUT_FRAC_WIDTH", -8, 40, 8, "data_out fractional bits"),
    ParamSpec::rounding("ROUNDING", "output rounding mode"),
    ParamSpec::overflow("OVERFLOW", "output overflow mode"),
    ParamSpec::int("SIZE", 1, 4096, 16, "elements per row (H)"),
    ParamSpec::int("PARALLELISM", 1, 64, 4, "lanes per beat (divides SIZE)"),
    ParamSpec::int(
        "EPS_MANT",
        1,
        1 << 20,
        36029,
        "eps = EPS_MANT * 2^-EPS_FRAC_WIDTH (default ~1e-12)",
    ),
    ParamSpec::int("EPS_FRAC_WIDTH", 0, 80, 55, "eps fractional bits"),
    ParamSpec::int(
        "RSQRT_FRAC_WIDTH",
        8,
        40,
        20,
        "fractional bits of the reciprocal square root",
    ),
    ParamSpec::int(
        "TABLE_BITS",
        2,
        10,
        4,
        "rsqrt table of 2^(TABLE_BITS+1) entries",
    ),
    ParamSpec::int("NR_ITERS", 0, 4, 2, "Newton-Raphson iterations"),
    ParamSpec::int(
        "NORM_FRAC_WIDTH",
        0,
        40,
        16,
        "fractional bits of the normalised value",
    ),
    ParamSpec::bool(
        "AFFINE_FROM_ROM",
        false,
        "gamma and beta from ROM files instead of streams",
    ),
];

impl Component for LayerNorm {
    fn name(&self) -> &'static str {
        "layernorm"
    }
    fn summary(&self) -> &'static str {
        "gamma*(x-mean)/sqrt(var+eps)+beta per row, exact stats, table+Newton rsqrt, one cast"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn elaborate(&self, p: &Params) -> Result<Box<dyn Instance>, GenError> {
        let n = self.name();
        let (size, par) = (p.get_usize("SIZE"), p.get_usize("PARALLELISM"));
        divides(n, p, "PARALLELISM", "SIZE")?;
        if p.get("TABLE_BITS") > p.get("RSQRT_FRAC_WIDTH") {
            return Err(rule(
                n,
                "TABLE_BITS",
                p,
                format!(
                    "must not exceed RSQRT_FRAC_WIDTH={}",
                    p.get("RSQRT_FRAC_WIDTH")
                ),
            ));
        }
        let cfg = LayerNormConfig {
            input: format_of(n, p, "IN")?,
            gamma: format_of(n, p, "GAMMA")?,
            beta: format_of(n, p, "BETA")?,
            output: format_of(n, p, "OUT")?,
            rounding: p.rounding("ROUNDING"),
            overflow: p.overflow("OVERFLOW"),
            size,
            eps_mant: p.get("EPS_MANT") as u64,
            eps_frac: p.get_u32("EPS_FRAC_WIDTH"),
            rsqrt_frac: p.get_u32("RSQRT_FRAC_WIDTH"),
            table_bits: p.get_u32("TABLE_BITS"),
            nr_iters: p.get_u32("NR_ITERS"),
            norm_frac: p.get_u32("NORM_FRAC_WIDTH"),
        };
        let widths = golden::layernorm::widths(&cfg).map_err(|e| {
            let why = match e {
                golden::FixedError::WidthOverflow { what, width, .. } => {
                    format!("{what} would need {width} bits (limit 126)")
                }
                other => other.to_string(),
            };
            rule(
                n,
                "EPS_FRAC_WIDTH",
                p,
                format!("with the input, gamma, beta and rsqrt formats: {why}"),
            )
        })?;
        Ok(Box::new(LayerNormInstance {
            params: p.clone(),
            cfg,
            widths,
            par,
            rom: p.get_bool("AFFINE_FROM_ROM"),
        }))
    }

    fn corners(&self) -> Vec<Vec<(&'static str, i64)>> {
        vec![
            vec![],
            vec![
                ("AFFINE_FROM_ROM", 1),
                ("SIZE", 12),
                ("PARALLELISM", 3),
                ("OUT_WIDTH", 8),
                ("OUT_FRAC_WIDTH", 4),
            ],
            vec![
                ("SIZE", 5),
                ("PARALLELISM", 1),
                ("NR_ITERS", 1),
                ("TABLE_BITS", 6),
                ("AFFINE_FROM_ROM", 1),
            ],
            vec![("SIZE", 16), ("PARALLELISM", 16), ("AFFINE_FROM_ROM", 1)],
            vec![
                ("IN_WIDTH", 12),
                ("EPS_MANT", 1),
                ("EPS_FRAC_WIDTH", 10),
                ("OUT_FRAC_WIDTH", 10),
                ("SIZE", 32),
                ("PARALLELISM", 8),
            ],
            vec![
                ("IN_WIDTH", 7),
                ("IN_FRAC_WIDTH", 0),
                ("GAMMA_WIDTH", 5),
                ("GAMMA_FRAC_WIDTH", 3),
                ("BETA_WIDTH", 9),
                ("BETA_FRAC_WIDTH", 2),
                ("OUT_WIDTH", 11),
                ("OUT_FRAC_WIDTH", 5),
                ("ROUNDING", 6),
                ("OVERFLOW", 3),
                ("SIZE", 6),
                ("PARALLELISM", 2),
            ],
            vec![("SIZE", 1), ("PARALLELISM", 1)],
            vec![
                ("NR_ITERS", 0),
                ("TABLE_BITS", 7),
                ("OUT_WIDTH", 8),
                ("OUT_FRAC_WIDTH", 4),
                ("SIZE", 64),
                ("PARALLELISM", 8),
                ("AFFINE_FROM_ROM", 1),
            ],
        ]
    }

    fn random(&self, rng: &mut Rng) -> Vec<(&'static str, i64)> {
        let size = rng.range(1, 24);
        let divisors: Vec<i64> = (1..=size).filter(|d| size % d == 0).collect();
        let in_width = rng.range(4, 16);
        let r = rng.range(12, 24);
        vec![
            ("IN_WIDTH", in_width),
            ("IN_FRAC_WIDTH", rng.range(0, in_width)),
            ("GAMMA_WIDTH", rng.range(4, 16)),
            ("GAMMA_FRAC_WIDTH", rng.range(2, 12)),
            ("BETA_WIDTH", rng.range(4, 16)),
            ("BETA_FRAC_WIDTH", rng.range(0, 12)),
            ("OUT_WIDTH", rng.range(4, 16)),
            ("OUT_FRAC_WIDTH", rng.range(0, 10)),
            ("ROUNDING", rng.range(0, 6)),
            ("OVERFLOW", rng.range(0, 3)),
            ("SIZE", size),
            ("PARALLELISM", rng.pick(&divisors)),
            ("EPS_MANT", rng.range(1, 65535)),
            ("EPS_FRAC_WIDTH", rng.range(0, 40)),
            ("RSQRT_FRAC_WIDTH", r),
            ("TABLE_BITS", rng.range(2, 6)),
            ("NR_ITERS", rng.range(1, 3)),
            ("NORM_FRAC_WIDTH", rng.range(12, 20)),
            ("AFFINE_FROM_ROM", rng.range(0, 1)),
        ]
    }
}

struct LayerNormInstance {
    params: Params,
    cfg: LayerNormConfig,
    widths: LayerNormWidths,
    par: usize,
    rom: bool,
}

/// Rows of the circular row buffer (`ROWS` of `mh_layernorm`).
fn buffer_rows(kb: usize, nr_iters: u32) -> usize {
    let gap = 4 + 3 * nr_iters as usize + 3;
    (1 + (gap + 2).div_ceil(kb)).max(2)
}

/// A standard normal sample (Box–Muller), for accuracy inputs only.
fn gauss(rng: &mut Rng) -> f64 {
    let u1 = ((rng.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    let u2 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn uniform(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn quantise(f: Format, v: f64) -> i128 {
    f.from_f64(v, Rounding::Rnd, Overflow::Sat).unwrap_or(0)
}

fn max_value(f: Format) -> f64 {
    f.to_f64(f.max_raw())
}

impl LayerNormInstance {
    fn kb(&self) -> usize {
        self.cfg.size / self.par
    }

    /// Largest |γ| and |β| of the accuracy inputs: every output `|γ|·√(H−1) + |β|`
    /// stays within 90% of the output range.
    fn affine_amplitudes(&self) -> (f64, f64) {
        let c = &self.cfg;
        let out_max = max_value(c.output);
        let b = max_value(c.beta).min(0.25 * out_max);
        let spread = ((c.size - 1) as f64).sqrt();
        let g = if spread > 0.0 {
            max_value(c.gamma).min((0.9 * out_max - b) / spread)
        } else {
            max_value(c.gamma)
        };
        (g.max(0.0), b.max(0.0))
    }

    /// Output error bound estimate in LSBs: the rsqrt's relative error (table, then
    /// quadratic Newton–Raphson convergence, floors at 2^-R) times the largest output
    /// magnitude, plus the floor of `x̂`, plus the final rounding.
    fn error_estimate(&self) -> f64 {
        let c = &self.cfg;
        let r = f64::from(c.rsqrt_frac);
        let mut bits = f64::from(c.table_bits) + 2.0;
        for _ in 0..c.nr_iters {
            bits = 2.0 * bits - 1.0;
        }
        let rel = (-bits.min(r - 3.0)).exp2();
        let lsb = (-f64::from(c.output.frac())).exp2();
        let (g, _) = self.affine_amplitudes();
        let gmax = max_value(c.gamma).min(g.max(lsb));
        let xmax = ((c.size.max(2) - 1) as f64).sqrt();
        let norm_lsb = (-f64::from(c.norm_frac)).exp2();
        (gmax * xmax * rel + gmax * norm_lsb) / lsb + 0.5
    }

    fn affine_words(&self, t: &Tensor) -> Vec<Beat> {
        t.raw.chunks(self.par).map(<[i128]>::to_vec).collect()
    }
}

impl Instance for LayerNormInstance {
    fn component(&self) -> &'static dyn Component {
        &LayerNorm
    }
    fn params(&self) -> &Params {
        &self.params
    }
    fn module(&self) -> &'static str {
        "mh_layernorm"
    }
    fn library(&self) -> Vec<&'static str> {
        vec!["mh_cast_lane", "mh_fifo", "mh_layernorm"]
    }
    fn sv_params(&self, mem_dir: &str) -> Vec<(String, SvValue)> {
        let mut v: Vec<(String, SvValue)> = PARAMS
            .iter()
            .map(|s| (s.name.to_string(), SvValue::Int(self.params.get(s.name))))
            .collect();
        let table = golden::layernorm::rsqrt_table(self.cfg.table_bits, self.cfg.rsqrt_frac);
        let entry = match Format::unsigned(self.cfg.rsqrt_frac + 1, 0) {
            Ok(f) => f,
            Err(e) => unreachable!("RSQRT_FRAC_WIDTH is range-checked: {e}"),
        };
        v.push(("RSQRT_TABLE".into(), SvValue::table(&table, entry)));
        let file = |f: &str| {
            SvValue::Str(if self.rom {
                format!("{mem_dir}{f}")
            } else {
                String::new()
            })
        };
        v.push(("GAMMA_MEM_FILE".into(), file("gamma.mem")));
        v.push(("BETA_MEM_FILE".into(), file("beta.mem")));
        v
    }
    fn streams(&self) -> Vec<StreamDef> {
        let c = &self.cfg;
        let mut v = vec![StreamDef::new(
            "data_in",
            Dir::Input,
            self.par,
            c.input,
            "data_in",
        )];
        if !self.rom {
            v.push(StreamDef::new(
                "gamma",
                Dir::Input,
                self.par,
                c.gamma,
                "gamma",
            ));
            v.push(StreamDef::new("beta", Dir::Input, self.par, c.beta, "beta"));
        }
        v.push(StreamDef::new(
            "data_out",
            Dir::Output,
            self.par,
            c.output,
            "data_out",
        ));
        v
    }
    fn tie_offs(&self) -> Vec<(String, String)> {
        if !self.rom {
            return Vec::new();
        }
        // Sized zeros: Icarus widens an unsized '0 on a port with a warning.
        let c = &self.cfg;
        let (g, b) = (
            self.par as u32 * c.gamma.width(),
            self.par as u32 * c.beta.width(),
        );
        vec![
            ("gamma".into(), format!("{g}'d0")),
            ("gamma_valid".into(), "1'b0".into()),
            ("beta".into(), format!("{b}'d0")),
            ("beta_valid".into(), "1'b0".into()),
        ]
    }
    fn unused_outputs(&self) -> Vec<(String, u32)> {
        if !self.rom {
            return Vec::new();
        }
        vec![
            ("gamma_ready".to_string(), 1),
            ("beta_ready".to_string(), 1),
        ]
    }
    fn memories(&self) -> Vec<MemDef> {
        if !self.rom {
            return Vec::new();
        }
        let c = &self.cfg;
        vec![
            MemDef {
                tensor: "gamma".into(),
                param: "GAMMA_MEM_FILE".into(),
                file: "gamma.mem".into(),
                depth: self.kb(),
                word_width: self.par as u32 * c.gamma.width(),
            },
            MemDef {
                tensor: "beta".into(),
                param: "BETA_MEM_FILE".into(),
                file: "beta.mem".into(),
                depth: self.kb(),
                word_width: self.par as u32 * c.beta.width(),
            },
        ]
    }
    fn tensors(&self) -> Vec<TensorDef> {
        let c = &self.cfg;
        let h = c.size;
        let t = |name: &str, direction, shape: Vec<Dim>, format| TensorDef {
            name: name.into(),
            direction,
            shape,
            format,
        };
        vec![
            t(
                "data_in",
                Dir::Input,
                vec![Dim::Batch, Dim::Fixed(h)],
                c.input,
            ),
            t("gamma", Dir::Input, vec![Dim::Fixed(h)], c.gamma),
            t("beta", Dir::Input, vec![Dim::Fixed(h)], c.beta),
            t(
                "data_out",
                Dir::Output,
                vec![Dim::Batch, Dim::Fixed(h)],
                c.output,
            ),
        ]
    }
    fn behaviour(&self) -> Behaviour {
        // Mean and variance need the whole row; γ and β are read per output beat.
        let row = FirstOutput::Row { beats: self.kb() };
        if self.rom {
            Behaviour::new(false, &[("data_in", row)])
        } else {
            Behaviour::new(
                false,
                &[
                    ("data_in", row),
                    ("gamma", FirstOutput::Beat),
                    ("beta", FirstOutput::Beat),
                ],
            )
        }
    }
    fn timing(&self) -> Timing {
        Timing {
            latency: (self.kb() + 12 + 3 * self.cfg.nr_iters as usize) as u64,
            initiation_interval: 1,
            ii_stream: "data_out".into(),
        }
    }
    fn combinational_paths(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn resources(&self) -> BTreeMap<String, u64> {
        let c = &self.cfg;
        let w = &self.widths;
        let p = self.par as u64;
        let nr = u64::from(c.nr_iters);
        let rows = buffer_rows(self.kb(), c.nr_iters) as u64;
        let entries = 2u64 << c.table_bits;
        let ew = u64::from(golden::fixed::clog2(u64::from(w.d)).max(1));
        let mut r = BTreeMap::new();
        // Squarers (P), S² (1), three per Newton–Raphson step, N·y (P), γ·x̂ (P).
        r.insert("multipliers".to_string(), 3 * p + 1 + 3 * nr);
        // H·x (P) and H·Q (1): multiplications by the constant H.
        r.insert("constant_multipliers".to_string(), p + 1);
        r.insert("table_entries".to_string(), entries);
        r.insert(
            "table_bits".to_string(),
            entries * u64::from(c.rsqrt_frac + 1),
        );
        r.insert(
            "row_buffer_bits".to_string(),
            rows * c.size as u64 * u64::from(c.input.width()),
        );
        r.insert(
            "stats_fifo_bits".to_string(),
            rows * (u64::from(c.rsqrt_frac + 1) + ew + u64::from(w.sum)),
        );
        if self.rom {
            r.insert(
                "affine_rom_bits".to_string(),
                c.size as u64 * u64::from(c.gamma.width() + c.beta.width()),
            );
        }
        r
    }
    fn golden(&self, inputs: &TensorMap) -> Result<TensorMap, GenError> {
        let n = "layernorm";
        let x = require(inputs, n, "data_in", "input rows")?;
        let g = require(inputs, n, "gamma", "gamma")?;
        let b = require(inputs, n, "beta", "beta")?;
        let rows = x.shape[0];
        let raw = golden::layernorm::layernorm(&x.raw, rows, &g.raw, &b.raw, &self.cfg).map_err(
            |source| GenError::Fixed {
                component: n.to_string(),
                source,
            },
        )?;
        Ok(TensorMap::from([(
            "data_out".to_string(),
            Tensor::new(vec![rows, self.cfg.size], raw, self.cfg.output),
        )]))
    }
    fn float_reference(
        &self,
        inputs: &TensorMap,
    ) -> Result<Option<BTreeMap<String, Vec<f64>>>, GenError> {
        let n = "layernorm";
        let x = require(inputs, n, "data_in", "input rows")?;
        let g = require(inputs, n, "gamma", "gamma")?;
        let b = require(inputs, n, "beta", "beta")?;
        let f = golden::layernorm::layernorm_f64(&x.raw, x.shape[0], &g.raw, &b.raw, &self.cfg);
        Ok(Some(BTreeMap::from([("data_out".to_string(), f)])))
    }
    fn accuracy_bound(&self) -> Option<AccuracyBound> {
        // Claimed where the internal precision supports it (every default-like and
        // random configuration); low-precision corners are reported only.
        (self.error_estimate() <= 1.0).then(|| AccuracyBound {
            max_lsb: 2.0,
            note: "vs f64 layernorm with the same gamma, beta, eps (output clamped to its \
                   range); rows: realistic, large offsets, tiny variance, outliers, full range"
                .into(),
        })
    }
    fn accuracy_inputs(&self, rng: &mut Rng, batch: usize) -> TensorMap {
        let c = &self.cfg;
        let h = c.size;
        let (ga, ba) = self.affine_amplitudes();
        let gamma: Vec<i128> = (0..h)
            .map(|_| {
                let sign = if rng.chance(0.1) { -1.0 } else { 1.0 };
                quantise(c.gamma, sign * ga * (0.25 + 0.75 * uniform(rng)))
            })
            .collect();
        let beta: Vec<i128> = (0..h)
            .map(|_| quantise(c.beta, ba * (2.0 * uniform(rng) - 1.0)))
            .collect();
        let fi = c.input;
        let (lo, hi) = (fi.to_f64(fi.min_raw()), max_value(fi));
        let lsb = (-f64::from(fi.frac())).exp2();
        let mut x = Vec::with_capacity(batch * h);
        for r in 0..batch {
            let kind = r % 5;
            let offset = match kind {
                1 => (if rng.chance(0.5) { 0.85 } else { -0.85 }) * hi,
                2 => lo + (hi - lo) * uniform(rng),
                _ => 0.1 * hi * (2.0 * uniform(rng) - 1.0),
            };
            let std = match kind {
                0 => hi / 8.0 * (0.1 + uniform(rng)),
                1 => hi / 64.0 * uniform(rng) + lsb,
                _ => hi / 32.0,
            };
            let outlier = rng.below(h as u64) as usize;
            for i in 0..h {
                let v = match kind {
                    // Tiny variance: a constant with a few elements one LSB off.
                    2 => offset + if rng.chance(0.15) { lsb } else { 0.0 },
                    3 if i == outlier => {
                        if rng.chance(0.5) {
                            hi
                        } else {
                            lo
                        }
                    }
                    4 => lo + (hi - lo) * uniform(rng),
                    _ => offset + std * gauss(rng),
                };
                x.push(quantise(fi, v.clamp(lo, hi)));
            }
        }
        TensorMap::from([
            (
                "data_in".to_string(),
                Tensor::new(vec![batch, h], x, c.input),
            ),
            ("gamma".to_string(), Tensor::new(vec![h], gamma, c.gamma)),
            ("beta".to_string(), Tensor::new(vec![h], beta, c.beta)),
        ])
    }
    fn stream_beats(&self, stream: &StreamDef, tensors: &TensorMap) -> Result<Vec<Beat>, GenError> {
        let n = "layernorm";
        let rows = require(tensors, n, "data_in", "input rows")?.shape[0];
        match stream.name.as_str() {
            "gamma" | "beta" => {
                let words = self.affine_words(require(tensors, n, &stream.tensor, "affine")?);
                Ok((0..rows).flat_map(|_| words.iter().cloned()).collect())
            }
            _ => require(tensors, n, &stream.tensor, "stream data")?.to_beats(
                n,
                &stream.tensor,
                stream.lanes,
            ),
        }
    }
    fn memory_words(&self, mem: &MemDef, tensors: &TensorMap) -> Result<Vec<Beat>, GenError> {
        let t = require(tensors, "layernorm", &mem.tensor, "ROM contents")?;
        Ok(self.affine_words(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corners_and_randoms_elaborate() {
        for o in LayerNorm.corners() {
            LayerNorm.configure(&o).unwrap();
        }
        let mut rng = Rng::new(7);
        for _ in 0..200 {
            let o = LayerNorm.random(&mut rng);
            LayerNorm.configure(&o).unwrap();
        }
    }

    #[test]
    fn rejects_parallelism_not_dividing_size() {
        let e = LayerNorm
            .configure(&[("SIZE", 10), ("PARALLELISM", 4)])
            .err()
            .unwrap();
        assert!(e.to_string().contains("PARALLELISM"), "{e}");
    }

    #[test]
    fn rejects_intermediates_wider_than_126_bits() {
        let e = LayerNorm
            .configure(&[
                ("IN_WIDTH", 24),
                ("IN_FRAC_WIDTH", -8),
                ("SIZE", 4096),
                ("PARALLELISM", 64),
                ("EPS_FRAC_WIDTH", 80),
            ])
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("EPS_FRAC_WIDTH=80") && e.contains("limit 126"),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn buffer_is_ping_pong_for_long_rows() {
        assert_eq!(buffer_rows(48, 2), 2);
        // KB = 1: a row plus the 13 words arriving before its first read.
        assert!(buffer_rows(1, 2) >= 14);
    }
}
