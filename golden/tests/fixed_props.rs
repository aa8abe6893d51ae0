//! Property tests of `golden::fixed` against an independent arbitrary-precision
//! reference.
//!
//! The reference below never calls `cast`: it computes `q` and `r` with `BigInt`
//! truncating division (corrected to floor), applies the rounding table of
//! `docs/components.md` literally, and then the overflow table on the unbounded result.
//! Failing seeds are persisted to `golden/proptest-regressions/fixed_props.txt` and
//! replayed first on every run; check that file in.

use golden::fixed::{
    Format, Overflow, Rounding, accumulate_format, add, add_format, cast, mul, mul_format,
    tree_format,
};
use num_bigint::{BigInt, Sign};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/proptest-regressions/fixed_props.txt"
);

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------- reference

fn pow2(n: i64) -> BigInt {
    BigInt::from(1) << usize::try_from(n).expect("non-negative shift")
}

fn is_neg(x: &BigInt) -> bool {
    x.sign() == Sign::Minus
}

/// `x / 2^s` rounded by the table (rounding code 0..=6), or `x * 2^-s` for `s <= 0`.
fn ref_round(x: &BigInt, s: i64, rounding: Rounding) -> BigInt {
    if s <= 0 {
        return x * pow2(-s);
    }
    let d = pow2(s);
    let mut q = x / &d; // truncates toward zero
    let mut r = x - &q * &d;
    if is_neg(&r) {
        q -= 1;
        r += &d;
    }
    let h = pow2(s - 1);
    let x_neg = is_neg(x);
    let q_odd = (&q % 2u32) != BigInt::from(0);
    let up = match rounding.code() {
        0 => false,
        1 => x_neg && r != BigInt::from(0),
        2 => r >= h,
        3 => r > h || (r == h && x_neg),
        4 => r > h,
        5 => r > h || (r == h && !x_neg),
        6 => r > h || (r == h && q_odd),
        other => panic!("no rounding code {other}"),
    };
    if up { q + 1 } else { q }
}

fn range(width: u32, signed: bool) -> (BigInt, BigInt) {
    let w = i64::from(width);
    if signed {
        (-pow2(w - 1), pow2(w - 1) - 1)
    } else {
        (BigInt::from(0), pow2(w) - 1)
    }
}

fn clamp(y: BigInt, lo: &BigInt, hi: &BigInt) -> BigInt {
    if &y < lo {
        lo.clone()
    } else if &y > hi {
        hi.clone()
    } else {
        y
    }
}

/// The overflow table (code 0..=3) applied to the unbounded integer `y`.
fn ref_overflow(y: BigInt, to: Format, overflow: Overflow) -> i128 {
    let (min, max) = range(to.width(), to.is_signed());
    let v = match overflow.code() {
        0 => {
            let m = pow2(i64::from(to.width()));
            let mut v = y % &m;
            if is_neg(&v) {
                v += &m;
            }
            if v > max {
                v -= m;
            }
            v
        }
        1 => clamp(y, &min, &max),
        2 => {
            if y < min || y > max {
                BigInt::from(0)
            } else {
                y
            }
        }
        3 => {
            let lo = if to.is_signed() { -max.clone() } else { min };
            clamp(y, &lo, &max)
        }
        other => panic!("no overflow code {other}"),
    };
    i128::try_from(&v).expect("result fits i128")
}

fn ref_cast(raw: i128, from: Format, to: Format, r: Rounding, o: Overflow) -> i128 {
    let s = i64::from(from.frac()) - i64::from(to.frac());
    ref_overflow(ref_round(&BigInt::from(raw), s, r), to, o)
}

/// `x = m * 2^e` exactly, from the IEEE-754 bits.
fn decompose(x: f64) -> (BigInt, i64) {
    let bits = x.to_bits();
    let exp = i64::try_from((bits >> 52) & 0x7ff).expect("11 bits");
    let man = bits & ((1 << 52) - 1);
    let (m, e) = if exp == 0 {
        (man, -1074)
    } else {
        (man + (1 << 52), exp - 1075)
    };
    let m = BigInt::from(m);
    (if x.is_sign_negative() { -m } else { m }, e)
}

// ---------------------------------------------------------------- strategies

fn rounding() -> impl Strategy<Value = Rounding> {
    (0u32..7).prop_map(|c| Rounding::from_code(c).expect("code"))
}

fn overflow() -> impl Strategy<Value = Overflow> {
    (0u32..4).prop_map(|c| Overflow::from_code(c).expect("code"))
}

fn frac() -> impl Strategy<Value = i32> {
    prop_oneof![-6i32..=40, Format::MIN_FRAC..=Format::MAX_FRAC]
}

fn format(max_width: u32) -> impl Strategy<Value = Format> {
    (any::<bool>(), 1..=max_width, frac()).prop_map(|(signed, w, f)| {
        let w = if signed {
            w
        } else {
            w.min(Format::MAX_UNSIGNED_WIDTH)
        };
        Format::new(w, f, signed).expect("valid format")
    })
}

/// A raw value of `from`: random, small, an extreme, or an exact half LSB of a cast
/// by `shift` bits.
fn raw_in(from: Format, seed: i128, kind: u8, shift: i64) -> i128 {
    let v = match kind {
        0 => seed,
        1 => seed % 1000,
        2 => from.min_raw(),
        3 => from.max_raw(),
        4 => seed % 3 - 1,
        5 => from.min_raw().saturating_add((seed % 4).abs()),
        _ if (1..128).contains(&shift) => ((seed >> shift) << shift) | (1 << (shift - 1)),
        _ => seed,
    };
    from.wrap(v)
}

#[derive(Debug, Clone)]
struct CastCase {
    raw: i128,
    from: Format,
    to: Format,
    r: Rounding,
    o: Overflow,
}

fn cast_case(formats: impl Strategy<Value = (Format, Format)>) -> impl Strategy<Value = CastCase> {
    (formats, rounding(), overflow(), any::<i128>(), 0u8..8).prop_map(
        |((from, to), r, o, seed, kind)| {
            let shift = i64::from(from.frac()) - i64::from(to.frac());
            CastCase {
                raw: raw_in(from, seed, kind, shift),
                from,
                to,
                r,
                o,
            }
        },
    )
}

/// Input up to 128 bits, output up to 64 bits, fracs anywhere in range.
fn any_formats() -> impl Strategy<Value = (Format, Format)> {
    (format(128), format(64))
}

/// An output frac near the input's, so that most casts keep some bits.
fn near_formats() -> impl Strategy<Value = (Format, Format)> {
    (format(128), 1u32..=64, any::<bool>(), -20i32..=20).prop_map(|(from, w, signed, delta)| {
        let f = (from.frac() + delta).clamp(Format::MIN_FRAC, Format::MAX_FRAC);
        (from, Format::new(w, f, signed).expect("valid format"))
    })
}

/// Wide inputs shifted right or left by about 128 bits, where `i128` runs out.
fn edge_formats() -> impl Strategy<Value = (Format, Format)> {
    let shift = prop_oneof![120i32..=136, -136i32..=-120, Just(128), Just(-128)];
    (any::<bool>(), 100u32..=128, 8i32..=120, shift, format(64)).prop_map(
        |(signed, w, f, shift, to)| {
            let w = if signed {
                w
            } else {
                w.min(Format::MAX_UNSIGNED_WIDTH)
            };
            let from = Format::new(w, f, signed).expect("valid format");
            let to = Format::new(to.width(), f - shift, to.is_signed()).expect("valid format");
            (from, to)
        },
    )
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(config(10_000))]

    #[test]
    fn cast_matches_bigint_reference(c in cast_case(any_formats())) {
        prop_assert_eq!(cast(c.raw, c.from, c.to, c.r, c.o), ref_cast(c.raw, c.from, c.to, c.r, c.o));
    }

    #[test]
    fn cast_matches_bigint_reference_shift_near_128(c in cast_case(edge_formats())) {
        prop_assert_eq!(cast(c.raw, c.from, c.to, c.r, c.o), ref_cast(c.raw, c.from, c.to, c.r, c.o));
    }

    #[test]
    fn cast_matches_bigint_reference_near_frac(c in cast_case(near_formats())) {
        let got = cast(c.raw, c.from, c.to, c.r, c.o);
        prop_assert_eq!(got, ref_cast(c.raw, c.from, c.to, c.r, c.o));
        prop_assert!(c.to.contains(got));
        if c.o == Overflow::SatSym && c.to.is_signed() {
            prop_assert_ne!(got, c.to.min_raw());
        }
    }

}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn from_f64_matches_bigint_reference(
        to in format(64),
        x in prop_oneof![any::<f64>(), -1e6f64..1e6, (any::<i32>(), 0i32..40).prop_map(|(m, k)| f64::from(m) / 2f64.powi(k))],
        r in rounding(),
        o in overflow(),
    ) {
        let got = to.from_f64(x, r, o);
        if x.is_finite() {
            let (m, e) = decompose(x);
            let want = ref_overflow(ref_round(&m, -(e + i64::from(to.frac())), r), to, o);
            prop_assert_eq!(got, Ok(want));
        } else {
            prop_assert!(got.is_err());
        }
    }

    #[test]
    fn f64_round_trip(f in format(53), seed in any::<i128>(), kind in 0u8..6, r in rounding(), o in overflow()) {
        let raw = raw_in(f, seed, kind, 0);
        let x = f.to_f64(raw);
        // SAT_SYM is the one mode that moves an in-range value: the most negative code.
        let want = if o == Overflow::SatSym && f.is_signed() && raw == f.min_raw() {
            raw + 1
        } else {
            raw
        };
        prop_assert_eq!(f.from_f64(x, r, o), Ok(want));
        // Exact: x * 2^frac == raw.
        let (m, e) = decompose(x);
        prop_assert_eq!(ref_round(&m, -(e + i64::from(f.frac())), Rounding::Trn), BigInt::from(raw));
    }

    #[test]
    fn bits_round_trip(f in format(128), seed in any::<i128>(), kind in 0u8..6) {
        let raw = raw_in(f, seed, kind, 0);
        let bits = f.to_bits(raw);
        prop_assert!(f.width() == 128 || bits >> f.width() == 0);
        prop_assert_eq!(f.from_bits(bits), raw);
        prop_assert_eq!(f.from_bits(bits | !(u128::MAX >> (128 - f.width()))), raw);
    }

    #[test]
    fn add_is_exact_and_fits(
        af in format(128), bf in format(128),
        sa in any::<i128>(), ka in 0u8..6, sb in any::<i128>(), kb in 0u8..6,
    ) {
        let (a, b) = (raw_in(af, sa, ka, 0), raw_in(bf, sb, kb, 0));
        match add_format(af, bf) {
            Ok(f) => {
                let (sum, sf) = add(a, af, b, bf).expect("add succeeds when its format does");
                prop_assert_eq!(sf, f);
                let fr = i64::from(f.frac());
                let exact = BigInt::from(a) * pow2(fr - i64::from(af.frac()))
                    + BigInt::from(b) * pow2(fr - i64::from(bf.frac()));
                prop_assert_eq!(BigInt::from(sum), exact);
                // Every sum of extremes fits; one bit less would not when both are signed
                // or both unsigned with the same frac.
                let (lo, hi) = range(f.width(), f.is_signed());
                let (lo1, hi1) = range(f.width() - 1, f.is_signed());
                let mut tight = false;
                for x in [af.min_raw(), af.max_raw()] {
                    for y in [bf.min_raw(), bf.max_raw()] {
                        let s = BigInt::from(x) * pow2(fr - i64::from(af.frac()))
                            + BigInt::from(y) * pow2(fr - i64::from(bf.frac()));
                        prop_assert!(lo <= s && s <= hi);
                        tight |= f.width() == 1 || s < lo1 || s > hi1;
                    }
                }
                let minimal = (af.is_signed() && bf.is_signed())
                    || (!af.is_signed() && !bf.is_signed() && af.frac() == bf.frac());
                prop_assert!(tight || !minimal);
            }
            Err(e) => prop_assert!(add(a, af, b, bf) == Err(e)),
        }
    }

    #[test]
    fn mul_is_exact_and_fits(
        af in format(128), bf in format(128),
        sa in any::<i128>(), ka in 0u8..6, sb in any::<i128>(), kb in 0u8..6,
    ) {
        let (a, b) = (raw_in(af, sa, ka, 0), raw_in(bf, sb, kb, 0));
        match mul_format(af, bf) {
            Ok(f) => {
                prop_assert_eq!(f.frac(), af.frac() + bf.frac());
                let (p, pf) = mul(a, af, b, bf).expect("mul succeeds when its format does");
                prop_assert_eq!(pf, f);
                prop_assert_eq!(BigInt::from(p), BigInt::from(a) * BigInt::from(b));
                let (lo, hi) = range(f.width(), f.is_signed());
                for x in [af.min_raw(), af.max_raw()] {
                    for y in [bf.min_raw(), bf.max_raw()] {
                        let p = BigInt::from(x) * BigInt::from(y);
                        prop_assert!(lo <= p && p <= hi);
                    }
                }
            }
            Err(e) => prop_assert!(mul(a, af, b, bf) == Err(e)),
        }
    }

    #[test]
    fn tree_and_accumulate_formats_hold_every_sum(
        f in format(128),
        n in prop_oneof![1u64..=64, 1u64..=1_000_000, any::<u64>()],
    ) {
        let tree = tree_format(f, n);
        prop_assert_eq!(tree.clone().ok(), accumulate_format(f, n).ok());
        if let Ok(t) = tree {
            prop_assert_eq!((t.frac(), t.is_signed()), (f.frac(), f.is_signed()));
            let (lo, hi) = range(t.width(), t.is_signed());
            let most = BigInt::from(f.max_raw()) * n;
            let least = BigInt::from(f.min_raw()) * n;
            prop_assert!(lo <= least && most <= hi);
            if f.is_signed() && n >= 2 {
                // Minimal: one bit less cannot hold n * min.
                let (lo1, _) = range(t.width() - 1, true);
                prop_assert!(least < lo1);
            }
        }
    }
}

/// Every cast between small formats, every raw value, all 28 mode pairs.
#[test]
fn exhaustive_small_casts() {
    let mut formats = Vec::new();
    for signed in [false, true] {
        for w in 1..=4 {
            for f in -2..=3 {
                formats.push(Format::new(w, f, signed).expect("valid"));
            }
        }
    }
    for &from in &formats {
        for &to in &formats {
            for r in Rounding::ALL {
                for o in Overflow::ALL {
                    for raw in from.min_raw()..=from.max_raw() {
                        assert_eq!(
                            cast(raw, from, to, r, o),
                            ref_cast(raw, from, to, r, o),
                            "{raw} {from} -> {to} {r} {o}"
                        );
                    }
                }
            }
        }
    }
}
