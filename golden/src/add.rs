//! Model of `mh_add`: elementwise sum of two signed tensors in possibly different
//! formats (residual connections), rounded once.
//!
//! Element `i` of `a` (format `Fa`) and of `b` (format `Fb`) are aligned to the common
//! frac `F = max(Fa.frac, Fb.frac)` by exact left shifts and added exactly in
//! [`crate::fixed::add_format`]`(Fa, Fb)`; the sum is cast once to the output format
//! with the configured rounding and overflow. Beats of the two inputs pair up in order.
//! The float reference [`add_f64`] is the exact real sum.

use crate::fixed::{FixedError, Format, Overflow, Rounding, add, add_format, cast};

/// `cast(a[i] + b[i])` for every `i` (the shorter input decides the length, as in
/// hardware where an unpaired beat produces nothing).
///
/// # Errors
/// As [`add_format`] (sum wider than 128 bits), or an operand outside its format.
pub fn add_elementwise(
    a: &[i128],
    af: Format,
    b: &[i128],
    bf: Format,
    to: Format,
    r: Rounding,
    o: Overflow,
) -> Result<Vec<i128>, FixedError> {
    add_format(af, bf)?;
    a.iter()
        .zip(b)
        .map(|(&x, &y)| add(x, af, y, bf).map(|(s, sf)| cast(s, sf, to, r, o)))
        .collect()
}

// ---- float reference -------------------------------------------------------------

/// The real sum `a + b`.
pub fn add_f64(a: f64, b: f64) -> f64 {
    a + b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_then_rounds_once() {
        let af = Format::signed(8, 4).unwrap(); // a = 1.0625 (17)
        let bf = Format::signed(6, 1).unwrap(); // b = -2.5 (-5)
        let to = Format::signed(8, 2).unwrap();
        // 1.0625 - 2.5 = -1.4375 = -5.75 quarter LSBs: RND -> -6, TRN -> -6, TRN_ZERO -> -5.
        let got = |r| add_elementwise(&[17], af, &[-5], bf, to, r, Overflow::Sat).unwrap();
        assert_eq!(got(Rounding::Rnd), vec![-6]);
        assert_eq!(got(Rounding::Trn), vec![-6]);
        assert_eq!(got(Rounding::TrnZero), vec![-5]);
    }

    #[test]
    fn extremes_saturate_or_wrap() {
        let f = Format::signed(4, 0).unwrap();
        let got = |o| add_elementwise(&[7, -8], f, &[7, -8], f, f, Rounding::Rnd, o).unwrap();
        assert_eq!(got(Overflow::Sat), vec![7, -8]);
        assert_eq!(got(Overflow::Wrap), vec![-2, 0]);
        assert_eq!(got(Overflow::SatSym), vec![7, -7]);
        assert_eq!(got(Overflow::SatZero), vec![0, 0]);
    }

    #[test]
    fn width_one_and_frac_equal_width() {
        let one = Format::signed(1, 0).unwrap(); // {-1, 0}
        let frac = Format::signed(3, 3).unwrap(); // [-0.5, 0.375]
        let to = Format::signed(5, 3).unwrap();
        let s = add_elementwise(
            &[-1, 0],
            one,
            &[-4, 3],
            frac,
            to,
            Rounding::Rnd,
            Overflow::Sat,
        )
        .unwrap();
        assert_eq!(s, vec![-12, 3]);
        assert_eq!(add_f64(-1.0, -0.5), -1.5);
    }

    #[test]
    fn too_wide_sum_is_an_error() {
        let a = Format::signed(64, -64).unwrap();
        let b = Format::signed(64, 128).unwrap();
        assert!(add_elementwise(&[0], a, &[0], b, a, Rounding::Rnd, Overflow::Sat).is_err());
    }
}
