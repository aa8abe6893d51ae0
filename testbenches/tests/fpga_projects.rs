//! The per-device Vivado projects of a split bert-tiny (`system::fpga`), dry-run under
//! `tclsh` with stand-in Vivado commands (`mase-hw vivado-check`): every script runs
//! to the bitstream with arguments and files the stand-ins accept, and the check
//! catches a missing ROM file, a misspelt option and a board whose QSFP28 pins are not
//! in the catalog.

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
    let w = Weights::synthetic(&g, 3);
    let cfg = QuantConfig::from_toml(&example("bert-tiny-q.toml")).unwrap();
    let plan = system::map::resolve(&g, &cfg, &w, 0, 4).unwrap();
    let sys = SystemInstance::new(system::map_model(&g, &plan, &w).unwrap());
    let mut files = system::emit::render(&sys, "mh_bert_tiny").unwrap();
    let part = system::plan::split_by_count(&g, devices, board)?;
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
    for devices in [2, 3] {
        let dir = generate(devices, "u250", &format!("ok{devices}")).unwrap();
        let lines = system::fpga::vivado_check(&dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lines.len(), devices, "{lines:?}");
        // Every device reaches the bitstream; middle devices create two link cores.
        for (d, l) in lines.iter().enumerate() {
            println!("{l}");
            assert!(l.contains("stage bitstream"), "{l}");
            let cores = if d == 0 || d + 1 == devices { 1 } else { 2 };
            assert!(l.contains(&format!("{cores} IP cores")), "{l}");
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
        tcl.replace("-top mh_dev1", "-top mh_dev9"),
    )
    .unwrap();
    let e = system::fpga::vivado_check(&dir).err().unwrap().to_string();
    assert!(
        e.contains("synth_design: top mh_dev9 is not defined"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_board_without_sourced_qsfp_pins_is_refused_for_several_devices() {
    let e = generate(2, "u280", "u280").err().unwrap().to_string();
    assert!(e.contains("board `u280`") && e.contains("QSFP28"), "{e}");
}
