//! A small typed IR for the SystemVerilog the generator writes (a top module with flat
//! ports, wires, continuous assignments and module instances) and its printer. The
//! printer is dumb and deterministic: it prints the IR in the order given, with no
//! timestamps and no paths other than those placed in parameter values.
//!
//! This is not a SystemVerilog parser or a general AST: hand-written components live as
//! plain `.sv` files in `components/` and are copied verbatim.

use std::fmt::Write;

/// Port direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    Input,
    Output,
}

/// A parameter value as written in an instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SvValue {
    Int(i64),
    Str(String),
    /// A sized hex literal `<width>'h<hex>`, e.g. a lookup table packed entry 0 first
    /// (in the least significant bits).
    Bits {
        width: u32,
        hex: String,
    },
}

impl SvValue {
    /// A table of raw codes of `format` packed into one literal, entry 0 in the least
    /// significant bits (the layout of a `logic [N-1:0][W-1:0]` parameter).
    pub fn table(entries: &[i128], format: golden::Format) -> SvValue {
        let width = format.width() * entries.len().max(1) as u32;
        SvValue::Bits {
            width,
            hex: crate::bits::hex(&crate::bits::pack(entries, format), width),
        }
    }

    fn print(&self) -> String {
        match self {
            SvValue::Int(v) => v.to_string(),
            SvValue::Bits { width, hex } => format!("{width}'h{hex}"),
            SvValue::Str(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
        }
    }
}

/// A port of a generated module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SvPort {
    pub name: String,
    pub dir: Dir,
    pub width: u32,
}

/// An instance of a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SvInstance {
    pub module: String,
    pub name: String,
    pub params: Vec<(String, SvValue)>,
    /// (port, expression); every port of the instantiated module appears once.
    pub conns: Vec<(String, String)>,
}

/// A generated module: ports, local wires, assignments and instances.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SvModule {
    pub name: String,
    pub doc: Vec<String>,
    pub ports: Vec<SvPort>,
    pub wires: Vec<SvWire>,
    /// (lhs, rhs) continuous assignments.
    pub assigns: Vec<(String, String)>,
    pub instances: Vec<SvInstance>,
}

/// A local `logic` wire with its packed dimensions, outermost first: `[3:0][7:0] w` is
/// `dims: [4, 8]`; no dimensions is a single bit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SvWire {
    pub name: String,
    pub dims: Vec<u32>,
}

impl SvWire {
    /// A vector of `width` bits (a single bit, undimensioned, for `width <= 1`).
    pub fn bits(name: impl Into<String>, width: u32) -> Self {
        SvWire {
            name: name.into(),
            dims: if width <= 1 { Vec::new() } else { vec![width] },
        }
    }

    /// Explicit packed dimensions, each printed even when 1 (`[0:0]`).
    pub fn packed(name: impl Into<String>, dims: &[u32]) -> Self {
        SvWire {
            name: name.into(),
            dims: dims.to_vec(),
        }
    }

    fn print_dims(&self) -> String {
        self.dims
            .iter()
            .map(|d| format!("[{}:0]", d - 1))
            .collect::<String>()
            + if self.dims.is_empty() { "" } else { " " }
    }
}

/// `[w-1:0] ` or empty for a single bit.
pub fn range(width: u32) -> String {
    if width <= 1 {
        String::new()
    } else {
        format!("[{}:0] ", width - 1)
    }
}

impl SvModule {
    /// Prints the module as SystemVerilog text.
    pub fn print(&self) -> String {
        let mut s = String::new();
        s.push_str("`default_nettype none\n\n");
        for line in &self.doc {
            let _ = writeln!(s, "// {}", crate::names::comment(line));
        }
        let _ = writeln!(s, "module {} (", self.name);
        let n = self.ports.len();
        for (i, p) in self.ports.iter().enumerate() {
            let dir = match p.dir {
                Dir::Input => "input ",
                Dir::Output => "output",
            };
            let sep = if i + 1 == n { "" } else { "," };
            let _ = writeln!(s, "    {dir} logic {}{}{sep}", range(p.width), p.name);
        }
        s.push_str(");\n");
        if !self.wires.is_empty() {
            s.push('\n');
        }
        for w in &self.wires {
            let _ = writeln!(s, "    logic {}{};", w.print_dims(), w.name);
        }
        if !self.assigns.is_empty() {
            s.push('\n');
        }
        for (l, r) in &self.assigns {
            let _ = writeln!(s, "    assign {l} = {r};");
        }
        for inst in &self.instances {
            s.push('\n');
            if inst.params.is_empty() {
                let _ = writeln!(s, "    {} {} (", inst.module, inst.name);
            } else {
                let _ = writeln!(s, "    {} #(", inst.module);
                let np = inst.params.len();
                for (i, (k, v)) in inst.params.iter().enumerate() {
                    let sep = if i + 1 == np { "" } else { "," };
                    let _ = writeln!(s, "        .{k}({}){sep}", v.print());
                }
                let _ = writeln!(s, "    ) {} (", inst.name);
            }
            let nc = inst.conns.len();
            for (i, (p, e)) in inst.conns.iter().enumerate() {
                let sep = if i + 1 == nc { "" } else { "," };
                let _ = writeln!(s, "        .{p}({e}){sep}");
            }
            s.push_str("    );\n");
        }
        s.push_str("\nendmodule\n\n`resetall\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_deterministic_module() {
        let m = SvModule {
            name: "top".into(),
            doc: vec!["a wrapper".into()],
            ports: vec![
                SvPort {
                    name: "clk".into(),
                    dir: Dir::Input,
                    width: 1,
                },
                SvPort {
                    name: "y".into(),
                    dir: Dir::Output,
                    width: 8,
                },
            ],
            wires: vec![SvWire::packed("w", &[2, 4])],
            assigns: vec![("y".into(), "w".into())],
            instances: vec![SvInstance {
                module: "mh_x".into(),
                name: "u_x".into(),
                params: vec![
                    ("A".into(), SvValue::Int(3)),
                    ("F".into(), SvValue::Str("a.mem".into())),
                ],
                conns: vec![("clk".into(), "clk".into()), ("q".into(), "w".into())],
            }],
        };
        let text = m.print();
        assert_eq!(
            text,
            "`default_nettype none\n\n// a wrapper\nmodule top (\n    input  logic clk,\n    output logic [7:0] y\n);\n\n    logic [1:0][3:0] w;\n\n    assign y = w;\n\n    mh_x #(\n        .A(3),\n        .F(\"a.mem\")\n    ) u_x (\n        .clk(clk),\n        .q(w)\n    );\n\nendmodule\n\n`resetall\n"
        );
    }
}
