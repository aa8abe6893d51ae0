//! Model of `mh_mul`: elementwise product of two signed tensors in possibly different
//! formats, rounded once.
//!
//! Element `i` of `a` (format `Fa`) times element `i` of `b` (format `Fb`) is exact in
//! [`crate::fixed::mul_format`]`(Fa, Fb)` (width `Wa + Wb`, frac `Fa + Fb`); the
//! product is cast once to the output format with the configured rounding and
//! overflow. Beats of the two inputs pair up in order. The float reference
//! [`mul_f64`] is the exact real product.

use crate::fixed::{FixedError, Format, Overflow, Rounding, cast, mul, mul_format};

/// `cast(a[i] * b[i])` for every `i` (the shorter input decides the length).
///
/// # Errors
/// As [`mul_format`], or an operand outside its format.
pub fn mul_elementwise(
    a: &[i128],
    af: Format,
    b: &[i128],
    bf: Format,
    to: Format,
    r: Rounding,
    o: Overflow,
) -> Result<Vec<i128>, FixedError> {
    mul_format(af, bf)?;
    a.iter()
        .zip(b)
        .map(|(&x, &y)| mul(x, af, y, bf).map(|(p, pf)| cast(p, pf, to, r, o)))
        .collect()
}

// ---- float reference -------------------------------------------------------------

/// The real product `a * b`.
pub fn mul_f64(a: f64, b: f64) -> f64 {
    a * b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_product_rounded_once() {
        let af = Format::signed(8, 4).unwrap(); // 1.5 (24)
        let bf = Format::signed(6, 1).unwrap(); // -2.5 (-5)
        let to = Format::signed(8, 1).unwrap();
        // -3.75 = -7.5 half LSBs: RND -> -7, RND_CONV -> -8, RND_ZERO -> -7, RND_INF -> -8.
        let got = |r| mul_elementwise(&[24], af, &[-5], bf, to, r, Overflow::Sat).unwrap();
        assert_eq!(got(Rounding::Rnd), vec![-7]);
        assert_eq!(got(Rounding::RndConv), vec![-8]);
        assert_eq!(got(Rounding::RndZero), vec![-7]);
        assert_eq!(got(Rounding::RndInf), vec![-8]);
    }

    #[test]
    fn most_negative_squared_and_width_one() {
        let f = Format::signed(4, 0).unwrap();
        let got = |o| mul_elementwise(&[-8], f, &[-8], f, f, Rounding::Rnd, o).unwrap();
        assert_eq!(got(Overflow::Sat), vec![7]);
        assert_eq!(got(Overflow::Wrap), vec![0]);
        let one = Format::signed(1, 0).unwrap();
        let wide = Format::signed(3, 0).unwrap();
        let p = mul_elementwise(
            &[-1, -1, 0],
            one,
            &[-1, 0, -1],
            one,
            wide,
            Rounding::Rnd,
            Overflow::Sat,
        )
        .unwrap();
        assert_eq!(p, vec![1, 0, 0]);
        assert_eq!(mul_f64(-1.5, 2.0), -3.0);
    }
}
