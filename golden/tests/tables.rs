//! Lookup tables checked exactly against an independent float evaluation, per rounding
//! mode: every entry of a full GELU table equals `gelu(x)·2^F` rounded by the mode's
//! rule written out here on `f64` (floor, ties, …) and saturated, not through the
//! crate's own `from_f64`. A table that ignored its rounding mode (built with `RND`
//! whatever it was asked) fails here even though it would pass an error bound.

use golden::gelu::{GeluPlan, GeluTable, gelu_f64};
use golden::{Format, Overflow, Rounding};

/// `v` (an exact multiple of 2^-F scaled to integer units) rounded by `r`.
fn round(v: f64, r: Rounding) -> f64 {
    let (fl, frac) = (v.floor(), v - v.floor());
    let tie = frac == 0.5;
    match r {
        Rounding::Trn => fl,
        Rounding::TrnZero => v.trunc(),
        Rounding::Rnd => (v + 0.5).floor(),
        Rounding::RndZero if tie => v.trunc(),
        Rounding::RndMinInf if tie => fl,
        Rounding::RndInf if tie => v.round(),
        Rounding::RndConv if tie => {
            if fl.rem_euclid(2.0) == 0.0 {
                fl
            } else {
                fl + 1.0
            }
        }
        _ => v.round(),
    }
}

const MODES: [Rounding; 7] = [
    Rounding::Trn,
    Rounding::TrnZero,
    Rounding::Rnd,
    Rounding::RndZero,
    Rounding::RndMinInf,
    Rounding::RndInf,
    Rounding::RndConv,
];

#[test]
fn full_gelu_tables_equal_the_float_function_rounded_by_each_mode() {
    let formats = [(8, 4, 8, 4), (10, 6, 8, 5), (6, 2, 10, 7), (8, 7, 8, 7)];
    let mut differing = 0;
    for (wi, fi, wo, fo) in formats {
        let input = Format::signed(wi, fi).unwrap();
        let output = Format::signed(wo, fo).unwrap();
        let mut per_mode = Vec::new();
        for r in MODES {
            let plan = GeluPlan::new(input, output, r, Overflow::Sat).unwrap();
            let GeluTable::Full(entries) = &plan.table else {
                panic!("{input} should give a full table");
            };
            for (bits, &got) in entries.iter().enumerate() {
                let x = input.to_f64(input.from_bits(bits as u128));
                let v = gelu_f64(x) * 2f64.powi(fo);
                let want =
                    round(v, r).clamp(output.min_raw() as f64, output.max_raw() as f64) as i128;
                assert_eq!(got, want, "{input}→{output} {r:?}: x = {x}, gelu·2^F = {v}");
            }
            per_mode.push(entries.clone());
        }
        // The modes really differ on these formats (the check is not vacuous).
        differing += per_mode.windows(2).filter(|w| w[0] != w[1]).count();
    }
    assert!(
        differing >= 8,
        "rounding modes gave identical tables ({differing})"
    );
}
