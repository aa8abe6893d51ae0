//! Model of `mh_matmul`: per-head activation × activation product `C = A·B` with exact
//! products and sums and one output cast.
//!
//! For `heads` independent matrix pairs, `A [heads, m, k]` and `B [heads, k, n]` (or, with
//! `transpose_b`, `Bᵀ [heads, n, k]`, as `K` arrives for `Q·Kᵀ`), all row-major flat
//! slices of raw values, each output is
//! `C[h][r][c] = cast(sum_i A[h][r][i]*B[h][i][c])` from the exact accumulator format
//! ([`accumulator_format`]: `linear`'s accumulator without bias, width
//! `Wa + Wb + clog2(k)`, frac `Fa + Fb`) to the output format with the rounding and
//! overflow modes: products and sums never round, and rounding happens exactly once.
//! Each head is exactly a bias-free `linear` layer with `X = A[h]` and `W = B[h]ᵀ`, and
//! the model computes it that way, so the two components cannot disagree on arithmetic.
//! [`matmul_f64`] is the float reference: the same product on dequantised values.

use crate::fixed::{FixedError, Format, Overflow, Rounding};
use crate::linear::{LinearFormats, linear};

/// The formats and modes of one matmul. `mh_matmul` supports signed formats only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MatmulFormats {
    /// Format of `A`.
    pub a: Format,
    /// Format of `B`.
    pub b: Format,
    /// Format of `C`.
    pub output: Format,
    /// Rounding of the output cast.
    pub rounding: Rounding,
    /// Overflow handling of the output cast.
    pub overflow: Overflow,
}

/// Sizes of one matmul: `A [heads, m, k] · B [heads, k, n]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MatmulShape {
    pub heads: usize,
    pub m: usize,
    pub k: usize,
    pub n: usize,
    /// `B` is given transposed, as `[heads, n, k]`.
    pub transpose_b: bool,
}

impl MatmulFormats {
    fn linear(&self) -> LinearFormats {
        LinearFormats {
            input: self.a,
            weight: self.b,
            bias: None,
            output: self.output,
            rounding: self.rounding,
            overflow: self.overflow,
        }
    }
}

/// The exact accumulator format (the value cast to the output) for `k` products per
/// output: width `Wa + Wb + clog2(k)`, frac `Fa + Fb` (for signed formats).
///
/// # Errors
/// [`FixedError::ZeroSize`] if `k` is 0; width or frac overflow of [`Format`].
pub fn accumulator_format(f: &MatmulFormats, k: usize) -> Result<Format, FixedError> {
    crate::linear::accumulator_format(&f.linear(), k)
}

fn check_len(what: &'static str, data: &[i128], dims: [usize; 3]) -> Result<(), FixedError> {
    let expected = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or(FixedError::SizeOverflow { what })?;
    if data.len() == expected {
        Ok(())
    } else {
        Err(FixedError::LengthMismatch {
            what,
            expected,
            actual: data.len(),
        })
    }
}

/// Checks sizes and lengths; returns `B[h]ᵀ` (`[n, k]` row-major) of every head.
fn weights(a: &[i128], b: &[i128], s: &MatmulShape) -> Result<Vec<Vec<i128>>, FixedError> {
    for (what, d) in [("m", s.m), ("k", s.k), ("n", s.n)] {
        if d == 0 {
            return Err(FixedError::ZeroSize { what });
        }
    }
    check_len("a", a, [s.heads, s.m, s.k])?;
    check_len("b", b, [s.heads, s.k, s.n])?;
    let per = s.k * s.n;
    Ok(b.chunks_exact(per.max(1))
        .take(s.heads)
        .map(|bh| {
            if s.transpose_b {
                bh.to_vec()
            } else {
                // bt[c][i] = b[i][c]
                let mut bt = vec![0; per];
                for i in 0..s.k {
                    for c in 0..s.n {
                        bt[c * s.k + i] = bh[i * s.n + c];
                    }
                }
                bt
            }
        })
        .collect())
}

/// Bit-exact `mh_matmul`: `C [heads, m, n]` row-major.
///
/// # Errors
/// [`FixedError::ZeroSize`] for `m`, `k` or `n` of 0; [`FixedError::LengthMismatch`] /
/// [`FixedError::SizeOverflow`] for slices that do not match the shape;
/// [`FixedError::RawOutOfRange`] for a value outside its format (named `x` for `A` and
/// `w` for `B`, as in `linear`); the errors of [`accumulator_format`].
pub fn matmul(
    a: &[i128],
    b: &[i128],
    s: &MatmulShape,
    f: &MatmulFormats,
) -> Result<Vec<i128>, FixedError> {
    let bt = weights(a, b, s)?;
    let lf = f.linear();
    let mut out = Vec::with_capacity(a.len() / s.k * s.n);
    for (ah, wh) in a.chunks_exact(s.m * s.k).zip(&bt) {
        out.extend(linear(ah, s.m, s.k, wh, s.n, None, &lf)?);
    }
    Ok(out)
}

/// The float reference: `A·B` per head in `f64` on the dequantised values, before any
/// output quantisation. Same arguments and checks as [`matmul`] (except the accumulator
/// width limits).
///
/// # Errors
/// As [`matmul`].
pub fn matmul_f64(
    a: &[i128],
    b: &[i128],
    s: &MatmulShape,
    f: &MatmulFormats,
) -> Result<Vec<f64>, FixedError> {
    let bt = weights(a, b, s)?;
    let lf = f.linear();
    let mut out = Vec::with_capacity(a.len() / s.k * s.n);
    for (ah, wh) in a.chunks_exact(s.m * s.k).zip(&bt) {
        out.extend(crate::linear::linear_f64(ah, s.m, s.k, wh, s.n, None, &lf)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(width: u32, frac: i32) -> Format {
        Format::signed(width, frac).unwrap()
    }

    fn formats() -> MatmulFormats {
        MatmulFormats {
            a: s(8, 4),
            b: s(8, 4),
            output: s(8, 4),
            rounding: Rounding::Rnd,
            overflow: Overflow::Sat,
        }
    }

    fn shape(heads: usize, m: usize, k: usize, n: usize, transpose_b: bool) -> MatmulShape {
        MatmulShape {
            heads,
            m,
            k,
            n,
            transpose_b,
        }
    }

    /// Naive reference on integers: sum, then the one cast.
    fn naive(a: &[i128], b: &[i128], sh: &MatmulShape, f: &MatmulFormats) -> Vec<i128> {
        let acc = accumulator_format(f, sh.k).unwrap();
        let mut out = Vec::new();
        for h in 0..sh.heads {
            for r in 0..sh.m {
                for c in 0..sh.n {
                    let mut sum = 0i128;
                    for i in 0..sh.k {
                        let bv = if sh.transpose_b {
                            b[h * sh.k * sh.n + c * sh.k + i]
                        } else {
                            b[h * sh.k * sh.n + i * sh.n + c]
                        };
                        sum += a[h * sh.m * sh.k + r * sh.k + i] * bv;
                    }
                    out.push(crate::fixed::cast(
                        sum, acc, f.output, f.rounding, f.overflow,
                    ));
                }
            }
        }
        out
    }

    #[test]
    fn accumulator_is_linear_without_bias() {
        assert_eq!(accumulator_format(&formats(), 5).unwrap(), s(19, 8));
        assert_eq!(accumulator_format(&formats(), 1).unwrap(), s(16, 8));
        assert_eq!(
            accumulator_format(&formats(), 0),
            Err(FixedError::ZeroSize { what: "in_size" })
        );
    }

    #[test]
    fn small_product_by_hand() {
        // A = [[1, 2], [3, -4]] (s8.4 raw x16), B = [[0.5, 1], [-1, 0.25]].
        let f = formats();
        let a = [16, 32, 48, -64];
        let b = [8, 16, -16, 4];
        // C = [[0.5 - 2, 1 + 0.5], [1.5 + 4, 3 - 1]] = [[-1.5, 1.5], [5.5, 2]].
        let c = matmul(&a, &b, &shape(1, 2, 2, 2, false), &f).unwrap();
        assert_eq!(c, vec![-24, 24, 88, 32]);
        // The same B given transposed.
        let bt = [8, -16, 16, 4];
        assert_eq!(matmul(&a, &bt, &shape(1, 2, 2, 2, true), &f).unwrap(), c);
        let cf = matmul_f64(&a, &b, &shape(1, 2, 2, 2, false), &f).unwrap();
        assert_eq!(cf, vec![-1.5, 1.5, 5.5, 2.0]);
    }

    #[test]
    fn matches_naive_over_heads_and_modes() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut next = |lo: i128, hi: i128| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            lo + (seed % (hi - lo + 1) as u64) as i128
        };
        for (ri, r) in Rounding::ALL.iter().enumerate() {
            for (oi, o) in Overflow::ALL.iter().enumerate() {
                let f = MatmulFormats {
                    a: s(7, 3),
                    b: s(5, 2),
                    output: s(6, 2),
                    rounding: *r,
                    overflow: *o,
                };
                let tr = (ri + oi) % 2 == 1;
                let sh = shape(3, 2, 5, 3, tr);
                let a: Vec<i128> = (0..30).map(|_| next(-64, 63)).collect();
                let b: Vec<i128> = (0..45).map(|_| next(-16, 15)).collect();
                assert_eq!(matmul(&a, &b, &sh, &f).unwrap(), naive(&a, &b, &sh, &f));
            }
        }
    }

    #[test]
    fn extremes_saturate_and_round_once() {
        let mut f = formats();
        f.output = s(4, 0);
        // (-8)*(-8) * 4 = 256 -> saturates to 7; most negative times itself never wraps
        // inside the accumulator.
        let a = [-128; 4];
        let b = [-128; 4];
        let sh = shape(1, 1, 4, 1, false);
        assert_eq!(matmul(&a, &b, &sh, &f).unwrap(), vec![7]);
        f.output = s(16, 0);
        assert_eq!(matmul(&a, &b, &sh, &f).unwrap(), vec![256]);
        // Two half-LSB products round once: 0.5 * 0.0625 * 2 = 0.0625 -> RND to 0.
        f.output = s(8, 0);
        let a = [8, 8];
        let b = [1, 1];
        assert_eq!(matmul(&a, &b, &sh_k2(), &f).unwrap(), vec![0]);
    }

    fn sh_k2() -> MatmulShape {
        shape(1, 1, 2, 1, false)
    }

    #[test]
    fn rejects_bad_arguments() {
        let f = formats();
        assert_eq!(
            matmul(&[0; 3], &[0; 4], &shape(1, 2, 2, 2, false), &f),
            Err(FixedError::LengthMismatch {
                what: "a",
                expected: 4,
                actual: 3
            })
        );
        assert_eq!(
            matmul(&[0; 4], &[0; 5], &shape(1, 2, 2, 2, true), &f),
            Err(FixedError::LengthMismatch {
                what: "b",
                expected: 4,
                actual: 5
            })
        );
        assert_eq!(
            matmul(&[], &[], &shape(1, 0, 2, 2, false), &f),
            Err(FixedError::ZeroSize { what: "m" })
        );
        assert!(matches!(
            matmul(&[0, 200, 0, 0], &[0; 4], &shape(1, 2, 2, 2, false), &f),
            Err(FixedError::RawOutOfRange { raw: 200, .. })
        ));
        assert_eq!(matmul(&[], &[], &shape(0, 2, 2, 2, false), &f), Ok(vec![]));
    }
}
