//! The quantization and parallelism config (TOML) and its resolution against a graph.
//!
//! ```toml
//! [default]                 # every key optional; shown with the built-in defaults
//! width = 16
//! frac = "auto"             # an integer, or "auto": from the tensor's range
//! rounding = "RND"          # golden::Rounding names: TRN, TRN_ZERO, RND, RND_ZERO, RND_MIN_INF, RND_INF, RND_CONV
//! overflow = "SAT"          # golden::Overflow names: WRAP, SAT, SAT_ZERO, SAT_SYM
//! parallelism = 1
//!
//! [node."encoder.layer.0.intermediate.dense"]   # the node's output tensor and lanes
//! width = 12
//! parallelism = { in = 8, out = 4 }             # or one integer for every dimension
//!
//! [weights]                 # every linear layer's weight matrix
//! width = 8
//!
//! [tensor."encoder.layer.0.intermediate.dense.weight"]   # a parameter or node output
//! width = 8
//! frac = "auto"
//! granularity = "mx"        # linear weights only: "per_tensor" (default), "per_channel", "mx"
//! block = 32                # inputs sharing one scale with "mx" (divides the input features)
//! ```
//!
//! Weight granularity (`[weights]` and `[tensor."T"]` of a linear weight matrix only):
//! `per_tensor` gives the matrix one format; `per_channel` gives each output row its
//! own power-of-two scale; `mx` (OCP Microscaling style, MXINT`width`) gives each block
//! of `block` consecutive weights of a row one shared power-of-two scale (an E8M0-like
//! exponent). [`quantize_grouped`] picks each group's fractional width as
//! `frac = "auto"` does for a tensor (the largest at which the group's maximum
//! magnitude fits `width` bits) and expresses it as an unsigned left shift from the
//! finest group's frac; groups coarser than that by more than [`MAX_GROUP_SHIFT`] are
//! clamped (they lose only low bits of values that are tiny against the largest). The
//! resolved format of such a matrix is that of its coarsest group (from the whole
//! matrix's range); the per-group formats come from [`quantize_grouped`]. These need
//! `frac = "auto"`.
//!
//! Resolution gives every tensor (each node's output and each parameter) a signed
//! [`Format`], a rounding and an overflow mode, and every node its lanes per
//! dimension. Precedence, per key: `[tensor.T]`, then `[node.N]` (for `N`'s output)
//! or `[weights]` (for a linear layer's weight matrix), then `[default]`. The data-movement nodes (`reshape`, `split_heads`, `merge_heads`,
//! `output`) inherit their input's resolution unless a node or tensor section names
//! them, so they never need a cast. `frac = "auto"` picks the largest fractional width
//! at which the tensor's maximum magnitude still fits: weights from their values,
//! activations from calibration ranges ([`crate::float::Activations::ranges`]).
//!
//! Parallelism keys per op: `linear` has `in` (divides the input features) and `out`
//! (divides the output features); `matmul` has `k` (the inner dimension) and `n` (the
//! output columns); every other op has `lanes` (divides the output's last axis). An
//! integer sets every key of the op. This module decides formats and lane counts only;
//! mapping them onto components is the generator's job.

use std::collections::BTreeMap;

use golden::{Format, Overflow, Rounding};
use thiserror::Error;

use crate::graph::{Graph, Node, Op};
use crate::weights::Weights;

/// Why a quantization config is invalid for a graph.
#[derive(Debug, Error)]
pub enum QuantError {
    /// The text is not TOML.
    #[error("quant config: {0}")]
    Toml(String),
    /// A key has a wrong value, or is not a key of its section.
    #[error("quant config [{section}] {key} = {value}: {rule}")]
    Key {
        /// `default`, `node."name"` or `tensor."name"`.
        section: String,
        /// The key.
        key: String,
        /// The value, printed.
        value: String,
        /// The rule broken.
        rule: String,
    },
    /// A `[node.N]` section names no node of the graph.
    #[error("quant config [node.\"{name}\"]: the model has no node `{name}`")]
    UnknownNode {
        /// The name given.
        name: String,
    },
    /// A `[tensor.T]` section names no parameter or node output.
    #[error(
        "quant config [tensor.\"{name}\"]: the model has no tensor (parameter or node output) `{name}`"
    )]
    UnknownTensor {
        /// The name given.
        name: String,
    },
    /// A lane count does not divide the dimension it parallelises.
    #[error(
        "quant config: node `{node}`: parallelism.{key} = {lanes} (from [{section}]) does not divide {what} {size}"
    )]
    Parallelism {
        /// The node.
        node: String,
        /// The dimension key (`in`, `out`, `k`, `n`, `lanes`).
        key: &'static str,
        /// The lane count.
        lanes: usize,
        /// The section it came from.
        section: String,
        /// The dimension's meaning.
        what: &'static str,
        /// The dimension's size.
        size: usize,
    },
    /// `frac = "auto"` for a tensor without a known range.
    #[error("quant config: tensor `{tensor}`: frac = \"auto\" needs its range, but {why}")]
    NoRange {
        /// The tensor.
        tensor: String,
        /// Why no range is known.
        why: &'static str,
    },
}

/// A fractional width: fixed, or chosen from the tensor's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frac {
    /// Exactly this many fractional bits.
    Bits(i32),
    /// The largest fractional width at which the tensor's range fits.
    Auto,
}

/// How a linear layer's weight matrix shares its power-of-two scales.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Granularity {
    /// One format for the whole matrix.
    #[default]
    PerTensor,
    /// One scale per output row.
    PerChannel,
    /// One scale per `block` consecutive weights of a row (MX).
    Mx {
        /// Weights per block along the input dimension.
        block: usize,
    },
}

impl Granularity {
    /// The config spelling: `per_tensor`, `per_channel` or `mx`.
    pub fn name(self) -> &'static str {
        match self {
            Granularity::PerTensor => "per_tensor",
            Granularity::PerChannel => "per_channel",
            Granularity::Mx { .. } => "mx",
        }
    }
}

impl std::fmt::Display for Granularity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Granularity::Mx { block } => write!(f, "mx(block {block})"),
            g => f.write_str(g.name()),
        }
    }
}

/// Default MX block (OCP Microscaling v1.0).
pub const DEFAULT_MX_BLOCK: usize = 32;

/// Largest shift between the finest and the coarsest group of one weight matrix.
pub const MAX_GROUP_SHIFT: u32 = 15;

/// Lanes for a node: one count for every dimension, or per dimension key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParallelismSpec {
    /// Every dimension key of the op gets this count.
    All(usize),
    /// Per key (`in`, `out`, `k`, `n`, `lanes`); missing keys take the default.
    Dims(BTreeMap<String, usize>),
}

/// The keys a section may set; `None` means "not set here".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Spec {
    /// Total bits.
    pub width: Option<u32>,
    /// Fractional bits.
    pub frac: Option<Frac>,
    /// Rounding of the cast that produces the tensor.
    pub rounding: Option<Rounding>,
    /// Overflow handling of that cast.
    pub overflow: Option<Overflow>,
    /// Lanes (`[default]` and `[node.N]` only).
    pub parallelism: Option<ParallelismSpec>,
    /// Weight scale sharing (`[weights]` and `[tensor.T]` only); `block` comes from
    /// the `block` key.
    pub granularity: Option<Granularity>,
    /// MX block size (`[weights]` and `[tensor.T]` only).
    pub block: Option<usize>,
}

impl Spec {
    /// Whether the section sets any of width, frac, rounding or overflow.
    pub fn sets_format(&self) -> bool {
        self.width.is_some()
            || self.frac.is_some()
            || self.rounding.is_some()
            || self.overflow.is_some()
    }
}

/// A parsed config: the default and the overrides, not yet checked against a graph.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantConfig {
    /// `[default]`, with the built-in defaults filled in.
    pub default: Spec,
    /// `[node."N"]` sections.
    pub nodes: BTreeMap<String, Spec>,
    /// `[tensor."T"]` sections.
    pub tensors: BTreeMap<String, Spec>,
    /// `[weights]`: every `linear` weight matrix (below `[tensor."T"]`, above
    /// `[default]`).
    pub weights: Option<Spec>,
}

impl Default for QuantConfig {
    /// 16 bits, `frac = "auto"`, `RND`, `SAT`, parallelism 1, no overrides.
    fn default() -> Self {
        QuantConfig {
            default: Spec {
                width: Some(16),
                frac: Some(Frac::Auto),
                rounding: Some(Rounding::Rnd),
                overflow: Some(Overflow::Sat),
                parallelism: Some(ParallelismSpec::All(1)),
                granularity: None,
                block: None,
            },
            nodes: BTreeMap::new(),
            tensors: BTreeMap::new(),
            weights: None,
        }
    }
}

/// The resolved quantization of one tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TensorQuant {
    /// Signed fixed-point format.
    pub format: Format,
    /// Rounding of the cast producing it.
    pub rounding: Rounding,
    /// Overflow handling of that cast.
    pub overflow: Overflow,
    /// The maximum magnitude used for `frac = "auto"`, if that was asked for.
    pub range: Option<f64>,
    /// Scale sharing of a linear weight matrix (`PerTensor` for everything else).
    pub granularity: Granularity,
}

impl TensorQuant {
    /// The raw code of `x` in this format, with this rounding and overflow (the same
    /// conversion golden and the ROM contents use).
    ///
    /// # Errors
    /// [`golden::FixedError::NotFinite`] for NaN or infinity.
    pub fn quantize(&self, x: f64) -> Result<i128, golden::FixedError> {
        self.format.from_f64(x, self.rounding, self.overflow)
    }

    /// [`TensorQuant::quantize`] of every element of `xs` (a whole weight tensor), with
    /// identical results, fast: the exact product `x·2^frac` of an `f32` is an `f64`,
    /// so its floor and its distance to the floor decide every rounding mode without
    /// the general path's integer shifts; values beyond `±2^62` after scaling take the
    /// general path. Large tensors are split across the available cores.
    ///
    /// # Errors
    /// [`golden::FixedError::NotFinite`] for the first NaN or infinity.
    pub fn quantize_all(&self, xs: &[f32]) -> Result<Vec<i128>, golden::FixedError> {
        let mut out = vec![0i128; xs.len()];
        crate::mem::hugepages(&mut out);
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(xs.len().div_ceil(1 << 16));
        if threads <= 1 {
            self.quantize_into(xs, &mut out)?;
            return Ok(out);
        }
        let per = xs.len().div_ceil(threads);
        let results: Vec<Result<(), golden::FixedError>> = std::thread::scope(|s| {
            let handles: Vec<_> = xs
                .chunks(per)
                .zip(out.chunks_mut(per))
                .map(|(x, o)| s.spawn(move || self.quantize_into(x, o)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        results.into_iter().collect::<Result<(), _>>()?;
        Ok(out)
    }

    fn quantize_into(&self, xs: &[f32], out: &mut [i128]) -> Result<(), golden::FixedError> {
        let f = self.format;
        // 2^frac, exact (frac is within -128..=256).
        let scale = 2f64.powi(f.frac());
        let (min, max) = (f.min_raw(), f.max_raw());
        let low = if self.overflow == Overflow::SatSym && f.is_signed() {
            -max
        } else {
            min
        };
        for (o, &x) in out.iter_mut().zip(xs) {
            // Exact: an f32 times a power of two within f64's range.
            let y = f64::from(x) * scale;
            if !y.is_finite() || y.abs() >= 4.611_686_018_427_388e18 {
                // Beyond 2^62 (or not finite): the general path.
                *o = self.quantize(f64::from(x))?;
                continue;
            }
            let fl = y.floor();
            let q = fl as i64; // exact: |fl| <= 2^62
            let d = y - fl; // exact: the fractional bits of y, in [0, 1)
            let negative = x < 0.0;
            let (above, tie, nonzero) = (d > 0.5, d == 0.5, d != 0.0);
            let up = match self.rounding {
                Rounding::Trn => false,
                Rounding::TrnZero => negative && nonzero,
                Rounding::Rnd => above || tie,
                Rounding::RndZero => above || (tie && negative),
                Rounding::RndMinInf => above,
                Rounding::RndInf => above || (tie && !negative),
                Rounding::RndConv => above || (tie && q & 1 == 1),
            };
            let v = i128::from(q) + i128::from(up);
            *o = match self.overflow {
                Overflow::Wrap => f.wrap(v),
                Overflow::Sat | Overflow::SatSym => v.clamp(low, max),
                Overflow::SatZero => {
                    if f.contains(v) {
                        v
                    } else {
                        0
                    }
                }
            };
        }
        Ok(())
    }

    /// The real value of raw code `raw`.
    pub fn dequantize(&self, raw: i128) -> f64 {
        self.format.to_f64(raw)
    }
}

/// Formats for every tensor and lanes for every node of a graph.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantPlan {
    /// By tensor name (node outputs and parameters).
    pub tensors: BTreeMap<String, TensorQuant>,
    /// By node name: dimension key → lanes.
    pub parallelism: BTreeMap<String, BTreeMap<&'static str, usize>>,
}

fn key_err(
    section: &str,
    key: &str,
    value: impl std::fmt::Display,
    rule: impl Into<String>,
) -> QuantError {
    QuantError::Key {
        section: section.to_owned(),
        key: key.to_owned(),
        value: value.to_string(),
        rule: rule.into(),
    }
}

fn parse_spec(
    section: &str,
    value: &toml::Value,
    allow_par: bool,
    allow_gran: bool,
) -> Result<Spec, QuantError> {
    let table = value
        .as_table()
        .ok_or_else(|| key_err(section, "", value, "must be a table"))?;
    let mut spec = Spec::default();
    for (key, v) in table {
        let bad = |rule: &str| key_err(section, key, v, rule);
        match key.as_str() {
            "width" => {
                let w = v.as_integer().ok_or_else(|| bad("must be an integer"))?;
                let w = u32::try_from(w)
                    .ok()
                    .filter(|w| (1..=Format::MAX_SIGNED_WIDTH).contains(w))
                    .ok_or_else(|| bad("out of range 1..=128"))?;
                spec.width = Some(w);
            }
            "frac" => {
                spec.frac = Some(match v {
                    toml::Value::String(s) if s == "auto" => Frac::Auto,
                    toml::Value::Integer(f) => Frac::Bits(
                        i32::try_from(*f)
                            .ok()
                            .filter(|f| (Format::MIN_FRAC..=Format::MAX_FRAC).contains(f))
                            .ok_or_else(|| bad("out of range -128..=256"))?,
                    ),
                    _ => return Err(bad("must be an integer or \"auto\"")),
                });
            }
            "rounding" => {
                let s = v.as_str().ok_or_else(|| bad("must be a string"))?;
                spec.rounding = Some(
                    s.parse()
                        .map_err(|e: golden::FixedError| bad(&e.to_string()))?,
                );
            }
            "overflow" => {
                let s = v.as_str().ok_or_else(|| bad("must be a string"))?;
                spec.overflow = Some(
                    s.parse()
                        .map_err(|e: golden::FixedError| bad(&e.to_string()))?,
                );
            }
            "parallelism" if allow_par => {
                let lanes = |v: &toml::Value| {
                    v.as_integer()
                        .and_then(|p| usize::try_from(p).ok())
                        .filter(|p| *p >= 1)
                        .ok_or_else(|| bad("lane counts must be integers ≥ 1"))
                };
                spec.parallelism = Some(match v {
                    toml::Value::Table(t) => ParallelismSpec::Dims(
                        t.iter()
                            .map(|(k, v)| Ok((k.clone(), lanes(v)?)))
                            .collect::<Result<_, QuantError>>()?,
                    ),
                    _ => ParallelismSpec::All(lanes(v)?),
                });
            }
            "granularity" if allow_gran => {
                spec.granularity = Some(match v.as_str() {
                    Some("per_tensor") => Granularity::PerTensor,
                    Some("per_channel") => Granularity::PerChannel,
                    Some("mx") => Granularity::Mx {
                        block: DEFAULT_MX_BLOCK,
                    },
                    _ => return Err(bad("must be \"per_tensor\", \"per_channel\" or \"mx\"")),
                });
            }
            "block" if allow_gran => {
                let b = v
                    .as_integer()
                    .and_then(|b| usize::try_from(b).ok())
                    .filter(|b| *b >= 1)
                    .ok_or_else(|| bad("must be an integer ≥ 1"))?;
                spec.block = Some(b);
            }
            _ => {
                let keys = if allow_par {
                    "width, frac, rounding, overflow, parallelism"
                } else if allow_gran {
                    "width, frac, rounding, overflow, granularity, block"
                } else {
                    "width, frac, rounding, overflow"
                };
                return Err(bad(&format!("unknown key (expected one of {keys})")));
            }
        }
    }
    Ok(spec)
}

impl QuantConfig {
    /// Parses a TOML config; keys missing from `[default]` take the built-in defaults.
    ///
    /// # Errors
    /// [`QuantError::Toml`] for malformed TOML, [`QuantError::Key`] for an unknown
    /// section or key or an invalid value.
    pub fn from_toml(text: &str) -> Result<QuantConfig, QuantError> {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| QuantError::Toml(e.to_string()))?;
        let mut cfg = QuantConfig::default();
        for (section, value) in &table {
            match section.as_str() {
                "default" => {
                    let d = parse_spec("default", value, true, false)?;
                    let def = &mut cfg.default;
                    def.width = d.width.or(def.width);
                    def.frac = d.frac.or(def.frac);
                    def.rounding = d.rounding.or(def.rounding);
                    def.overflow = d.overflow.or(def.overflow);
                    def.parallelism = d.parallelism.or(def.parallelism.take());
                }
                "node" | "tensor" => {
                    let t = value.as_table().ok_or_else(|| {
                        key_err(section, "", value, "must be a table of named sections")
                    })?;
                    for (name, spec) in t {
                        let sec = format!("{section}.\"{name}\"");
                        let spec = parse_spec(&sec, spec, section == "node", section == "tensor")?;
                        if section == "node" {
                            cfg.nodes.insert(name.clone(), spec);
                        } else {
                            cfg.tensors.insert(name.clone(), spec);
                        }
                    }
                }
                "weights" => cfg.weights = Some(parse_spec("weights", value, false, true)?),
                other => {
                    return Err(key_err(
                        other,
                        "",
                        "…",
                        "unknown section (expected default, weights, node, tensor)",
                    ));
                }
            }
        }
        Ok(cfg)
    }

    /// Resolves every tensor's format and every node's lanes for `graph`.
    /// `weights` give the ranges of parameters, `calibration` (node name → maximum
    /// magnitude, from a float run) those of activations; either is only needed for
    /// tensors whose `frac` is `"auto"`.
    ///
    /// # Errors
    /// Unknown node or tensor names, a lane count not dividing its dimension, an
    /// unknown parallelism key, or `"auto"` without a range.
    pub fn resolve(
        &self,
        graph: &Graph,
        weights: Option<&Weights>,
        calibration: Option<&BTreeMap<String, f64>>,
    ) -> Result<QuantPlan, QuantError> {
        for name in self.nodes.keys() {
            if graph.node(name).is_none() {
                return Err(QuantError::UnknownNode { name: name.clone() });
            }
        }
        for name in self.tensors.keys() {
            if graph.node(name).is_none() && graph.param(name).is_none() {
                return Err(QuantError::UnknownTensor { name: name.clone() });
            }
        }
        let mut plan = QuantPlan {
            tensors: BTreeMap::new(),
            parallelism: BTreeMap::new(),
        };
        for p in &graph.params {
            let range = || {
                weights
                    .and_then(|w| w.get(&p.name))
                    .map(|t| t.max_abs())
                    .ok_or(QuantError::NoRange {
                        tensor: p.name.clone(),
                        why: "no weights were given for it",
                    })
            };
            let is_weight = graph
                .nodes
                .iter()
                .any(|n| matches!(&n.op, Op::Linear { weight, .. } if *weight == p.name));
            let specs = [
                self.tensors.get(&p.name),
                self.weights.as_ref().filter(|_| is_weight),
            ];
            let mut tq = self.tensor_quant(&p.name, specs, range)?;
            tq.granularity =
                self.granularity(&p.name, specs, is_weight, p.shape.get(1).copied())?;
            if tq.granularity != Granularity::PerTensor {
                // Each group picks its own frac; `[default]`'s frac does not apply, and
                // a fixed frac beside the granularity is a contradiction.
                if let Some(Frac::Bits(f)) = specs.iter().flatten().find_map(|s| s.frac) {
                    return Err(key_err(
                        &format!("tensor.\"{}\"", p.name),
                        "frac",
                        f,
                        format!(
                            "granularity = \"{}\" picks each group's frac; use frac = \"auto\"",
                            tq.granularity.name()
                        ),
                    ));
                }
                if tq.range.is_none() {
                    let r = range()?;
                    let frac = auto_frac(r, tq.format.width());
                    tq.format = Format::signed(tq.format.width(), frac).map_err(|e| {
                        key_err(
                            &format!("tensor.\"{}\"", p.name),
                            "frac",
                            frac,
                            e.to_string(),
                        )
                    })?;
                    tq.range = Some(r);
                }
            }
            plan.tensors.insert(p.name.clone(), tq);
        }
        for node in &graph.nodes {
            let specs = [self.tensors.get(&node.name), self.nodes.get(&node.name)];
            let moves_data = matches!(
                node.op,
                Op::Reshape | Op::SplitHeads { .. } | Op::MergeHeads | Op::Output
            );
            let inherited = node
                .inputs
                .first()
                .and_then(|i| plan.tensors.get(i))
                .copied();
            let tq = match inherited {
                Some(tq) if moves_data && !specs.iter().flatten().any(|s| s.sets_format()) => tq,
                _ => {
                    let range = || {
                        calibration.and_then(|c| c.get(&node.name)).copied().ok_or(
                            QuantError::NoRange {
                                tensor: node.name.clone(),
                                why: if calibration.is_none() {
                                    "no calibration run was given"
                                } else {
                                    "the calibration run has no value for it"
                                },
                            },
                        )
                    };
                    self.tensor_quant(&node.name, specs, range)?
                }
            };
            if specs
                .iter()
                .flatten()
                .any(|s| s.granularity.is_some() || s.block.is_some())
            {
                return Err(key_err(
                    &format!("tensor.\"{}\"", node.name),
                    "granularity",
                    "…",
                    "applies only to linear weight matrices",
                ));
            }
            plan.tensors.insert(node.name.clone(), tq);
            plan.parallelism
                .insert(node.name.clone(), self.lanes(graph, node)?);
        }
        Ok(plan)
    }

    /// The granularity of parameter `name` (`is_weight`: a linear weight matrix with
    /// `in_features` inputs per row).
    fn granularity(
        &self,
        name: &str,
        specs: [Option<&Spec>; 2],
        is_weight: bool,
        in_features: Option<usize>,
    ) -> Result<Granularity, QuantError> {
        let section = format!("tensor.\"{name}\"");
        // Per key, the highest section that sets it; a `block` below a section that
        // chooses a granularity other than mx belongs to a lower default and is ignored.
        let gi = specs
            .iter()
            .position(|s| s.is_some_and(|s| s.granularity.is_some()));
        let g = gi.and_then(|i| specs[i].and_then(|s| s.granularity));
        let block_at = |upto: usize| specs[..upto].iter().flatten().find_map(|s| s.block);
        let g = match g {
            None => {
                if let Some(b) = block_at(specs.len()) {
                    let rule = if is_weight {
                        "needs granularity = \"mx\""
                    } else {
                        "applies only to linear weight matrices"
                    };
                    return Err(key_err(&section, "block", b, rule));
                }
                return Ok(Granularity::PerTensor);
            }
            Some(_) if !is_weight => {
                return Err(key_err(
                    &section,
                    "granularity",
                    "…",
                    "applies only to linear weight matrices",
                ));
            }
            Some(Granularity::Mx { .. }) => {
                let block = block_at(specs.len()).unwrap_or(DEFAULT_MX_BLOCK);
                let n = in_features.unwrap_or(block);
                if !n.is_multiple_of(block) {
                    return Err(key_err(
                        &section,
                        "block",
                        block,
                        format!("must divide the input features {n}"),
                    ));
                }
                Granularity::Mx { block }
            }
            Some(g) => {
                if let Some(b) = block_at(gi.map_or(0, |i| i + 1)) {
                    return Err(key_err(&section, "block", b, "needs granularity = \"mx\""));
                }
                g
            }
        };
        Ok(g)
    }

    fn tensor_quant(
        &self,
        name: &str,
        specs: [Option<&Spec>; 2],
        range: impl Fn() -> Result<f64, QuantError>,
    ) -> Result<TensorQuant, QuantError> {
        let pick = |f: &dyn Fn(&Spec) -> bool| {
            specs
                .iter()
                .flatten()
                .copied()
                .find(|s| f(s))
                .unwrap_or(&self.default)
        };
        let width = pick(&|s| s.width.is_some()).width.unwrap_or(16);
        let frac = pick(&|s| s.frac.is_some()).frac.unwrap_or(Frac::Auto);
        let rounding = pick(&|s| s.rounding.is_some()).rounding.unwrap_or_default();
        let overflow = pick(&|s| s.overflow.is_some()).overflow.unwrap_or_default();
        let (frac, range) = match frac {
            Frac::Bits(f) => (f, None),
            Frac::Auto => {
                let r = range()?;
                (auto_frac(r, width), Some(r))
            }
        };
        let format = Format::signed(width, frac)
            .map_err(|e| key_err(&format!("tensor.\"{name}\""), "frac", frac, e.to_string()))?;
        Ok(TensorQuant {
            format,
            rounding,
            overflow,
            range,
            granularity: Granularity::PerTensor,
        })
    }

    fn lanes(
        &self,
        graph: &Graph,
        node: &Node,
    ) -> Result<BTreeMap<&'static str, usize>, QuantError> {
        let in_shape = node
            .inputs
            .first()
            .and_then(|i| graph.node(i))
            .map(|n| n.shape.as_slice())
            .unwrap_or_default();
        let last = |s: &[usize]| s.last().copied().unwrap_or(1);
        let dims: Vec<(&'static str, &'static str, usize)> = match &node.op {
            Op::Linear { .. } => vec![
                ("in", "the input features", last(in_shape)),
                ("out", "the output features", last(&node.shape)),
            ],
            Op::Matmul { .. } => vec![
                ("k", "the inner dimension", last(in_shape)),
                ("n", "the output columns", last(&node.shape)),
            ],
            _ => vec![("lanes", "the output's last axis", last(&node.shape))],
        };
        let node_spec = self
            .nodes
            .get(&node.name)
            .and_then(|s| s.parallelism.as_ref());
        let node_section = format!("node.\"{}\"", node.name);
        if let Some(ParallelismSpec::Dims(m)) = node_spec
            && let Some(k) = m.keys().find(|k| !dims.iter().any(|d| d.0 == k.as_str()))
        {
            let keys: Vec<&str> = dims.iter().map(|d| d.0).collect();
            return Err(key_err(
                &node_section,
                &format!("parallelism.{k}"),
                m[k],
                format!(
                    "a {} node has parallelism keys {}",
                    node.op.kind(),
                    keys.join(", ")
                ),
            ));
        }
        let mut out = BTreeMap::new();
        for (key, what, size) in dims {
            let from = |spec: Option<&ParallelismSpec>| match spec {
                Some(ParallelismSpec::All(p)) => Some(*p),
                Some(ParallelismSpec::Dims(m)) => m.get(key).copied(),
                None => None,
            };
            let (lanes, section) = match from(node_spec) {
                Some(p) => (p, node_section.clone()),
                None => (
                    from(self.default.parallelism.as_ref()).unwrap_or(1),
                    "default".to_owned(),
                ),
            };
            if !size.is_multiple_of(lanes) {
                return Err(QuantError::Parallelism {
                    node: node.name.clone(),
                    key,
                    lanes,
                    section,
                    what,
                    size,
                });
            }
            out.insert(key, lanes);
        }
        Ok(out)
    }
}

/// A weight matrix quantized with grouped power-of-two scales (see the module text).
#[derive(Clone, Debug, PartialEq)]
pub struct GroupedWeights {
    /// Raw codes, `[out, in]` row-major; element `(o, i)` is worth
    /// `raw · 2^(shift - format.frac())`.
    pub raw: Vec<i128>,
    /// `signed(width, F)` with `F` the finest group's frac.
    pub format: Format,
    /// Weights per group along the input dimension.
    pub block: usize,
    /// `[out, in / block]`: each group's left shift from `F`.
    pub shifts: Vec<i128>,
    /// Bits of one shift code (`clog2(max shift + 1)`, at least 1).
    pub shift_width: u32,
}

/// Quantizes weight matrix `data` (`[out, in]` row-major, `in` inputs per row) with
/// `tq`'s width, rounding, overflow and granularity (which must not be `PerTensor`).
///
/// # Errors
/// [`QuantError::Key`] if the block does not divide `in` or the data do not fill
/// whole rows; [`golden::FixedError::NotFinite`] (as a key error) for NaN or infinity.
pub fn quantize_grouped(
    name: &str,
    tq: &TensorQuant,
    data: &[f32],
    in_features: usize,
) -> Result<GroupedWeights, QuantError> {
    let section = format!("tensor.\"{name}\"");
    let block = match tq.granularity {
        Granularity::PerTensor | Granularity::PerChannel => in_features,
        Granularity::Mx { block } => block,
    };
    if block == 0
        || !in_features.is_multiple_of(block)
        || !data.len().is_multiple_of(in_features.max(1))
    {
        return Err(key_err(
            &section,
            "block",
            block,
            format!("must divide the input features {in_features}"),
        ));
    }
    let width = tq.format.width();
    let fracs: Vec<Option<i32>> = data
        .chunks(block)
        .map(|g| {
            let m = g.iter().fold(0f64, |m, &x| m.max(f64::from(x).abs()));
            (m > 0.0).then(|| auto_frac(m, width))
        })
        .collect();
    let coarse = fracs
        .iter()
        .flatten()
        .copied()
        .min()
        .unwrap_or(width as i32 - 1);
    let fine = fracs
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(coarse)
        .min(coarse + MAX_GROUP_SHIFT as i32);
    let format =
        Format::signed(width, fine).map_err(|e| key_err(&section, "frac", fine, e.to_string()))?;
    let mut raw = vec![0i128; data.len()];
    let mut shifts = Vec::with_capacity(fracs.len());
    for ((g, out), frac) in data.chunks(block).zip(raw.chunks_mut(block)).zip(&fracs) {
        let frac = frac.unwrap_or(fine).min(fine);
        let group = TensorQuant {
            format: Format::signed(width, frac)
                .map_err(|e| key_err(&section, "frac", frac, e.to_string()))?,
            ..*tq
        };
        group
            .quantize_into(g, out)
            .map_err(|e| key_err(&section, "value", "…", e.to_string()))?;
        shifts.push(i128::from(fine - frac));
    }
    let max_shift = shifts.iter().copied().max().unwrap_or(0) as u64;
    Ok(GroupedWeights {
        raw,
        format,
        block,
        shifts,
        shift_width: golden::fixed::clog2(max_shift + 1).max(1),
    })
}

/// The largest fractional width at which `max_abs` rounds to at most the largest
/// signed `width`-bit code, clamped to the limits of [`Format`]. A zero (or
/// non-finite) range gives `width − 1` (the range ±1).
pub fn auto_frac(max_abs: f64, width: u32) -> i32 {
    let w = width.clamp(1, Format::MAX_SIGNED_WIDTH) as i32;
    if !(max_abs.is_finite() && max_abs > 0.0) {
        return w - 1;
    }
    let max_code = 2f64.powi(w - 1) - 1.0;
    let fits = |f: i32| (max_abs * 2f64.powi(f)).round() <= max_code.max(0.0);
    let mut f = (w - 1 - max_abs.log2().ceil() as i32).clamp(Format::MIN_FRAC, Format::MAX_FRAC);
    while f > Format::MIN_FRAC && !fits(f) {
        f -= 1;
    }
    while f < Format::MAX_FRAC && fits(f + 1) {
        f += 1;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::float;
    use crate::hf::{BertConfig, expand};

    #[test]
    fn auto_frac_fits_the_range() {
        assert_eq!(auto_frac(1.0, 8), 6); // 1.0 * 64 = 64 <= 127; 1.0 * 128 > 127
        assert_eq!(auto_frac(0.99, 8), 7); // round(126.7) = 127
        assert_eq!(auto_frac(3.5, 16), 13);
        assert_eq!(auto_frac(0.0, 16), 15);
        assert_eq!(auto_frac(0.02, 8), 12);
        for (r, w) in [(1e-3, 16), (123.4, 12), (7.9, 4)] {
            let f = auto_frac(r, w);
            let max = (1i64 << (w - 1)) - 1;
            assert!((r * 2f64.powi(f)).round() as i64 <= max);
            assert!((r * 2f64.powi(f + 1)).round() as i64 > max);
        }
    }

    const CFG: &str = r#"
[default]
width = 16
frac = "auto"
parallelism = 2

[node."encoder.layer.0.intermediate.dense"]
width = 12
frac = 6
rounding = "rnd_conv"
parallelism = { in = 8, out = 4 }

[tensor."encoder.layer.0.intermediate.dense.weight"]
width = 8
overflow = "SAT_SYM"
"#;

    #[test]
    fn resolves_bert_tiny() {
        let g = expand(&BertConfig::tiny(), 8, "bert-tiny").unwrap();
        let w = Weights::synthetic(&g, 1);
        let act = float::run(&g, &w, &float::synthetic_inputs(&g, 2)).unwrap();
        let cfg = QuantConfig::from_toml(CFG).unwrap();
        let plan = cfg.resolve(&g, Some(&w), Some(&act.ranges())).unwrap();
        let ffn = &plan.tensors["encoder.layer.0.intermediate.dense"];
        assert_eq!(
            (ffn.format.to_string(), ffn.rounding),
            ("s12.6".into(), Rounding::RndConv)
        );
        let wq = &plan.tensors["encoder.layer.0.intermediate.dense.weight"];
        assert_eq!(wq.format.width(), 8);
        assert_eq!(wq.overflow, Overflow::SatSym);
        assert_eq!(
            wq.format.frac(),
            auto_frac(
                w.get("encoder.layer.0.intermediate.dense.weight")
                    .unwrap()
                    .max_abs(),
                8
            )
        );
        assert_eq!(
            plan.parallelism["encoder.layer.0.intermediate.dense"],
            BTreeMap::from([("in", 8), ("out", 4)])
        );
        assert_eq!(
            plan.parallelism["encoder.layer.0.attention.self.scores"],
            BTreeMap::from([("k", 2), ("n", 2)])
        );
        // Head reshapes inherit their input's format.
        let q = plan.tensors["encoder.layer.0.attention.self.query"];
        assert_eq!(
            plan.tensors["encoder.layer.0.attention.self.query.heads"],
            q
        );
        assert_eq!(plan.tensors.len(), g.nodes.len() + g.params.len());
        // "auto" weights round-trip within half an LSB, without saturating.
        for (name, t) in w.iter() {
            let tq = plan.tensors[name];
            let lsb = tq.dequantize(1);
            for v in &t.data {
                let back = tq.dequantize(tq.quantize(f64::from(*v)).unwrap());
                assert!(
                    (back - f64::from(*v)).abs() <= lsb / 2.0,
                    "{name}: {v} -> {back}"
                );
            }
        }
        // Without calibration, "auto" activations are an error naming the tensor.
        let e = cfg.resolve(&g, Some(&w), None).unwrap_err().to_string();
        assert_eq!(
            e,
            "quant config: tensor `hidden_states`: frac = \"auto\" needs its range, but no calibration run was given"
        );
    }

    #[test]
    fn weights_section_sets_every_linear_weight_only() {
        let g = expand(&BertConfig::tiny(), 8, "bert-tiny").unwrap();
        let w = Weights::synthetic(&g, 1);
        let act = float::run(&g, &w, &float::synthetic_inputs(&g, 2)).unwrap();
        let cfg = QuantConfig::from_toml(
            "[weights]\nwidth = 8\n[tensor.\"encoder.layer.1.output.dense.weight\"]\nwidth = 6\n",
        )
        .unwrap();
        let plan = cfg.resolve(&g, Some(&w), Some(&act.ranges())).unwrap();
        let width = |t: &str| plan.tensors[t].format.width();
        assert_eq!(width("encoder.layer.0.attention.self.query.weight"), 8);
        assert_eq!(width("encoder.layer.1.output.dense.weight"), 6);
        assert_eq!(width("encoder.layer.0.attention.self.query.bias"), 16);
        assert_eq!(width("encoder.layer.0.output.LayerNorm.weight"), 16);
        assert_eq!(width("encoder.layer.0.attention.self.query"), 16);
        let e = QuantConfig::from_toml("[weights]\nparallelism = 2\n").unwrap_err();
        assert!(e.to_string().contains("unknown key"), "{e}");
    }

    #[test]
    fn quantize_all_equals_quantize() {
        use golden::FixedError;
        let mut rng = crate::rng::Rng::new(11);
        // Random values at many scales, exact ties and near-ties at several fractional
        // widths, subnormals, zeros of both signs, the f32 extremes.
        let mut xs: Vec<f32> = (0..20_000)
            .map(|i| (rng.normal() * 10f64.powi(i % 13 - 6)) as f32)
            .collect();
        for k in -40..40 {
            for f in [0, 1, 3, 7] {
                let t = (k as f32 + 0.5) / (1u32 << f) as f32;
                xs.extend([
                    t,
                    f32::from_bits(t.to_bits() + 1),
                    f32::from_bits(t.to_bits().wrapping_sub(1)),
                ]);
            }
        }
        xs.extend([
            0.0,
            -0.0,
            f32::MIN_POSITIVE,
            -1e-45,
            1e-45,
            f32::MAX,
            f32::MIN,
            3e38,
            -2.5e30,
        ]);
        let rounds = [
            Rounding::Trn,
            Rounding::TrnZero,
            Rounding::Rnd,
            Rounding::RndZero,
            Rounding::RndMinInf,
            Rounding::RndInf,
            Rounding::RndConv,
        ];
        let ovs = [
            Overflow::Wrap,
            Overflow::Sat,
            Overflow::SatZero,
            Overflow::SatSym,
        ];
        for (width, frac) in [
            (1, 0),
            (4, 2),
            (8, 7),
            (16, 13),
            (13, -3),
            (32, 40),
            (64, 0),
            (100, 60),
            (128, 256),
            (128, -128),
            (24, 130),
        ] {
            for &rounding in &rounds {
                for &overflow in &ovs {
                    let tq = TensorQuant {
                        format: Format::signed(width, frac).unwrap(),
                        rounding,
                        overflow,
                        range: None,
                        granularity: Granularity::PerTensor,
                    };
                    let want: Vec<i128> = xs
                        .iter()
                        .map(|&x| tq.quantize(f64::from(x)).unwrap())
                        .collect();
                    assert_eq!(
                        tq.quantize_all(&xs).unwrap(),
                        want,
                        "s{width}.{frac} {rounding:?} {overflow:?}"
                    );
                }
            }
        }
        // A large tensor (split across threads) and the first non-finite value.
        let big: Vec<f32> = (0..300_000).map(|_| rng.normal() as f32).collect();
        let tq = TensorQuant {
            format: Format::signed(8, 5).unwrap(),
            rounding: Rounding::RndConv,
            overflow: Overflow::Sat,
            range: None,
            granularity: Granularity::PerTensor,
        };
        let want: Vec<i128> = big
            .iter()
            .map(|&x| tq.quantize(f64::from(x)).unwrap())
            .collect();
        assert_eq!(tq.quantize_all(&big).unwrap(), want);
        let mut bad = big.clone();
        bad[250_000] = f32::INFINITY;
        bad[280_000] = f32::NAN;
        assert!(
            matches!(tq.quantize_all(&bad), Err(FixedError::NotFinite { value }) if value == f64::INFINITY)
        );
    }

    #[test]
    fn granularity_keys_resolve_per_tensor_section() {
        let g = expand(&BertConfig::tiny(), 8, "bert-tiny").unwrap();
        let w = Weights::synthetic(&g, 1);
        let q = "encoder.layer.0.attention.self.query.weight";
        let text = format!(
            "[default]\nfrac = 8\n[weights]\nwidth = 8\ngranularity = \"mx\"\nblock = 16\n\
             [tensor.\"{q}\"]\ngranularity = \"per_channel\"\n"
        );
        let plan = QuantConfig::from_toml(&text)
            .unwrap()
            .resolve(&g, Some(&w), None)
            .unwrap();
        let gr = |t: &str| plan.tensors[t].granularity;
        assert_eq!(gr(q), Granularity::PerChannel);
        assert_eq!(
            gr("encoder.layer.1.output.dense.weight"),
            Granularity::Mx { block: 16 }
        );
        assert_eq!(
            gr("encoder.layer.1.output.dense.bias"),
            Granularity::PerTensor
        );
        assert_eq!(gr("encoder.layer.1.output.dense"), Granularity::PerTensor);
        // Grouped weights take "auto" from their range even under [default] frac = 8.
        let wq = &plan.tensors[q];
        let r = w.get(q).unwrap().max_abs();
        assert_eq!(wq.format.frac(), auto_frac(r, 8));
        // mx without block: 32 (divides bert-tiny's 64 and 128 input features).
        let plan = QuantConfig::from_toml("[default]\nfrac = 8\n[weights]\ngranularity = \"mx\"\n")
            .unwrap()
            .resolve(&g, Some(&w), None)
            .unwrap();
        assert_eq!(plan.tensors[q].granularity, Granularity::Mx { block: 32 });
    }

    #[test]
    fn granularity_errors_name_section_and_key() {
        let g = expand(&BertConfig::tiny(), 8, "bert-tiny").unwrap();
        let w = Weights::synthetic(&g, 1);
        let err = |text: &str| {
            QuantConfig::from_toml(&format!("[default]\nfrac = 8\n{text}"))
                .and_then(|c| c.resolve(&g, Some(&w), None))
                .unwrap_err()
                .to_string()
        };
        let q = "encoder.layer.0.attention.self.query";
        assert_eq!(
            err("[weights]\ngranularity = \"per_row\"\n"),
            "quant config [weights] granularity = \"per_row\": must be \"per_tensor\", \"per_channel\" or \"mx\""
        );
        assert_eq!(
            err("[weights]\ngranularity = \"mx\"\nblock = 0\n"),
            "quant config [weights] block = 0: must be an integer ≥ 1"
        );
        assert_eq!(
            err("[weights]\ngranularity = \"mx\"\nblock = 24\n"),
            format!(
                "quant config [tensor.\"{q}.weight\"] block = 24: must divide the input features 64"
            )
        );
        assert_eq!(
            err("[weights]\ngranularity = \"per_channel\"\nblock = 16\n"),
            format!("quant config [tensor.\"{q}.weight\"] block = 16: needs granularity = \"mx\"")
        );
        assert_eq!(
            err("[weights]\ngranularity = \"mx\"\nfrac = 6\n"),
            format!(
                "quant config [tensor.\"{q}.weight\"] frac = 6: granularity = \"mx\" picks each group's frac; use frac = \"auto\""
            )
        );
        assert_eq!(
            err(&format!("[tensor.\"{q}\"]\ngranularity = \"mx\"\n")),
            format!(
                "quant config [tensor.\"{q}\"] granularity = …: applies only to linear weight matrices"
            )
        );
        assert_eq!(
            err(&format!("[tensor.\"{q}.bias\"]\nblock = 8\n")),
            format!(
                "quant config [tensor.\"{q}.bias\"] block = 8: applies only to linear weight matrices"
            )
        );
        assert_eq!(
            QuantConfig::from_toml("[default]\ngranularity = \"mx\"\n")
                .unwrap_err()
                .to_string(),
            "quant config [default] granularity = \"mx\": unknown key (expected one of width, frac, rounding, overflow, parallelism)"
        );
    }

    #[test]
    fn grouped_quantization_scales_each_group_by_its_range() {
        // 2 rows x 8 inputs, blocks of 4: magnitudes 1, 1/64, 3, 0 per block.
        let data: Vec<f32> = (0..16)
            .map(|n| {
                let base = [0.9f32, 0.9 / 64.0, 2.9, 0.0][n / 4];
                base * if n % 2 == 0 { 1.0 } else { -0.37 }
            })
            .collect();
        let tq = TensorQuant {
            format: Format::signed(8, 0).unwrap(),
            rounding: Rounding::Rnd,
            overflow: Overflow::Sat,
            range: None,
            granularity: Granularity::Mx { block: 4 },
        };
        let g = quantize_grouped("w", &tq, &data, 8).unwrap();
        // Group fracs: auto_frac of 0.9 = 7, 0.9/64 = 13, 2.9 = 5; zeros take the finest.
        assert_eq!(g.format, Format::signed(8, 13).unwrap());
        assert_eq!(g.shifts, vec![6, 0, 8, 0]);
        assert_eq!(g.shift_width, 4);
        for (n, (&x, &r)) in data.iter().zip(&g.raw).enumerate() {
            let frac = 13 - g.shifts[n / 4] as i32;
            let v = r as f64 * 2f64.powi(-frac);
            assert!(
                (v - f64::from(x)).abs() <= 2f64.powi(-frac - 1),
                "element {n}"
            );
            assert!(tq.format.contains(r));
        }
        // Per channel: one group per row; the spread is capped at MAX_GROUP_SHIFT.
        let tiny: Vec<f32> = [vec![1.0f32; 4], vec![1e-9; 4]].concat();
        let pc = TensorQuant {
            granularity: Granularity::PerChannel,
            ..tq
        };
        let g = quantize_grouped("w", &pc, &tiny, 4).unwrap();
        assert_eq!(g.shifts, vec![i128::from(MAX_GROUP_SHIFT), 0]);
        assert_eq!(g.format.frac(), auto_frac(1.0, 8) + MAX_GROUP_SHIFT as i32);
        let e = quantize_grouped("w", &tq, &data[..12], 6)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "quant config [tensor.\"w\"] block = 4: must divide the input features 6"
        );
    }

    #[test]
    fn errors_name_node_and_key() {
        let g = expand(&BertConfig::tiny(), 8, "bert-tiny").unwrap();
        let err = |text: &str| {
            QuantConfig::from_toml(text)
                .and_then(|c| c.resolve(&g, None, None))
                .unwrap_err()
                .to_string()
        };
        let base = "[default]\nfrac = 8\n";
        assert_eq!(
            err(&format!(
                "{base}[node.\"encoder.layer.9.output.dense\"]\nwidth = 8\n"
            )),
            "quant config [node.\"encoder.layer.9.output.dense\"]: the model has no node `encoder.layer.9.output.dense`"
        );
        assert_eq!(
            err(&format!(
                "{base}[node.\"encoder.layer.0.output.dense\"]\nfrac = 300\n"
            )),
            "quant config [node.\"encoder.layer.0.output.dense\"] frac = 300: out of range -128..=256"
        );
        assert_eq!(
            err(&format!(
                "{base}[node.\"encoder.layer.0.output.dense\"]\nparallelism = {{ in = 3 }}\n"
            )),
            "quant config: node `encoder.layer.0.output.dense`: parallelism.in = 3 (from [node.\"encoder.layer.0.output.dense\"]) does not divide the input features 128"
        );
        assert_eq!(
            err("[default]\nfrac = 8\nparallelism = 3\n"),
            "quant config: node `hidden_states`: parallelism.lanes = 3 (from [default]) does not divide the output's last axis 64"
        );
        assert!(
            err(&format!(
                "{base}[node.\"encoder.layer.0.output.dense\"]\nparallelism = {{ k = 2 }}\n"
            ))
            .contains("parallelism.k = 2: a linear node has parallelism keys in, out")
        );
        assert!(
            err("[default]\nrounding = \"nearest\"\n")
                .starts_with("quant config [default] rounding = \"nearest\": ")
        );
        assert!(err("[default]\nwidht = 8\n").contains("widht = 8: unknown key"));
        assert!(
            err("[tensor.\"nope\"]\nwidth = 8\n")
                .contains("no tensor (parameter or node output) `nope`")
        );
        assert!(
            err("[tensor.\"encoder.layer.0.output.dense.weight\"]\nparallelism = 2\n")
                .contains("unknown key")
        );
        assert!(err("[default\n").starts_with("quant config: "));
    }
}
