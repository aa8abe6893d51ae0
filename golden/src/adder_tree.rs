//! Model of `mh_adder_tree`: the exact sum of each beat of `IN_SIZE` lanes.
//!
//! The hardware sums one beat per cycle through `clog2(IN_SIZE)` register levels; the
//! model sums each consecutive group of `in_size` elements. Nothing is rounded: the
//! output format is [`adder_tree_format`] (width `IN_WIDTH + clog2(IN_SIZE)`, same frac),
//! which holds every possible sum. It does not model the pipeline or its latency.

use crate::fixed::{FixedError, Format, tree_format};

/// The exact output format of an adder tree over `in_size` lanes of `input`:
/// width `W + clog2(in_size)`, same frac and signedness.
///
/// # Errors
/// [`FixedError::ZeroSize`] if `in_size` is 0; [`FixedError::WidthOverflow`] if the
/// width exceeds the maximum.
pub fn adder_tree_format(input: Format, in_size: usize) -> Result<Format, FixedError> {
    if in_size == 0 {
        return Err(FixedError::ZeroSize { what: "in_size" });
    }
    tree_format(input, u64::try_from(in_size).unwrap_or(u64::MAX))
}

/// The sum of each consecutive group of `in_size` elements of `x`: one output element
/// per input beat.
///
/// Exact whenever the inputs lie in a format for which [`adder_tree_format`]
/// succeeds (the sums then fit `i128`); otherwise each sum is wrapped to 128 bits. As
/// in hardware, an incomplete trailing group produces no output, and `in_size == 0`
/// produces none at all.
pub fn adder_tree(x: &[i128], in_size: usize) -> Vec<i128> {
    if in_size == 0 {
        return Vec::new();
    }
    x.chunks_exact(in_size)
        .map(|beat| beat.iter().fold(0i128, |acc, &v| acc.wrapping_add(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_each_beat() {
        assert_eq!(adder_tree(&[1, 2, 3, -4, 5, 6], 3), vec![6, 7]);
        assert_eq!(adder_tree(&[1, 2, 3, -4, 5], 2), vec![3, -1]);
        assert_eq!(adder_tree(&[7, -8], 1), vec![7, -8]);
        assert!(adder_tree(&[1, 2], 0).is_empty());
    }

    #[test]
    fn extreme_sums_fit_the_format() {
        let f = Format::signed(8, 3).unwrap();
        let out = adder_tree_format(f, 5).unwrap();
        assert_eq!((out.width(), out.frac(), out.is_signed()), (11, 3, true));
        let lows = adder_tree(&[-128; 5], 5);
        let highs = adder_tree(&[127; 5], 5);
        assert!(out.contains(lows[0]) && out.contains(highs[0]));
        assert_eq!(adder_tree_format(f, 1).unwrap(), f);
        assert_eq!(
            adder_tree_format(f, 0),
            Err(FixedError::ZeroSize { what: "in_size" })
        );
        assert!(matches!(
            adder_tree_format(Format::signed(127, 0).unwrap(), 3),
            Err(FixedError::WidthOverflow { width: 129, .. })
        ));
    }
}
