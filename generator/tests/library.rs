//! The written conventions of the SystemVerilog library (docs/components.md, "Writing
//! library SystemVerilog"), checked on every library file: each `.sv` file under
//! `components/` is in the library list with file name == module name, the file frame
//! (`default_nettype none` ... `resetall`), no lint pragmas, one named port or parameter
//! connection per line, the one synchronous reset form, and `_q` on every register.

use std::path::{Path, PathBuf};

use generator::library::MODULES;

/// Registers exempt from the `_q` rule: memories inferred as RAM/ROM, the adder tree's
/// per-level node arrays, and linear's stage-T bias (a register in the ROM branch, the
/// FIFO output in the stream branch). docs/components.md lists the same exceptions.
const NOT_Q: &[&str] = &[
    "mem", "rom", "row_mem", "buf_mem", "st_mem", "node", "bias_t",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn sv_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            sv_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "sv") {
            out.push(p);
        }
    }
}

/// The text with `//` comments removed (line structure kept).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Tokens of `code`: identifiers/keywords and single punctuation characters.
fn tokens(code: &str) -> Vec<&str> {
    let mut v = Vec::new();
    let mut start = None;
    for (i, c) in code.char_indices() {
        if is_ident(c) {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            v.push(&code[s..i]);
        }
        if !c.is_whitespace() {
            v.push(&code[i..i + c.len_utf8()]);
        }
    }
    if let Some(s) = start {
        v.push(&code[s..]);
    }
    v
}

/// Names of the module's ports.
fn ports(toks: &[&str]) -> Vec<String> {
    let mut v = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if toks[i] == "input" || toks[i] == "output" {
            // The port name is the last identifier before `,` or `)`.
            let mut j = i;
            while j < toks.len() && toks[j] != "," && toks[j] != ")" {
                j += 1;
            }
            v.push(toks[j - 1].to_string());
            i = j;
        }
        i += 1;
    }
    v
}

/// Left-hand sides of nonblocking assignments inside `always_ff` blocks.
fn registers(toks: &[&str]) -> Vec<String> {
    let mut v = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if toks[i] != "always_ff" {
            i += 1;
            continue;
        }
        // Skip the event control, then take one statement or begin ... end.
        let mut j = i + 1;
        while toks[j] != ")" {
            j += 1;
        }
        j += 1;
        // The first `<=` of a statement assigns; later ones before `;` compare.
        let mut in_rhs = false;
        let mut record = |k: usize, v: &mut Vec<String>| {
            if matches!(toks[k], ";" | "begin" | "end" | "else") {
                in_rhs = false;
            }
            if !in_rhs && toks[k] == "<" && toks.get(k + 1) == Some(&"=") {
                in_rhs = true;
                // Walk back over a select `name[...][...]` to the name.
                let mut b = k - 1;
                let mut brackets = 0;
                while toks[b] == "]" || brackets > 0 {
                    match toks[b] {
                        "]" => brackets += 1,
                        "[" => brackets -= 1,
                        _ => {}
                    }
                    b -= 1;
                }
                v.push(toks[b].to_string());
            }
        };
        let mut k = j;
        if toks[j] == "begin" {
            let mut depth = 0;
            loop {
                match toks[k] {
                    "begin" => depth += 1,
                    "end" => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                record(k, &mut v);
                k += 1;
            }
        } else {
            while toks[k] != ";" {
                record(k, &mut v);
                k += 1;
            }
        }
        i = k + 1;
    }
    v
}

#[test]
fn every_sv_file_is_a_library_module() {
    let mut files = Vec::new();
    sv_files(&root().join("components"), &mut files);
    assert!(files.len() >= MODULES.len(), "found {} files", files.len());
    for f in &files {
        let stem = f.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(f).unwrap();
        let entry = MODULES.iter().find(|(m, _)| *m == stem);
        let rel = f.strip_prefix(root()).unwrap().display().to_string();
        let Some((_, src)) = entry else {
            panic!("{rel}: module {stem} is not in generator/src/library.rs");
        };
        assert_eq!(
            *src, text,
            "{rel}: library.rs includes a different file for {stem}"
        );
        assert!(
            text.contains(&format!("\nmodule {stem} ")),
            "{rel}: file name is not the module name"
        );
    }
    assert_eq!(
        files.len(),
        MODULES.len(),
        "library.rs lists a module with no file"
    );
}

#[test]
fn library_files_follow_the_written_conventions() {
    for (module, text) in MODULES {
        let c = code(text);
        assert!(
            text.starts_with("`default_nettype none\n"),
            "{module}: does not start with `default_nettype none"
        );
        assert!(
            text.ends_with("`resetall\n"),
            "{module}: does not end with `resetall"
        );
        assert!(
            !text.contains("lint_off"),
            "{module}: lint pragma in the body"
        );
        for (n, line) in c.lines().enumerate() {
            let at = format!("{module}.sv line {}", n + 1);
            let t = line.trim();
            // One named connection per line; no implicit `.name` or `.*` connections.
            let conns = t.matches('.').filter(|_| t.starts_with('.')).count();
            assert!(conns <= 1, "{at}: more than one connection on a line: {t}");
            if let Some(conn) = t.strip_prefix('.') {
                let name: String = conn.chars().take_while(|&c| is_ident(c)).collect();
                let rest = conn[name.len()..].trim_start();
                assert!(
                    !name.is_empty() && rest.starts_with('('),
                    "{at}: connection is not `.name (signal)`: {t}"
                );
            }
            // The one reset form: synchronous, active high.
            for bad in ["posedge rst", "negedge", "rst_n", "always_latch"] {
                assert!(
                    !t.contains(bad),
                    "{at}: `{bad}` (use the synchronous rst form)"
                );
            }
        }
        let toks = tokens(&c);
        let ports = ports(&toks);
        for r in registers(&toks) {
            assert!(
                r.ends_with("_q") || NOT_Q.contains(&r.as_str()) || ports.contains(&r),
                "{module}: register `{r}` does not end in _q (docs/components.md)"
            );
        }
        // Reset is tested as `if (rst)`; `!rst` appears only in assertion blocks.
        if c.contains("!rst") {
            assert!(
                c.contains("`ifndef SYNTHESIS") && c.contains("assert"),
                "{module}: `!rst` outside an assertion block"
            );
        }
    }
}

#[test]
fn the_register_scan_sees_registers() {
    // The checker itself: a register without _q is found, ports and memories are not.
    let sv = "module m (input logic clk, output logic y);\n\
              logic a; logic b_q; logic mem [4];\n\
              always_ff @(posedge clk) begin\n if (1) begin a <= 1'b0; b_q[0] <= a; end\n\
              mem[2] <= a; y <= (a <= b_q);\n end\n\
              always_ff @(posedge clk) c <= a;\nendmodule\n";
    let text = code(sv);
    let toks = tokens(&text);
    assert_eq!(registers(&toks), ["a", "b_q", "mem", "y", "c"]);
    assert_eq!(ports(&toks), ["clk", "y"]);
}
