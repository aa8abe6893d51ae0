//! Model of `mh_resize`: a lane-width converter between a stream of `in_lanes`
//! elements per beat and one of `out_lanes` elements per beat.
//!
//! The converter moves elements without touching them and keeps their order, so on
//! whole tensors the model is the identity ([`resize`]). What it adds over a plain copy
//! is the rule that makes a stream convertible: every tensor row (innermost dimension)
//! must hold a whole number of beats on both sides, i.e. be a multiple of
//! [`row_multiple`] = lcm(in, out). [`regroup`] states the beat-level behaviour (the
//! same elements, in the same order, cut into beats of the other width) for tests and
//! documentation. It is exact by construction: there is no float reference.

/// Greatest common divisor (`gcd(0, n) = n`).
pub fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The row lengths a `in_lanes` → `out_lanes` converter accepts are the multiples of
/// lcm(in_lanes, out_lanes) (both ≥ 1).
pub fn row_multiple(in_lanes: usize, out_lanes: usize) -> usize {
    in_lanes / gcd(in_lanes, out_lanes) * out_lanes
}

/// The output tensor for input tensor `x` (raw codes, row-major): the same elements in
/// the same order. Shape checks (the row a multiple of [`row_multiple`]) belong to the
/// caller, which knows the tensor's shape.
pub fn resize(x: &[i128]) -> Vec<i128> {
    x.to_vec()
}

/// Beats of `in` lanes regrouped into beats of `out_lanes` (lane 0 first), or `None`
/// when the elements do not fill a whole number of output beats or `out_lanes` is 0.
pub fn regroup(beats: &[Vec<i128>], out_lanes: usize) -> Option<Vec<Vec<i128>>> {
    let flat: Vec<i128> = beats.iter().flatten().copied().collect();
    if out_lanes == 0 || !flat.len().is_multiple_of(out_lanes) {
        return None;
    }
    Some(flat.chunks(out_lanes).map(<[i128]>::to_vec).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_multiple_is_the_lcm() {
        assert_eq!(row_multiple(4, 4), 4);
        assert_eq!(row_multiple(1, 4), 4);
        assert_eq!(row_multiple(8, 2), 8);
        assert_eq!(row_multiple(3, 2), 6);
        assert_eq!(row_multiple(4, 6), 12);
        assert_eq!(row_multiple(255, 256), 65_280);
        assert_eq!(gcd(4, 6), 2);
        assert_eq!(gcd(7, 0), 7);
    }

    #[test]
    fn regroup_keeps_element_order() {
        let beats = vec![vec![0, 1, 2], vec![3, 4, 5]];
        assert_eq!(
            regroup(&beats, 2),
            Some(vec![vec![0, 1], vec![2, 3], vec![4, 5]])
        );
        assert_eq!(regroup(&beats, 6), Some(vec![vec![0, 1, 2, 3, 4, 5]]));
        assert_eq!(regroup(&beats, 1).map(|b| b.len()), Some(6));
        // Back again: 2 -> 3 undoes 3 -> 2.
        let two = regroup(&beats, 2).unwrap_or_default();
        assert_eq!(regroup(&two, 3), Some(beats.clone()));
    }

    #[test]
    fn regroup_rejects_partial_beats() {
        assert_eq!(regroup(&[vec![1, 2, 3]], 2), None);
        assert_eq!(regroup(&[vec![1]], 0), None);
        assert_eq!(regroup(&[], 3), Some(vec![]));
    }

    #[test]
    fn resize_is_the_identity() {
        let x = [-3, 0, 7, 1 << 63, i128::MAX];
        assert_eq!(resize(&x), x.to_vec());
    }
}
