//! Model of `mh_dot_product`: per pair of beats, the exact sum of lane-wise products.
//!
//! Beats of `data_in` and `weight` pair up in order; each pair of `lanes` elements gives
//! one output `sum_i x[i]*w[i]` in [`dot_product_format`] (width
//! `Wx + Ww + clog2(lanes)`, frac `Fx + Fw`). Nothing is rounded and the model does
//! not describe the handshake or the pipeline.

use crate::fixed::{FixedError, Format, mul_format, tree_format};

/// The exact output format of a dot product of `lanes` lanes: the product format
/// (width `Wx + Ww`, frac `Fx + Fw`, signed if either is) grown by `clog2(lanes)` bits.
///
/// # Errors
/// [`FixedError::ZeroSize`] if `lanes` is 0; [`FixedError::WidthOverflow`] or
/// [`FixedError::FracOverflow`] if the result is out of range.
pub fn dot_product_format(x: Format, w: Format, lanes: usize) -> Result<Format, FixedError> {
    if lanes == 0 {
        return Err(FixedError::ZeroSize { what: "lanes" });
    }
    let product = mul_format(x, w)?;
    tree_format(product, u64::try_from(lanes).unwrap_or(u64::MAX)).map_err(|e| match e {
        FixedError::WidthOverflow { width, signed, .. } => FixedError::WidthOverflow {
            what: "dot product",
            width,
            signed,
        },
        other => other,
    })
}

/// One output per pair of beats: `sum_{i < lanes} x[b*lanes + i] * w[b*lanes + i]`.
///
/// Exact whenever the inputs lie in formats for which [`dot_product_format`]
/// succeeds; otherwise wrapped to 128 bits. As in hardware, beats that find no
/// partner (the longer input's tail) and an incomplete trailing beat produce no output;
/// `lanes == 0` produces none at all.
pub fn dot_product(x: &[i128], w: &[i128], lanes: usize) -> Vec<i128> {
    if lanes == 0 {
        return Vec::new();
    }
    x.chunks_exact(lanes)
        .zip(w.chunks_exact(lanes))
        .map(|(xb, wb)| {
            xb.iter()
                .zip(wb)
                .fold(0i128, |acc, (&a, &b)| acc.wrapping_add(a.wrapping_mul(b)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_products_per_beat() {
        let x = [1, 2, 3, 4, -5, 6];
        let w = [7, -8, 9, 10, 11, 12];
        assert_eq!(dot_product(&x, &w, 2), vec![7 - 16, 27 + 40, -55 + 72]);
        assert_eq!(dot_product(&x, &w[..4], 2), vec![-9, 67]);
        assert_eq!(dot_product(&x, &w, 4), vec![7 - 16 + 27 + 40]);
        assert!(dot_product(&x, &w, 0).is_empty());
    }

    #[test]
    fn worst_case_fits_the_format() {
        let xf = Format::signed(8, 4).unwrap();
        let wf = Format::signed(6, -1).unwrap();
        let f = dot_product_format(xf, wf, 3).unwrap();
        assert_eq!((f.width(), f.frac(), f.is_signed()), (16, 3, true));
        let most = dot_product(&[-128; 3], &[-32; 3], 3)[0];
        assert_eq!(most, 3 * 4096);
        assert!(f.contains(most));
        assert_eq!(
            dot_product_format(xf, wf, 0),
            Err(FixedError::ZeroSize { what: "lanes" })
        );
        let wide = Format::signed(64, 0).unwrap();
        assert!(matches!(
            dot_product_format(wide, wide, 2),
            Err(FixedError::WidthOverflow {
                what: "dot product",
                width: 129,
                ..
            })
        ));
    }
}
