//! Model of `mh_layernorm`: `y = γ·(x − mean)/√(var + ε) + β` over rows of `size`
//! elements, integer-only and bit-exact with the hardware.
//!
//! Algorithm for one row of raw inputs `x_i` (frac `Fi`), `H = size`:
//!
//! 1. One pass, exact: `S = Σx_i`, `Q = Σx_i²`, `V = H·Q − S²` (= `H²·var·2^(2Fi)`,
//!    an exact non-negative integer: no division by `H` anywhere, so the mean and
//!    variance carry no error).
//! 2. `ε = eps_mant·2^-eps_frac` is added exactly: with `G` = `max(2Fi, eps_frac)`
//!    rounded up to even, `D = V·2^(G−2Fi) + eps_mant·H²·2^(G−eps_frac)`
//!    (= `H²·(var + ε)·2^G`).
//! 3. Range reduction: `e` = index of the leading one of `D`, `e2 = e − (e mod 2)`,
//!    `u = floor(D·2^(R−e2))` (`R = rsqrt_frac`), so `u/2^R ∈ [1, 4)`.
//! 4. Table: index `(e mod 2)·2^TB + ` the `TB` bits of `D` below its leading one;
//!    entry = `floor(2^R / √midpoint)` of the segment ([`rsqrt_table`]).
//! 5. `nr_iters` Newton–Raphson steps, all floors:
//!    `t = (y·y) >> R`, `w = (u·t) >> R`, `y = (y·(3·2^R − w)) >> (R+1)`.
//!    Now `y/2^R ≈ 1/√(u/2^R)`, and `1/√(var+ε) ≈ y·2^(−R − e2/2 + G/2)·H`.
//! 6. Per element: `N_i = H·x_i − S` (exact), `z_i = N_i·y`, and the normalised value
//!    `x̂_i = floor(z_i · 2^−sh)` in frac `XF = norm_frac` with
//!    `sh = R + e2/2 − G/2 + Fi − XF`, wrapped to [`LayerNormWidths::norm`] bits
//!    (`|x̂| ≤ √(H−1)` always fits with a factor-2 margin).
//! 7. `acc_i = γ_i·x̂_i·2^(F2−XF−Fg) + β_i·2^(F2−Fb)`, `F2 = max(XF+Fg, Fb)`, exact, then
//!    one [`cast`] to the output format with the configured rounding and overflow.
//!
//! [`layernorm_f64`] is the float reference: the mathematical function on the
//! dequantised values (it is the only part of this file that uses floating point).

use crate::fixed::{FixedError, Format, Overflow, Rounding, cast, clog2};

/// Formats, modes and algorithm parameters of one layernorm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LayerNormConfig {
    /// Format of `x` (signed).
    pub input: Format,
    /// Format of `γ` (signed).
    pub gamma: Format,
    /// Format of `β` (signed).
    pub beta: Format,
    /// Format of `y` (signed).
    pub output: Format,
    pub rounding: Rounding,
    pub overflow: Overflow,
    /// `H`, the elements normalised together.
    pub size: usize,
    /// `ε = eps_mant · 2^-eps_frac`, `eps_mant >= 1`.
    pub eps_mant: u64,
    pub eps_frac: u32,
    /// `R`: fractional bits of the reciprocal square root.
    pub rsqrt_frac: u32,
    /// `TB`: the table has `2^(TB+1)` entries (two octaves of `2^TB` segments).
    pub table_bits: u32,
    /// Newton–Raphson iterations after the table.
    pub nr_iters: u32,
    /// `XF`: fractional bits of the normalised value `x̂`.
    pub norm_frac: u32,
}

/// Derived widths and shifts, the formulas `mh_layernorm` uses for its localparams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerNormWidths {
    /// `clog2(H)`.
    pub c: u32,
    /// Signed width of `S` and of `H·x`.
    pub sum: u32,
    /// Unsigned width of `Q = Σx²`.
    pub sumsq: u32,
    /// `G` (even).
    pub g: u32,
    /// Left shifts of `V` and of `eps_mant·H²`.
    pub var_shift: u32,
    pub eps_shift: u32,
    /// Unsigned width of `D`.
    pub d: u32,
    /// Signed width of `N = H·x − S`.
    pub n: u32,
    /// Signed width of `z = N·y`.
    pub z: u32,
    /// `SH0 = R − G/2 + Fi − XF` (so `sh = e2/2 + SH0`) and the pre-shift
    /// `CSH = max(0, −SH0)`.
    pub sh0: i64,
    pub csh: u32,
    /// Signed width of `x̂` (`1 + (ceil(c/2) + 1) + XF`).
    pub norm: u32,
    /// Common frac of `γ·x̂` and `β`, the shifts that align them, the exact sum's width.
    pub f2: i32,
    pub prod_shift: u32,
    pub beta_shift: u32,
    pub acc: u32,
}

/// Bits of an unsigned value (`bits(0) = 0`).
fn bits(v: u128) -> u32 {
    128 - v.leading_zeros()
}

/// The derived widths of `cfg`.
///
/// # Errors
/// [`FixedError::ZeroSize`] if `size` is 0; [`FixedError::WidthOverflow`] if an
/// intermediate exceeds 126 bits (the descriptor turns this into a parameter error).
pub fn widths(cfg: &LayerNormConfig) -> Result<LayerNormWidths, FixedError> {
    if cfg.size == 0 {
        return Err(FixedError::ZeroSize { what: "size" });
    }
    let wi = cfg.input.width();
    let fi = i64::from(cfg.input.frac());
    let c = clog2(cfg.size as u64);
    let g = {
        let g = (2 * fi).max(i64::from(cfg.eps_frac)).max(0);
        g + (g & 1)
    };
    let var_shift = (g - 2 * fi) as u32;
    let eps_shift = (g - i64::from(cfg.eps_frac)) as u32;
    let d = (2 * wi - 1 + 2 * c + var_shift)
        .max(bits(u128::from(cfg.eps_mant)) + 2 * c + eps_shift)
        + 1;
    let sum = wi + c;
    let n = sum + 1;
    let z = n + cfg.rsqrt_frac + 2;
    let sh0 = i64::from(cfg.rsqrt_frac) - g / 2 + fi - i64::from(cfg.norm_frac);
    let csh = if sh0 < 0 { (-sh0) as u32 } else { 0 };
    let norm = 1 + (c.div_ceil(2) + 1) + cfg.norm_frac;
    let pf = i64::from(cfg.norm_frac) + i64::from(cfg.gamma.frac());
    let f2 = pf.max(i64::from(cfg.beta.frac()));
    let prod_shift = (f2 - pf) as u32;
    let beta_shift = (f2 - i64::from(cfg.beta.frac())) as u32;
    let acc = (cfg.gamma.width() + norm + prod_shift).max(cfg.beta.width() + beta_shift) + 1;
    let w = LayerNormWidths {
        c,
        sum,
        sumsq: 2 * wi - 1 + c,
        g: g as u32,
        var_shift,
        eps_shift,
        d,
        n,
        z,
        sh0,
        csh,
        norm,
        f2: f2 as i32,
        prod_shift,
        beta_shift,
        acc,
    };
    for (what, width) in [
        ("layernorm range reduction", w.d + cfg.rsqrt_frac),
        ("layernorm product", w.z + w.csh),
        ("layernorm output sum", w.acc),
    ] {
        if width > 126 {
            return Err(FixedError::WidthOverflow {
                what,
                width: u64::from(width),
                signed: true,
            });
        }
    }
    Ok(w)
}

/// Integer square root `floor(√v)`.
fn isqrt(v: u128) -> u128 {
    if v < 2 {
        return v;
    }
    let mut x = 1u128 << bits(v).div_ceil(2);
    loop {
        let y = (x + v / x) / 2;
        if y >= x {
            return x;
        }
        x = y;
    }
}

/// The initial-guess table, `2^(TB+1)` entries of `R+1` unsigned bits: entry
/// `odd·2^TB + k` is `floor(2^R / √m)` for the midpoint `m = 2^odd·(1 + (k + ½)/2^TB)`
/// of its segment of `u/2^R ∈ [1, 4)`. Requires `2R + TB + 2 < 128`.
pub fn rsqrt_table(table_bits: u32, rsqrt_frac: u32) -> Vec<i128> {
    let n = 1u128 << table_bits;
    let mut t = Vec::with_capacity(2 * n as usize);
    for odd in 0..2u32 {
        for k in 0..n {
            // 2^R/√(2^odd·(2n + 2k + 1)/(2n)) = √(2^(2R+TB+1−odd) / (2n + 2k + 1)).
            let num = 1u128 << (2 * rsqrt_frac + table_bits + 1 - odd);
            t.push(isqrt(num / (2 * n + 2 * k + 1)) as i128);
        }
    }
    t
}

/// Per-row statistics: `S`, the reciprocal square root `y` (frac `R`) and `e2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowStats {
    pub sum: i128,
    pub d: u128,
    pub e2: u32,
    pub u: u128,
    pub y: u128,
}

/// Steps 1–5 of the algorithm for one row.
pub fn row_stats(
    row: &[i128],
    cfg: &LayerNormConfig,
    w: &LayerNormWidths,
    table: &[i128],
) -> RowStats {
    let h = cfg.size as i128;
    let s: i128 = row.iter().sum();
    let q: i128 = row.iter().map(|x| x * x).sum();
    let v = (h * q - s * s) as u128;
    let eps = u128::from(cfg.eps_mant) * (h * h) as u128;
    let d = (v << w.var_shift) + (eps << w.eps_shift);
    let e = bits(d) - 1;
    let odd = e & 1;
    let e2 = e - odd;
    let r = cfg.rsqrt_frac;
    let u = if e2 >= r {
        d >> (e2 - r)
    } else {
        d << (r - e2)
    };
    let tb = cfg.table_bits;
    let idx = (odd << tb) as usize + ((u >> (r + odd - tb)) & ((1u128 << tb) - 1)) as usize;
    let mut y = table[idx] as u128;
    for _ in 0..cfg.nr_iters {
        let t = (y * y) >> r;
        let wv = (u * t) >> r;
        let three = 3u128 << r;
        debug_assert!(wv <= three, "u·y² >= 3 in Newton–Raphson");
        y = (y * three.saturating_sub(wv)) >> (r + 1);
    }
    RowStats {
        sum: s,
        d,
        e2,
        u,
        y,
    }
}

/// `floor(z · 2^-sh)` for any sign of `sh`, with shifts capped like the hardware's.
fn shift_floor(z: i128, sh: i64) -> i128 {
    if sh >= 0 {
        z >> sh.min(127)
    } else {
        z << (-sh)
    }
}

/// The normalised value `x̂` (raw, frac `norm_frac`, wrapped to `w.norm` bits) of raw
/// input `x` in a row with statistics `st`.
pub fn normalise(x: i128, st: &RowStats, cfg: &LayerNormConfig, w: &LayerNormWidths) -> i128 {
    let n = cfg.size as i128 * x - st.sum;
    let z = n * st.y as i128;
    let sh = i64::from(st.e2 / 2) + w.sh0;
    let xh = shift_floor(z, sh);
    let shift = 128 - w.norm;
    (xh << shift) >> shift
}

/// Layer normalisation of `rows` rows of `cfg.size` raw inputs (row-major), with
/// per-element `gamma` and `beta` (raw, length `size`). Output row-major, raw in
/// `cfg.output`.
///
/// # Errors
/// As [`widths`]; also [`FixedError::ZeroSize`] when the slices do not match `size`.
pub fn layernorm(
    x: &[i128],
    rows: usize,
    gamma: &[i128],
    beta: &[i128],
    cfg: &LayerNormConfig,
) -> Result<Vec<i128>, FixedError> {
    let w = widths(cfg)?;
    let h = cfg.size;
    if x.len() != rows * h || gamma.len() != h || beta.len() != h {
        return Err(FixedError::ZeroSize {
            what: "layernorm tensor length",
        });
    }
    let table = rsqrt_table(cfg.table_bits, cfg.rsqrt_frac);
    let acc_format = Format::signed(w.acc, w.f2)?;
    let mut out = Vec::with_capacity(x.len());
    for row in x.chunks(h) {
        let st = row_stats(row, cfg, &w, &table);
        for (i, &xi) in row.iter().enumerate() {
            let xh = normalise(xi, &st, cfg, &w);
            let acc = ((gamma[i] * xh) << w.prod_shift) + (beta[i] << w.beta_shift);
            out.push(cast(
                acc,
                acc_format,
                cfg.output,
                cfg.rounding,
                cfg.overflow,
            ));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- float reference

/// The float (f64) reference: `γ·(x − mean)/√(var + ε) + β` with the population
/// variance, on dequantised values, clamped to the output format's range (overflow is
/// the output format's business, not an approximation error). Row-major, real units.
pub fn layernorm_f64(
    x: &[i128],
    rows: usize,
    gamma: &[i128],
    beta: &[i128],
    cfg: &LayerNormConfig,
) -> Vec<f64> {
    let h = cfg.size;
    let eps = cfg.eps_mant as f64 * (-f64::from(cfg.eps_frac)).exp2();
    let lo = cfg.output.to_f64(cfg.output.min_raw());
    let hi = cfg.output.to_f64(cfg.output.max_raw());
    let mut out = Vec::with_capacity(rows * h);
    for row in x.chunks(h).take(rows) {
        let v: Vec<f64> = row.iter().map(|&r| cfg.input.to_f64(r)).collect();
        let mean = v.iter().sum::<f64>() / h as f64;
        let var = v.iter().map(|a| (a - mean) * (a - mean)).sum::<f64>() / h as f64;
        let inv = 1.0 / (var + eps).sqrt();
        for (i, a) in v.iter().enumerate() {
            let g = cfg.gamma.to_f64(gamma[i]);
            let b = cfg.beta.to_f64(beta[i]);
            out.push((g * (a - mean) * inv + b).clamp(lo, hi));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(size: usize) -> LayerNormConfig {
        LayerNormConfig {
            input: Format::signed(16, 8).unwrap(),
            gamma: Format::signed(16, 12).unwrap(),
            beta: Format::signed(16, 12).unwrap(),
            output: Format::signed(16, 8).unwrap(),
            rounding: Rounding::Rnd,
            overflow: Overflow::Sat,
            size,
            eps_mant: 36029,
            eps_frac: 55,
            rsqrt_frac: 20,
            table_bits: 4,
            nr_iters: 2,
            norm_frac: 16,
        }
    }

    fn max_err(x: &[i128], rows: usize, g: &[i128], b: &[i128], c: &LayerNormConfig) -> f64 {
        let got = layernorm(x, rows, g, b, c).unwrap();
        let want = layernorm_f64(x, rows, g, b, c);
        let lsb = (-f64::from(c.output.frac())).exp2();
        got.iter()
            .zip(&want)
            .map(|(&r, &f)| (c.output.to_f64(r) - f).abs() / lsb)
            .fold(0.0, f64::max)
    }

    #[test]
    fn isqrt_is_floor() {
        for v in 0..5000u128 {
            let r = isqrt(v);
            assert!(r * r <= v && (r + 1) * (r + 1) > v, "{v}");
        }
        assert_eq!(isqrt(u128::MAX >> 2), (1u128 << 63) - 1);
    }

    #[test]
    fn table_brackets_rsqrt() {
        let t = rsqrt_table(3, 16);
        assert_eq!(t.len(), 16);
        assert!(t[0] < 1 << 16 && t[0] > 60000);
        assert!(t.windows(2).take(7).all(|p| p[0] > p[1]));
        assert!(t[15] > 1 << 15);
    }

    #[test]
    fn unit_gamma_is_close_to_float() {
        let c = cfg(16);
        let g = vec![1 << 12; 16];
        let b = vec![0; 16];
        let x: Vec<i128> = (0..16).map(|i| (i * 37 % 23 - 11) * 64).collect();
        assert!(max_err(&x, 1, &g, &b, &c) <= 0.6);
    }

    #[test]
    fn constant_row_gives_beta() {
        let c = cfg(8);
        let g = vec![3 << 11; 8];
        let b: Vec<i128> = (0..8).map(|i| i * 100 - 300).collect();
        let x = vec![-32768; 8];
        let y = layernorm(&x, 1, &g, &b, &c).unwrap();
        let want: Vec<i128> = b.iter().map(|v| (v + 8) >> 4).collect();
        assert_eq!(y, want);
    }

    #[test]
    fn extreme_rows_stay_accurate() {
        let c = cfg(16);
        let g = vec![(1 << 12) + 77; 16];
        let b = vec![-500; 16];
        let mut rows = Vec::new();
        // One outlier at the extremes (|x̂| = √(H−1)), alternating extremes,
        // a tiny variance on a large offset.
        let mut r = vec![-32768i128; 16];
        r[5] = 32767;
        rows.extend(r);
        rows.extend((0..16).map(|i| if i % 2 == 0 { 32767 } else { -32768 }));
        rows.extend((0..16).map(|i| 30000 + i128::from(i == 3)));
        assert!(max_err(&rows, 3, &g, &b, &c) <= 1.0);
    }

    #[test]
    fn epsilon_dominates_tiny_variance() {
        let mut c = cfg(16);
        c.eps_mant = 1;
        c.eps_frac = 10;
        let g = vec![1 << 12; 16];
        let b = vec![0; 16];
        let x: Vec<i128> = (0..16).map(|i| 1000 + i128::from(i % 3 == 0)).collect();
        assert!(max_err(&x, 1, &g, &b, &c) <= 1.0);
    }

    #[test]
    fn bert_base_rows_within_two_lsb() {
        // H = 768, s16.8 in and out, BERT's eps; pseudo-random rows around varied
        // offsets and scales, gamma near 1, small beta.
        let c = cfg(768);
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |m: i128| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % (2 * m as u64 + 1)) as i128 - m
        };
        let g: Vec<i128> = (0..768).map(|_| 4096 + next(1500)).collect();
        let b: Vec<i128> = (0..768).map(|_| next(2000)).collect();
        let mut x = Vec::new();
        for r in 0..8 {
            let (offset, spread) = [(0, 3000), (25000, 40), (-20000, 1), (0, 32767)][r % 4];
            x.extend((0..768).map(|_| (offset + next(spread)).clamp(-32768, 32767)));
        }
        assert!(max_err(&x, 8, &g, &b, &c) <= 2.0);
    }

    #[test]
    fn size_one_is_beta() {
        let c = cfg(1);
        let y = layernorm(&[1234], 1, &[4096], &[4096], &c).unwrap();
        assert_eq!(y, vec![256]);
    }
}
