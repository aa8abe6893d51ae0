//! `netlist.json`: the netlist of a generated directory in a form that rebuilds it
//! without the model, the config or the float weights — every instance by component
//! name and parameters, every edge, and every ROM by the `.mem` file that holds it.
//! `mase-hw sim system DIR` reads it back ([`load`]), re-reads the ROM contents from
//! `mem/` (so the files in the directory are what is simulated) and checks that the
//! top it would emit is byte-identical to the one in `rtl/`, so an edited or stale
//! directory is reported instead of silently simulating something else.

use std::collections::BTreeMap;
use std::path::Path;

use golden::Format;
use serde::{Deserialize, Serialize};

use generator::component::MemDef;
use generator::tensor::Dim;
use generator::{Tensor, TensorMap};

use crate::error::SystemError;
use crate::netlist::{Edge, Endpoint, NetNode, Netlist};
use crate::top::SystemInstance;

/// Version of the `netlist.json` layout.
pub const NETLIST_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetlistFile {
    version: u32,
    model: String,
    top: String,
    input: String,
    input_shape: Vec<usize>,
    output: String,
    output_shape: Vec<usize>,
    nodes: Vec<NodeFile>,
    edges: Vec<EdgeFile>,
    fifos: Vec<(String, usize, String)>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeFile {
    instance: String,
    source: String,
    component: String,
    params: BTreeMap<String, i64>,
    /// Instance tensor → model parameter, for every ROM.
    roms: BTreeMap<String, String>,
    /// Inserted by the netlist builder (absent: a model node's instance).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    inserted: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EdgeFile {
    /// `"data_in"` (the top input) or an instance name.
    from: String,
    from_stream: String,
    /// `"data_out"` (the top output) or an instance name.
    to: String,
    to_stream: String,
    lanes: usize,
    format: String,
    row: usize,
    elements: usize,
}

/// `netlist.json` of `sys` with top module `top`.
pub fn to_json(sys: &SystemInstance, top: &str) -> String {
    let net = &sys.net;
    let name = |e: Endpoint, top_name: &str| match e {
        Endpoint::Node(i) => net.nodes[i].name.clone(),
        _ => top_name.to_string(),
    };
    let file = NetlistFile {
        version: NETLIST_VERSION,
        model: net.name.clone(),
        top: top.to_string(),
        input: net.input_name.clone(),
        input_shape: net.input_shape.clone(),
        output: net.output_name.clone(),
        output_shape: net.output_shape.clone(),
        nodes: net
            .nodes
            .iter()
            .map(|n| {
                let c = n.inst.component();
                NodeFile {
                    instance: n.name.clone(),
                    source: n.source.clone(),
                    component: c.name().to_string(),
                    params: c
                        .params()
                        .iter()
                        .map(|s| (s.name.to_string(), n.inst.params().get(s.name)))
                        .collect(),
                    roms: n.rom_params.iter().cloned().collect(),
                    inserted: n.inserted,
                }
            })
            .collect(),
        edges: net
            .edges
            .iter()
            .map(|e| EdgeFile {
                from: name(e.from, "data_in"),
                from_stream: e.from_stream.clone(),
                to: name(e.to, "data_out"),
                to_stream: e.to_stream.clone(),
                lanes: e.lanes,
                format: e.format.to_string(),
                row: e.row,
                elements: e.elements,
            })
            .collect(),
        fifos: net.fifos.clone(),
    };
    serde_json::to_string_pretty(&file).unwrap_or_default() + "\n"
}

fn bad(dir: &Path, what: impl Into<String>) -> SystemError {
    SystemError::Dir {
        dir: dir.display().to_string(),
        what: what.into(),
    }
}

/// Rebuilds the system generated into `dir`; returns it and its top module name.
///
/// # Errors
/// A missing or malformed `netlist.json` or `.mem` file (naming the file, line or
/// field), parameters a component rejects, or a top that differs from `rtl/`.
pub fn load(dir: &Path) -> Result<(SystemInstance, String), SystemError> {
    let path = dir.join("netlist.json");
    let text = read_limited(&path, MAX_NETLIST_BYTES).map_err(|e| {
        bad(
            dir,
            format!("netlist.json: {e} (is this a directory written by `mase-hw gen`?)"),
        )
    })?;
    let f: NetlistFile =
        serde_json::from_str(&text).map_err(|e| bad(dir, format!("netlist.json: {e}")))?;
    if f.version != NETLIST_VERSION {
        return Err(bad(
            dir,
            format!(
                "netlist.json: version {} is not supported (this build reads {NETLIST_VERSION})",
                f.version
            ),
        ));
    }
    let mut nodes = Vec::with_capacity(f.nodes.len());
    let mut index = BTreeMap::new();
    for (i, n) in f.nodes.iter().enumerate() {
        let c = generator::components::find(&n.component)
            .map_err(|e| bad(dir, format!("netlist.json: node `{}`: {e}", n.instance)))?;
        let params: Vec<(&str, i64)> = n.params.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let inst = c
            .configure(&params)
            .map_err(|e| bad(dir, format!("netlist.json: node `{}`: {e}", n.instance)))?;
        let mut roms = TensorMap::new();
        for m in inst.memories() {
            let t = read_rom(dir, &n.instance, &*inst, &m)?;
            roms.insert(m.tensor.clone(), t);
        }
        index.insert(n.instance.clone(), i);
        nodes.push(NetNode {
            name: n.instance.clone(),
            source: n.source.clone(),
            inst,
            roms,
            rom_params: n.roms.clone().into_iter().collect(),
            inserted: n.inserted,
        });
    }
    let endpoint = |name: &str, top_name: &str, field: &str| {
        if name == top_name {
            Ok(if top_name == "data_in" {
                Endpoint::TopIn
            } else {
                Endpoint::TopOut
            })
        } else {
            index.get(name).map(|&i| Endpoint::Node(i)).ok_or_else(|| {
                bad(
                    dir,
                    format!("netlist.json: edge {field} `{name}` is no instance"),
                )
            })
        }
    };
    let mut edges = Vec::with_capacity(f.edges.len());
    for e in &f.edges {
        let format: Format = e.format.parse().map_err(|err| {
            bad(
                dir,
                format!("netlist.json: edge format `{}`: {err}", e.format),
            )
        })?;
        edges.push(Edge {
            from: endpoint(&e.from, "data_in", "from")?,
            from_stream: e.from_stream.clone(),
            to: endpoint(&e.to, "data_out", "to")?,
            to_stream: e.to_stream.clone(),
            lanes: e.lanes,
            format,
            row: e.row,
            elements: e.elements,
        });
    }
    for end in [Endpoint::TopIn, Endpoint::TopOut] {
        let n = edges
            .iter()
            .filter(|e| e.from == end || e.to == end)
            .count();
        if n != 1 {
            return Err(bad(
                dir,
                format!("netlist.json: {n} edges at the top's {end:?}, expected 1"),
            ));
        }
    }
    let net = Netlist {
        name: f.model,
        input_name: f.input,
        output_name: f.output,
        input_shape: f.input_shape,
        output_shape: f.output_shape,
        nodes,
        edges,
        fifos: f.fifos,
    };
    let sys = SystemInstance::new(net);
    let (sources, _) = generator::emit::sources(&sys, &f.top, "mem/");
    for (name, text) in sources {
        let p = dir.join("rtl").join(&name);
        // One byte more than expected is enough to see a difference.
        let on_disk = read_limited(&p, text.len() as u64 + 1)
            .or_else(|e| {
                if e.starts_with("larger") {
                    Ok(String::new())
                } else {
                    Err(e)
                }
            })
            .map_err(|e| bad(dir, format!("rtl/{name}: {e}")))?;
        if on_disk != text {
            return Err(bad(
                dir,
                format!(
                    "rtl/{name} differs from what netlist.json describes (edited, or written by another mase-hw version): regenerate with `mase-hw gen`"
                ),
            ));
        }
    }
    Ok((sys, f.top))
}

/// Largest `netlist.json` read.
const MAX_NETLIST_BYTES: u64 = 256 << 20;

/// The text of `path`, read up to `limit` bytes: a larger file (or `/dev/zero` behind a
/// symlink) is refused after reading `limit + 1` bytes, never read whole.
fn read_limited(path: &Path, limit: u64) -> Result<String, String> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    f.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    if buf.len() as u64 > limit {
        return Err(format!("larger than the {limit} bytes expected"));
    }
    String::from_utf8(buf).map_err(|_| "not UTF-8 text".to_string())
}

/// ROM `m` of instance `inst` (named `instance` in the top) read back from its `.mem`
/// file: each line one word, lanes unpacked, placed where the instance's word order
/// put each element (the order is recovered by running it on element indices).
fn read_rom(
    dir: &Path,
    instance: &str,
    inst: &dyn generator::Instance,
    m: &MemDef,
) -> Result<Tensor, SystemError> {
    let def = inst
        .tensors()
        .into_iter()
        .find(|d| d.name == m.tensor)
        .ok_or_else(|| bad(dir, format!("node `{instance}`: no tensor `{}`", m.tensor)))?;
    let shape: Vec<usize> = def
        .shape
        .iter()
        .map(|d| match d {
            Dim::Fixed(n) => *n,
            _ => 1,
        })
        .collect();
    let numel: usize = shape.iter().product();
    // Element i + 1 in place of element i (0 marks padding); wide enough for any index.
    let index_fmt = Format::signed(64, 0).map_err(|e| bad(dir, e.to_string()))?;
    let index = Tensor::new(shape.clone(), (1..=numel as i128).collect(), index_fmt);
    let order = inst
        .memory_words(m, &TensorMap::from([(m.tensor.clone(), index)]))
        .map_err(|e| bad(dir, format!("node `{instance}`: {e}")))?;
    let file = format!("mem/{instance}_{}", m.file);
    // A word per line: its hex digits and a line end (CRLF, a little slack).
    let per_line = u64::from(m.word_width.div_ceil(4)) + 8;
    let limit = (order.len() as u64)
        .saturating_mul(per_line)
        .saturating_add(4096);
    let text =
        read_limited(&dir.join(&file), limit).map_err(|e| bad(dir, format!("{file}: {e}")))?;
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() != order.len() {
        return Err(bad(
            dir,
            format!(
                "{file}: {} lines, the ROM has {} words",
                lines.len(),
                order.len()
            ),
        ));
    }
    let mut raw = vec![0i128; numel];
    let lanes = order.first().map_or(1, Vec::len);
    for (k, (line, idx)) in lines.iter().zip(&order).enumerate() {
        let words = parse_hex(line.trim())
            .ok_or_else(|| bad(dir, format!("{file}:{}: not a hexadecimal word", k + 1)))?;
        if words.len() < generator::bits::words_for(def.format.width() * lanes as u32) {
            return Err(bad(dir, format!("{file}:{}: word too short", k + 1)));
        }
        let values = generator::bits::unpack(&words, lanes, def.format);
        for (&i, v) in idx.iter().zip(values) {
            if i > 0 {
                raw[(i - 1) as usize] = v;
            }
        }
    }
    Ok(Tensor::new(shape, raw, def.format))
}

/// A hexadecimal word (most significant digit first) as 32-bit words, LSW first.
fn parse_hex(s: &str) -> Option<Vec<u32>> {
    if s.is_empty() {
        return None;
    }
    let digits: Vec<u32> = s
        .chars()
        .rev()
        .map(|c| c.to_digit(16))
        .collect::<Option<_>>()?;
    Some(
        digits
            .chunks(8)
            .map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0u32, |w, (k, d)| w | (d << (4 * k)))
            })
            .collect(),
    )
}
