//! Model of `mh_gelu`: GELU in the exact erf form, `GELU(x) = x·Φ(x) =
//! 0.5·x·(1 + erf(x/√2))`, lane-wise on a signed tensor, by table lookup.
//!
//! Two table organisations, chosen by the input width:
//!
//! * **Full table** (input width ≤ [`FULL_TABLE_MAX_WIDTH`]): one entry per input code,
//!   `2^W` entries in the output format; entry `i` is the input whose bit pattern is `i`
//!   (so the hardware indexes the table with the raw bits). Each entry is `GELU(x)`
//!   quantised with the configured rounding and overflow modes.
//! * **Segmented table** (wider inputs): below the input code `mid_lo` the output is
//!   `0`, above `mid_hi` it is `cast(x)` (the input cast to the output format), and the
//!   middle codes are interpolated linearly between breakpoints every `2^seg_bits`
//!   input codes starting at `mid_lo`. The tail bounds are computed for the output
//!   precision: `|GELU(x)| ≤ 2^-TAIL_BITS` output LSB below the lower bound and
//!   `|x − GELU(x)| ≤ 2^-TAIL_BITS` LSB above the upper one. Breakpoints `g_k` are
//!   stored with [`GUARD_BITS`] fractional bits below the output LSB (round to
//!   nearest); the segment width `h = 2^-ceil(Fo/2)` (real units, or one input code
//!   if that is smaller) keeps the interpolation error `max|GELU''|·h²/8 ≤ 0.1·2^-Fo`.
//!   For a middle code with offset `off = raw − mid_lo`, `k = off >> seg_bits`,
//!   `t = off mod 2^seg_bits`, the exact integer `y = g_k·2^seg_bits + (g_{k+1} − g_k)·t`
//!   (frac `Fo + GUARD_BITS + seg_bits`) is cast once to the output format.
//!
//! Table contents come from [`GeluPlan::new`], used both by the model and by the
//! generator (which passes them to the SystemVerilog as a parameter), so RTL and model
//! cannot disagree. Building a table is the one place this crate evaluates a
//! transcendental function: [`erf`]/[`erfc`] below use only IEEE-754 `+ − × ÷` (which
//! are correctly rounded, hence bit-reproducible on every platform) and no `libm`
//! call, so the tables are the same everywhere. Evaluating the model is integer-only.
//! The float reference is [`gelu_f64`].

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI};

use crate::fixed::{FixedError, Format, Overflow, Rounding, cast};

/// Largest input width served by a full table (2^10 = 1024 entries).
pub const FULL_TABLE_MAX_WIDTH: u32 = 10;
/// Fractional bits of the segment breakpoints below the output LSB.
pub const GUARD_BITS: i32 = 4;
/// The tails are within `2^-TAIL_BITS` output LSB of `0` and of `x`.
pub const TAIL_BITS: i32 = 3;
/// Largest segment table the generator accepts (breakpoints).
pub const MAX_SEGMENT_ENTRIES: usize = 16_384;

/// Why a GELU plan cannot be built.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum GeluError {
    /// The input or output format is unsigned (GELU takes and gives signed values).
    #[error("GELU needs signed input and output formats")]
    Unsigned,
    /// The segment table would be too large.
    #[error(
        "the segment table would need {entries} breakpoints, more than {max}; use fewer output fractional bits or fewer input fractional bits"
    )]
    TooLarge { entries: u128, max: usize },
    #[error(transparent)]
    Fixed(#[from] FixedError),
}

/// The segmented organisation (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segments {
    /// First input code of the middle range (codes below give 0).
    pub mid_lo: i128,
    /// Last input code of the middle range (codes above give `cast(x)`).
    pub mid_hi: i128,
    /// log2 of the segment length in input codes.
    pub seg_bits: u32,
    /// Format of the breakpoints: signed, frac `Fo + GUARD_BITS`.
    pub entry: Format,
    /// Breakpoints `g_0 ..= g_N`, `g_k = GELU((mid_lo + k·2^seg_bits) / 2^Fi)`.
    pub entries: Vec<i128>,
}

/// How inputs map to outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GeluTable {
    /// Entry `i` (in the output format) for the input with bit pattern `i`.
    Full(Vec<i128>),
    Segmented(Segments),
}

/// A configured GELU: formats, modes and the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeluPlan {
    pub input: Format,
    pub output: Format,
    pub rounding: Rounding,
    pub overflow: Overflow,
    pub table: GeluTable,
}

impl GeluPlan {
    /// Builds the table for `input` → `output` with modes `r` / `o`.
    ///
    /// # Errors
    /// [`GeluError::Unsigned`] for unsigned formats; [`GeluError::TooLarge`] if the
    /// segment table exceeds [`MAX_SEGMENT_ENTRIES`]; [`GeluError::Fixed`] if a derived
    /// format is out of range.
    pub fn new(
        input: Format,
        output: Format,
        r: Rounding,
        o: Overflow,
    ) -> Result<GeluPlan, GeluError> {
        if !input.is_signed() || !output.is_signed() {
            return Err(GeluError::Unsigned);
        }
        let table = if input.width() <= FULL_TABLE_MAX_WIDTH {
            let entries = (0..1u128 << input.width())
                .map(|bits| {
                    let x = input.to_f64(input.from_bits(bits));
                    output.from_f64(gelu_f64(x), r, o)
                })
                .collect::<Result<Vec<_>, _>>()?;
            GeluTable::Full(entries)
        } else {
            GeluTable::Segmented(segments(input, output)?)
        };
        Ok(GeluPlan {
            input,
            output,
            rounding: r,
            overflow: o,
            table,
        })
    }

    /// Number of table entries (full or breakpoints).
    pub fn entries(&self) -> usize {
        match &self.table {
            GeluTable::Full(e) => e.len(),
            GeluTable::Segmented(s) => s.entries.len(),
        }
    }

    /// Format of the interpolated value `y` before the output cast (segmented only):
    /// signed, width `E + max(seg_bits, 1) + 2`, frac `Fo + GUARD_BITS + seg_bits`.
    pub fn interp_format(s: &Segments) -> Result<Format, FixedError> {
        let width = s.entry.width() + s.seg_bits.max(1) + 2;
        Format::signed(width, s.entry.frac() + s.seg_bits as i32)
    }

    /// The output code for input code `raw`.
    pub fn eval(&self, raw: i128) -> i128 {
        match &self.table {
            GeluTable::Full(e) => e[self.input.to_bits(raw) as usize],
            GeluTable::Segmented(s) => {
                if raw < s.mid_lo {
                    0
                } else if raw > s.mid_hi {
                    cast(raw, self.input, self.output, self.rounding, self.overflow)
                } else {
                    let off = raw - s.mid_lo;
                    let k = (off >> s.seg_bits) as usize;
                    let t = off & ((1i128 << s.seg_bits) - 1);
                    let (g0, g1) = (s.entries[k], s.entries[k + 1]);
                    let y = (g0 << s.seg_bits) + (g1 - g0) * t;
                    match GeluPlan::interp_format(s) {
                        Ok(f) => cast(y, f, self.output, self.rounding, self.overflow),
                        Err(e) => unreachable!("checked when the plan was built: {e}"),
                    }
                }
            }
        }
    }
}

/// GELU of every element of `x` (raw codes in `plan.input`), in order.
pub fn gelu(x: &[i128], plan: &GeluPlan) -> Vec<i128> {
    x.iter().map(|&v| plan.eval(v)).collect()
}

/// Largest `v` with `f(v) <= tol`, for `f` increasing on `[lo, hi]` (bisection).
fn bisect(f: impl Fn(f64) -> f64, tol: f64, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if f(mid) <= tol {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// x of the minimum of GELU (where the tails' monotone parts start).
const GELU_ARGMIN: f64 = -0.751_791_524_693_564_5;

fn segments(input: Format, output: Format) -> Result<Segments, GeluError> {
    let fi = input.frac();
    let fo = output.frac();
    let tol = (-f64::from(fo + TAIL_BITS)).exp2();
    // Lower tail: |GELU(x)| grows with x on (-inf, argmin]; upper tail: x·Φ(-x) falls on
    // [-argmin, inf). Both bounds are the exact crossing of the tolerance (to f64).
    let lower = if gelu_f64(GELU_ARGMIN).abs() <= tol {
        GELU_ARGMIN
    } else {
        bisect(|x| gelu_f64(x).abs(), tol, -64.0, GELU_ARGMIN)
    };
    let upper_excess = |x: f64| x * 0.5 * erfc(x * FRAC_1_SQRT_2);
    let upper = if upper_excess(-GELU_ARGMIN) <= tol {
        -GELU_ARGMIN
    } else {
        -bisect(|x| upper_excess(-x), tol, -64.0, GELU_ARGMIN)
    };
    // Codes c <= floor(lower·2^Fi) lie below `lower`; codes c >= ceil(upper·2^Fi) above.
    let scale = f64::from(fi).exp2();
    let mid_lo = ((lower * scale).floor() as i128 + 1).max(input.min_raw());
    let mid_hi = ((upper * scale).ceil() as i128 - 1).min(input.max_raw());
    // Segment length: h = 2^-ceil(Fo/2) real units, at least one code, at most 2^W codes.
    let half_fo = fo.div_euclid(2) + fo.rem_euclid(2);
    let seg_bits = (fi - half_fo).clamp(0, input.width() as i32) as u32;
    let count = (((mid_hi - mid_lo) >> seg_bits) + 1) as u128 + 1;
    if count > MAX_SEGMENT_ENTRIES as u128 {
        return Err(GeluError::TooLarge {
            entries: count,
            max: MAX_SEGMENT_ENTRIES,
        });
    }
    let wide = Format::signed(120, fo + GUARD_BITS)?;
    let entries = (0..count)
        .map(|k| {
            let code = mid_lo + ((k as i128) << seg_bits);
            let x = (code as f64) / scale;
            wide.from_f64(gelu_f64(x), Rounding::Rnd, Overflow::Sat)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let width = entries
        .iter()
        .map(|&v| signed_bits(v))
        .max()
        .unwrap_or(2)
        .max(2);
    let s = Segments {
        mid_lo,
        mid_hi,
        seg_bits,
        entry: Format::signed(width, fo + GUARD_BITS)?,
        entries,
    };
    GeluPlan::interp_format(&s)?;
    Ok(s)
}

/// Bits of the smallest two's-complement format holding `v`.
fn signed_bits(v: i128) -> u32 {
    let m = if v < 0 { !v } else { v };
    129 - m.leading_zeros()
}

// ---- float reference -------------------------------------------------------------
//
// erf / erfc to about 1e-15 relative error in f64, with basic operations only:
//   |x| <= 2.5: erf(x) = 2/√π · e^{-x²} · Σ_n 2^n x^{2n+1} / (1·3·…·(2n+1))
//               (all terms positive: no cancellation);
//   |x| >  2.5: erf(x) = 1 − erfc(x), and for x > 1: erfc(x) = e^{-x²}/√π ·
//               1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))) (continued fraction,
//               modified Lentz; slow but steady convergence near 1, no cancellation).

/// `e^y` for `y <= 0` (0 below −745), by `y = k·ln2 + r`, `|r| <= ln2/2`, a Taylor
/// polynomial for `e^r` and an exact scaling by `2^k`.
fn exp_neg(y: f64) -> f64 {
    // ln 2 = LN2_HI + LN2_LO, LN2_HI with 32 significant bits so k·LN2_HI is exact.
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    if y < -745.0 {
        return 0.0;
    }
    let k = (y / std::f64::consts::LN_2).round();
    let r = (y - k * LN2_HI) - k * LN2_LO;
    let mut p = 1.0;
    for n in (1..=22).rev() {
        p = 1.0 + p * r / f64::from(n);
    }
    // 2^k in two exact halves so subnormal results stay exact.
    let k = k as i64;
    let (k1, k2) = (k / 2, k - k / 2);
    p * pow2i(k1) * pow2i(k2)
}

fn pow2i(k: i64) -> f64 {
    f64::from_bits(((1023 + k) as u64) << 52)
}

fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    let mut n = 0.0;
    while term.abs() > 1e-17 * sum.abs() {
        term *= 2.0 * x2 / (2.0 * n + 3.0);
        sum += term;
        n += 1.0;
    }
    FRAC_2_SQRT_PI * exp_neg(-x2) * sum
}

fn erfc_fraction(x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut f = x;
    let mut c = f;
    let mut d = 0.0;
    for n in 1..20_000 {
        let a = f64::from(n) * 0.5;
        d = x + a * d;
        if d.abs() < TINY {
            d = TINY;
        }
        d = 1.0 / d;
        c = x + a / c;
        if c.abs() < TINY {
            c = TINY;
        }
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    0.5 * FRAC_2_SQRT_PI * exp_neg(-x * x) / f
}

/// The error function, relative error about 1e-15.
pub fn erf(x: f64) -> f64 {
    if x.abs() <= 2.5 {
        erf_series(x)
    } else if x > 0.0 {
        1.0 - erfc_fraction(x)
    } else {
        erfc_fraction(-x) - 1.0
    }
}

/// Above this, `erfc` uses the continued fraction (no cancellation); below, `1 − erf`.
const ERFC_FRACTION_FROM: f64 = 1.0;

/// The complementary error function `1 − erf(x)`; for `x > 1` accurate to about
/// 1e-15 relative, elsewhere to about 1e-16 absolute (erfc ≥ 0.15 there).
pub fn erfc(x: f64) -> f64 {
    if x > ERFC_FRACTION_FROM {
        erfc_fraction(x)
    } else if x < -ERFC_FRACTION_FROM {
        2.0 - erfc_fraction(-x)
    } else {
        1.0 - erf_series(x)
    }
}

/// The float reference `GELU(x) = x·Φ(x)`, `Φ(x) = 0.5·erfc(−x/√2)` (computed without
/// cancellation in both tails).
pub fn gelu_f64(x: f64) -> f64 {
    let phi = if x >= 0.0 {
        0.5 * (1.0 + erf(x * FRAC_1_SQRT_2))
    } else {
        0.5 * erfc(-x * FRAC_1_SQRT_2)
    };
    x * phi
}

#[cfg(test)]
#[expect(
    clippy::excessive_precision,
    reason = "reference values are quoted with all 20 digits mpmath printed"
)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    #[test]
    fn erf_matches_high_precision_values() {
        // 20-digit values (mpmath, 30 digits of working precision).
        let erf_ref = [
            (0.1, 0.112_462_916_018_284_892_2),
            (0.5, 0.520_499_877_813_046_537_68),
            (1.0, 0.842_700_792_949_714_869_34),
            (2.0, 0.995_322_265_018_952_734_16),
            (2.5, 0.999_593_047_982_555_041_06),
            (3.0, 0.999_977_909_503_001_414_56),
        ];
        for (x, want) in erf_ref {
            assert!(rel(erf(x), want) <= 1e-15, "erf({x}) = {}", erf(x));
            assert!(rel(erf(-x), -want) <= 1e-15);
        }
        let erfc_ref = [
            (1.0, 0.157_299_207_050_285_130_66),
            (1.5, 0.033_894_853_524_689_272_933),
            (2.0, 0.004_677_734_981_047_265_837_9),
            (2.5, 0.000_406_952_017_444_958_939_56),
            (2.6, 2.360_344_165_293_492_039_9e-4),
            (3.0, 2.209_049_699_858_544_137_3e-5),
            (4.0, 1.541_725_790_028_001_885_2e-8),
            (5.0, 1.537_459_794_428_034_850_2e-12),
            (8.0, 1.122_429_717_298_292_708e-29),
        ];
        for (x, want) in erfc_ref {
            assert!(rel(erfc(x), want) <= 2e-15, "erfc({x}) = {}", erfc(x));
        }
        assert_eq!(erf(0.0), 0.0);
    }

    #[test]
    fn gelu_matches_high_precision_values() {
        let r = [
            (-5.0, -1.433_257_859_395_969_558_4e-6),
            (-3.0, -0.004_049_694_094_890_283_58),
            (-2.0, -0.045_500_263_896_358_414_401),
            (-1.2, -0.138_083_604_266_049_921_63),
            (-0.75, -0.169_970_514_282_651_149_5),
            (0.5, 0.345_731_230_637_006_551_82),
            (3.0, 2.995_950_305_905_109_716_4),
        ];
        for (x, want) in r {
            assert!(
                rel(gelu_f64(x), want) <= 2e-15,
                "gelu({x}) = {}",
                gelu_f64(x)
            );
        }
        assert!(gelu_f64(GELU_ARGMIN) < gelu_f64(GELU_ARGMIN + 1e-4));
        assert!(gelu_f64(GELU_ARGMIN) < gelu_f64(GELU_ARGMIN - 1e-4));
    }

    fn max_err_lsb(plan: &GeluPlan) -> f64 {
        let lsb = (-f64::from(plan.output.frac())).exp2();
        let (lo, hi) = (plan.input.min_raw(), plan.input.max_raw());
        (lo..=hi)
            .map(|c| {
                let want = gelu_f64(plan.input.to_f64(c));
                (plan.output.to_f64(plan.eval(c)) - want).abs() / lsb
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn full_table_is_within_half_an_lsb() {
        let i = Format::signed(8, 5).unwrap();
        let o = Format::signed(8, 5).unwrap();
        let p = GeluPlan::new(i, o, Rounding::Rnd, Overflow::Sat).unwrap();
        assert_eq!(p.entries(), 256);
        assert!(max_err_lsb(&p) <= 0.5 + 1e-9);
        // Width 1: codes -1 and 0 (-0.5 and 0 at frac 1).
        let one = Format::signed(1, 1).unwrap();
        let p = GeluPlan::new(one, o, Rounding::Rnd, Overflow::Sat).unwrap();
        assert_eq!(gelu(&[-1, 0], &p), vec![-5, 0]); // GELU(-0.5) = -0.1543 -> -4.94/32
    }

    #[test]
    fn segmented_table_is_within_one_lsb_and_small() {
        for (wi, fi, wo, fo) in [
            (16, 12, 16, 12),
            (16, 12, 9, 4),
            (12, 12, 16, 14),
            (14, 0, 16, 0),
        ] {
            let i = Format::signed(wi, fi).unwrap();
            let o = Format::signed(wo, fo).unwrap();
            for r in [Rounding::Rnd, Rounding::RndConv, Rounding::Trn] {
                let p = GeluPlan::new(i, o, r, Overflow::Sat).unwrap();
                let bound = if r == Rounding::Trn { 1.5 } else { 1.0 };
                let e = max_err_lsb(&p);
                assert!(e <= bound, "{i} -> {o} {r:?}: {e} LSB");
                assert!(p.entries() < 2048, "{i} -> {o}: {} entries", p.entries());
            }
        }
    }

    #[test]
    fn tails_are_zero_and_identity() {
        let i = Format::signed(16, 8).unwrap();
        let o = Format::signed(16, 8).unwrap();
        let p = GeluPlan::new(i, o, Rounding::Rnd, Overflow::Sat).unwrap();
        let GeluTable::Segmented(s) = &p.table else {
            panic!("16-bit input must be segmented")
        };
        assert!(s.mid_lo > i.min_raw() && s.mid_hi < i.max_raw());
        assert_eq!(p.eval(i.min_raw()), 0);
        assert_eq!(p.eval(i.max_raw()), i.max_raw());
        // |GELU| at the first zero code is below 1/8 LSB.
        let x = i.to_f64(s.mid_lo - 1);
        assert!(gelu_f64(x).abs() <= 1.0 / 8.0 / 256.0);
    }

    #[test]
    fn rejects_unsigned_and_huge_tables() {
        let u = Format::unsigned(8, 4).unwrap();
        let s = Format::signed(8, 4).unwrap();
        assert_eq!(
            GeluPlan::new(u, s, Rounding::Rnd, Overflow::Sat),
            Err(GeluError::Unsigned)
        );
        let wide_in = Format::signed(32, 16).unwrap();
        let fine_out = Format::signed(40, 36).unwrap();
        assert!(matches!(
            GeluPlan::new(wide_in, fine_out, Rounding::Rnd, Overflow::Sat),
            Err(GeluError::TooLarge { .. })
        ));
    }
}
