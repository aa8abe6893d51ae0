//! The rounding and overflow modes of a cast, with their ap_fixed names and the
//! integer codes the SystemVerilog `ROUNDING`/`OVERFLOW` parameters take.
//!
//! Only names, codes and parsing live here; what each mode computes is
//! [`super::cast`].

use std::fmt;
use std::str::FromStr;

use super::FixedError;

/// `Display` (the ap_fixed name) and `FromStr` (names, case-insensitively, e.g.
/// `"rnd_conv"` or `"RND_CONV"`) for a mode enum with `ALL` and `name()`.
macro_rules! mode_text {
    ($ty:ident, $kind:literal, $names:ident) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $ty {
            type Err = FixedError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|m| m.name().eq_ignore_ascii_case(s))
                    .ok_or_else(|| FixedError::UnknownMode {
                        kind: $kind,
                        name: s.to_owned(),
                        valid: $names,
                    })
            }
        }
    };
}

/// Rounding modes (ap_fixed names), applied when a cast drops fractional bits.
///
/// With `q = floor(x / 2^s)`, `r = x - q*2^s` and `h = 2^(s-1)` (see
/// `docs/components.md`), each mode picks `q` or `q + 1`:
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Rounding {
    /// Code 0, `TRN`: floor (drop the bits).
    Trn,
    /// Code 1, `TRN_ZERO`: toward zero.
    TrnZero,
    /// Code 2, `RND`: nearest, ties toward +infinity. The project default.
    #[default]
    Rnd,
    /// Code 3, `RND_ZERO`: nearest, ties toward zero.
    RndZero,
    /// Code 4, `RND_MIN_INF`: nearest, ties toward -infinity.
    RndMinInf,
    /// Code 5, `RND_INF`: nearest, ties away from zero.
    RndInf,
    /// Code 6, `RND_CONV`: nearest, ties to even (convergent).
    RndConv,
}

const ROUNDING_NAMES: &str = "TRN, TRN_ZERO, RND, RND_ZERO, RND_MIN_INF, RND_INF, RND_CONV";

impl Rounding {
    /// Every mode, in code order.
    pub const ALL: [Rounding; 7] = [
        Rounding::Trn,
        Rounding::TrnZero,
        Rounding::Rnd,
        Rounding::RndZero,
        Rounding::RndMinInf,
        Rounding::RndInf,
        Rounding::RndConv,
    ];

    /// The ap_fixed name, e.g. `"RND_CONV"`.
    pub fn name(self) -> &'static str {
        match self {
            Rounding::Trn => "TRN",
            Rounding::TrnZero => "TRN_ZERO",
            Rounding::Rnd => "RND",
            Rounding::RndZero => "RND_ZERO",
            Rounding::RndMinInf => "RND_MIN_INF",
            Rounding::RndInf => "RND_INF",
            Rounding::RndConv => "RND_CONV",
        }
    }

    /// The `ROUNDING` parameter value of the SystemVerilog (0..=6).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// The mode with this code, if any.
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(usize::try_from(code).ok()?).copied()
    }
}

mode_text!(Rounding, "rounding", ROUNDING_NAMES);

/// Overflow modes (ap_fixed names), applied to the rounded value against the output
/// range `[min, max]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Overflow {
    /// Code 0, `WRAP`: keep the low `width` bits (two's complement).
    Wrap,
    /// Code 1, `SAT`: clamp to `[min, max]`. The project default.
    #[default]
    Sat,
    /// Code 2, `SAT_ZERO`: zero if out of range.
    SatZero,
    /// Code 3, `SAT_SYM`: signed formats clamp to `[-max, max]` (never the most
    /// negative code); unsigned formats as `SAT`.
    SatSym,
}

const OVERFLOW_NAMES: &str = "WRAP, SAT, SAT_ZERO, SAT_SYM";

impl Overflow {
    /// Every mode, in code order.
    pub const ALL: [Overflow; 4] = [
        Overflow::Wrap,
        Overflow::Sat,
        Overflow::SatZero,
        Overflow::SatSym,
    ];

    /// The ap_fixed name, e.g. `"SAT_SYM"`.
    pub fn name(self) -> &'static str {
        match self {
            Overflow::Wrap => "WRAP",
            Overflow::Sat => "SAT",
            Overflow::SatZero => "SAT_ZERO",
            Overflow::SatSym => "SAT_SYM",
        }
    }

    /// The `OVERFLOW` parameter value of the SystemVerilog (0..=3).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// The mode with this code, if any.
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(usize::try_from(code).ok()?).copied()
    }
}

mode_text!(Overflow, "overflow", OVERFLOW_NAMES);
