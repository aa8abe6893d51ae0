//! Helpers shared by the component descriptors: reading a fixed-point format out of
//! `<PREFIX>_WIDTH` / `<PREFIX>_FRAC_WIDTH` / `<PREFIX>_SIGNED` parameters, drawing
//! random formats, and passing parameters through to SystemVerilog.

use golden::Format;

use crate::error::GenError;
use crate::params::Params;
use crate::rng::Rng;
use crate::sv::SvValue;

/// The format described by the `<prefix>_*` parameters (signed when `<prefix>_SIGNED`
/// is not declared).
pub fn format_of(component: &str, p: &Params, prefix: &str) -> Result<Format, GenError> {
    let width = p.get_u32(&format!("{prefix}_WIDTH"));
    let frac_name = format!("{prefix}_FRAC_WIDTH");
    let frac = if p.has(&frac_name) {
        p.get_i32(&frac_name)
    } else {
        0
    };
    let signed_name = format!("{prefix}_SIGNED");
    let signed = !p.has(&signed_name) || p.get_bool(&signed_name);
    Format::new(width, frac, signed).map_err(|source| GenError::Fixed {
        component: component.to_string(),
        source,
    })
}

/// A random (width, frac, signed) with width in `1..=max_width`, favouring small and
/// odd widths, frac from below zero to beyond the width.
pub fn pick_format(rng: &mut Rng, max_width: i64) -> (i64, i64, i64) {
    let width = match rng.below(4) {
        0 => rng.range(1, 4.min(max_width)),
        1 => rng.range(1, max_width),
        _ => rng.range(2, 20.min(max_width)),
    };
    let frac = rng.range(-(width / 2), width + 4);
    (width, frac, rng.range(0, 1))
}

/// `(NAME, value)` pairs for the named parameters, in the given order.
pub fn sv_int_params<'a>(
    p: &Params,
    names: impl IntoIterator<Item = &'a str>,
) -> Vec<(String, SvValue)> {
    names
        .into_iter()
        .map(|n| (n.to_string(), SvValue::Int(p.get(n))))
        .collect()
}

/// Integer ceil(log2 n) as used for SystemVerilog `$clog2` (0 for n <= 1).
pub fn clog2(n: usize) -> u32 {
    golden::fixed::clog2(n as u64)
}

/// An error for a rule between parameters.
pub fn rule(component: &str, param: &str, p: &Params, text: impl Into<String>) -> GenError {
    GenError::bad_param(component, param, p.get(param), text)
}

/// Parameters of the data-moving primitives: lanes of raw bits.
pub const WIDTH: crate::params::ParamSpec =
    crate::params::ParamSpec::int("WIDTH", 1, 64, 16, "lane width (bits)");
pub const PARALLELISM: crate::params::ParamSpec =
    crate::params::ParamSpec::int("PARALLELISM", 1, 64, 4, "lanes per beat");

/// The lane format of data-moving primitives: raw unsigned bits.
pub fn bits_format(p: &Params) -> Format {
    match Format::unsigned(p.get_u32("WIDTH"), 0) {
        Ok(f) => f,
        Err(e) => unreachable!("WIDTH is range-checked: {e}"),
    }
}

/// Corner lane shapes shared by the data-moving primitives.
pub fn bits_corners() -> Vec<Vec<(&'static str, i64)>> {
    vec![
        vec![],
        vec![("WIDTH", 1), ("PARALLELISM", 1)],
        vec![("WIDTH", 7), ("PARALLELISM", 3)],
        vec![("WIDTH", 13), ("PARALLELISM", 1)],
        vec![("WIDTH", 64), ("PARALLELISM", 4)],
        vec![("WIDTH", 16), ("PARALLELISM", 16)],
    ]
}

/// A random lane shape for the data-moving primitives.
pub fn bits_random(rng: &mut Rng) -> Vec<(&'static str, i64)> {
    vec![
        ("WIDTH", rng.range(1, 40)),
        ("PARALLELISM", rng.range(1, 9)),
    ]
}

/// The `N` parameter of fork and join.
pub const N_WAYS: crate::params::ParamSpec =
    crate::params::ParamSpec::int("N", 1, 16, 2, "number of streams joined or forked");

/// Corner configurations of fork and join: the lane shapes plus N = 1, 3, 5.
pub fn n_way_corners() -> Vec<Vec<(&'static str, i64)>> {
    let mut v = bits_corners();
    v.extend([
        vec![("N", 1)],
        vec![("N", 3), ("WIDTH", 5)],
        vec![("N", 5), ("PARALLELISM", 2)],
    ]);
    v
}

/// A random configuration of fork and join.
pub fn n_way_random(rng: &mut Rng) -> Vec<(&'static str, i64)> {
    let mut v = bits_random(rng);
    v.push(("N", rng.range(1, 5)));
    v
}

/// SV parameters of fork and join.
pub fn n_way_sv_params(p: &Params) -> Vec<(String, SvValue)> {
    vec![
        (
            "DATA_WIDTH".into(),
            SvValue::Int(p.get("WIDTH") * p.get("PARALLELISM")),
        ),
        ("N".into(), SvValue::Int(p.get("N"))),
    ]
}
/// Largest error, in output LSBs, of rounding an exact value from frac `from_frac` to
/// frac `to_frac` with `r`: 0 for an exact left shift, under 1 for the truncating modes,
/// at most 0.5 for the round-to-nearest modes.
pub fn rounding_error_lsb(r: golden::Rounding, from_frac: i32, to_frac: i32) -> f64 {
    use golden::Rounding::{Trn, TrnZero};
    if from_frac <= to_frac {
        0.0
    } else if matches!(r, Trn | TrnZero) {
        1.0
    } else {
        0.5
    }
}

/// f64 slack, in output LSBs, of a float reference whose exact result needs
/// `exact_width` bits: 0 when the result fits the 53-bit f64 significand, else the
/// reference's own rounding, up to `2^(out_width - 52)` LSB (rounded up to 1e-6).
pub fn f64_slack_lsb(exact_width: u32, out_width: u32) -> f64 {
    if exact_width <= 53 {
        0.0
    } else {
        (f64::from(out_width as i32 - 52).exp2() * 1e6).ceil() / 1e6
    }
}

/// Whether raw `y` (already rounded to `to`'s frac) is left alone by overflow mode `o`.
pub fn representable(y: i128, to: Format, o: golden::Overflow) -> bool {
    to.contains(y) && !(o == golden::Overflow::SatSym && to.is_signed() && y == to.min_raw())
}

/// `raw` rounded to `to`'s frac with `r` (no overflow applied; 128-bit range).
pub fn rounded(raw: i128, from: Format, to: Format, r: golden::Rounding) -> i128 {
    match Format::signed(Format::MAX_SIGNED_WIDTH, to.frac()) {
        Ok(wide) => golden::cast(raw, from, wide, r, golden::Overflow::Sat),
        Err(_) => 0,
    }
}

/// A raw code of `f` with a log-uniform magnitude (a uniform code shifted right by a
/// random amount): small and large values alike, as in real activations.
pub fn raw_log_uniform(rng: &mut Rng, f: Format) -> i128 {
    let v = rng.raw_in(f);
    v >> rng.below(u64::from(f.width()))
}

/// Streams and tensors of a lane-wise component: `data_in` → `data_out`, `lanes` lanes,
/// tensors `[N, k·lanes]`.
pub fn lanewise_streams(
    lanes: usize,
    input: Format,
    output: Format,
) -> Vec<crate::component::StreamDef> {
    use crate::component::StreamDef;
    use crate::sv::Dir;
    vec![
        StreamDef::new("data_in", Dir::Input, lanes, input, "data_in"),
        StreamDef::new("data_out", Dir::Output, lanes, output, "data_out"),
    ]
}

/// Tensors `[N, k·lanes]` named after the given (name, direction, format) triples.
pub fn lanewise_tensors(
    lanes: usize,
    defs: &[(&str, crate::sv::Dir, Format)],
) -> Vec<crate::component::TensorDef> {
    defs.iter()
        .map(|&(name, direction, format)| crate::component::TensorDef {
            name: name.to_string(),
            direction,
            shape: vec![
                crate::tensor::Dim::Batch,
                crate::tensor::Dim::Multiple(lanes),
            ],
            format,
        })
        .collect()
}

/// Checks that parameter `lanes` divides parameter `size` (a tensor dimension streamed
/// `lanes` elements per beat); the error names `lanes`, its value and `size`.
pub fn divides(component: &str, p: &Params, lanes: &str, size: &str) -> Result<(), GenError> {
    if p.get(size) % p.get(lanes) == 0 {
        Ok(())
    } else {
        Err(rule(
            component,
            lanes,
            p,
            format!("must divide {size}={}", p.get(size)),
        ))
    }
}
