//! Component parameters as the user writes them (`KEY=VALUE`), their declared kinds and
//! ranges, and parsing into a validated, fully defaulted map. This module checks each
//! value on its own (kind, range); rules that relate several parameters live in the
//! component descriptors.

use std::collections::BTreeMap;
use std::fmt;

use golden::{Overflow, Rounding};

use crate::error::GenError;

/// The kind of a parameter and its legal range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// An integer in `min..=max`.
    Int { min: i64, max: i64 },
    /// 0 or 1 (also accepts `true`/`false`).
    Bool,
    /// A rounding mode name (`RND`, …); emitted to SV as its integer code.
    Rounding,
    /// An overflow mode name (`SAT`, …); emitted to SV as its integer code.
    Overflow,
}

/// One declared parameter of a component.
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub default: i64,
    pub doc: &'static str,
}

impl ParamSpec {
    pub const fn int(
        name: &'static str,
        min: i64,
        max: i64,
        default: i64,
        doc: &'static str,
    ) -> Self {
        ParamSpec {
            name,
            kind: ParamKind::Int { min, max },
            default,
            doc,
        }
    }
    pub const fn bool(name: &'static str, default: bool, doc: &'static str) -> Self {
        ParamSpec {
            name,
            kind: ParamKind::Bool,
            default: default as i64,
            doc,
        }
    }
    pub const fn rounding(name: &'static str, doc: &'static str) -> Self {
        ParamSpec {
            name,
            kind: ParamKind::Rounding,
            default: 2,
            doc,
        }
    }
    pub const fn overflow(name: &'static str, doc: &'static str) -> Self {
        ParamSpec {
            name,
            kind: ParamKind::Overflow,
            default: 1,
            doc,
        }
    }

    /// The value as a user would write it (mode names, not codes).
    pub fn display_value(&self, v: i64) -> String {
        match self.kind {
            ParamKind::Rounding => {
                Rounding::from_code(v as u32).map_or(v.to_string(), |r| r.name().to_string())
            }
            ParamKind::Overflow => {
                Overflow::from_code(v as u32).map_or(v.to_string(), |o| o.name().to_string())
            }
            _ => v.to_string(),
        }
    }

    /// The legal range in words, for help text and errors.
    pub fn rule(&self) -> String {
        match self.kind {
            ParamKind::Int { min, max } => format!("must be an integer in {min}..={max}"),
            ParamKind::Bool => "must be 0 or 1".to_string(),
            ParamKind::Rounding => {
                format!(
                    "must be one of {}",
                    Rounding::ALL
                        .iter()
                        .map(|r| r.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            ParamKind::Overflow => {
                format!(
                    "must be one of {}",
                    Overflow::ALL
                        .iter()
                        .map(|o| o.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        }
    }

    fn parse(&self, component: &str, text: &str) -> Result<i64, GenError> {
        let bad = || GenError::bad_param(component, self.name, text, self.rule());
        let v = match self.kind {
            ParamKind::Int { min, max } => {
                let v: i64 = text.trim().parse().map_err(|_| bad())?;
                if v < min || v > max {
                    return Err(bad());
                }
                v
            }
            ParamKind::Bool => match text.trim().to_ascii_lowercase().as_str() {
                "0" | "false" => 0,
                "1" | "true" => 1,
                _ => return Err(bad()),
            },
            ParamKind::Rounding => {
                i64::from(text.trim().parse::<Rounding>().map_err(|_| bad())?.code())
            }
            ParamKind::Overflow => {
                i64::from(text.trim().parse::<Overflow>().map_err(|_| bad())?.code())
            }
        };
        Ok(v)
    }

    fn check(&self, component: &str, v: i64) -> Result<(), GenError> {
        let ok = match self.kind {
            ParamKind::Int { min, max } => (min..=max).contains(&v),
            ParamKind::Bool => v == 0 || v == 1,
            ParamKind::Rounding => Rounding::from_code(v as u32).is_some() && v >= 0,
            ParamKind::Overflow => Overflow::from_code(v as u32).is_some() && v >= 0,
        };
        if ok {
            Ok(())
        } else {
            Err(GenError::bad_param(
                component,
                self.name,
                self.display_value(v),
                self.rule(),
            ))
        }
    }
}

/// A complete set of parameter values of one component (every declared parameter
/// present), ordered by name so that printing and hashing are deterministic.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Params {
    values: BTreeMap<&'static str, i64>,
}

impl Params {
    /// All defaults of `specs`.
    pub fn defaults(specs: &[ParamSpec]) -> Self {
        Params {
            values: specs.iter().map(|s| (s.name, s.default)).collect(),
        }
    }

    /// Defaults overridden by `KEY=VALUE` strings; unknown keys and out-of-range values are errors.
    pub fn parse(
        component: &str,
        specs: &[ParamSpec],
        assignments: &[String],
    ) -> Result<Self, GenError> {
        let mut p = Params::defaults(specs);
        for a in assignments {
            let (key, value) = a.split_once('=').ok_or_else(|| GenError::ParamSyntax {
                component: component.to_string(),
                text: a.clone(),
            })?;
            let spec = find_spec(component, specs, key.trim())?;
            p.values.insert(spec.name, spec.parse(component, value)?);
        }
        Ok(p)
    }

    /// Defaults overridden by numeric values (used by corner and random configurations).
    pub fn with(
        component: &str,
        specs: &[ParamSpec],
        overrides: &[(&str, i64)],
    ) -> Result<Self, GenError> {
        let mut p = Params::defaults(specs);
        for &(key, v) in overrides {
            let spec = find_spec(component, specs, key)?;
            spec.check(component, v)?;
            p.values.insert(spec.name, v);
        }
        Ok(p)
    }

    /// The value of `name`. Panics only on a programming error (a name the component did not declare).
    pub fn get(&self, name: &str) -> i64 {
        match self.values.get(name) {
            Some(v) => *v,
            None => unreachable!("parameter {name} is not declared"),
        }
    }

    /// Whether `name` is declared.
    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    pub fn get_usize(&self, name: &str) -> usize {
        self.get(name) as usize
    }
    pub fn get_u32(&self, name: &str) -> u32 {
        self.get(name) as u32
    }
    pub fn get_i32(&self, name: &str) -> i32 {
        self.get(name) as i32
    }
    pub fn get_bool(&self, name: &str) -> bool {
        self.get(name) != 0
    }
    pub fn rounding(&self, name: &str) -> Rounding {
        Rounding::from_code(self.get_u32(name)).unwrap_or_default()
    }
    pub fn overflow(&self, name: &str) -> Overflow {
        Overflow::from_code(self.get_u32(name)).unwrap_or_default()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, i64)> + '_ {
        self.values.iter().map(|(k, v)| (*k, *v))
    }

    /// `KEY=VALUE` pairs with mode names, in name order (for reports and reproducing a run).
    pub fn display(&self, specs: &[ParamSpec]) -> Vec<String> {
        specs
            .iter()
            .map(|s| format!("{}={}", s.name, s.display_value(self.get(s.name))))
            .collect()
    }
}

impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .values
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        f.write_str(&parts.join(" "))
    }
}

fn find_spec<'a>(
    component: &str,
    specs: &'a [ParamSpec],
    key: &str,
) -> Result<&'a ParamSpec, GenError> {
    specs
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(key))
        .ok_or_else(|| GenError::UnknownParam {
            component: component.to_string(),
            param: key.to_string(),
            known: specs.iter().map(|s| s.name).collect::<Vec<_>>().join(", "),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[ParamSpec] = &[
        ParamSpec::int("WIDTH", 1, 64, 8, "bits"),
        ParamSpec::rounding("ROUNDING", "mode"),
        ParamSpec::bool("SIGNED", true, "sign"),
    ];

    #[test]
    fn parses_names_and_defaults() {
        let p =
            Params::parse("c", SPECS, &["width=12".into(), "ROUNDING=rnd_conv".into()]).unwrap();
        assert_eq!(p.get("WIDTH"), 12);
        assert_eq!(p.rounding("ROUNDING"), Rounding::RndConv);
        assert!(p.get_bool("SIGNED"));
    }

    #[test]
    fn errors_name_param_value_and_rule() {
        let e = Params::parse("c", SPECS, &["WIDTH=0".into()])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "c: parameter WIDTH=0: must be an integer in 1..=64");
        let e = Params::parse("c", SPECS, &["ROUNDING=UP".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("ROUNDING=UP") && e.contains("RND_CONV"), "{e}");
        let e = Params::parse("c", SPECS, &["DEPTH=3".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown parameter `DEPTH`"), "{e}");
        let e = Params::parse("c", SPECS, &["WIDTH".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("KEY=VALUE"), "{e}");
    }
}
