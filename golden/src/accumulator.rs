//! Model of `mh_accumulator`: lane-wise sums of `DEPTH` consecutive beats.
//!
//! The input is a stream of beats of `lanes` elements; every group of `depth`
//! consecutive beats yields one output beat whose lane `l` is the exact sum of lane `l`
//! over the group, in [`accumulator_format`] (width `W + clog2(depth)`, same frac).
//! Nothing is rounded; the model does not describe the handshake or timing.

use crate::fixed::{FixedError, Format, accumulate_format};

/// The exact output format of an accumulator over `depth` beats of `input`:
/// width `W + clog2(depth)`, same frac and signedness.
///
/// # Errors
/// [`FixedError::ZeroSize`] if `depth` is 0; [`FixedError::WidthOverflow`] if the
/// width exceeds the maximum.
pub fn accumulator_format(input: Format, depth: usize) -> Result<Format, FixedError> {
    if depth == 0 {
        return Err(FixedError::ZeroSize { what: "depth" });
    }
    accumulate_format(input, u64::try_from(depth).unwrap_or(u64::MAX))
}

/// Sums each group of `depth` consecutive beats (of `lanes` elements each) lane-wise
/// into one output beat: `out[g*lanes + l] = sum_{d < depth} x[(g*depth + d)*lanes + l]`.
///
/// Exact whenever the inputs lie in a format for which [`accumulator_format`]
/// succeeds; otherwise wrapped to 128 bits. As in hardware, an incomplete trailing
/// group emits nothing; `lanes == 0` or `depth == 0` emits nothing at all.
pub fn accumulate(x: &[i128], lanes: usize, depth: usize) -> Vec<i128> {
    let Some(group) = lanes.checked_mul(depth).filter(|&g| g > 0) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(x.len() / group * lanes);
    for chunk in x.chunks_exact(group) {
        let start = out.len();
        out.extend_from_slice(&chunk[..lanes]);
        for beat in chunk[lanes..].chunks_exact(lanes) {
            for (acc, &v) in out[start..].iter_mut().zip(beat) {
                *acc = acc.wrapping_add(v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_lane_wise_per_group() {
        // lanes 2, depth 3: beats (1,2) (3,4) (5,6) | (-1,-2) (7,0) (0,0) | (9,9)
        let x = [1, 2, 3, 4, 5, 6, -1, -2, 7, 0, 0, 0, 9, 9];
        assert_eq!(accumulate(&x, 2, 3), vec![9, 12, 6, -2]);
        assert_eq!(accumulate(&x, 2, 1), x[..14].to_vec());
        assert_eq!(accumulate(&x, 1, 7), vec![20, 23]);
        assert!(accumulate(&x, 0, 3).is_empty());
        assert!(accumulate(&x, 2, 0).is_empty());
        assert!(accumulate(&x, usize::MAX, 2).is_empty());
    }

    #[test]
    fn format_grows_by_clog2_depth() {
        let f = Format::unsigned(10, 2).unwrap();
        let a = accumulator_format(f, 4).unwrap();
        assert_eq!((a.width(), a.frac(), a.is_signed()), (12, 2, false));
        assert!(a.contains(accumulate(&[1023; 4], 1, 4)[0]));
        assert_eq!(accumulator_format(f, 5).unwrap().width(), 13);
        assert_eq!(
            accumulator_format(f, 0),
            Err(FixedError::ZeroSize { what: "depth" })
        );
    }
}
