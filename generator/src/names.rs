//! The one legaliser of identifiers in generated SystemVerilog. [`legal`] turns any
//! user name (model, node, tensor) into an identifier fragment: ASCII letters, digits
//! and `_`, not starting with a digit, at most [`MAX_STEM`] characters (longer names
//! keep a prefix and a hash of the whole name, so distinct long names stay distinct and
//! file names stay short). [`Namer`] makes a set of instance stems unique *after*
//! legalisation, together with every identifier derived from each stem (wires, bundles,
//! ROM files), against the reserved words of SystemVerilog, the library's module names
//! and the top's ports; the first free of `stem`, `stem_2`, `stem_3`… is taken, so the
//! result depends only on the order names are claimed. [`check_module_name`] validates
//! a user-chosen top module name the same way, and [`comment`] makes any text safe
//! inside a `//` comment. This module knows no components or netlists.

use std::collections::BTreeSet;

/// Longest identifier fragment [`legal`] returns.
pub const MAX_STEM: usize = 64;

/// SystemVerilog (IEEE 1800-2017) reserved words, and a few Verilator/tool keywords
/// that cannot name a signal or module either.
const KEYWORDS: &[&str] = &[
    "accept_on",
    "alias",
    "always",
    "always_comb",
    "always_ff",
    "always_latch",
    "and",
    "assert",
    "assign",
    "assume",
    "automatic",
    "before",
    "begin",
    "bind",
    "bins",
    "binsof",
    "bit",
    "break",
    "buf",
    "bufif0",
    "bufif1",
    "byte",
    "case",
    "casex",
    "casez",
    "cell",
    "chandle",
    "checker",
    "class",
    "clocking",
    "cmos",
    "config",
    "const",
    "constraint",
    "context",
    "continue",
    "cover",
    "covergroup",
    "coverpoint",
    "cross",
    "deassign",
    "default",
    "defparam",
    "design",
    "disable",
    "dist",
    "do",
    "edge",
    "else",
    "end",
    "endcase",
    "endchecker",
    "endclass",
    "endclocking",
    "endconfig",
    "endfunction",
    "endgenerate",
    "endgroup",
    "endinterface",
    "endmodule",
    "endpackage",
    "endprimitive",
    "endprogram",
    "endproperty",
    "endsequence",
    "endspecify",
    "endtable",
    "endtask",
    "enum",
    "event",
    "eventually",
    "expect",
    "export",
    "extends",
    "extern",
    "final",
    "first_match",
    "for",
    "force",
    "foreach",
    "forever",
    "fork",
    "forkjoin",
    "function",
    "generate",
    "genvar",
    "global",
    "highz0",
    "highz1",
    "if",
    "iff",
    "ifnone",
    "ignore_bins",
    "illegal_bins",
    "implements",
    "implies",
    "import",
    "incdir",
    "include",
    "initial",
    "inout",
    "input",
    "inside",
    "instance",
    "int",
    "integer",
    "interconnect",
    "interface",
    "intersect",
    "join",
    "join_any",
    "join_none",
    "large",
    "let",
    "liblist",
    "library",
    "local",
    "localparam",
    "logic",
    "longint",
    "macromodule",
    "matches",
    "medium",
    "modport",
    "module",
    "nand",
    "negedge",
    "nettype",
    "new",
    "nexttime",
    "nmos",
    "nor",
    "noshowcancelled",
    "not",
    "notif0",
    "notif1",
    "null",
    "or",
    "output",
    "package",
    "packed",
    "parameter",
    "pmos",
    "posedge",
    "primitive",
    "priority",
    "program",
    "property",
    "protected",
    "pull0",
    "pull1",
    "pulldown",
    "pullup",
    "pulsestyle_ondetect",
    "pulsestyle_onevent",
    "pure",
    "rand",
    "randc",
    "randcase",
    "randsequence",
    "rcmos",
    "real",
    "realtime",
    "ref",
    "reg",
    "reject_on",
    "release",
    "repeat",
    "restrict",
    "return",
    "rnmos",
    "rpmos",
    "rtran",
    "rtranif0",
    "rtranif1",
    "s_always",
    "s_eventually",
    "s_nexttime",
    "s_until",
    "s_until_with",
    "scalared",
    "sequence",
    "shortint",
    "shortreal",
    "showcancelled",
    "signed",
    "small",
    "soft",
    "solve",
    "specify",
    "specparam",
    "static",
    "string",
    "strong",
    "strong0",
    "strong1",
    "struct",
    "super",
    "supply0",
    "supply1",
    "sync_accept_on",
    "sync_reject_on",
    "table",
    "tagged",
    "task",
    "this",
    "throughout",
    "time",
    "timeprecision",
    "timeunit",
    "tran",
    "tranif0",
    "tranif1",
    "tri",
    "tri0",
    "tri1",
    "triand",
    "trior",
    "trireg",
    "type",
    "typedef",
    "union",
    "unique",
    "unique0",
    "unsigned",
    "until",
    "until_with",
    "untyped",
    "use",
    "uwire",
    "var",
    "vectored",
    "virtual",
    "void",
    "wait",
    "wait_order",
    "wand",
    "weak",
    "weak0",
    "weak1",
    "while",
    "wildcard",
    "wire",
    "with",
    "within",
    "wor",
    "xnor",
    "xor",
];

/// Whether `s` is a reserved word of SystemVerilog.
pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// Whether `s` is a simple identifier `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_identifier(s: &str) -> bool {
    let mut ch = s.chars();
    matches!(ch.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && ch.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// FNV-1a of `s`: the deterministic hash that shortens long names.
fn fnv(s: &str) -> u64 {
    golden::hash::fnv1a(s.as_bytes())
}

/// `name` made a legal identifier fragment (see the module docs). Not necessarily
/// unique: `a-b` and `a.b` both give `a_b`; [`Namer`] makes stems unique.
pub fn legal(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'n');
    }
    if s.len() > MAX_STEM {
        s.truncate(MAX_STEM - 17);
        s.push_str(&format!("_{:016x}", fnv(name)));
    }
    s
}

/// Why a user-chosen module name is refused.
pub fn check_module_name(name: &str, library: &[&str]) -> Result<(), String> {
    if !is_identifier(name) {
        return Err("must be a SystemVerilog identifier ([A-Za-z_][A-Za-z0-9_]*)".into());
    }
    if is_keyword(name) {
        return Err("is a SystemVerilog keyword".into());
    }
    if name.len() > MAX_STEM + 3 {
        return Err(format!("must be at most {} characters", MAX_STEM + 3));
    }
    if library.contains(&name) {
        return Err("is the name of a library module (its file would be overwritten)".into());
    }
    Ok(())
}

/// `text` safe inside a `//` comment: control characters (newlines included) are
/// written as `\n`, `\t` or `\u{..}` escapes, so a comment always ends its line.
pub fn comment(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            '\n' => "\\n".to_string(),
            '\t' => "\\t".to_string(),
            c if c.is_control() => format!("\\u{{{:x}}}", c as u32),
            c => c.to_string(),
        })
        .collect()
}

/// Unique stems for the instances of one generated module.
#[derive(Clone, Debug, Default)]
pub struct Namer {
    used: BTreeSet<String>,
}

impl Namer {
    /// A namer with `reserved` identifiers (the top's ports, library module names)
    /// already taken, plus every SystemVerilog keyword.
    pub fn new<'a>(reserved: impl IntoIterator<Item = &'a str>) -> Namer {
        let mut used: BTreeSet<String> = KEYWORDS.iter().map(|s| (*s).to_string()).collect();
        used.extend(reserved.into_iter().map(str::to_string));
        Namer { used }
    }

    /// Marks `id` as taken.
    pub fn reserve(&mut self, id: &str) {
        self.used.insert(id.to_string());
    }

    /// Whether `id` is taken.
    pub fn is_used(&self, id: &str) -> bool {
        self.used.contains(id)
    }

    /// The first of `legal(stem)`, `…_2`, `…_3`… such that neither the stem, its
    /// instance name `u_<stem>`, nor any `<stem>_<suffix>` is taken; claims them all.
    pub fn claim(&mut self, stem: &str, suffixes: &[String]) -> String {
        let base = legal(stem);
        let ids = |s: &str| -> Vec<String> {
            let mut v = vec![s.to_string(), format!("u_{s}")];
            v.extend(suffixes.iter().map(|x| format!("{s}_{x}")));
            v
        };
        let mut k = 1usize;
        loop {
            let cand = if k == 1 {
                base.clone()
            } else {
                format!("{base}_{k}")
            };
            let all = ids(&cand);
            if all.iter().all(|i| !self.used.contains(i)) {
                self.used.extend(all);
                return cand;
            }
            k += 1;
        }
    }
}

/// Every identifier a printed module declares (ports, wires, instance names) that is
/// not legal, a keyword, or declared twice; empty when the module is clean.
pub fn problems(m: &crate::sv::SvModule) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let ids = m
        .ports
        .iter()
        .map(|p| p.name.as_str())
        .chain(m.wires.iter().map(|w| w.name.as_str()))
        .chain(m.instances.iter().map(|i| i.name.as_str()));
    for id in ids {
        if !is_identifier(id) || is_keyword(id) {
            out.push(format!("`{id}` is not a legal identifier"));
        }
        if !seen.insert(id) {
            out.push(format!("`{id}` is declared twice"));
        }
    }
    if !is_identifier(&m.name) || is_keyword(&m.name) {
        out.push(format!("module name `{}` is not legal", m.name));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_names_are_identifiers_and_short() {
        for raw in ["a-b", "1abc", "", "módulo", "*/", "a\nb", &"x".repeat(200)] {
            let l = legal(raw);
            assert!(is_identifier(&l), "{raw:?} -> {l:?}");
            assert!(l.len() <= MAX_STEM, "{raw:?} -> {l:?}");
        }
        assert_ne!(legal(&"x".repeat(200)), legal(&"x".repeat(201)));
        assert_eq!(legal("a.b"), "a_b");
    }

    #[test]
    fn colliding_names_become_unique_with_their_derived_identifiers() {
        let mut n = Namer::new(["data_in", "data_out"]);
        let sfx = vec!["data_out".to_string()];
        assert_eq!(n.claim("a-b", &sfx), "a_b");
        assert_eq!(n.claim("a.b", &sfx), "a_b_2");
        assert_eq!(n.claim("a_b", &sfx), "a_b_3");
        // `r_fork`, then the fork inserted for `r`.
        assert_eq!(n.claim("r_fork", &sfx), "r_fork");
        assert_eq!(n.claim("r_fork", &["data_out_0".into()]), "r_fork_2");
        // A stem whose derived wire equals an earlier stem's.
        assert_eq!(n.claim("x_data", &["out".into()]), "x_data");
        assert_eq!(n.claim("x", &sfx), "x_2");
        assert_eq!(n.claim("module", &sfx), "module_2");
        assert_eq!(n.claim("data_in", &[]), "data_in_2");
    }

    #[test]
    fn module_names_are_checked() {
        assert!(check_module_name("mh_top", &["mh_linear"]).is_ok());
        assert!(check_module_name("mh_linear", &["mh_linear"]).is_err());
        assert!(check_module_name("module", &[]).is_err());
        assert!(check_module_name("a-b", &[]).is_err());
        assert!(check_module_name(&"x".repeat(100), &[]).is_err());
    }

    #[test]
    fn comments_stay_on_one_line() {
        assert_eq!(comment("a\nb\r"), "a\\nb\\u{d}");
        assert_eq!(comment("plain */ text"), "plain */ text");
    }
}
