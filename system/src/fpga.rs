//! Per-device Vivado projects of a split system (`DIR/fpga/`): for device `i`,
//! `dev<i>/top.sv` (its partition and link ends), `dev<i>/mh_board_top.sv` (the device
//! top with one Aurora 64B/66B core per link and the XPM clock-domain crossings, see
//! [`crate::fpga_board`]), `dev<i>/constraints.xdc` (kernel and init clocks, reset,
//! the QSFP28 cages' reference clock, serial and control pins), `dev<i>/build.tcl`
//! (create the project, read sources and `.mem` files, create one Aurora core per link
//! from the IP catalog placed on its cage, synthesize, place, route, report utilization,
//! timing and power, optionally write the bitstream); `lib/` (the library modules the
//! devices use), a `Makefile` building every device in parallel, and `partition.json`
//! (the partition and link parameters `sim system` splits the design by). Rendered from
//! the templates in `constraints/` (compiled in) by plain `{{name}}` substitution.
//!
//! Not generated: the host interface of the first and last device (their
//! `data_in`/`data_out` stay ports of the board top, synthesized out of context for a
//! shell to instantiate), kernel clock and reset pins, and any energy figure
//! (`report_power` in the build is the source for one).

use generator::Instance;
use generator::emit::FileSet;

use crate::SystemError;
use crate::board::Board;
use crate::fpga_board::{self, BOARD_TOP, INIT_CLK_MHZ, LinkEnd};
use crate::plan::Partition;
use crate::split::{LinkParams, MultiInstance};

const DEVICE_XDC: &str = include_str!("../../constraints/device.xdc.tmpl");
const LINK_XDC: &str = include_str!("../../constraints/link.xdc.tmpl");
const BUILD_TCL: &str = include_str!("../../constraints/build.tcl.tmpl");
const AURORA_TCL: &str = include_str!("../../constraints/aurora.tcl.tmpl");
const MAKEFILE: &str = include_str!("../../constraints/Makefile.tmpl");
/// Stand-in Vivado commands for `mase-hw vivado-check`.
pub const VIVADO_STUB: &str = include_str!("../../constraints/vivado_stub.tcl");

/// Aurora 64B/66B line rate of one GTY lane (Gb/s).
const LINE_RATE: f64 = 25.78125;
/// User data width of a one-lane Aurora 64B/66B core (bits).
const AURORA_WIDTH: usize = 64;

/// `template` with every `{{key}}` replaced.
pub fn render_template(template: &str, vars: &[(&str, String)]) -> String {
    let mut s = template.to_string();
    for (k, v) in vars {
        s = s.replace(&format!("{{{{{k}}}}}"), v);
    }
    s
}

/// Whether device `dev`'s multipliers and ROM bits (the generator's counts, not a
/// placed result) fit one SLR's share of the board's usable DSPs and on-chip memory.
/// No pblock is emitted either way: Vivado places across SLRs freely.
pub fn slr_note(dev: &crate::SystemInstance, board: &Board) -> String {
    let r = dev.resources();
    let mult = r.get("multipliers").copied().unwrap_or(0);
    let rom: u64 = r
        .iter()
        .filter(|(k, _)| k.ends_with("rom_bits"))
        .map(|(_, v)| v)
        .sum();
    let slrs = u64::from(board.slr.max(1));
    let dsp = board.usable_of(board.dsp) / slrs;
    let mem = board.usable_of(board.memory_bits()) / slrs;
    let fits = mult <= dsp && rom <= mem;
    format!(
        "SLRs: {} on {}. This device: {mult} multipliers, {rom} ROM bits; one SLR's usable share: \
         {dsp} DSPs, {mem} memory bits: {}. No pblocks are emitted.",
        board.slr,
        board.name,
        if fits { "fits one SLR" } else { "spans SLRs" }
    )
}

/// `partition.json`: what `sim system` splits the directory's netlist by.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct PartitionFile {
    pub partition: Partition,
    pub link: LinkParams,
}

/// Every file under `fpga/` for `multi` on `board` (paths relative to the system
/// directory).
///
/// # Errors
/// A board whose QSFP28 cages are not in the catalog, or with fewer cages than a
/// device has links.
pub fn render(
    multi: &MultiInstance,
    partition: &Partition,
    board: &Board,
) -> Result<FileSet, SystemError> {
    let n = multi.devices.len();
    let links_per_device = if n > 2 { 2 } else { 1 };
    let refuse = |rule: String| SystemError::Board {
        board: board.name.clone(),
        rule,
    };
    if n > 1 {
        if board.qsfp.len() < links_per_device {
            return Err(refuse(if board.qsfp.is_empty() {
                "no QSFP28 cage pins in the catalog (not sourced from a public document yet): multi-device generation needs them".into()
            } else {
                format!(
                    "{} QSFP28 cage(s), a middle device needs {links_per_device}",
                    board.qsfp.len()
                )
            }));
        }
        for q in &board.qsfp[..links_per_device] {
            q.placement().map_err(|field| {
                refuse(format!(
                    "cage {}: `{field}` is not in the catalog (no public document gives it reliably): multi-device generation needs the transceiver placement",
                    q.name
                ))
            })?;
        }
        if multi.link.word_width != AURORA_WIDTH {
            return Err(refuse(format!(
                "link word width {} bits: the one-lane Aurora 64B/66B core carries {AURORA_WIDTH}",
                multi.link.word_width
            )));
        }
    }
    let mut files = FileSet::new();
    let mut lib: Vec<&'static str> = Vec::new();
    let fmt = |x: f64| format!("{x}");
    for d in 0..n {
        let dev = format!("dev{d}");
        let modules = multi.generated("");
        let text: String = modules[2 * d..2 * d + 2]
            .iter()
            .map(|m| m.print())
            .collect::<Vec<_>>()
            .join("\n");
        files.insert(format!("fpga/{dev}/top.sv"), text);
        let library = multi.device_library(d);
        for m in &library {
            if !lib.contains(m) {
                lib.push(m);
            }
        }
        // Links of this device: downstream on cage 0, upstream on cage 1 (or 0).
        let mut links: Vec<(String, usize)> = Vec::new();
        if d + 1 < n {
            links.push((format!("link{d}_tx"), 0));
        }
        if d > 0 {
            links.push((format!("link{}_rx", d - 1), if d + 1 < n { 1 } else { 0 }));
        }
        let mut xdc_links = String::new();
        let mut ips = String::new();
        let mut ends: Vec<LinkEnd> = Vec::new();
        for (link, cage) in &links {
            let q = &board.qsfp[*cage];
            let place = q.placement().map_err(|field| {
                refuse(format!("cage {}: `{field}` is not in the catalog", q.name))
            })?;
            let ctrl: String = q
                .ctrl
                .iter()
                .map(|c| {
                    let port = format!("{link}_{}", c.port);
                    format!(
                        "set_property PACKAGE_PIN {} [get_ports -quiet {port}]\n\
                         set_property IOSTANDARD {} [get_ports -quiet {port}]\n\
                         set_false_path -to [get_ports -quiet {port}]\n",
                        c.pin, c.iostandard
                    )
                })
                .collect();
            xdc_links.push_str(&render_template(
                LINK_XDC,
                &[
                    ("link", link.clone()),
                    ("cage", q.name.clone()),
                    ("gt_quad", q.gt_quad.clone()),
                    ("gt_channel", q.gt_channel.clone()),
                    ("gt_site", place.gt_site.clone()),
                    ("gt_quad_site", place.gt_quad_site.clone()),
                    ("refclk_index", place.refclk_index.to_string()),
                    ("refclk_mhz", fmt(q.refclk_mhz)),
                    ("refclk_p", q.refclk_p.clone()),
                    ("refclk_n", q.refclk_n.clone()),
                    ("refclk_period_ns", format!("{:.3}", 1000.0 / q.refclk_mhz)),
                    ("rx_p", place.rx_p.clone()),
                    ("rx_n", place.rx_n.clone()),
                    ("tx_p", place.tx_p.clone()),
                    ("tx_n", place.tx_n.clone()),
                    ("ctrl", ctrl),
                ],
            ));
            ips.push_str(&render_template(
                AURORA_TCL,
                &[
                    ("link", link.clone()),
                    ("line_rate", fmt(LINE_RATE)),
                    ("refclk_mhz", fmt(q.refclk_mhz)),
                    ("init_clk_mhz", fmt(INIT_CLK_MHZ)),
                    ("gt_site", place.gt_site.clone()),
                    ("gt_quad_site", place.gt_quad_site.clone()),
                    ("refclk_index", place.refclk_index.to_string()),
                ],
            ));
            ends.push(LinkEnd {
                name: link.clone(),
                downstream: link.ends_with("_tx"),
                cage: q,
                place,
            });
        }
        files.insert(
            format!("fpga/{dev}/{BOARD_TOP}.sv"),
            fpga_board::render(
                &multi.device_module(d),
                &ends,
                multi.link.word_width as u32,
                // Every stream of a multiplexed cut has its own credits in flight.
                multi.link.credits
                    * [d.checked_sub(1), Some(d)]
                        .into_iter()
                        .flatten()
                        .filter_map(|c| multi.cuts.get(c))
                        .map(|c| c.streams.len() as u64)
                        .max()
                        .unwrap_or(1),
            ),
        );
        let init_clk = if ends.is_empty() {
            String::new()
        } else {
            format!(
                "# Aurora init clock: free running, {} MHz.\ncreate_clock -period {:.3} -name init_clk [get_ports init_clk]\n",
                fmt(INIT_CLK_MHZ),
                1000.0 / INIT_CLK_MHZ
            )
        };
        if links.is_empty() {
            xdc_links.push_str("# (single device: no links)\n");
        }
        let slr = slr_note(&multi.devices[d], board);
        files.insert(
            format!("fpga/{dev}/constraints.xdc"),
            render_template(
                DEVICE_XDC,
                &[
                    ("device", dev.clone()),
                    ("board", board.name.clone()),
                    ("part", board.part.clone()),
                    ("source", board.source.clone()),
                    ("clock_mhz", fmt(board.clock_mhz)),
                    ("period_ns", format!("{:.3}", 1000.0 / board.clock_mhz)),
                    ("init_clk", init_clk),
                    ("slr", slr),
                    ("links", xdc_links),
                ],
            ),
        );
        let sources: String = library
            .iter()
            .map(|m| format!("read_verilog -sv ../lib/{m}.sv\n"))
            .chain(std::iter::once("read_verilog -sv top.sv\n".to_string()))
            .chain(std::iter::once(format!(
                "read_verilog -sv {BOARD_TOP}.sv\n"
            )))
            .collect();
        let mut mems: String = multi.devices[d]
            .memories()
            .iter()
            .map(|m| format!("read_mem ../../mem/{}\n", m.file))
            .collect();
        if mems.is_empty() {
            mems.push_str("# (no ROMs)\n");
        }
        files.insert(
            format!("fpga/{dev}/build.tcl"),
            render_template(
                BUILD_TCL,
                &[
                    ("device", dev.clone()),
                    ("part", board.part.clone()),
                    ("board_part", board.board_part.clone()),
                    ("sources", sources),
                    ("mems", mems),
                    ("ips", ips),
                    ("top", BOARD_TOP.to_string()),
                ],
            ),
        );
    }
    for m in lib {
        files.insert(
            format!("fpga/lib/{m}.sv"),
            generator::library::source(m).to_string(),
        );
    }
    let devices: Vec<String> = (0..n).map(|d| format!("dev{d}")).collect();
    files.insert(
        "fpga/Makefile".into(),
        render_template(MAKEFILE, &[("devices", devices.join(" "))]),
    );
    let pf = PartitionFile {
        partition: partition.clone(),
        link: multi.link,
    };
    files.insert(
        "fpga/partition.json".into(),
        serde_json::to_string_pretty(&pf).unwrap_or_default() + "\n",
    );
    Ok(files)
}

/// Runs every `fpga/dev*/build.tcl` of `dir` under `tclsh` (with the bitstream
/// step), after [`VIVADO_STUB`]; returns each script's summary line.
///
/// # Errors
/// No `fpga/` projects, `tclsh` missing, or a script the stand-ins reject (the
/// message names the device and the command).
pub fn vivado_check(dir: &std::path::Path) -> Result<Vec<String>, SystemError> {
    let bad = |what: String| SystemError::Dir {
        dir: dir.display().to_string(),
        what,
    };
    let fpga = dir.join("fpga");
    let mut devs: Vec<std::path::PathBuf> = std::fs::read_dir(&fpga)
        .map_err(|e| bad(format!("fpga/: {e} (generate with --devices)")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("build.tcl").is_file())
        .collect();
    devs.sort();
    if devs.is_empty() {
        return Err(bad("fpga/: no device project (dev*/build.tcl)".into()));
    }
    let mut out = Vec::new();
    for d in devs {
        let name = d
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let script = format!(
            "{VIVADO_STUB}\nset argv {{bitstream}}\nset argc 1\nsource build.tcl\nstub::done\n"
        );
        let run = std::process::Command::new("tclsh")
            .current_dir(&d)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                if let Some(mut stdin) = child.stdin.take() {
                    stdin.write_all(script.as_bytes())?;
                }
                child.wait_with_output()
            })
            .map_err(|e| bad(format!("tclsh: {e} (install Debian package `tcl`)")))?;
        let stdout = String::from_utf8_lossy(&run.stdout).trim().to_string();
        let stderr = String::from_utf8_lossy(&run.stderr).trim().to_string();
        if !run.status.success() || !stdout.starts_with("ok ") {
            let why = if stderr.is_empty() { stdout } else { stderr };
            return Err(bad(format!("fpga/{name}/build.tcl: {why}")));
        }
        out.push(format!("fpga/{name}: {stdout}"));
    }
    Ok(out)
}
