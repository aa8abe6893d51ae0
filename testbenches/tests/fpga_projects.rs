//! The per-device Vivado projects of a split bert-tiny (`system::fpga`), dry-run under
//! `tclsh` with stand-in Vivado commands (`mase-hw vivado-check`): every script runs
//! to the bitstream with arguments and files the stand-ins accept on every board whose
//! QSFP28 placement is in the catalog, and the check catches a missing ROM file, a
//! misspelt option, board-top instances that do not match the Aurora/XPM port lists,
//! an Aurora lane outside its quad, and a board whose transceiver placement is not
//! sourced. The board top also passes `verilator --lint-only -Wall` against stub
//! Aurora/XPM modules written here from PG074/UG974 (independently of the stand-ins).

use std::path::{Path, PathBuf};

use model::quant::QuantConfig;
use model::weights::Weights;
use system::SystemInstance;
use system::split::LinkParams;

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn tclsh_or_skip() -> bool {
    let ok = std::process::Command::new("tclsh")
        .stdin(std::process::Stdio::null())
        .output()
        .is_ok();
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("tclsh not found (Debian package `tcl`; CI=true: fail instead of skipping)");
        }
        eprintln!("SKIPPED fpga_projects: tclsh not found");
    }
    ok
}

/// bert-tiny written as `gen --devices devices --board board` would: the system
/// directory plus `fpga/`.
fn generate(devices: usize, board: &str, tag: &str) -> Result<PathBuf, system::SystemError> {
    let g = model::json::from_json(&example("bert-tiny.json")).unwrap();
    let part = system::plan::split_by_count(&g, devices, board)?;
    generate_part(&g, part, board, tag)
}

/// bert-tiny cut into three devices inside residual blocks: after layer 0's FFN GELU
/// (main path + residual) and after layer 1's key heads (residual, value input, query
/// and key heads), so the middle device has a multiplexed link on both sides.
fn generate_multi_stream(tag: &str) -> Result<PathBuf, system::SystemError> {
    let g = model::json::from_json(&example("bert-tiny.json")).unwrap();
    let names: Vec<String> = g.nodes.iter().map(|n| n.name.clone()).collect();
    let at = |s: &str| names.iter().position(|n| n.ends_with(s)).unwrap() + 1;
    let (a, b) = (
        at("layer.0.intermediate.gelu"),
        at("layer.1.attention.self.key.heads"),
    );
    let dev = |r: std::ops::Range<usize>| system::plan::DevicePart {
        board: "u250".into(),
        nodes: names[r].to_vec(),
    };
    let part = system::plan::Partition {
        devices: vec![dev(0..a), dev(a..b), dev(b..names.len())],
    };
    generate_part(&g, part, "u250", tag)
}

fn generate_part(
    g: &model::graph::Graph,
    part: system::plan::Partition,
    board: &str,
    tag: &str,
) -> Result<PathBuf, system::SystemError> {
    let g = g.clone();
    let w = Weights::synthetic(&g, 3);
    let cfg = QuantConfig::from_toml(&example("bert-tiny-q.toml")).unwrap();
    let plan = system::map::resolve(&g, &cfg, &w, 0, 4).unwrap();
    let sys = SystemInstance::new(system::map_model(&g, &plan, &w).unwrap());
    let mut files = system::emit::render(&sys, "mh_bert_tiny").unwrap();
    let multi = system::split::split(
        system::map_model(&g, &plan, &w).unwrap(),
        &part,
        LinkParams::default(),
    )?;
    let b = system::board::find(board)?;
    files.extend(system::fpga::render(&multi, &part, &b)?);
    let dir = std::env::temp_dir().join(format!("mase-hw-fpga-{tag}-{}", std::process::id()));
    generator::emit::write_dir(&files, &dir).unwrap();
    Ok(dir)
}

#[test]
fn every_device_script_passes_the_vivado_dry_run() {
    if !tclsh_or_skip() {
        return;
    }
    for (board, devices) in [
        ("u250", 2),
        ("u250", 3),
        ("u280", 2),
        ("vcu118", 3),
        ("mux", 3),
    ] {
        let dir = if board == "mux" {
            generate_multi_stream("okmux").unwrap()
        } else {
            generate(devices, board, &format!("ok{board}{devices}")).unwrap()
        };
        let lines = system::fpga::vivado_check(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lines.len(), devices, "{lines:?}");
        // Every device reaches the bitstream; middle devices create two link cores.
        for (d, l) in lines.iter().enumerate() {
            println!("{l}");
            assert!(l.contains("stage bitstream"), "{l}");
            let cores = if d == 0 || d + 1 == devices { 1 } else { 2 };
            assert!(l.contains(&format!("{cores} IP cores")), "{l}");
            // Per link: the Aurora core, two clock-converter FIFOs and a reset
            // synchroniser; per device: the core and init clock reset synchronisers.
            let boxes = 4 * cores + 2;
            assert!(
                l.contains(&format!("{boxes} black-box instances checked")),
                "{l}"
            );
        }
        let make = std::fs::read_to_string(dir.join("fpga/Makefile")).unwrap();
        let list: Vec<String> = (0..devices).map(|d| format!("dev{d}")).collect();
        assert!(
            make.contains(&format!("DEVICES := {}", list.join(" "))),
            "{make}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn the_dry_run_catches_missing_files_and_bad_arguments() {
    if !tclsh_or_skip() {
        return;
    }
    let dir = generate(2, "u250", "bad").unwrap();
    // A ROM file the script reads is gone.
    let tcl = std::fs::read_to_string(dir.join("fpga/dev1/build.tcl")).unwrap();
    let mem = tcl
        .lines()
        .find_map(|l| l.strip_prefix("read_mem ../../"))
        .unwrap()
        .to_string();
    let saved = std::fs::read(dir.join(&mem)).unwrap();
    std::fs::remove_file(dir.join(&mem)).unwrap();
    let e = system::fpga::vivado_check(&dir).err().unwrap().to_string();
    assert!(
        e.contains("fpga/dev1/build.tcl") && e.contains("read_mem") && e.contains("does not exist"),
        "{e}"
    );
    std::fs::write(dir.join(&mem), saved).unwrap();
    // A misspelt option.
    std::fs::write(
        dir.join("fpga/dev1/build.tcl"),
        tcl.replace("-module_name", "-modul_name"),
    )
    .unwrap();
    let e = system::fpga::vivado_check(&dir).err().unwrap().to_string();
    assert!(e.contains("create_ip: unknown option -modul_name"), "{e}");
    // A top the sources do not define.
    std::fs::write(
        dir.join("fpga/dev1/build.tcl"),
        tcl.replace("-top mh_board_top", "-top mh_dev9"),
    )
    .unwrap();
    let e = system::fpga::vivado_check(&dir).err().unwrap().to_string();
    assert!(
        e.contains("synth_design: top mh_dev9 is not defined"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Device 1's `file` with the first `from` replaced by `to` fails the dry run with a
/// message containing `needle` (the file is restored afterwards).
fn rejects(dir: &Path, file: &str, from: &str, to: &str, needle: &str) {
    let path = dir.join("fpga/dev1").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    let e = system::fpga::vivado_check(dir).err().map(|e| e.to_string());
    std::fs::write(&path, text).unwrap();
    let e = e.unwrap_or_else(|| panic!("`{from}` -> `{to}` in {file} passed the dry run"));
    assert!(e.contains(needle), "expected {needle:?} in {e}");
}

#[test]
fn the_dry_run_checks_the_board_top_against_the_ip_port_lists() {
    if !tclsh_or_skip() {
        return;
    }
    let dir = generate(2, "u280", "ports").unwrap();
    assert!(system::fpga::vivado_check(&dir).is_ok());
    let top = "mh_board_top.sv";
    // A port the Aurora core does not have, and one of its ports left unconnected.
    rejects(
        &dir,
        top,
        ".s_axi_tx_tready(",
        ".s_axi_tx_ready(",
        "has no port s_axi_tx_ready",
    );
    rejects(
        &dir,
        top,
        "        .gt_pll_lock(link0_rx_gt_pll_lock),\n",
        "",
        "port gt_pll_lock of aurora_64b66b is not connected",
    );
    // A connection narrower than the port, and an XPM parameter out of range.
    rejects(
        &dir,
        top,
        "wire [63:0] link0_rx_rx_tdata;",
        "wire [31:0] link0_rx_rx_tdata;",
        "is 64 bits in xpm_fifo_axis, `link0_rx_rx_tdata` is 32",
    );
    rejects(&dir, top, ".FIFO_DEPTH(", ".FIFO_DEPTH(1", "FIFO_DEPTH");
    rejects(
        &dir,
        top,
        ".DEST_SYNC_FF(4)",
        ".DEST_SYNC_FOO(4)",
        "has no parameter DEST_SYNC_FOO",
    );
    // The core placed on a lane outside its quad; an Aurora setting the port list
    // does not describe.
    rejects(
        &dir,
        "build.tcl",
        "CONFIG.C_START_LANE {X0Y40}",
        "CONFIG.C_START_LANE {X0Y44}",
        "is not in quad",
    );
    rejects(
        &dir,
        "build.tcl",
        "CONFIG.drp_mode {Disabled}",
        "CONFIG.drp_mode {Native}",
        "drp_mode must be Disabled",
    );
    // Constraints on a port the board top does not have.
    rejects(
        &dir,
        "constraints.xdc",
        "link0_rx_rxp]",
        "link0_rx_rx_p]",
        "port link0_rx_rx_p",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Port lists of the black boxes, from PG074 (Aurora 64B/66B v12, streaming duplex
/// UltraScale+ core, shared logic in the core, DRP disabled, single-ended init clock,
/// one lane) and UG974 (xpm_fifo_axis, xpm_cdc_async_rst): (port, is output, width).
const AURORA: &[(&str, bool, &str)] = &[
    ("s_axi_tx_tdata", false, "64"),
    ("s_axi_tx_tvalid", false, "1"),
    ("s_axi_tx_tready", true, "1"),
    ("m_axi_rx_tdata", true, "64"),
    ("m_axi_rx_tvalid", true, "1"),
    ("rxp", false, "1"),
    ("rxn", false, "1"),
    ("txp", true, "1"),
    ("txn", true, "1"),
    ("gt_refclk1_p", false, "1"),
    ("gt_refclk1_n", false, "1"),
    ("gt_refclk1_out", true, "1"),
    ("hard_err", true, "1"),
    ("soft_err", true, "1"),
    ("channel_up", true, "1"),
    ("lane_up", true, "1"),
    ("user_clk_out", true, "1"),
    ("mmcm_not_locked_out", true, "1"),
    ("sync_clk_out", true, "1"),
    ("reset_pb", false, "1"),
    ("gt_rxcdrovrden_in", false, "1"),
    ("power_down", false, "1"),
    ("loopback", false, "3"),
    ("pma_init", false, "1"),
    ("gt_pll_lock", true, "1"),
    ("init_clk", false, "1"),
    ("link_reset_out", true, "1"),
    ("gt_powergood", true, "1"),
    ("gt_qpllclk_quad1_out", true, "1"),
    ("gt_qpllrefclk_quad1_out", true, "1"),
    ("gt_qplllock_quad1_out", true, "1"),
    ("gt_qpllrefclklost_quad1_out", true, "1"),
    ("sys_reset_out", true, "1"),
    ("gt_reset_out", true, "1"),
    ("tx_out_clk", true, "1"),
];

const FIFO: &[(&str, bool, &str)] = &[
    ("s_aclk", false, "1"),
    ("m_aclk", false, "1"),
    ("s_aresetn", false, "1"),
    ("s_axis_tvalid", false, "1"),
    ("s_axis_tready", true, "1"),
    ("s_axis_tdata", false, "TDATA_WIDTH"),
    ("s_axis_tstrb", false, "TDATA_WIDTH/8"),
    ("s_axis_tkeep", false, "TDATA_WIDTH/8"),
    ("s_axis_tlast", false, "1"),
    ("s_axis_tid", false, "TID_WIDTH"),
    ("s_axis_tdest", false, "TDEST_WIDTH"),
    ("s_axis_tuser", false, "TUSER_WIDTH"),
    ("m_axis_tvalid", true, "1"),
    ("m_axis_tready", false, "1"),
    ("m_axis_tdata", true, "TDATA_WIDTH"),
    ("m_axis_tstrb", true, "TDATA_WIDTH/8"),
    ("m_axis_tkeep", true, "TDATA_WIDTH/8"),
    ("m_axis_tlast", true, "1"),
    ("m_axis_tid", true, "TID_WIDTH"),
    ("m_axis_tdest", true, "TDEST_WIDTH"),
    ("m_axis_tuser", true, "TUSER_WIDTH"),
    ("prog_full_axis", true, "1"),
    ("wr_data_count_axis", true, "WR_DATA_COUNT_WIDTH"),
    ("almost_full_axis", true, "1"),
    ("prog_empty_axis", true, "1"),
    ("rd_data_count_axis", true, "RD_DATA_COUNT_WIDTH"),
    ("almost_empty_axis", true, "1"),
    ("injectsbiterr_axis", false, "1"),
    ("injectdbiterr_axis", false, "1"),
    ("sbiterr_axis", true, "1"),
    ("dbiterr_axis", true, "1"),
];

const FIFO_PARAMS: &[(&str, &str)] = &[
    ("CDC_SYNC_STAGES", "2"),
    ("CLOCKING_MODE", "\"common_clock\""),
    ("ECC_MODE", "\"no_ecc\""),
    ("FIFO_DEPTH", "2048"),
    ("FIFO_MEMORY_TYPE", "\"auto\""),
    ("PACKET_FIFO", "\"false\""),
    ("PROG_EMPTY_THRESH", "10"),
    ("PROG_FULL_THRESH", "10"),
    ("RD_DATA_COUNT_WIDTH", "1"),
    ("RELATED_CLOCKS", "0"),
    ("SIM_ASSERT_CHK", "0"),
    ("TDATA_WIDTH", "32"),
    ("TDEST_WIDTH", "1"),
    ("TID_WIDTH", "1"),
    ("TUSER_WIDTH", "1"),
    ("USE_ADV_FEATURES", "\"1000\""),
    ("WR_DATA_COUNT_WIDTH", "1"),
];

const RST: &[(&str, bool, &str)] = &[
    ("src_arst", false, "1"),
    ("dest_clk", false, "1"),
    ("dest_arst", true, "1"),
];

const RST_PARAMS: &[(&str, &str)] = &[
    ("DEST_SYNC_FF", "4"),
    ("INIT_SYNC_FF", "0"),
    ("RST_ACTIVE_HIGH", "0"),
];

/// A stub module: the ports, outputs tied to zero (test-only; never shipped). The
/// Aurora core's default (big-endian) data ports are ascending, `[0:63]`.
fn stub(
    name: &str,
    params: &[(&str, &str)],
    ports: &[(&str, bool, &str)],
    descending: bool,
) -> String {
    let mut s = format!(
        "`default_nettype none\n/* verilator lint_off UNUSEDSIGNAL */\n/* verilator lint_off UNUSEDPARAM */\n\
         /* verilator lint_off ASCRANGE */\nmodule {name}"
    );
    if !params.is_empty() {
        let p: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("    parameter {k} = {v}"))
            .collect();
        s.push_str(&format!(" #(\n{}\n)", p.join(",\n")));
    }
    let decl: Vec<String> = ports
        .iter()
        .map(|(n, out, w)| {
            let range = match (*w, descending || !n.ends_with("tdata")) {
                ("1", _) => String::new(),
                (w, true) => format!("[({w})-1:0] "),
                (w, false) => format!("[0:({w})-1] "),
            };
            format!(
                "    {} wire {range}{n}",
                if *out { "output" } else { "input " }
            )
        })
        .collect();
    s.push_str(&format!(" (\n{}\n);\n", decl.join(",\n")));
    for (n, out, _) in ports {
        if *out {
            s.push_str(&format!("    assign {n} = '0;\n"));
        }
    }
    s.push_str("endmodule\n`resetall\n");
    s
}

#[test]
fn the_board_top_lints_clean_against_stub_ip_modules() {
    let Some(verilator) = sim::tools::find_tool("verilator") else {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
            "verilator missing under CI=true"
        );
        eprintln!("SKIPPED: verilator not found");
        return;
    };
    for multi_stream in [false, true] {
        board_top_lints_clean(&verilator, multi_stream);
    }
}

/// [`the_board_top_lints_clean_against_stub_ip_modules`] for the middle device of a
/// 3-device bert-tiny, cut after LayerNorms or (`multi_stream`) inside residual blocks.
fn board_top_lints_clean(verilator: &Path, multi_stream: bool) {
    let dir = if multi_stream {
        generate_multi_stream("lintmux").unwrap()
    } else {
        generate(3, "u250", "lint").unwrap()
    };
    let dev = dir.join("fpga/dev1");
    let top = std::fs::read_to_string(dev.join("top.sv")).unwrap();
    assert_eq!(
        top.matches("mh_link_mux #").count() + top.matches("mh_link_demux #").count(),
        if multi_stream { 4 } else { 0 },
        "link multiplexers of the middle device"
    );
    let tcl = std::fs::read_to_string(dev.join("build.tcl")).unwrap();
    let stubs = dir.join("stubs");
    std::fs::create_dir_all(&stubs).unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    for ip in tcl.lines().filter_map(|l| l.split("-module_name ").nth(1)) {
        let f = stubs.join(format!("{ip}.sv"));
        std::fs::write(&f, stub(ip, &[], AURORA, false)).unwrap();
        files.push(f);
    }
    assert_eq!(files.len(), 2, "a middle device has two links");
    for (name, params, ports) in [
        ("xpm_fifo_axis", FIFO_PARAMS, FIFO),
        ("xpm_cdc_async_rst", RST_PARAMS, RST),
    ] {
        let f = stubs.join(format!("{name}.sv"));
        std::fs::write(&f, stub(name, params, ports, true)).unwrap();
        files.push(f);
    }
    for src in tcl
        .lines()
        .filter_map(|l| l.strip_prefix("read_verilog -sv "))
    {
        files.push(dev.join(src));
    }
    let o = std::process::Command::new(verilator)
        // `top.sv` holds the device top and its partition module (two modules in one
        // file by design of `system::split`), hence no DECLFILENAME there.
        .args([
            "--lint-only",
            "-Wall",
            "-Wno-DECLFILENAME",
            "--top-module",
            "mh_board_top",
        ])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../components/lint.vlt"))
        .args(&files)
        .env("PATH", sim::tools::child_path())
        .current_dir(&dev)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(
        o.status.success() && !text.lines().any(|l| l.starts_with('%')),
        "lint of {}:\n{text}",
        dev.display()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_board_without_sourced_transceiver_placement_is_refused_for_several_devices() {
    let e = generate(2, "u55c", "u55c").err().unwrap().to_string();
    assert!(
        e.contains("board `u55c`") && e.contains("gt_site") && e.contains("cage qsfp0"),
        "{e}"
    );
    // One device needs no link and no cage.
    assert!(generate(1, "u55c", "u55c1").is_ok());
}
