//! Model of `mh_relu`: lane-wise `max(x, 0)` of a signed tensor, then one cast to the
//! output format.
//!
//! `max(x, 0)` is exact in the input format, so the only rounding is the final
//! [`crate::fixed::cast`] with the configured modes (identity when the output format
//! equals the input format). The float reference [`relu_f64`] is the exact function.

use crate::fixed::{Format, Overflow, Rounding, cast};

/// `cast(max(x, 0))` for every element of `x` (raw codes in `from`), in order.
pub fn relu(x: &[i128], from: Format, to: Format, r: Rounding, o: Overflow) -> Vec<i128> {
    x.iter().map(|&v| cast(v.max(0), from, to, r, o)).collect()
}

// ---- float reference -------------------------------------------------------------

/// The real function `max(x, 0)`.
pub fn relu_f64(x: f64) -> f64 {
    x.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_negatives_and_casts() {
        let f = Format::signed(8, 2).unwrap();
        let x = [-128, -1, 0, 1, 6, 127];
        assert_eq!(
            relu(&x, f, f, Rounding::Rnd, Overflow::Sat),
            vec![0, 0, 0, 1, 6, 127]
        );
        // To s4.0: 0.25 -> 0, 1.5 -> 2 (RND), 31.75 saturates to 7.
        let to = Format::signed(4, 0).unwrap();
        assert_eq!(
            relu(&x, f, to, Rounding::Rnd, Overflow::Sat),
            vec![0, 0, 0, 0, 2, 7]
        );
        assert_eq!(
            relu(&x, f, to, Rounding::Trn, Overflow::Wrap),
            vec![0, 0, 0, 0, 1, -1]
        );
    }

    #[test]
    fn width_one_is_always_zero() {
        let f = Format::signed(1, 0).unwrap();
        assert_eq!(
            relu(&[-1, 0], f, f, Rounding::Rnd, Overflow::Sat),
            vec![0, 0]
        );
        assert_eq!(relu_f64(-2.5), 0.0);
        assert_eq!(relu_f64(2.5), 2.5);
    }
}
