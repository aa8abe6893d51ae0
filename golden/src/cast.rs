//! Model of `mh_cast`: lane-wise requantisation of a whole tensor.
//!
//! Every element is cast independently with [`crate::fixed::cast`], so the lane count
//! (`PARALLELISM`) and the one-cycle latency of the hardware do not appear here; the
//! output stream carries the results in the input's order. This module adds no
//! arithmetic of its own.

use crate::fixed::{Format, Overflow, Rounding, cast};

/// Casts every element of `x` (raw values in `from`) to `to` with rounding `r` and
/// overflow `o`, preserving order.
pub fn cast_slice(x: &[i128], from: Format, to: Format, r: Rounding, o: Overflow) -> Vec<i128> {
    x.iter().map(|&v| cast(v, from, to, r, o)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_each_element_in_order() {
        let from = Format::signed(8, 2).unwrap();
        let to = Format::signed(4, 0).unwrap();
        // 1.5, -1.5, 2.25, 31.75 (saturates), -0.5
        let x = [6, -6, 9, 127, -2];
        assert_eq!(
            cast_slice(&x, from, to, Rounding::Rnd, Overflow::Sat),
            vec![2, -1, 2, 7, 0]
        );
        assert_eq!(
            cast_slice(&x, from, to, Rounding::RndConv, Overflow::Wrap),
            vec![2, -2, 2, 0, 0]
        );
        assert!(cast_slice(&[], from, to, Rounding::Trn, Overflow::Sat).is_empty());
    }
}
