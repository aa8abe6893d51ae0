//! `golden::fixed::cast` against the `fixed` crate, an independent implementation of
//! fixed-point numbers, for the formats `fixed` can express (8, 16, 32 and 64 bits,
//! signed and unsigned, fractional bits within the width) and the modes it has.
//!
//! Two kinds of oracle, both exact (raw codes compared, no floating point):
//! - conversions between `fixed` types (`saturating_from_num`, `wrapping_from_num`),
//!   which discard extra fractional bits toward −∞ and shift left exactly: `TRN` with
//!   `SAT` or `WRAP`, between widths, fractional widths and signedness;
//! - rounding to fewer fractional bits: the source's bits read as a `fixed` value with
//!   `d` fractional bits (the ones the cast drops), rounded to an integer by `fixed`
//!   (`floor` = `TRN`, `round_to_zero` = `TRN_ZERO`, `round` = `RND_INF`,
//!   `round_ties_even` = `RND_CONV`), then narrowed by `saturating_to_num` (`SAT`) or
//!   `wrapping_to_num` (`WRAP`) into the target's integer type.
//!
//! `fixed` has no ties-toward-±∞ or ties-toward-zero rounding and no `SAT_ZERO` or
//! `SAT_SYM`; those stay covered by the arbitrary-precision reference in
//! `fixed_props.rs`. Inputs mix uniformly random codes with codes whose dropped bits
//! sit at, just below and just above half an LSB, and the extreme codes.

use fixed::traits::Fixed;
use fixed::types::extra::{U0, U3, U4, U6, U8, U12, U16, U24};
use fixed::{FixedI8, FixedI16, FixedI32, FixedI64, FixedU8, FixedU16};
use golden::fixed::{Format, Overflow, Rounding, cast};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Raw codes of `bits` bits (as `i128`, sign-extended when `signed`): uniform, or a
/// random upper part over low `d` bits that are a tie, one below or above a tie, zero,
/// or all ones; or an extreme code.
fn raw_codes(bits: u32, d: u32, signed: bool) -> impl Strategy<Value = i128> {
    let norm = move |x: u128| -> i128 {
        let x = x & ((1u128 << bits) - 1);
        if signed && x >> (bits - 1) == 1 {
            x as i128 - (1i128 << bits)
        } else {
            x as i128
        }
    };
    let half = if d == 0 { 0 } else { 1u128 << (d - 1) };
    let low_mask = (1u128 << d) - 1;
    prop_oneof![
        any::<u128>().prop_map(norm),
        (any::<u128>(), 0u8..5).prop_map(move |(hi, k)| {
            let low = match k {
                0 => half,
                1 => half.wrapping_sub(1) & low_mask,
                2 => (half + 1) & low_mask,
                3 => 0,
                _ => low_mask,
            };
            norm((hi << d) | low)
        }),
        prop_oneof![
            Just(0u128),
            Just(1u128 << (bits - 1)),
            Just((1u128 << (bits - 1)) - 1),
            Just(u128::MAX)
        ]
        .prop_map(norm),
    ]
}

fn fmt(width: u32, frac: i32, signed: bool) -> Format {
    Format::new(width, frac, signed).expect("a valid format")
}

/// `TRN` with `SAT` and `WRAP` from `$src` to `$dst` by `fixed`'s own conversions.
macro_rules! convert_oracle {
    ($test:ident, $src:ty, ($sw:expr, $sf:expr, $ss:expr), $dst:ty, ($dw:expr, $df:expr, $ds:expr)) => {
        proptest! {
            #![proptest_config(config())]
            #[test]
            fn $test(raw in raw_codes($sw, ($sf - $df).max(0) as u32, $ss)) {
                let (from, to) = (fmt($sw, $sf, $ss), fmt($dw, $df, $ds));
                let x = <$src>::from_bits(raw as <$src as Fixed>::Bits);
                let sat = <$dst>::saturating_from_num(x).to_bits() as i128;
                let wrap = <$dst>::wrapping_from_num(x).to_bits() as i128;
                prop_assert_eq!(cast(raw, from, to, Rounding::Trn, Overflow::Sat), sat, "SAT {} -> {}", from, to);
                prop_assert_eq!(cast(raw, from, to, Rounding::Trn, Overflow::Wrap), wrap, "WRAP {} -> {}", from, to);
            }
        }
    };
}

convert_oracle!(
    s16_8_to_s8_4,
    FixedI16<U8>,
    (16, 8, true),
    FixedI8<U4>,
    (8, 4, true)
);
convert_oracle!(
    s16_8_to_s8_8,
    FixedI16<U8>,
    (16, 8, true),
    FixedI8<U8>,
    (8, 8, true)
);
convert_oracle!(
    s8_4_to_s16_12,
    FixedI8<U4>,
    (8, 4, true),
    FixedI16<U12>,
    (16, 12, true)
);
convert_oracle!(
    s16_8_to_s16_12,
    FixedI16<U8>,
    (16, 8, true),
    FixedI16<U12>,
    (16, 12, true)
);
convert_oracle!(
    s32_16_to_s16_8,
    FixedI32<U16>,
    (32, 16, true),
    FixedI16<U8>,
    (16, 8, true)
);
convert_oracle!(
    s64_24_to_s32_16,
    FixedI64<U24>,
    (64, 24, true),
    FixedI32<U16>,
    (32, 16, true)
);
convert_oracle!(
    u16_8_to_u8_4,
    FixedU16<U8>,
    (16, 8, false),
    FixedU8<U4>,
    (8, 4, false)
);
convert_oracle!(
    s16_8_to_u8_4,
    FixedI16<U8>,
    (16, 8, true),
    FixedU8<U4>,
    (8, 4, false)
);
convert_oracle!(
    u16_8_to_s8_4,
    FixedU16<U8>,
    (16, 8, false),
    FixedI8<U4>,
    (8, 4, true)
);
convert_oracle!(
    s32_16_to_s16_0,
    FixedI32<U16>,
    (32, 16, true),
    FixedI16<U0>,
    (16, 0, true)
);

/// The four rounding modes `fixed` has, each with `SAT` and `WRAP`, dropping `d`
/// fractional bits: `$mid` is the source's bits with `d` fractional bits and `$int`
/// the target's integer type.
macro_rules! round_oracle {
    ($test:ident, $mid:ty, ($sw:expr, $sf:expr, $ss:expr), $d:expr, $int:ty) => {
        proptest! {
            #![proptest_config(config())]
            #[test]
            fn $test(raw in raw_codes($sw, $d, $ss)) {
                let from = fmt($sw, $sf, $ss);
                let to = fmt(<$int>::BITS, $sf - $d, $ss);
                let m = <$mid>::from_bits(raw as <$mid as Fixed>::Bits);
                let modes: [(Rounding, Option<$mid>); 4] = [
                    (Rounding::Trn, Some(m.floor())),
                    (Rounding::TrnZero, Some(m.round_to_zero())),
                    (Rounding::RndInf, m.checked_round()),
                    (Rounding::RndConv, m.checked_round_ties_even()),
                ];
                for (r, rounded) in modes {
                    // Rounding up past the source type's maximum has no `fixed` value.
                    let Some(n) = rounded else { continue };
                    let sat = i128::from(n.saturating_to_num::<$int>());
                    let wrap = i128::from(n.wrapping_to_num::<$int>());
                    prop_assert_eq!(cast(raw, from, to, r, Overflow::Sat), sat, "{} SAT {} -> {}", r, from, to);
                    prop_assert_eq!(cast(raw, from, to, r, Overflow::Wrap), wrap, "{} WRAP {} -> {}", r, from, to);
                }
            }
        }
    };
}

round_oracle!(round_s16_8_to_s8_4, FixedI16<U4>, (16, 8, true), 4, i8);
round_oracle!(round_s8_4_to_s8_0, FixedI8<U4>, (8, 4, true), 4, i8);
round_oracle!(round_s32_16_to_s16_8, FixedI32<U8>, (32, 16, true), 8, i16);
round_oracle!(
    round_s32_16_to_s16_0,
    FixedI32<U16>,
    (32, 16, true),
    16,
    i16
);
round_oracle!(
    round_s64_32_to_s32_8,
    FixedI64<U24>,
    (64, 32, true),
    24,
    i32
);
round_oracle!(round_u16_8_to_u8_5, FixedU16<U3>, (16, 8, false), 3, u8);
round_oracle!(round_s16_6_to_s16_0, FixedI16<U6>, (16, 6, true), 6, i16);
