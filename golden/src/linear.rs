//! Model of `mh_linear`: `Y = X·Wᵀ + b` with exact products and sums and one output cast.
//!
//! For `X [rows, in_size]`, `W [out_size, in_size]` and `b [out_size]` (row-major flat
//! slices of raw values), each output is
//! `Y[r][o] = cast(sum_i X[r][i]*W[o][i] << (F - Fi - Fw) + b[o] << (F - Fb))` from the
//! exact accumulator format of [`accumulator_format`] to the output format, with the
//! layer's rounding and overflow modes: products and sums never round, the bias is
//! aligned by an exact left shift, and rounding happens exactly once. The output is in
//! row-major order (`r` outer, `o` inner); the hardware's block order, ping-pong
//! buffering and weight streaming are the generator's concern, not this model's.
//! [`linear_f64`] gives the same layer on dequantised values in floating point, as the
//! accuracy reference for choosing formats.
//!
//! Grouped weight scales ([`WeightScales`], for per-output-channel and MX block
//! formats): weight `W[o][i]` of group `(o, i / block)` is worth
//! `raw · 2^(shift - Fw)`, with one unsigned `shift` per group, so `Fw` is the finest
//! group's fractional width. Each group's partial dot product is exact at its own
//! scale and is aligned by `shift` exact left shifts before the groups are summed:
//! the result equals the plain layer on the weights `raw << shift` in format
//! `signed(Ww + 2^S - 1, Fw)` (`S` the shift width), which is how [`linear_scaled`]
//! computes it. Per channel is `block = in_size`.

use crate::fixed::{
    FixedError, Format, Overflow, Rounding, add_format, cast, mul_format, tree_format,
};

/// The formats and modes of one linear layer. `mh_linear` supports signed formats
/// only; the model is exact for unsigned ones too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinearFormats {
    /// Format of `X`.
    pub input: Format,
    /// Format of `W`.
    pub weight: Format,
    /// Format of `b`, or `None` for a layer without bias.
    pub bias: Option<Format>,
    /// Format of `Y`.
    pub output: Format,
    /// Rounding of the output cast.
    pub rounding: Rounding,
    /// Overflow handling of the output cast.
    pub overflow: Overflow,
}

/// Power-of-two scales shared by groups of weights: `block` consecutive weights of one
/// output row (along the input dimension) share `shifts[o * (in_size / block) + b]`,
/// an unsigned code of `shift_width` bits (`1..=8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightScales<'a> {
    /// Weights per group along the input dimension (`in_size` for per channel).
    pub block: usize,
    /// Bits of one shift code; the largest shift is `2^shift_width - 1`.
    pub shift_width: u32,
    /// `[out_size, in_size / block]`, row-major.
    pub shifts: &'a [i128],
}

/// Most bits of one shift code.
pub const MAX_SHIFT_WIDTH: u32 = 8;

impl WeightScales<'_> {
    /// The largest shift a code of this width can hold.
    pub fn max_shift(&self) -> u32 {
        (1u32 << self.shift_width.min(MAX_SHIFT_WIDTH)) - 1
    }
}

/// `f` with the weight widened by `max_shift` bits: the format of `raw << shift`.
///
/// # Errors
/// [`FixedError::BadWidth`] if the widened weight exceeds the widest signed format.
pub fn widened(f: &LinearFormats, max_shift: u32) -> Result<LinearFormats, FixedError> {
    let mut g = *f;
    g.weight = Format::signed(f.weight.width() + max_shift, f.weight.frac())?;
    Ok(g)
}

/// [`accumulator_format`] of a layer whose weights carry group shifts of at most
/// `max_shift`: the product sum is `max_shift` bits wider, its frac unchanged.
///
/// # Errors
/// As [`accumulator_format`], and [`FixedError::BadWidth`] from [`widened`].
pub fn accumulator_format_scaled(
    f: &LinearFormats,
    in_size: usize,
    max_shift: u32,
) -> Result<Format, FixedError> {
    accumulator_format(&widened(f, max_shift)?, in_size)
}

/// Checks `scales` against the shape and returns the weights `raw << shift`.
fn expand(
    w: &[i128],
    out_size: usize,
    in_size: usize,
    scales: &WeightScales,
) -> Result<Vec<i128>, FixedError> {
    let (block, width) = (scales.block, scales.shift_width);
    if block == 0 || !in_size.is_multiple_of(block) {
        return Err(FixedError::BadBlock {
            what: "in_size",
            block,
            size: in_size,
        });
    }
    if !(1..=MAX_SHIFT_WIDTH).contains(&width) {
        return Err(FixedError::BadWidth {
            width,
            signed: false,
        });
    }
    let groups = in_size / block;
    let expected = out_size
        .checked_mul(groups)
        .ok_or(FixedError::SizeOverflow { what: "shifts" })?;
    if scales.shifts.len() != expected {
        return Err(FixedError::LengthMismatch {
            what: "shifts",
            expected,
            actual: scales.shifts.len(),
        });
    }
    let shift_format = Format::unsigned(width, 0)?;
    if let Some(&raw) = scales.shifts.iter().find(|&&s| !shift_format.contains(s)) {
        return Err(FixedError::RawOutOfRange {
            what: "shifts",
            raw,
            format: shift_format,
        });
    }
    if w.len() != out_size.saturating_mul(in_size) {
        return Err(FixedError::LengthMismatch {
            what: "w",
            expected: out_size.saturating_mul(in_size),
            actual: w.len(),
        });
    }
    Ok(w.iter()
        .enumerate()
        .map(|(n, &v)| {
            let (o, i) = (n / in_size, n % in_size);
            // Shifts are below 2^8 and the widened width is checked by the caller, so
            // the shifted value fits.
            v.wrapping_shl(scales.shifts[o * groups + i / block] as u32)
        })
        .collect())
}

/// Bit-exact `mh_linear` with grouped weight scales: [`linear`] with each group's
/// partial sum aligned by its shift (see the module text), one output cast.
///
/// # Errors
/// As [`linear`]; [`FixedError::BadBlock`] if `scales.block` does not divide
/// `in_size`; [`FixedError::LengthMismatch`]/[`FixedError::RawOutOfRange`] for shifts
/// that do not match the shape or their width; [`FixedError::BadWidth`] for a shift
/// width outside `1..=8`.
#[allow(clippy::too_many_arguments)]
pub fn linear_scaled(
    x: &[i128],
    rows: usize,
    in_size: usize,
    w: &[i128],
    out_size: usize,
    bias: Option<&[i128]>,
    scales: &WeightScales,
    f: &LinearFormats,
) -> Result<Vec<i128>, FixedError> {
    validate(x, rows, in_size, w, out_size, bias, f)?;
    let wide = expand(w, out_size, in_size, scales)?;
    linear(
        x,
        rows,
        in_size,
        &wide,
        out_size,
        bias,
        &widened(f, scales.max_shift())?,
    )
}

/// [`linear_f64`] with grouped weight scales: weight `raw · 2^(shift - Fw)`.
///
/// # Errors
/// As [`linear_scaled`], without the accumulator limits.
#[allow(clippy::too_many_arguments)]
pub fn linear_scaled_f64(
    x: &[i128],
    rows: usize,
    in_size: usize,
    w: &[i128],
    out_size: usize,
    bias: Option<&[i128]>,
    scales: &WeightScales,
    f: &LinearFormats,
) -> Result<Vec<f64>, FixedError> {
    validate(x, rows, in_size, w, out_size, bias, f)?;
    let wide = expand(w, out_size, in_size, scales)?;
    linear_f64(
        x,
        rows,
        in_size,
        &wide,
        out_size,
        bias,
        &widened(f, scales.max_shift())?,
    )
}

/// The exact format of the accumulator (the value cast to the output), for `in_size`
/// products per output.
///
/// With `Wi, Fi` (input), `Ww, Fw` (weight), `Wb, Fb` (bias), `N = in_size`:
///
/// - without bias: width `Wi + Ww + clog2(N)`, frac `Fi + Fw`;
/// - with bias: frac `F = max(Fi + Fw, Fb)` and width
///   `max(Wi + Ww + clog2(N) + (F - Fi - Fw), Wb + (F - Fb)) + 1`
///   (the shifted product sum and the shifted bias, plus one bit for their sum).
///
/// These are the formulas for all-signed formats, the case `mh_linear` implements. In
/// general the format is `add_format(tree_format(mul_format(input, weight), N), bias)`
/// (see [`crate::fixed::add_format`] for mixed signedness).
///
/// # Errors
/// [`FixedError::ZeroSize`] if `in_size` is 0; [`FixedError::WidthOverflow`] or
/// [`FixedError::FracOverflow`] if the accumulator does not fit the limits of
/// [`Format`].
pub fn accumulator_format(f: &LinearFormats, in_size: usize) -> Result<Format, FixedError> {
    let sum = product_sum_format(f, in_size)?;
    match f.bias {
        None => Ok(sum),
        Some(b) => add_format(sum, b).map_err(rename),
    }
}

/// Format of `sum_i x*w` before the bias is aligned and added.
fn product_sum_format(f: &LinearFormats, in_size: usize) -> Result<Format, FixedError> {
    if in_size == 0 {
        return Err(FixedError::ZeroSize { what: "in_size" });
    }
    let product = mul_format(f.input, f.weight).map_err(rename)?;
    tree_format(product, u64::try_from(in_size).unwrap_or(u64::MAX)).map_err(rename)
}

fn rename(e: FixedError) -> FixedError {
    const WHAT: &str = "linear accumulator";
    match e {
        FixedError::WidthOverflow { width, signed, .. } => FixedError::WidthOverflow {
            what: WHAT,
            width,
            signed,
        },
        FixedError::FracOverflow { frac, .. } => FixedError::FracOverflow { what: WHAT, frac },
        other => other,
    }
}

/// Checks shapes, bias presence and that every raw value lies in its format.
fn validate(
    x: &[i128],
    rows: usize,
    in_size: usize,
    w: &[i128],
    out_size: usize,
    bias: Option<&[i128]>,
    f: &LinearFormats,
) -> Result<(), FixedError> {
    if in_size == 0 {
        return Err(FixedError::ZeroSize { what: "in_size" });
    }
    if out_size == 0 {
        return Err(FixedError::ZeroSize { what: "out_size" });
    }
    let check_len = |what: &'static str, data: &[i128], a: usize, b: usize| {
        let expected = a.checked_mul(b).ok_or(FixedError::SizeOverflow { what })?;
        if data.len() == expected {
            Ok(())
        } else {
            Err(FixedError::LengthMismatch {
                what,
                expected,
                actual: data.len(),
            })
        }
    };
    let check_range = |what: &'static str, data: &[i128], format: Format| match data
        .iter()
        .find(|&&v| !format.contains(v))
    {
        Some(&raw) => Err(FixedError::RawOutOfRange { what, raw, format }),
        None => Ok(()),
    };
    check_len("x", x, rows, in_size)?;
    check_len("w", w, out_size, in_size)?;
    check_range("x", x, f.input)?;
    check_range("w", w, f.weight)?;
    match (f.bias, bias) {
        (None, None) => Ok(()),
        (Some(bf), Some(b)) => {
            check_len("bias", b, out_size, 1)?;
            check_range("bias", b, bf)
        }
        (format, data) => Err(FixedError::BiasMismatch {
            format_given: format.is_some(),
            data_given: data.is_some(),
        }),
    }
}

fn dot_i128(x: &[i128], w: &[i128]) -> i128 {
    x.iter()
        .zip(w)
        .fold(0i128, |acc, (&a, &b)| acc.wrapping_add(a.wrapping_mul(b)))
}

/// Used when every partial sum fits `i64`; the narrowing casts are then lossless.
fn dot_i64(x: &[i128], w: &[i128]) -> i128 {
    i128::from(x.iter().zip(w).fold(0i64, |acc, (&a, &b)| {
        acc.wrapping_add((a as i64).wrapping_mul(b as i64))
    }))
}

/// Bit-exact `mh_linear`: `Y[r][o]` for `r < rows`, `o < out_size`, row-major.
///
/// `x` is `[rows, in_size]`, `w` is `[out_size, in_size]` (PyTorch's layout), `bias` is
/// `[out_size]` and must be given exactly when `f.bias` is. The sum is formed exactly in
/// [`accumulator_format`] and cast once to `f.output` with `f.rounding`/`f.overflow`.
///
/// # Errors
/// [`FixedError::ZeroSize`] for `in_size == 0` or `out_size == 0`;
/// [`FixedError::LengthMismatch`]/[`FixedError::SizeOverflow`] for slices that do not
/// match the shape; [`FixedError::BiasMismatch`]; [`FixedError::RawOutOfRange`] for a
/// value outside its format; the errors of [`accumulator_format`].
pub fn linear(
    x: &[i128],
    rows: usize,
    in_size: usize,
    w: &[i128],
    out_size: usize,
    bias: Option<&[i128]>,
    f: &LinearFormats,
) -> Result<Vec<i128>, FixedError> {
    validate(x, rows, in_size, w, out_size, bias, f)?;
    let sum_format = product_sum_format(f, in_size)?;
    let acc_format = accumulator_format(f, in_size)?;
    // Both shifts are below the accumulator width (<= 128), and the shifted values
    // fit it, so the wrapping operations below are exact.
    let product_shift = (acc_format.frac() - sum_format.frac()).unsigned_abs();
    let bias_shift = f
        .bias
        .map_or(0, |b| (acc_format.frac() - b.frac()).unsigned_abs());
    let narrow = sum_format.min_raw() >= i128::from(i64::MIN)
        && sum_format.max_raw() <= i128::from(i64::MAX);
    let finish = |o: usize, dot: i128| {
        let mut acc = dot.wrapping_shl(product_shift);
        if let Some(b) = bias.and_then(|b| b.get(o)) {
            acc = acc.wrapping_add(b.wrapping_shl(bias_shift));
        }
        cast(acc, acc_format, f.output, f.rounding, f.overflow)
    };
    if narrow && rows * out_size * in_size >= PARALLEL_MACS {
        return Ok(linear_narrow_parallel(
            x, rows, in_size, w, out_size, &finish,
        ));
    }
    let dot: fn(&[i128], &[i128]) -> i128 = if narrow { dot_i64 } else { dot_i128 };
    let mut out = Vec::with_capacity(rows.saturating_mul(out_size));
    for x_row in x.chunks_exact(in_size) {
        for (o, w_row) in w.chunks_exact(in_size).enumerate() {
            out.push(finish(o, dot(x_row, w_row)));
        }
    }
    Ok(out)
}

/// Products summed per layer above which [`linear`] splits its work across cores.
const PARALLEL_MACS: usize = 1 << 22;

/// [`linear`] when every partial sum fits `i64`, for large layers: operands narrowed
/// to `i64` once (a quarter of the memory traffic of `i128`), each weight row read
/// once against all input rows (which stay in cache), output columns split across
/// the cores. Integer sums are exact, so the result equals the plain loop's.
fn linear_narrow_parallel(
    x: &[i128],
    rows: usize,
    in_size: usize,
    w: &[i128],
    out_size: usize,
    finish: &(dyn Fn(usize, i128) -> i128 + Sync),
) -> Vec<i128> {
    let x64: Vec<i64> = x.iter().map(|&v| v as i64).collect();
    let w64: Vec<i64> = w.iter().map(|&v| v as i64).collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(out_size)
        .max(1);
    let per = out_size.div_ceil(threads);
    // Column-major per thread: column o's rows together.
    let cols: Vec<Vec<i128>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (x64, w64) = (&x64, &w64);
                s.spawn(move || {
                    let (o0, o1) = (t * per, ((t + 1) * per).min(out_size));
                    let mut col = Vec::with_capacity((o1 - o0) * rows);
                    for o in o0..o1 {
                        let w_row = &w64[o * in_size..(o + 1) * in_size];
                        for x_row in x64.chunks_exact(in_size) {
                            let d = x_row
                                .iter()
                                .zip(w_row)
                                .fold(0i64, |acc, (&a, &b)| acc.wrapping_add(a.wrapping_mul(b)));
                            col.push(finish(o, i128::from(d)));
                        }
                    }
                    col
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut out = vec![0i128; rows * out_size];
    for (t, col) in cols.iter().enumerate() {
        for (k, v) in col.iter().enumerate() {
            let (o, r) = (t * per + k / rows, k % rows);
            out[r * out_size + o] = *v;
        }
    }
    out
}

/// The same layer in `f64` on the dequantised values (`raw / 2^frac` of every input,
/// weight and bias), before any output quantisation: the accuracy reference. Takes the
/// same arguments, and checks them the same way, as [`linear`].
///
/// # Errors
/// As [`linear`], except that the accumulator format is not computed, so its width
/// limits do not apply.
pub fn linear_f64(
    x: &[i128],
    rows: usize,
    in_size: usize,
    w: &[i128],
    out_size: usize,
    bias: Option<&[i128]>,
    f: &LinearFormats,
) -> Result<Vec<f64>, FixedError> {
    validate(x, rows, in_size, w, out_size, bias, f)?;
    let xs: Vec<f64> = x.iter().map(|&v| f.input.to_f64(v)).collect();
    let ws: Vec<f64> = w.iter().map(|&v| f.weight.to_f64(v)).collect();
    let bs: Option<Vec<f64>> = f
        .bias
        .zip(bias)
        .map(|(bf, b)| b.iter().map(|&v| bf.to_f64(v)).collect());
    let mut out = Vec::with_capacity(rows.saturating_mul(out_size));
    for x_row in xs.chunks_exact(in_size) {
        for (o, w_row) in ws.chunks_exact(in_size).enumerate() {
            let dot: f64 = x_row.iter().zip(w_row).map(|(a, b)| a * b).sum();
            let b = bs.as_ref().and_then(|b| b.get(o)).copied().unwrap_or(0.0);
            out.push(dot + b);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(width: u32, frac: i32) -> Format {
        Format::signed(width, frac).unwrap()
    }

    fn formats(bias: Option<Format>) -> LinearFormats {
        LinearFormats {
            input: s(8, 4),
            weight: s(8, 6),
            bias,
            output: s(8, 4),
            rounding: Rounding::Rnd,
            overflow: Overflow::Sat,
        }
    }

    #[test]
    fn accumulator_format_formula() {
        // No bias: Wi + Ww + clog2(N), Fi + Fw.
        let f = formats(None);
        assert_eq!(accumulator_format(&f, 5).unwrap(), s(19, 10));
        // Bias with a smaller frac: F = 10, max(19, 12 + 10 - 3) + 1 = 20.
        assert_eq!(
            accumulator_format(&formats(Some(s(12, 3))), 5).unwrap(),
            s(20, 10)
        );
        // Bias with a larger frac: F = 14, max(19 + 4, 8 + 0) + 1 = 24.
        assert_eq!(
            accumulator_format(&formats(Some(s(8, 14))), 5).unwrap(),
            s(24, 14)
        );
        // Wide bias dominates: max(16 + 0, 30 + 0) + 1.
        assert_eq!(
            accumulator_format(&formats(Some(s(30, 10))), 1).unwrap(),
            s(31, 10)
        );
        assert_eq!(
            accumulator_format(&f, 0),
            Err(FixedError::ZeroSize { what: "in_size" })
        );
        let mut wide = f;
        wide.input = s(100, 0);
        wide.weight = s(28, 0);
        assert!(matches!(
            accumulator_format(&wide, 2),
            Err(FixedError::WidthOverflow {
                what: "linear accumulator",
                width: 129,
                ..
            })
        ));
    }

    #[test]
    fn small_layer_by_hand() {
        // x = [1.0, -0.5], [0.25, 2.0]; w = [[0.5, 1.0], [-1.0, 0.25], [127/64, 0.0]].
        let x = [16, -8, 4, 32];
        let w = [32, 64, -64, 16, 127, 0];
        let b = [8, -8, 0]; // s12.3: 1.0, -1.0, 0.0
        let f = formats(Some(s(12, 3)));
        let y = linear(&x, 2, 2, &w, 3, Some(&b), &f).unwrap();
        // Row 0: 0.5 - 0.5 + 1 = 1.0; -1 - 0.125 - 1 = -2.125; 127/64 = 1.984375 -> RND to 1/16.
        // Row 1: 0.125 + 2 + 1 = 3.125; -0.25 + 0.5 - 1 = -0.75; 0.25*127/64 = 0.49609375.
        assert_eq!(y, vec![16, -34, 32, 50, -12, 8]);
        let yf = linear_f64(&x, 2, 2, &w, 3, Some(&b), &f).unwrap();
        assert_eq!(yf, vec![1.0, -2.125, 1.984375, 3.125, -0.75, 0.49609375]);
        for (q, r) in y.iter().zip(&yf) {
            assert!((f.output.to_f64(*q) - r).abs() <= 1.0 / 32.0);
        }
    }

    #[test]
    fn output_cast_saturates_and_rounds_once() {
        let mut f = formats(None);
        f.output = s(4, 0);
        // 127/16 * 127/64 * 4 = 63.0 -> saturates to 7 (SAT) or wraps.
        let x = [127; 4];
        let w = [127; 4];
        assert_eq!(linear(&x, 1, 4, &w, 1, None, &f).unwrap(), vec![7]);
        f.overflow = Overflow::Wrap;
        // 64516 / 1024 = 63.00390625 -> 63 -> low 4 bits of 63 = -1.
        assert_eq!(linear(&x, 1, 4, &w, 1, None, &f).unwrap(), vec![-1]);
        // Two half-LSB products: rounding each (RND) would give 2, rounding the sum once
        // gives 1.
        f.overflow = Overflow::Sat;
        let x = [8, 8]; // 0.5, 0.5
        let w = [64, 64]; // 1.0, 1.0
        assert_eq!(linear(&x, 1, 2, &w, 1, None, &f).unwrap(), vec![1]);
    }

    #[test]
    fn parallel_path_equals_the_plain_loop() {
        // 37 rows x 64 in x 1801 out = 4.3 M products: above the threshold, with
        // uneven column splits; the reference is the plain loop written out here.
        let (rows, n_in, n_out) = (37, 64, 1801);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |m: i128| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) as i128 % (2 * m + 1) - m
        };
        let x: Vec<i128> = (0..rows * n_in).map(|_| next(127)).collect();
        let w: Vec<i128> = (0..n_out * n_in).map(|_| next(127)).collect();
        let b: Vec<i128> = (0..n_out).map(|_| next(2047)).collect();
        let mut f = formats(Some(s(12, 3)));
        f.rounding = Rounding::RndConv;
        assert!(rows * n_in * n_out >= PARALLEL_MACS);
        let y = linear(&x, rows, n_in, &w, n_out, Some(&b), &f).unwrap();
        let acc = accumulator_format(&f, n_in).unwrap();
        let sum = product_sum_format(&f, n_in).unwrap();
        let (ps, bs) = ((acc.frac() - sum.frac()) as u32, (acc.frac() - 3) as u32);
        for r in 0..rows {
            for o in 0..n_out {
                let d: i128 = (0..n_in).map(|k| x[r * n_in + k] * w[o * n_in + k]).sum();
                let a = (d << ps) + (b[o] << bs);
                let want = cast(a, acc, f.output, f.rounding, f.overflow);
                assert_eq!(y[r * n_out + o], want, "row {r} col {o}");
            }
        }
    }

    #[test]
    fn wide_accumulator_uses_i128_path() {
        let mut f = formats(None);
        f.input = s(40, 0);
        f.weight = s(40, 0);
        f.output = s(96, 0);
        let big = (1i128 << 39) - 1;
        let x = vec![-(1i128 << 39); 3];
        let w = vec![big; 3];
        let y = linear(&x, 1, 3, &w, 1, None, &f).unwrap();
        assert_eq!(y, vec![-3 * (1i128 << 39) * big]);
    }

    #[test]
    fn scaled_groups_sum_exactly_at_their_own_scale() {
        // 1 row, 4 inputs, 2 outputs, blocks of 2: W[o][i] = raw * 2^(shift - 6).
        let f = formats(Some(s(12, 3)));
        let x = [16, -8, 4, 32]; // 1.0, -0.5, 0.25, 2.0
        let w = [32, 64, -64, 16, 127, 0, 1, -1];
        let shifts = [0, 3, 1, 0];
        let sc = WeightScales {
            block: 2,
            shift_width: 2,
            shifts: &shifts,
        };
        let b = [8, -8];
        let y = linear_scaled(&x, 1, 4, &w, 2, Some(&b), &sc, &f).unwrap();
        let yf = linear_scaled_f64(&x, 1, 4, &w, 2, Some(&b), &sc, &f).unwrap();
        // Independent sum in f64 of the dequantised values.
        let wv =
            |o: usize, i: usize| w[o * 4 + i] as f64 * 2f64.powi(shifts[o * 2 + i / 2] as i32 - 6);
        for o in 0..2 {
            let want: f64 =
                (0..4).map(|i| x[i] as f64 / 16.0 * wv(o, i)).sum::<f64>() + b[o] as f64 / 8.0;
            assert_eq!(yf[o], want);
            let q = f.output.from_f64(want, f.rounding, f.overflow).unwrap();
            assert_eq!(y[o], q, "output {o}");
        }
        // Shift 0 everywhere is the plain layer.
        let zeros = [0; 4];
        let z = WeightScales {
            shifts: &zeros,
            ..sc
        };
        assert_eq!(
            linear_scaled(&x, 1, 4, &w, 2, Some(&b), &z, &f).unwrap(),
            linear(&x, 1, 4, &w, 2, Some(&b), &f).unwrap()
        );
        assert_eq!(
            accumulator_format_scaled(&f, 4, 3).unwrap(),
            accumulator_format(&widened(&f, 3).unwrap(), 4).unwrap()
        );
    }

    #[test]
    fn scaled_rejects_bad_scales() {
        let f = formats(None);
        let sc = |block, shift_width, shifts: &'static [i128]| WeightScales {
            block,
            shift_width,
            shifts,
        };
        let run = |s: WeightScales| linear_scaled(&[0; 4], 1, 4, &[0; 8], 2, None, &s, &f);
        assert_eq!(
            run(sc(3, 2, &[0; 2])),
            Err(FixedError::BadBlock {
                what: "in_size",
                block: 3,
                size: 4
            })
        );
        assert_eq!(
            run(sc(2, 2, &[0; 3])),
            Err(FixedError::LengthMismatch {
                what: "shifts",
                expected: 4,
                actual: 3
            })
        );
        assert!(matches!(
            run(sc(2, 2, &[0, 4, 0, 0])),
            Err(FixedError::RawOutOfRange {
                what: "shifts",
                raw: 4,
                ..
            })
        ));
        assert!(matches!(
            run(sc(4, 0, &[0; 2])),
            Err(FixedError::BadWidth { .. })
        ));
    }

    #[test]
    fn rejects_bad_arguments() {
        let f = formats(None);
        let fb = formats(Some(s(8, 0)));
        assert_eq!(
            linear(&[0; 3], 2, 2, &[0; 4], 2, None, &f),
            Err(FixedError::LengthMismatch {
                what: "x",
                expected: 4,
                actual: 3
            })
        );
        assert_eq!(
            linear(&[0; 4], 2, 2, &[0; 5], 2, None, &f),
            Err(FixedError::LengthMismatch {
                what: "w",
                expected: 4,
                actual: 5
            })
        );
        assert_eq!(
            linear(&[0; 4], 2, 2, &[0; 4], 2, Some(&[0; 2]), &f),
            Err(FixedError::BiasMismatch {
                format_given: false,
                data_given: true
            })
        );
        assert_eq!(
            linear(&[0; 4], 2, 2, &[0; 4], 2, None, &fb),
            Err(FixedError::BiasMismatch {
                format_given: true,
                data_given: false
            })
        );
        assert_eq!(
            linear(&[0; 4], 2, 2, &[0; 4], 2, Some(&[0; 3]), &fb),
            Err(FixedError::LengthMismatch {
                what: "bias",
                expected: 2,
                actual: 3
            })
        );
        assert_eq!(
            linear(&[0, 128, 0, 0], 2, 2, &[0; 4], 2, None, &f),
            Err(FixedError::RawOutOfRange {
                what: "x",
                raw: 128,
                format: s(8, 4)
            })
        );
        assert_eq!(
            linear(&[0; 4], 2, 2, &[0; 4], 2, Some(&[0, -129]), &fb),
            Err(FixedError::RawOutOfRange {
                what: "bias",
                raw: -129,
                format: s(8, 0)
            })
        );
        assert_eq!(
            linear(&[], usize::MAX, 2, &[0; 4], 2, None, &f),
            Err(FixedError::SizeOverflow { what: "x" })
        );
        assert_eq!(
            linear_f64(&[], 0, 0, &[], 1, None, &f),
            Err(FixedError::ZeroSize { what: "in_size" })
        );
        assert_eq!(
            linear(&[], 0, 1, &[], 0, None, &f),
            Err(FixedError::ZeroSize { what: "out_size" })
        );
        assert_eq!(linear(&[], 0, 2, &[0; 4], 2, None, &f), Ok(vec![]));
    }
}
