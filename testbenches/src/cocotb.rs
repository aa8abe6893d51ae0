//! A self-contained cocotb testbench for a component or a generated system
//! (`mase-hw emit-cocotb`): the RTL under `rtl/` with a wrapper top `mh_cocotb_top`
//! whose ports are flat vectors (cocotb reads 2-D packed ports differently on each
//! simulator; flat ones the same everywhere), the ROM files, `vectors.json` with the
//! golden input and output beats, `test_<name>.py` (drivers, monitors, stall
//! generators, per-beat comparison; the same rules as [`crate::cosim::Dut::run`]) and
//! `test_runner.py` (`cocotb_tools.runner`, for `pytest`). Nothing in it refers to
//! mase-hw or to where it was generated.

use std::fmt::Write as _;

use generator::bits;
use generator::component::Instance;
use generator::emit::FileSet;
use generator::sv::Dir;
use generator::tensor::TensorMap;
use sim::PortDir;

use crate::cosim;

const TEST: &str = include_str!("cocotb/test_dut.py");
const RUNNER: &str = include_str!("cocotb/test_runner.py");

/// The wrapper top cocotb drives.
pub const TOP: &str = "mh_cocotb_top";

/// The files of the testbench for `inst` on `inputs` (with `expected` = its golden
/// outputs); `name` names the Python test module (`test_<name>.py`).
///
/// # Errors
/// A tensor that does not fit the instance, or a port that belongs to no stream.
pub fn render(
    inst: &dyn Instance,
    name: &str,
    inputs: &TensorMap,
    expected: &TensorMap,
) -> Result<FileSet, String> {
    let mut all = inputs.clone();
    all.extend(expected.iter().map(|(k, v)| (k.clone(), v.clone())));
    let (sources, order) = generator::emit::sources(inst, "mh_dut", "");
    let mut files = FileSet::new();
    let mut list = Vec::new();
    for f in order.iter().filter(|f| f.ends_with(".sv")) {
        files.insert(format!("rtl/{f}"), sources[f].clone());
        list.push(f.clone());
    }
    files.insert(format!("rtl/{TOP}.sv"), wrapper(inst)?);
    list.push(format!("{TOP}.sv"));
    files.extend(generator::emit::memory_files(inst, Some(&all)).map_err(|e| e.to_string())?);

    let mut streams = Vec::new();
    for s in inst.streams() {
        let beats = inst.stream_beats(&s, &all).map_err(|e| e.to_string())?;
        let width = s.lane_width * s.lanes as u32;
        let hex: Vec<serde_json::Value> = beats
            .iter()
            .map(|b| serde_json::Value::String(bits::hex(&bits::pack(b, s.format()), width)))
            .collect();
        streams.push(serde_json::json!({
            "name": s.name,
            "direction": if s.direction == Dir::Input { "input" } else { "output" },
            "tensor": s.tensor,
            "lanes": s.lanes,
            "lane_width": s.lane_width,
            "frac_width": s.frac_width,
            "signed": s.signed,
            "beats": hex,
        }));
    }
    let timing = inst.timing();
    let vectors = serde_json::json!({
        "top": TOP,
        "component": inst.component().name(),
        "params": inst.params().display(inst.component().params()),
        "latency": timing.latency,
        "initiation_interval": timing.initiation_interval.max(1),
        "streams": streams,
    });
    files.insert(
        "vectors.json".into(),
        serde_json::to_string_pretty(&vectors).unwrap_or_default() + "\n",
    );
    let srcs: Vec<String> = list.iter().map(|f| format!("\"{f}\"")).collect();
    let fill = |t: &str| {
        t.replace("{{TOP}}", TOP)
            .replace("{{NAME}}", name)
            .replace("{{SOURCES}}", &srcs.join(", "))
    };
    files.insert(format!("test_{name}.py"), fill(TEST));
    files.insert("test_runner.py".into(), fill(RUNNER));
    Ok(files)
}

/// `mh_cocotb_top`: the instance's top `mh_dut` behind flat vector ports.
fn wrapper(inst: &dyn Instance) -> Result<String, String> {
    let ports = cosim::ports_of(inst);
    let mut t = String::new();
    let _ = writeln!(
        t,
        "// Flat-port wrapper of mh_dut for cocotb.\n`default_nettype none"
    );
    let decls: Vec<String> = ports
        .iter()
        .map(|p| {
            let dir = if p.dir == PortDir::Input {
                "input "
            } else {
                "output"
            };
            let range = if p.width > 1 {
                format!(" [{}:0]", p.width - 1)
            } else {
                String::new()
            };
            format!("    {dir} wire{range} {}", p.name)
        })
        .collect();
    let _ = writeln!(t, "module {TOP} (\n{}\n);", decls.join(",\n"));
    let conns: Vec<String> = ports
        .iter()
        .map(|p| format!("        .{0}({0})", p.name))
        .collect();
    let _ = writeln!(
        t,
        "    mh_dut dut (\n{}\n    );\nendmodule\n`resetall",
        conns.join(",\n")
    );
    Ok(t)
}
