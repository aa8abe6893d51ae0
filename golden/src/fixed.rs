//! Fixed-point formats and the one requantisation rule every component shares.
//!
//! A [`Format`] says how to read a raw two's-complement integer: `width` bits, signed
//! or unsigned, worth `raw / 2^frac`. [`cast`] moves a raw value from one format to
//! another with one of the seven [`Rounding`] modes and then one of the four
//! [`Overflow`] modes, exactly as the table in `docs/components.md` defines them; it is
//! computed on the mathematically exact value, whatever the shift (up to 384 bits
//! either way), so it never overflows `i128`. The `*_format` functions give the exact
//! format of sums and products (widths grow, nothing is rounded), and they are the
//! width formulas the SystemVerilog uses. This module knows nothing about streams,
//! lanes or components, and it never uses floating point except in the explicit
//! [`Format::to_f64`] / [`Format::from_f64`] conversions.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

mod error;
mod modes;

pub use error::FixedError;
use error::max_width;
pub use modes::{Overflow, Rounding};

/// A fixed-point format: `width` bits of two's complement (`signed`) or plain binary,
/// read as `raw / 2^frac`.
///
/// Raw values are carried in `i128`, so widths go up to 128 bits signed and 127 bits
/// unsigned. `frac` may be negative (the LSB is worth `2^-frac > 1`) or larger than
/// `width` (every value is below one LSB of the integer part); it ranges over
/// [`Format::MIN_FRAC`]`..=`[`Format::MAX_FRAC`], so a cast shifts by at most
/// `MAX_FRAC - MIN_FRAC = 384` bits.
///
/// `Display` writes `s<width>.<frac>` or `u<width>.<frac>` (`s16.8`, `u8.0`, `s8.-2`),
/// and `FromStr` reads the same spelling back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Format {
    width: u32,
    frac: i32,
    signed: bool,
}

impl Format {
    /// Widest signed format (raw values are `i128`).
    pub const MAX_SIGNED_WIDTH: u32 = 128;
    /// Widest unsigned format (its maximum must still fit a non-negative `i128`).
    pub const MAX_UNSIGNED_WIDTH: u32 = 127;
    /// Smallest fractional width: an LSB worth `2^128`.
    pub const MIN_FRAC: i32 = -128;
    /// Largest fractional width: an LSB worth `2^-256`.
    pub const MAX_FRAC: i32 = 256;

    /// A format of `width` bits and `frac` fractional bits.
    ///
    /// # Errors
    /// [`FixedError::BadWidth`] unless `1 <= width <= 128` (signed) or `<= 127`
    /// (unsigned); [`FixedError::BadFrac`] unless `MIN_FRAC <= frac <= MAX_FRAC`.
    pub fn new(width: u32, frac: i32, signed: bool) -> Result<Format, FixedError> {
        if width == 0 || width > max_width(signed) {
            return Err(FixedError::BadWidth { width, signed });
        }
        if !(Self::MIN_FRAC..=Self::MAX_FRAC).contains(&frac) {
            return Err(FixedError::BadFrac { frac });
        }
        Ok(Format {
            width,
            frac,
            signed,
        })
    }

    /// A signed format; see [`Format::new`].
    ///
    /// # Errors
    /// As [`Format::new`].
    pub fn signed(width: u32, frac: i32) -> Result<Format, FixedError> {
        Self::new(width, frac, true)
    }

    /// An unsigned format; see [`Format::new`].
    ///
    /// # Errors
    /// As [`Format::new`].
    pub fn unsigned(width: u32, frac: i32) -> Result<Format, FixedError> {
        Self::new(width, frac, false)
    }

    /// Total number of bits.
    pub fn width(self) -> u32 {
        self.width
    }

    /// Number of fractional bits (may be negative or exceed the width).
    pub fn frac(self) -> i32 {
        self.frac
    }

    /// Whether raw values are two's complement.
    pub fn is_signed(self) -> bool {
        self.signed
    }

    /// Smallest raw value: `-2^(width-1)` signed, `0` unsigned.
    pub fn min_raw(self) -> i128 {
        if self.signed {
            i128::MIN >> (128 - self.width)
        } else {
            0
        }
    }

    /// Largest raw value: `2^(width-1) - 1` signed, `2^width - 1` unsigned.
    pub fn max_raw(self) -> i128 {
        if self.signed {
            i128::MAX >> (128 - self.width)
        } else {
            // width <= 127, so the top bit of the mask is clear.
            (self.mask()) as i128
        }
    }

    /// Whether `raw` is a value of this format.
    pub fn contains(self, raw: i128) -> bool {
        (self.min_raw()..=self.max_raw()).contains(&raw)
    }

    /// The low `width` bits of `raw`, sign-extended if the format is signed: the
    /// two's-complement wrap of any integer into this format.
    pub fn wrap(self, raw: i128) -> i128 {
        if self.signed {
            let shift = 128 - self.width;
            (raw << shift) >> shift
        } else {
            ((raw as u128) & self.mask()) as i128
        }
    }

    /// The real value `raw / 2^frac`. Exact whenever `raw` fits the 53-bit f64
    /// mantissa; otherwise `raw` is rounded to nearest (ties to even) once and the
    /// scaling by a power of two is exact.
    pub fn to_f64(self, raw: i128) -> f64 {
        (raw as f64) * pow2(-self.frac)
    }

    /// Quantises the real number `x` into this format: the exact value `x * 2^frac`
    /// is rounded to an integer with `r` and then brought into range with `o`, with
    /// the same rules as [`cast`] (no intermediate float rounding).
    ///
    /// # Errors
    /// [`FixedError::NotFinite`] for NaN and infinities.
    pub fn from_f64(self, x: f64, r: Rounding, o: Overflow) -> Result<i128, FixedError> {
        if !x.is_finite() {
            return Err(FixedError::NotFinite { value: x });
        }
        if x == 0.0 {
            return Ok(0);
        }
        let bits = x.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i64;
        let fraction = bits & ((1u64 << 52) - 1);
        // x = mantissa * 2^exp exactly.
        let (mantissa, exp) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1u64 << 52), biased - 1075)
        };
        let mantissa = if x < 0.0 {
            -i128::from(mantissa)
        } else {
            i128::from(mantissa)
        };
        // x * 2^frac = mantissa * 2^(exp + frac) = mantissa / 2^s with s = -(exp + frac).
        let s = -(exp + i64::from(self.frac));
        Ok(apply_overflow(scale(mantissa, s, r), self, o))
    }

    /// The two's-complement encoding of `raw` in `width` bits (bits above `width` are
    /// zero): what goes on a port.
    pub fn to_bits(self, raw: i128) -> u128 {
        (raw as u128) & self.mask()
    }

    /// The raw value encoded by the low `width` bits of `bits` (sign-extended if
    /// signed); the inverse of [`Format::to_bits`]. Bits above `width` are ignored.
    pub fn from_bits(self, bits: u128) -> i128 {
        self.wrap(bits as i128)
    }

    fn mask(self) -> u128 {
        u128::MAX >> (128 - self.width)
    }
}

/// `2^e` as an f64, exact for the exponents formats use (`-256..=128`).
fn pow2(e: i32) -> f64 {
    debug_assert!((-1022..=1023).contains(&e));
    f64::from_bits(((e + 1023) as u64) << 52)
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = if self.signed { 's' } else { 'u' };
        write!(f, "{s}{}.{}", self.width, self.frac)
    }
}

impl FromStr for Format {
    type Err = FixedError;

    /// Reads `s<width>.<frac>` or `u<width>.<frac>` (case-insensitive prefix).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || FixedError::BadFormatString {
            text: text.to_owned(),
        };
        let mut chars = text.chars();
        let signed = match chars.next() {
            Some('s' | 'S') => true,
            Some('u' | 'U') => false,
            _ => return Err(bad()),
        };
        let (w, f) = chars.as_str().split_once('.').ok_or_else(bad)?;
        let width = w.parse::<u32>().map_err(|_| bad())?;
        let frac = f.parse::<i32>().map_err(|_| bad())?;
        Format::new(width, frac, signed)
    }
}

/// An exactly rounded integer that may not fit `i128`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exact {
    /// The value itself.
    Small(i128),
    /// A value outside `i128` (so outside every format): its sign and low 128 bits.
    Huge { negative: bool, low: u128 },
}

/// `x * 2^-s` rounded to an integer with `r` (for `s <= 0`, the exact `x << -s`).
fn scale(x: i128, s: i64, r: Rounding) -> Exact {
    if s <= 0 {
        shift_left(x, s.unsigned_abs())
    } else {
        Exact::Small(shift_right_round(x, s.unsigned_abs(), r))
    }
}

fn shift_left(x: i128, n: u64) -> Exact {
    if x == 0 {
        return Exact::Small(0);
    }
    let negative = x < 0;
    if n >= 128 {
        return Exact::Huge { negative, low: 0 };
    }
    // n < 128: `<<` keeps the low 128 bits; it was exact iff shifting back restores x.
    let y = x << n;
    if y >> n == x {
        Exact::Small(y)
    } else {
        Exact::Huge {
            negative,
            low: (x as u128) << n,
        }
    }
}

/// `floor`-based rounding of `x / 2^s` for `s >= 1`, per the table in
/// `docs/components.md`. Never overflows: `|q| <= 2^126`.
fn shift_right_round(x: i128, s: u64, r: Rounding) -> i128 {
    // q = floor(x / 2^s); `rem_vs_half` compares r = x - q*2^s with h = 2^(s-1).
    let (q, rem_vs_half, rem_nonzero) = if s < 128 {
        let q = x >> s;
        let rem = (x as u128) & ((1u128 << s) - 1);
        (q, rem.cmp(&(1u128 << (s - 1))), rem != 0)
    } else if s == 128 {
        // q is 0 or -1 and r = x mod 2^128 = x as u128.
        let rem = x as u128;
        (x >> 127, rem.cmp(&(1u128 << 127)), rem != 0)
    } else {
        // |x| <= 2^127 < h: x >= 0 gives q = 0, r = x < h;
        // x < 0 gives q = -1, r = 2^s + x >= 2^s - 2^127 > 2^(s-1) = h.
        let cmp = if x >= 0 {
            Ordering::Less
        } else {
            Ordering::Greater
        };
        (x >> 127, cmp, x != 0)
    };
    let negative = x < 0;
    let above = rem_vs_half == Ordering::Greater;
    let tie = rem_vs_half == Ordering::Equal;
    let up = match r {
        Rounding::Trn => false,
        Rounding::TrnZero => negative && rem_nonzero,
        Rounding::Rnd => above || tie,
        Rounding::RndZero => above || (tie && negative),
        Rounding::RndMinInf => above,
        Rounding::RndInf => above || (tie && !negative),
        Rounding::RndConv => above || (tie && q & 1 == 1),
    };
    q + i128::from(up)
}

/// The overflow table of `docs/components.md` applied to the exact integer `y`.
fn apply_overflow(y: Exact, to: Format, o: Overflow) -> i128 {
    let (min, max) = (to.min_raw(), to.max_raw());
    let low = match o {
        Overflow::SatSym if to.signed => -max,
        _ => min,
    };
    match (y, o) {
        (Exact::Small(v), Overflow::Wrap) => to.wrap(v),
        (Exact::Huge { low: bits, .. }, Overflow::Wrap) => to.wrap(bits as i128),
        (Exact::Small(v), Overflow::Sat | Overflow::SatSym) => v.clamp(low, max),
        (Exact::Huge { negative, .. }, Overflow::Sat | Overflow::SatSym) => {
            if negative {
                low
            } else {
                max
            }
        }
        (Exact::Small(v), Overflow::SatZero) if to.contains(v) => v,
        (_, Overflow::SatZero) => 0,
    }
}

/// Requantises `raw` from format `from` to format `to`: the exact value
/// `raw / 2^from.frac` is rounded to a multiple of `2^-to.frac` with `r`, then brought
/// into `to`'s range with `o` (the tables of `docs/components.md`). Total: any shift,
/// any formats, no panic and no `i128` overflow. `raw` should lie in `from` (checked in
/// debug builds); if it does not, the result is still the exact cast of `raw`.
pub fn cast(raw: i128, from: Format, to: Format, r: Rounding, o: Overflow) -> i128 {
    debug_assert!(from.contains(raw), "raw {raw} is outside {from}");
    let s = i64::from(from.frac) - i64::from(to.frac);
    apply_overflow(scale(raw, s, r), to, o)
}

/// `ceil(log2(n))`, with `clog2(0) = clog2(1) = 0` (SystemVerilog `$clog2`).
pub fn clog2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        u64::BITS - (n - 1).leading_zeros()
    }
}

/// Builds a derived format, turning out-of-range widths and fracs into errors.
fn derived(what: &'static str, width: i64, frac: i64, signed: bool) -> Result<Format, FixedError> {
    let frac32 = i32::try_from(frac)
        .ok()
        .filter(|f| (Format::MIN_FRAC..=Format::MAX_FRAC).contains(f))
        .ok_or(FixedError::FracOverflow { what, frac })?;
    let overflow = FixedError::WidthOverflow {
        what,
        width: width.unsigned_abs(),
        signed,
    };
    let width32 = u32::try_from(width).map_err(|_| overflow.clone())?;
    if width32 == 0 || width32 > max_width(signed) {
        return Err(overflow);
    }
    Ok(Format {
        width: width32,
        frac: frac32,
        signed,
    })
}

fn check_raw(what: &'static str, raw: i128, format: Format) -> Result<(), FixedError> {
    if format.contains(raw) {
        Ok(())
    } else {
        Err(FixedError::RawOutOfRange { what, raw, format })
    }
}

/// The exact format of `a + b`.
///
/// Rule: `F = max(Fa, Fb)`; each operand is aligned to `F` by an exact left shift, so
/// its width becomes `W' = W + (F - frac)`; if the result is signed (either operand
/// signed), an unsigned operand counts one bit more (`W' + 1`, its signed width); the
/// result width is `max(Wa', Wb') + 1`, signed iff either operand is signed. This is
/// the smallest width that holds every sum when both operands are signed, or both
/// unsigned with the same frac, and at most one bit more than the smallest otherwise.
///
/// # Errors
/// [`FixedError::WidthOverflow`] if that width exceeds the maximum.
pub fn add_format(a: Format, b: Format) -> Result<Format, FixedError> {
    let signed = a.signed || b.signed;
    let frac = i64::from(a.frac.max(b.frac));
    let aligned = |x: Format| {
        i64::from(x.width) + (frac - i64::from(x.frac)) + i64::from(signed && !x.signed)
    };
    derived("add", aligned(a).max(aligned(b)) + 1, frac, signed)
}

/// The exact sum of `a` (in `af`) and `b` (in `bf`), in [`add_format`]`(af, bf)`.
///
/// # Errors
/// [`FixedError::RawOutOfRange`] if an operand is outside its format;
/// [`FixedError::WidthOverflow`] as [`add_format`].
pub fn add(a: i128, af: Format, b: i128, bf: Format) -> Result<(i128, Format), FixedError> {
    check_raw("add operand a", a, af)?;
    check_raw("add operand b", b, bf)?;
    let f = add_format(af, bf)?;
    let unreachable = FixedError::WidthOverflow {
        what: "add",
        width: u64::from(f.width) + 1,
        signed: f.signed,
    };
    let align = |x: i128, xf: Format| match shift_left(x, (f.frac - xf.frac).unsigned_abs().into())
    {
        Exact::Small(v) => Some(v),
        Exact::Huge { .. } => None,
    };
    let sum = align(a, af)
        .zip(align(b, bf))
        .and_then(|(x, y)| x.checked_add(y))
        .ok_or(unreachable)?;
    debug_assert!(f.contains(sum));
    Ok((sum, f))
}

/// The exact format of `a * b`: width `Wa + Wb`, frac `Fa + Fb`, signed iff either
/// operand is signed.
///
/// # Errors
/// [`FixedError::WidthOverflow`] or [`FixedError::FracOverflow`] if out of range.
pub fn mul_format(a: Format, b: Format) -> Result<Format, FixedError> {
    derived(
        "mul",
        i64::from(a.width) + i64::from(b.width),
        i64::from(a.frac) + i64::from(b.frac),
        a.signed || b.signed,
    )
}

/// The exact product of `a` (in `af`) and `b` (in `bf`), in [`mul_format`]`(af, bf)`.
///
/// # Errors
/// [`FixedError::RawOutOfRange`] if an operand is outside its format; otherwise as
/// [`mul_format`].
pub fn mul(a: i128, af: Format, b: i128, bf: Format) -> Result<(i128, Format), FixedError> {
    check_raw("mul operand a", a, af)?;
    check_raw("mul operand b", b, bf)?;
    let f = mul_format(af, bf)?;
    let p = a.checked_mul(b).ok_or(FixedError::WidthOverflow {
        what: "mul",
        width: u64::from(f.width) + 1,
        signed: f.signed,
    })?;
    debug_assert!(f.contains(p));
    Ok((p, f))
}

/// The exact format of a sum of `n` values of format `a`: width `W + clog2(n)`, same
/// frac and signedness (the adder tree's output).
///
/// # Errors
/// [`FixedError::WidthOverflow`] if the width exceeds the maximum.
pub fn tree_format(a: Format, n: u64) -> Result<Format, FixedError> {
    grown("adder tree", a, n)
}

/// The exact format of a sum of `depth` consecutive values of format `a`: width
/// `W + clog2(depth)`, same frac and signedness (the accumulator's output).
///
/// # Errors
/// [`FixedError::WidthOverflow`] if the width exceeds the maximum.
pub fn accumulate_format(a: Format, depth: u64) -> Result<Format, FixedError> {
    grown("accumulator", a, depth)
}

fn grown(what: &'static str, a: Format, n: u64) -> Result<Format, FixedError> {
    derived(
        what,
        i64::from(a.width) + i64::from(clog2(n)),
        i64::from(a.frac),
        a.signed,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use Overflow::*;
    use Rounding::*;

    fn s(width: u32, frac: i32) -> Format {
        Format::signed(width, frac).unwrap()
    }

    fn u(width: u32, frac: i32) -> Format {
        Format::unsigned(width, frac).unwrap()
    }

    #[test]
    fn format_validation_and_messages() {
        assert_eq!(
            Format::signed(0, 0),
            Err(FixedError::BadWidth {
                width: 0,
                signed: true
            })
        );
        assert!(Format::signed(128, 0).is_ok());
        assert!(Format::signed(129, 0).is_err());
        assert!(Format::unsigned(127, 0).is_ok());
        let e = Format::unsigned(128, 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "width 128 is out of range 1..=127 for unsigned formats"
        );
        assert_eq!(
            Format::signed(0, 0).unwrap_err().to_string(),
            "width 0 is out of range 1..=128 for signed formats"
        );
        assert!(Format::signed(8, -128).is_ok() && Format::signed(8, 256).is_ok());
        let e = Format::signed(8, 257).unwrap_err();
        assert_eq!(e, FixedError::BadFrac { frac: 257 });
        assert_eq!(e.to_string(), "frac 257 is out of range -128..=256");
        assert!(Format::signed(8, -129).is_err());
    }

    #[test]
    fn ranges_of_extreme_widths() {
        assert_eq!((s(1, 0).min_raw(), s(1, 0).max_raw()), (-1, 0));
        assert_eq!((u(1, 0).min_raw(), u(1, 0).max_raw()), (0, 1));
        assert_eq!((s(8, 3).min_raw(), s(8, 3).max_raw()), (-128, 127));
        assert_eq!(
            (s(128, 0).min_raw(), s(128, 0).max_raw()),
            (i128::MIN, i128::MAX)
        );
        assert_eq!(u(127, 0).max_raw(), i128::MAX);
        assert!(s(1, 0).contains(-1) && !s(1, 0).contains(1));
        assert!(!u(4, 0).contains(-1) && u(4, 0).contains(15) && !u(4, 0).contains(16));
    }

    #[test]
    fn wrap_and_bits() {
        assert_eq!(s(1, 0).wrap(1), -1);
        assert_eq!(s(1, 0).wrap(2), 0);
        assert_eq!(u(1, 0).wrap(-1), 1);
        assert_eq!(s(8, 0).wrap(128), -128);
        assert_eq!(s(8, 0).wrap(-129), 127);
        assert_eq!(u(8, 0).wrap(-5), 251);
        assert_eq!(s(128, 0).wrap(i128::MIN), i128::MIN);
        assert_eq!(u(127, 0).wrap(-1), i128::MAX);
        assert_eq!(s(8, 0).to_bits(-1), 0xff);
        assert_eq!(s(8, 0).from_bits(0xff), -1);
        assert_eq!(s(8, 0).from_bits(0x1_7f), 127);
        assert_eq!(u(8, 0).from_bits(0xff), 255);
        assert_eq!(s(128, 0).to_bits(i128::MIN), 1u128 << 127);
        assert_eq!(s(128, 0).from_bits(1u128 << 127), i128::MIN);
        for f in [s(1, 0), u(1, 0), s(5, 2), u(5, -1), s(128, 0), u(127, 0)] {
            for raw in [
                f.min_raw(),
                f.max_raw(),
                0,
                f.min_raw() / 2,
                f.max_raw() / 3,
            ] {
                assert_eq!(f.from_bits(f.to_bits(raw)), raw, "{f} {raw}");
                assert_eq!(f.wrap(raw), raw);
            }
        }
    }

    #[test]
    fn display_and_parse_formats() {
        assert_eq!(s(16, 8).to_string(), "s16.8");
        assert_eq!(u(8, 0).to_string(), "u8.0");
        assert_eq!(s(8, -2).to_string(), "s8.-2");
        for f in [s(16, 8), u(8, 0), s(8, -2), s(128, 256), u(1, -128)] {
            assert_eq!(f.to_string().parse::<Format>(), Ok(f));
        }
        assert_eq!("S4.1".parse::<Format>(), Ok(s(4, 1)));
        assert_eq!(
            "u0.0".parse::<Format>(),
            Err(FixedError::BadWidth {
                width: 0,
                signed: false
            })
        );
        for bad in ["", "x8.0", "s8", "s.1", "s8.x", "s-8.0", "s8.0.0"] {
            assert!(
                matches!(
                    bad.parse::<Format>(),
                    Err(FixedError::BadFormatString { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn mode_names_and_codes() {
        for (i, m) in Rounding::ALL.into_iter().enumerate() {
            assert_eq!(m.code() as usize, i);
            assert_eq!(Rounding::from_code(m.code()), Some(m));
            assert_eq!(m.name().parse::<Rounding>(), Ok(m));
            assert_eq!(m.name().to_lowercase().parse::<Rounding>(), Ok(m));
            assert_eq!(m.to_string(), m.name());
        }
        for (i, m) in Overflow::ALL.into_iter().enumerate() {
            assert_eq!(m.code() as usize, i);
            assert_eq!(Overflow::from_code(m.code()), Some(m));
            assert_eq!(m.name().to_lowercase().parse::<Overflow>(), Ok(m));
            assert_eq!(m.to_string(), m.name());
        }
        assert_eq!(Rounding::from_code(7), None);
        assert_eq!(Overflow::from_code(4), None);
        assert_eq!(RndMinInf.name(), "RND_MIN_INF");
        assert_eq!(SatZero.name(), "SAT_ZERO");
        assert_eq!(Rounding::default(), Rnd);
        assert_eq!(Overflow::default(), Sat);
        assert_eq!(
            "nearest".parse::<Rounding>().unwrap_err().to_string(),
            "unknown rounding mode `nearest`; valid names are \
             TRN, TRN_ZERO, RND, RND_ZERO, RND_MIN_INF, RND_INF, RND_CONV"
        );
        assert_eq!(
            "clamp".parse::<Overflow>().unwrap_err().to_string(),
            "unknown overflow mode `clamp`; valid names are WRAP, SAT, SAT_ZERO, SAT_SYM"
        );
    }

    /// Exact half-LSB ties: -1.5, -0.5, 0.5, 1.5 and 2.5 to integers.
    #[test]
    fn ties_for_every_rounding_mode() {
        let x = [-3, -1, 1, 3, 5];
        let expect: [(Rounding, [i128; 5]); 7] = [
            (Trn, [-2, -1, 0, 1, 2]),
            (TrnZero, [-1, 0, 0, 1, 2]),
            (Rnd, [-1, 0, 1, 2, 3]),
            (RndZero, [-1, 0, 0, 1, 2]),
            (RndMinInf, [-2, -1, 0, 1, 2]),
            (RndInf, [-2, -1, 1, 2, 3]),
            (RndConv, [-2, 0, 0, 2, 2]),
        ];
        for (r, want) in expect {
            let got = x.map(|v| cast(v, s(8, 1), s(8, 0), r, Sat));
            assert_eq!(got, want, "{r}");
            // The same ties 100 bits further down.
            let got = x.map(|v| cast(v << 99, s(110, 100), s(8, 0), r, Sat));
            assert_eq!(got, want, "{r} at shift 100");
        }
    }

    /// -0.75, -0.25, 0.25, 0.75: not ties.
    #[test]
    fn non_ties_for_every_rounding_mode() {
        let x = [-3, -1, 1, 3];
        let expect: [(Rounding, [i128; 4]); 7] = [
            (Trn, [-1, -1, 0, 0]),
            (TrnZero, [0, 0, 0, 0]),
            (Rnd, [-1, 0, 0, 1]),
            (RndZero, [-1, 0, 0, 1]),
            (RndMinInf, [-1, 0, 0, 1]),
            (RndInf, [-1, 0, 0, 1]),
            (RndConv, [-1, 0, 0, 1]),
        ];
        for (r, want) in expect {
            assert_eq!(x.map(|v| cast(v, s(4, 2), s(4, 0), r, Sat)), want, "{r}");
        }
    }

    #[test]
    fn right_shifts_of_128_and_more() {
        // Shift 384: 5 * 2^-256 and -5 * 2^-256 into an LSB of 2^128.
        for r in Rounding::ALL {
            assert_eq!(cast(5, s(8, 256), s(8, -128), r, Sat), 0, "{r}");
            let neg = cast(-5, s(8, 256), s(8, -128), r, Sat);
            assert_eq!(neg, if r == Trn { -1 } else { 0 }, "{r}");
            assert_eq!(cast(0, s(8, 256), s(8, -128), r, Sat), 0);
        }
        // Shift exactly 128: i128::MIN / 2^128 = -0.5 (a tie), MIN + 1 just above it,
        // MAX just below +0.5.
        let (from, to) = (s(128, 128), s(8, 0));
        let expect: [(Rounding, [i128; 3]); 7] = [
            (Trn, [-1, -1, 0]),
            (TrnZero, [0, 0, 0]),
            (Rnd, [0, 0, 0]),
            (RndZero, [0, 0, 0]),
            (RndMinInf, [-1, 0, 0]),
            (RndInf, [-1, 0, 0]),
            (RndConv, [0, 0, 0]),
        ];
        for (r, want) in expect {
            let got = [i128::MIN, i128::MIN + 1, i128::MAX].map(|v| cast(v, from, to, r, Sat));
            assert_eq!(got, want, "{r}");
        }
        // Shift 129: MIN / 2^129 = -0.25.
        assert_eq!(cast(i128::MIN, s(128, 129), s(8, 0), Rnd, Sat), 0);
        assert_eq!(cast(i128::MIN, s(128, 129), s(8, 0), Trn, Sat), -1);
        // Shift 127: MIN / 2^127 = -1 exactly, MAX / 2^127 just below 1.
        assert_eq!(cast(i128::MIN, s(128, 127), s(8, 0), Trn, Sat), -1);
        assert_eq!(cast(i128::MAX, s(128, 127), s(8, 0), Trn, Sat), 0);
        assert_eq!(cast(i128::MAX, s(128, 127), s(8, 0), Rnd, Sat), 1);
    }

    #[test]
    fn left_shifts_beyond_i128() {
        let (from, to) = (s(8, -128), s(8, 256));
        // 1 * 2^128 * 2^256: far above every format.
        assert_eq!(cast(1, from, to, Rnd, Sat), 127);
        assert_eq!(cast(1, from, to, Rnd, SatSym), 127);
        assert_eq!(cast(1, from, to, Rnd, SatZero), 0);
        assert_eq!(cast(1, from, to, Rnd, Wrap), 0);
        assert_eq!(cast(-1, from, to, Rnd, Sat), -128);
        assert_eq!(cast(-1, from, to, Rnd, SatSym), -127);
        assert_eq!(cast(-1, from, to, Rnd, Wrap), 0);
        assert_eq!(cast(0, from, to, Rnd, SatZero), 0);
        // A shift that just overflows i128: the low bits survive WRAP.
        let wide = s(128, 0);
        assert_eq!(cast(i128::MAX, wide, s(128, 1), Trn, Wrap), -2);
        assert_eq!(cast(i128::MAX, wide, s(128, 1), Trn, Sat), i128::MAX);
        assert_eq!(cast(i128::MIN, wide, s(128, 1), Trn, Sat), i128::MIN);
        assert_eq!(cast(i128::MIN, wide, s(128, 1), Trn, Wrap), 0);
        assert_eq!(cast(3, s(8, 0), s(4, 126), Trn, Wrap), 0);
        assert_eq!(cast(3, s(8, 0), u(127, 126), Trn, Wrap), 1 << 126);
        assert_eq!(cast(3, s(8, 0), u(127, 126), Trn, Sat), u(127, 0).max_raw());
        assert_eq!(
            cast(-3, s(8, 0), s(128, 125), Trn, Wrap),
            i128::MIN + (1 << 125)
        );
    }

    #[test]
    fn sat_sym_never_gives_the_most_negative_code() {
        assert_eq!(cast(-128, s(8, 0), s(8, 0), Rnd, SatSym), -127);
        assert_eq!(cast(-128, s(8, 0), s(8, 0), Rnd, Sat), -128);
        assert_eq!(cast(-1, s(1, 0), s(1, 0), Rnd, SatSym), 0);
        assert_eq!(
            cast(i128::MIN, s(128, 0), s(128, 0), Trn, SatSym),
            -i128::MAX
        );
        assert_eq!(cast(-1000, s(16, 0), s(8, 0), Rnd, SatSym), -127);
        assert_eq!(cast(1000, s(16, 0), s(8, 0), Rnd, SatSym), 127);
        // Unsigned: as SAT.
        assert_eq!(cast(-5, s(8, 0), u(4, 0), Rnd, SatSym), 0);
        assert_eq!(cast(100, s(8, 0), u(4, 0), Rnd, SatSym), 15);
    }

    #[test]
    fn unsigned_outputs_from_negative_inputs() {
        let (from, to) = (s(8, 0), u(8, 0));
        assert_eq!(cast(-5, from, to, Rnd, Wrap), 251);
        assert_eq!(cast(-5, from, to, Rnd, Sat), 0);
        assert_eq!(cast(-5, from, to, Rnd, SatZero), 0);
        assert_eq!(cast(-5, from, to, Rnd, SatSym), 0);
        // -0.25 rounds to 0, which is in range.
        assert_eq!(cast(-1, s(8, 2), u(8, 0), Rnd, SatZero), 0);
        assert_eq!(cast(-1, s(8, 2), u(8, 0), Trn, Wrap), 255);
        // u1: -0.5 with RND is 0; 1.5 saturates to 1 or wraps to 0.
        assert_eq!(cast(-1, s(4, 1), u(1, 0), Rnd, Sat), 0);
        assert_eq!(cast(3, s(4, 1), u(1, 0), Rnd, Sat), 1);
        assert_eq!(cast(3, s(4, 1), u(1, 0), Rnd, Wrap), 0);
        assert_eq!(cast(1, s(4, 1), u(1, 0), Rnd, Wrap), 1);
    }

    #[test]
    fn frac_equal_to_width_and_negative_frac() {
        // s8.8 holds [-0.5, 0.5): 0.25 from s4.2 is 64; 0.75 saturates to 127.
        assert_eq!(cast(1, s(4, 2), s(8, 8), Rnd, Sat), 64);
        assert_eq!(cast(3, s(4, 2), s(8, 8), Rnd, Sat), 127);
        assert_eq!(cast(3, s(4, 2), s(8, 8), Rnd, SatZero), 0);
        assert_eq!(cast(-2, s(4, 2), s(8, 8), Rnd, Sat), -128);
        // u8.8: 1.0 is out of range.
        assert_eq!(cast(1, s(2, 0), u(8, 8), Rnd, Wrap), 0);
        // s8.-2: LSB worth 4. 12 -> 3, 13 (3.25) -> 3, 14 (3.5) -> 4, 10 (2.5) -> 2 or 3.
        let (from, to) = (s(8, 0), s(8, -2));
        assert_eq!(cast(12, from, to, Rnd, Sat), 3);
        assert_eq!(cast(13, from, to, Rnd, Sat), 3);
        assert_eq!(cast(14, from, to, Rnd, Sat), 4);
        assert_eq!(cast(14, from, to, RndConv, Sat), 4);
        assert_eq!(cast(10, from, to, RndConv, Sat), 2);
        assert_eq!(cast(10, from, to, Rnd, Sat), 3);
        assert_eq!(cast(-10, from, to, RndZero, Sat), -2);
        assert_eq!(cast(-10, from, to, RndInf, Sat), -3);
        // Back up: exact.
        assert_eq!(cast(-3, to, from, Trn, Sat), -12);
        assert_eq!(cast(100, s(8, -2), s(8, 0), Trn, Sat), 127);
        assert_eq!(cast(100, s(8, -2), s(16, 0), Trn, Sat), 400);
        // Same frac: only overflow applies.
        assert_eq!(cast(300, s(16, 3), s(8, 3), RndConv, Sat), 127);
        assert_eq!(cast(300, s(16, 3), s(8, 3), RndConv, Wrap), 44);
    }

    #[test]
    fn to_f64_is_exact() {
        assert_eq!(s(8, 8).to_f64(128), 0.5);
        assert_eq!(s(8, 8).to_f64(-128), -0.5);
        assert_eq!(s(16, -2).to_f64(3), 12.0);
        assert_eq!(s(128, 256).to_f64(i128::MIN), -(2f64.powi(-129)));
        assert_eq!(s(128, -128).to_f64(i128::MIN), -(2f64.powi(255)));
        assert_eq!(u(127, 0).to_f64(u(127, 0).max_raw()), 2f64.powi(127));
    }

    #[test]
    fn from_f64_rounds_the_exact_value() {
        let f = s(8, 0);
        // (mode, 0.5, -0.5)
        let ties = [
            (Trn, 0, -1),
            (TrnZero, 0, 0),
            (Rnd, 1, 0),
            (RndZero, 0, 0),
            (RndMinInf, 0, -1),
            (RndInf, 1, -1),
            (RndConv, 0, 0),
        ];
        for (r, pos, neg) in ties {
            assert_eq!(f.from_f64(0.5, r, Sat), Ok(pos), "{r}");
            assert_eq!(f.from_f64(-0.5, r, Sat), Ok(neg), "{r}");
        }
        assert_eq!(f.from_f64(2.5, RndConv, Sat), Ok(2));
        assert_eq!(f.from_f64(-0.0, Trn, Sat), Ok(0));
        assert_eq!(s(8, 4).from_f64(1.0 / 3.0, Rnd, Sat), Ok(5));
        assert_eq!(s(8, 4).from_f64(-1.0 / 3.0, Trn, Sat), Ok(-6));
        assert_eq!(f.from_f64(1e300, Rnd, Sat), Ok(127));
        assert_eq!(f.from_f64(-1e300, Rnd, SatSym), Ok(-127));
        assert_eq!(f.from_f64(3.0 * 2f64.powi(70), Rnd, Wrap), Ok(0));
        assert_eq!(u(8, 0).from_f64(257.0, Rnd, Wrap), Ok(1));
        assert_eq!(u(8, 0).from_f64(-1.0, Rnd, Wrap), Ok(255));
        assert_eq!(
            s(8, 256).from_f64(f64::MIN_POSITIVE / 4.0, RndInf, Sat),
            Ok(0)
        );
        assert_eq!(s(8, 256).from_f64(-5e-324, Trn, Sat), Ok(-1));
        assert_eq!(s(8, 256).from_f64(-5e-324, TrnZero, Sat), Ok(0));
        assert_eq!(s(8, -128).from_f64(2f64.powi(128), Rnd, Sat), Ok(1));
        assert_eq!(s(8, -128).from_f64(2f64.powi(127), Rnd, Sat), Ok(1));
        assert_eq!(s(8, -128).from_f64(2f64.powi(127), RndConv, Sat), Ok(0));
        assert!(matches!(
            f.from_f64(f64::NAN, Rnd, Sat),
            Err(FixedError::NotFinite { .. })
        ));
        assert_eq!(
            f.from_f64(f64::INFINITY, Rnd, Sat),
            Err(FixedError::NotFinite {
                value: f64::INFINITY
            })
        );
        assert_eq!(
            f.from_f64(f64::NEG_INFINITY, Rnd, Sat)
                .unwrap_err()
                .to_string(),
            "cannot quantise the non-finite value -inf"
        );
    }

    #[test]
    fn clog2_matches_sv() {
        let want = [
            (0, 0),
            (1, 0),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (8, 3),
            (9, 4),
            (1 << 40, 40),
        ];
        for (n, c) in want {
            assert_eq!(clog2(n), c, "{n}");
        }
        assert_eq!(clog2(u64::MAX), 64);
        assert_eq!(clog2((1 << 63) + 1), 64);
    }

    #[test]
    fn exact_formats() {
        assert_eq!(add_format(s(8, 4), s(8, 4)), Ok(s(9, 4)));
        assert_eq!(add_format(u(8, 0), u(8, 0)), Ok(u(9, 0)));
        assert_eq!(add_format(s(8, 4), u(8, 2)), Ok(s(12, 4)));
        assert_eq!(add_format(s(8, 0), u(8, 0)), Ok(s(10, 0)));
        assert_eq!(add_format(s(4, -2), s(4, 3)), Ok(s(10, 3)));
        assert!(matches!(
            add_format(s(128, 0), s(1, 0)),
            Err(FixedError::WidthOverflow {
                what: "add",
                width: 129,
                signed: true
            })
        ));
        assert!(add_format(s(8, -128), s(8, 256)).is_err());
        assert_eq!(mul_format(s(8, 4), s(4, -2)), Ok(s(12, 2)));
        assert_eq!(mul_format(u(8, 4), u(4, 2)), Ok(u(12, 6)));
        assert_eq!(mul_format(u(8, 4), s(4, 2)), Ok(s(12, 6)));
        assert_eq!(
            mul_format(s(8, 200), s(8, 100)),
            Err(FixedError::FracOverflow {
                what: "mul",
                frac: 300
            })
        );
        assert_eq!(
            mul_format(u(64, 0), u(64, 0)).unwrap_err().to_string(),
            "mul needs a width of 128 bits, more than the 127 bits allowed for unsigned formats"
        );
        assert_eq!(tree_format(s(8, 3), 16), Ok(s(12, 3)));
        assert_eq!(tree_format(s(8, 3), 17), Ok(s(13, 3)));
        assert_eq!(tree_format(u(8, 3), 1), Ok(u(8, 3)));
        assert_eq!(accumulate_format(s(8, 3), 1000), Ok(s(18, 3)));
        assert!(accumulate_format(s(100, 0), u64::MAX).is_err());
    }

    #[test]
    fn exact_add_and_mul() {
        // 1.5 + (-0.75) = 0.75
        assert_eq!(add(6, s(8, 2), -3, s(4, 2)), Ok((3, s(9, 2))));
        // -8 (s8.-2 raw -2) + 0.5 (u2.1 raw 1) = -7.5 in s12.1
        assert_eq!(add(-2, s(8, -2), 1, u(2, 1)), Ok((-15, s(12, 1))));
        assert_eq!(
            add(i128::MIN >> 1, s(127, 0), i128::MIN >> 1, s(127, 0)),
            Ok((i128::MIN, s(128, 0)))
        );
        assert_eq!(mul(-128, s(8, 0), -128, s(8, 0)), Ok((16384, s(16, 0))));
        assert_eq!(mul(255, u(8, 1), -8, s(4, 3)), Ok((-2040, s(12, 4))));
        assert_eq!(
            mul(256, u(8, 0), 1, s(2, 0)),
            Err(FixedError::RawOutOfRange {
                what: "mul operand a",
                raw: 256,
                format: u(8, 0)
            })
        );
        assert_eq!(
            add(0, s(8, 0), -1, u(8, 0)).unwrap_err().to_string(),
            "add operand b raw value -1 is outside format u8.0 (range 0..=255)"
        );
    }
}
