//! Model of `mh_transpose`: swaps the two outer axes of a batch of 3-axis tensors,
//! `[N, A, B, C]` → `[N, B, A, C]` (`out[n][b][a][c] = in[n][a][b][c]`).
//!
//! A pure permutation of elements: no arithmetic, so the model is bit-exact by
//! construction and has no error bound. It is generic over the element type, so the
//! same function is the float reference (`swap_outer::<f64>`): moving data commutes
//! with dequantisation. BERT's `split_heads` is `(A, B, C) = (seq, heads, head_dim)`,
//! `merge_heads` is `(heads, seq, head_dim)`.

/// `x` (row-major `[n, a, b, c]` with `n = x.len() / (a·b·c)`) with its two outer
/// per-tensor axes swapped, row-major `[n, b, a, c]`. `None` when a size is zero or
/// `x.len()` is not a whole number of tensors.
pub fn swap_outer<T: Copy>(x: &[T], a: usize, b: usize, c: usize) -> Option<Vec<T>> {
    let per = a.checked_mul(b)?.checked_mul(c)?;
    if per == 0 || !x.len().is_multiple_of(per) {
        return None;
    }
    let mut out = Vec::with_capacity(x.len());
    for t in x.chunks_exact(per) {
        for bi in 0..b {
            for ai in 0..a {
                let row = (ai * b + bi) * c;
                out.extend_from_slice(&t[row..row + c]);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_outer_axes_per_tensor() {
        // One tensor [2, 3, 2]: element value = 100a + 10b + c.
        let (a, b, c) = (2, 3, 2);
        let x: Vec<i128> = (0..a)
            .flat_map(|ai| (0..b).flat_map(move |bi| (0..c).map(move |ci| 100 * ai + 10 * bi + ci)))
            .collect();
        let y = swap_outer(&x, a as usize, b as usize, c as usize).unwrap();
        let want: Vec<i128> = (0..b)
            .flat_map(|bi| (0..a).flat_map(move |ai| (0..c).map(move |ci| 100 * ai + 10 * bi + ci)))
            .collect();
        assert_eq!(y, want);
        assert_eq!(&y[..6], &[0, 1, 100, 101, 10, 11]);
    }

    #[test]
    fn batches_are_independent() {
        let x: Vec<i128> = (0..12).collect();
        // Two tensors [2, 3, 1].
        let y = swap_outer(&x, 2, 3, 1).unwrap();
        assert_eq!(y, vec![0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11]);
    }

    #[test]
    fn a_or_b_of_one_is_the_identity() {
        let x: Vec<i128> = (0..24).collect();
        assert_eq!(swap_outer(&x, 1, 4, 3).unwrap(), x);
        assert_eq!(swap_outer(&x, 4, 1, 3).unwrap(), x);
        assert_eq!(swap_outer(&x, 1, 1, 1).unwrap(), x);
    }

    #[test]
    fn merge_undoes_split() {
        // split_heads (s=5, H=3, d=2) then merge_heads (H=3, s=5, d=2).
        let x: Vec<f64> = (0..60).map(|i| f64::from(i) * 0.5).collect();
        let split = swap_outer(&x, 5, 3, 2).unwrap();
        assert_ne!(split, x);
        assert_eq!(swap_outer(&split, 3, 5, 2).unwrap(), x);
    }

    #[test]
    fn ragged_or_empty_shapes_are_rejected() {
        let x: Vec<i128> = (0..10).collect();
        assert!(swap_outer(&x, 2, 2, 2).is_none());
        assert!(swap_outer(&x, 0, 2, 2).is_none());
        assert_eq!(
            swap_outer::<i128>(&[], 2, 2, 2).unwrap(),
            Vec::<i128>::new()
        );
    }
}
