//! The resource model: DSP48E2 slices, LUTs, flip-flops, BRAM36 and URAM288 blocks an
//! instance needs on an UltraScale+ device, as functions of its parameters. Each
//! [`Instance`] answers [`Instance::resource_estimate`]; the default derives the
//! figures from the signature's resource counts (multipliers, adders, register, table,
//! buffer and ROM bits) and its streams, and the components that dominate a model
//! (`linear`, `matmul`) give their own formula built from the same primitives.
//!
//! The primitives: a signed `a × b` multiplier takes `⌈a/27⌉·⌈b/18⌉` DSP48E2 (the
//! slice's 27×18 signed multiplier; operands sorted so the wider goes on the 27-bit
//! port). A memory of `depth` words of `width` bits goes to LUTRAM when it holds at
//! most [`LUTRAM_MAX_BITS`] (64 bits per LUT6 as RAM64X1), otherwise to whichever of
//! BRAM36 (aspect ratios 512×72 … 32K×1) or, when allowed, URAM288 (4K×72) needs
//! fewer 36-Kib block equivalents. LUT and FF coefficients were fitted to Yosys
//! `synth_xilinx -family xcup` runs (docs/resources.md); they are estimates, and
//! `mase-hw synth --yosys` prints their error against synthesis.

use std::collections::BTreeMap;

use crate::Instance;
use crate::sv::Dir;

/// Largest memory mapped to LUTRAM (bits).
pub const LUTRAM_MAX_BITS: u64 = 4096;

/// Resources of an instance (or a sum of instances).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ResourceEstimate {
    pub dsp: u64,
    /// LUTs, including those used as LUTRAM.
    pub lut: u64,
    pub ff: u64,
    /// LUTs used as distributed RAM (part of `lut`).
    pub lutram: u64,
    pub bram36: u64,
    pub uram: u64,
}

impl std::ops::AddAssign for ResourceEstimate {
    fn add_assign(&mut self, o: Self) {
        self.dsp += o.dsp;
        self.lut += o.lut;
        self.ff += o.ff;
        self.lutram += o.lutram;
        self.bram36 += o.bram36;
        self.uram += o.uram;
    }
}

impl std::ops::Add for ResourceEstimate {
    type Output = Self;
    fn add(mut self, o: Self) -> Self {
        self += o;
        self
    }
}

impl std::iter::Sum for ResourceEstimate {
    fn sum<I: Iterator<Item = Self>>(it: I) -> Self {
        it.fold(Self::default(), |a, b| a + b)
    }
}

impl ResourceEstimate {
    /// `self` scaled by `k` (k copies).
    pub fn times(self, k: u64) -> Self {
        ResourceEstimate {
            dsp: self.dsp * k,
            lut: self.lut * k,
            ff: self.ff * k,
            lutram: self.lutram * k,
            bram36: self.bram36 * k,
            uram: self.uram * k,
        }
    }
}

/// DSP48E2 slices of one signed `a × b` multiplier.
pub fn multiplier_dsps(a: u32, b: u32) -> u64 {
    let (wide, narrow) = (a.max(b).max(1), a.min(b).max(1));
    u64::from(wide.div_ceil(27)) * u64::from(narrow.div_ceil(18))
}

/// Where a memory goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MemStyle {
    Lutram,
    Bram,
    Uram,
}

/// BRAM36 blocks for `depth × width` at the best aspect ratio.
pub fn bram36_blocks(width: u64, depth: u64) -> u64 {
    const SHAPES: [(u64, u64); 7] = [
        (72, 512),
        (36, 1024),
        (18, 2048),
        (9, 4096),
        (4, 8192),
        (2, 16384),
        (1, 32768),
    ];
    SHAPES
        .iter()
        .map(|&(w, d)| width.div_ceil(w) * depth.div_ceil(d))
        .min()
        .unwrap_or(0)
}

/// URAM288 blocks (4K × 72) for `depth × width`.
pub fn uram_blocks(width: u64, depth: u64) -> u64 {
    width.div_ceil(72) * depth.div_ceil(4096)
}

/// The style and resources of one memory of `depth` words of `width` bits. `uram`,
/// when URAM may be used, is what one URAM288 costs in BRAM36 blocks (the ratio of the
/// device's BRAM36 to URAM budgets): the memory takes whichever style costs less.
pub fn memory(width: u64, depth: u64, uram: Option<f64>) -> (MemStyle, ResourceEstimate) {
    let bits = width * depth;
    if bits == 0 {
        return (MemStyle::Lutram, ResourceEstimate::default());
    }
    if bits <= LUTRAM_MAX_BITS {
        // RAM64X1 per bit column and 64 words; plus an output register per bit.
        let luts = width * depth.div_ceil(64);
        return (
            MemStyle::Lutram,
            ResourceEstimate {
                lut: luts,
                lutram: luts,
                ff: width,
                ..Default::default()
            },
        );
    }
    let b = bram36_blocks(width, depth);
    let u = uram_blocks(width, depth);
    if uram.is_some_and(|r| u as f64 * r < b as f64) {
        (
            MemStyle::Uram,
            ResourceEstimate {
                uram: u,
                ..Default::default()
            },
        )
    } else {
        (
            MemStyle::Bram,
            ResourceEstimate {
                bram36: b,
                ..Default::default()
            },
        )
    }
}

/// Per-bit LUT and FF cost of a registered stream port (valid/ready handshake logic
/// plus the data register of an output).
const STREAM_FF_PER_BIT: f64 = 1.0;
const STREAM_LUT_PER_BIT: f64 = 0.5;

/// A `linear` layer: `pi × po` multipliers of `a × w` bits, `po` adder trees of `pi`
/// products, `po` accumulators of `acc` bits, a double row buffer of `in_size` inputs
/// and (from ROM) a weight memory of `in·out / (pi·po)` words of `pi·po·w` bits.
#[allow(clippy::too_many_arguments)]
pub fn linear(
    in_size: u64,
    out_size: u64,
    pi: u64,
    po: u64,
    a: u32,
    w: u32,
    acc: u32,
    out: u32,
    rom: bool,
    uram: Option<f64>,
) -> ResourceEstimate {
    let mults = pi * po;
    let prod = u64::from(a + w);
    let mut r = ResourceEstimate {
        dsp: mults * multiplier_dsps(a, w),
        ..Default::default()
    };
    // Adder tree: pi − 1 adders per output lane, registered per level.
    let tree_adders = po * pi.saturating_sub(1);
    let tree_bits = tree_adders * (prod + u64::from(ceil_log2(pi)) / 2);
    r.lut += tree_bits + po * u64::from(acc) + po * u64::from(out) * 2;
    r.ff += tree_bits
        + mults * prod / 2
        + po * u64::from(acc)
        + (pi * u64::from(a) + po * u64::from(out)) * 2;
    // Row buffer: two rows of in_size inputs, read pi lanes at a time.
    r += memory(pi * u64::from(a), 2 * in_size / pi.max(1), uram).1;
    if rom {
        r += memory(
            mults * u64::from(w),
            in_size * out_size / mults.max(1),
            uram,
        )
        .1;
        r += memory(po * u64::from(out.max(w)), out_size / po.max(1), uram).1;
    } else {
        r.ff += mults * u64::from(w);
    }
    r.lut += 60;
    r.ff += 60;
    r
}

/// A `matmul`: `pk × pn` multipliers, `pn` adder trees of `pk` products, a ping-pong
/// buffer for B of `2·k·n` elements read `pk·pn` at a time, a double A row buffer.
#[allow(clippy::too_many_arguments)]
pub fn matmul(
    k: u64,
    n: u64,
    pk: u64,
    pn: u64,
    a: u32,
    b: u32,
    acc: u32,
    out: u32,
    uram: Option<f64>,
) -> ResourceEstimate {
    let mults = pk * pn;
    let prod = u64::from(a + b);
    let mut r = ResourceEstimate {
        dsp: mults * multiplier_dsps(a, b),
        ..Default::default()
    };
    let tree_adders = pn * pk.saturating_sub(1);
    let tree_bits = tree_adders * (prod + u64::from(ceil_log2(pk)) / 2);
    r.lut += tree_bits + pn * u64::from(acc) + pn * u64::from(out) * 2;
    r.ff += tree_bits
        + mults * prod / 2
        + pn * u64::from(acc)
        + (pk * u64::from(a) + pn * u64::from(out)) * 2;
    r += memory(mults * u64::from(b), 2 * k * n / mults.max(1), uram).1;
    r += memory(pk * u64::from(a), 2 * k / pk.max(1), uram).1;
    r.lut += 80;
    r.ff += 80;
    r
}

fn ceil_log2(x: u64) -> u32 {
    if x <= 1 {
        0
    } else {
        64 - (x - 1).leading_zeros()
    }
}

/// The default estimate from an instance's signature: multipliers (of
/// `multiplier_a_bits × multiplier_b_bits` when stated, else one slice each) and
/// constant multipliers on DSPs; adders as `adder_width`-bit carry chains; register,
/// accumulator and FIFO bits as flip-flops; ROMs by their declared shape and tables
/// and buffers by their size through [`memory`]; every stream port's data register.
pub fn generic<I: Instance + ?Sized>(inst: &I) -> ResourceEstimate {
    let res = inst.resources();
    let get = |k: &str| res.get(k).copied().unwrap_or(0);
    let mut r = ResourceEstimate::default();
    let per_mult = match (res.get("multiplier_a_bits"), res.get("multiplier_b_bits")) {
        (Some(&a), Some(&b)) => multiplier_dsps(a as u32, b as u32),
        _ => 1,
    };
    r.dsp = get("multipliers") * per_mult + get("constant_multipliers");
    let adder_w = res
        .get("adder_width")
        .or(res.get("product_width"))
        .copied()
        .unwrap_or(24);
    r.lut += get("adders") * adder_w;
    // Declared registers include the output register where a component states it.
    let declared = get("register_bits") + get("accumulator_bits") + get("output_register_bits");
    r.ff += declared;
    for (k, bits) in &res {
        let table_like = k.ends_with("table_bits")
            || k.contains("buffer_bits")
            || k.contains("fifo_bits")
            || k == "memory_bits";
        // Shape unknown: LUTRAM by bits, or BRAM36 blocks by capacity.
        if table_like && *bits > 0 && *bits <= LUTRAM_MAX_BITS {
            r.lut += bits.div_ceil(64);
            r.lutram += bits.div_ceil(64);
        } else if table_like {
            r.bram36 += bits.div_ceil(36 * 1024);
        }
    }
    for m in inst.memories() {
        r += memory(u64::from(m.word_width), m.depth as u64, None).1;
    }
    let mut stream_bits = 0u64;
    for s in inst.streams() {
        stream_bits += u64::from(s.data_width());
        if s.direction == Dir::Output && declared == 0 {
            r.ff += (u64::from(s.data_width()) as f64 * STREAM_FF_PER_BIT) as u64;
        }
    }
    r.lut += (stream_bits as f64 * STREAM_LUT_PER_BIT) as u64 + 20;
    r
}

impl ResourceEstimate {
    /// The figures by name, for reports.
    pub fn as_map(&self) -> BTreeMap<&'static str, u64> {
        BTreeMap::from([
            ("dsp", self.dsp),
            ("lut", self.lut),
            ("ff", self.ff),
            ("lutram", self.lutram),
            ("bram36", self.bram36),
            ("uram", self.uram),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsp_tiling_follows_the_27x18_slice() {
        assert_eq!(multiplier_dsps(16, 8), 1);
        assert_eq!(multiplier_dsps(27, 18), 1);
        assert_eq!(multiplier_dsps(18, 27), 1);
        assert_eq!(multiplier_dsps(28, 18), 2);
        assert_eq!(multiplier_dsps(32, 32), 4);
    }

    #[test]
    fn memories_pick_the_cheapest_shape() {
        // 1K × 36 is one BRAM36; 512 × 73 needs two.
        assert_eq!(bram36_blocks(36, 1024), 1);
        assert_eq!(bram36_blocks(73, 512), 2);
        // A 4K × 2048-bit weight ROM: 29 URAM against 228 BRAM.
        let (style, r) = memory(2048, 4096, Some(2.1));
        assert_eq!((style, r.uram, r.bram36), (MemStyle::Uram, 29, 0));
        // 512 words fill an eighth of a URAM: 29 URAM cost more than 232 BRAM36.
        assert_eq!(memory(2048, 512, Some(8.5)).0, MemStyle::Bram);
        let (style, r) = memory(2048, 4096, None);
        assert_eq!((style, r.bram36), (MemStyle::Bram, 228));
        assert_eq!(memory(16, 64, Some(2.1)).0, MemStyle::Lutram);
    }
}
