//! The error type of golden arithmetic and models.
//!
//! One enum for the whole crate: every variant names the offending field or operand
//! and carries its value, so a message says what to change. Nothing here panics or
//! formats differently by locale.

use super::Format;

/// Everything that can go wrong in golden arithmetic; each variant names the
/// offending field and carries its value.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum FixedError {
    /// A width outside `1..=128` (signed) or `1..=127` (unsigned).
    #[error("width {width} is out of range 1..={} for {} formats", max_width(*.signed), kind(*.signed))]
    BadWidth {
        /// The rejected width.
        width: u32,
        /// Whether the format was signed.
        signed: bool,
    },
    /// A fractional width outside [`Format::MIN_FRAC`]`..=`[`Format::MAX_FRAC`].
    #[error(
        "frac {frac} is out of range {}..={}",
        Format::MIN_FRAC,
        Format::MAX_FRAC
    )]
    BadFrac {
        /// The rejected fractional width.
        frac: i32,
    },
    /// An exact result format would be wider than raw `i128` values can hold.
    #[error(
        "{what} needs a width of {width} bits, more than the {} bits allowed for {} formats",
        max_width(*.signed),
        kind(*.signed)
    )]
    WidthOverflow {
        /// Which computation (e.g. `"mul"`, `"adder tree"`).
        what: &'static str,
        /// The width it would need.
        width: u64,
        /// Whether the result format is signed.
        signed: bool,
    },
    /// An exact result format would need a fractional width out of range.
    #[error(
        "{what} needs frac {frac}, outside the range {}..={}",
        Format::MIN_FRAC,
        Format::MAX_FRAC
    )]
    FracOverflow {
        /// Which computation.
        what: &'static str,
        /// The fractional width it would need.
        frac: i64,
    },
    /// `from_f64` was given a NaN or an infinity.
    #[error("cannot quantise the non-finite value {value}")]
    NotFinite {
        /// The rejected value.
        value: f64,
    },
    /// A raw value does not lie in the format it is said to be in.
    #[error("{what} raw value {raw} is outside format {format} (range {}..={})", .format.min_raw(), .format.max_raw())]
    RawOutOfRange {
        /// Which operand.
        what: &'static str,
        /// The raw value.
        raw: i128,
        /// The format it should lie in.
        format: Format,
    },
    /// An unknown rounding or overflow mode name.
    #[error("unknown {kind} mode `{name}`; valid names are {valid}")]
    UnknownMode {
        /// `"rounding"` or `"overflow"`.
        kind: &'static str,
        /// The rejected name.
        name: String,
        /// The valid names, comma separated.
        valid: &'static str,
    },
    /// A string that does not spell a format.
    #[error(
        "`{text}` is not a format; expected s<width>.<frac> or u<width>.<frac>, e.g. s16.8 or u8.-2"
    )]
    BadFormatString {
        /// The rejected text.
        text: String,
    },
    /// A scale block that is zero or does not divide the dimension it tiles.
    #[error("scale block {block} does not divide {what} {size} (must be ≥ 1 and a divisor)")]
    BadBlock {
        /// The dimension tiled.
        what: &'static str,
        /// The block size given.
        block: usize,
        /// The dimension's size.
        size: usize,
    },
    /// A tensor whose length does not match its shape.
    #[error("{what} has {actual} elements, expected {expected}")]
    LengthMismatch {
        /// Which tensor.
        what: &'static str,
        /// The length the shape implies.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// A size parameter that must be positive is zero.
    #[error("{what} must be at least 1, got 0")]
    ZeroSize {
        /// Which size parameter.
        what: &'static str,
    },
    /// A shape whose element count overflows `usize`.
    #[error("{what} has more elements than usize can count")]
    SizeOverflow {
        /// Which tensor.
        what: &'static str,
    },
    /// Bias data and bias format disagree about whether there is a bias.
    #[error(
        "bias format given: {format_given}, bias data given: {data_given}; give both or neither"
    )]
    BiasMismatch {
        /// Whether a bias format was given.
        format_given: bool,
        /// Whether bias data was given.
        data_given: bool,
    },
}

pub(super) fn max_width(signed: bool) -> u32 {
    if signed {
        Format::MAX_SIGNED_WIDTH
    } else {
        Format::MAX_UNSIGNED_WIDTH
    }
}

fn kind(signed: bool) -> &'static str {
    if signed { "signed" } else { "unsigned" }
}
