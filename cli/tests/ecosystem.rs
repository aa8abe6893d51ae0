//! Command-line paper cuts found as a new user: a one-axis tensor for an elementwise
//! component, `--version` naming the tools, shell completions, a system's signature
//! naming the module to instantiate, cocotb's environment variables and JUnit output.

mod common;

use common::{mase, tmp};
use std::path::PathBuf;
use std::process::Command;

#[test]
fn one_axis_tensor_is_one_row_for_an_elementwise_component() {
    let d = tmp("one-axis");
    let inp = d.join("in.json");
    let raw: Vec<i64> = (0..16).map(|i| i * 3 - 20).collect();
    std::fs::write(
        &inp,
        serde_json::json!({"data_in": {"shape": [16], "raw": raw}}).to_string(),
    )
    .unwrap();
    let out = d.join("out.json");
    let o = mase(&[
        "sim",
        "component",
        "relu",
        "-p",
        "PARALLELISM=4",
        "--inputs",
        inp.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let want: Vec<i64> = raw.iter().map(|&x| x.max(0)).collect();
    assert_eq!(v["data_out"]["raw"], serde_json::json!(want));
    // A length the lanes do not divide is still refused, naming the rule.
    std::fs::write(
        &inp,
        r#"{"data_in": {"shape": [6], "raw": [1, 2, 3, 4, 5, 6]}}"#,
    )
    .unwrap();
    let o = mase(&[
        "sim",
        "component",
        "relu",
        "-p",
        "PARALLELISM=4",
        "--inputs",
        inp.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not match [N, 4k]"));
}

#[test]
fn version_names_the_tools_and_completions_print() {
    let o = mase(&["--version"]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    for tool in ["verilator:", "icarus:", "yosys:"] {
        assert!(s.contains(tool), "{tool} in {s}");
    }
    let o = mase(&["completions", "bash"]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && s.contains("emit-cocotb") && s.contains("report"),
        "{s}"
    );
}

#[test]
fn system_signature_names_the_top_as_module() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let d = tmp("sig");
    let o = mase(&[
        "gen",
        "--model",
        root.join("examples/jsc-mlp.json").to_str().unwrap(),
        "-o",
        d.join("g").to_str().unwrap(),
        "--no-accuracy",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sig: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("g/signature.json")).unwrap())
            .unwrap();
    assert_eq!(sig["module"], sig["top"]);
    let top = sig["top"].as_str().unwrap();
    let rtl = std::fs::read_to_string(d.join("g/rtl").join(format!("{top}.sv"))).unwrap();
    assert!(rtl.contains(&format!("module {top}")));
}

#[test]
fn icarus_regression_honours_cocotb_variables_and_writes_junit() {
    if sim::Icarus::discover().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "iverilog missing under CI=true"
        );
        eprintln!("SKIPPED: iverilog not found");
        return;
    }
    let d = tmp("junit");
    let xml = d.join("results.xml");
    let o = Command::new(env!("CARGO_BIN_EXE_mase-hw"))
        .args(["test", "--configs", "0", "--vectors", "1"])
        .env("SIM", "icarus")
        .env("TOPLEVEL", "relu")
        .env("TESTCASE", "corner1")
        .env("RANDOM_SEED", "5")
        .env("COCOTB_RESULTS_FILE", &xml)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("Icarus Verilog") && out.contains("seed 5"),
        "{out}"
    );
    let x = std::fs::read_to_string(&xml).unwrap();
    assert_eq!(x.matches("<testcase ").count(), 1, "{x}");
    assert!(
        x.contains("name=\"corner1\" classname=\"relu\"") && !x.contains("<failure"),
        "{x}"
    );
    // An unknown simulator is a user error naming the choices.
    let o = Command::new(env!("CARGO_BIN_EXE_mase-hw"))
        .args(["test", "relu"])
        .env("SIM", "xsim")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("verilator, icarus"));
}

#[test]
fn emit_cocotb_of_a_system_carries_the_directory_weights() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let d = tmp("cocotb-sys");
    let g = d.join("g");
    let o = mase(&[
        "gen",
        "--model",
        root.join("examples/jsc-mlp.json").to_str().unwrap(),
        "-o",
        g.to_str().unwrap(),
        "--no-accuracy",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tb = d.join("tb");
    let o = mase(&[
        "emit-cocotb",
        g.to_str().unwrap(),
        "-o",
        tb.to_str().unwrap(),
        "--rows",
        "2",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut n = 0;
    for e in std::fs::read_dir(g.join("mem")).unwrap().flatten() {
        let name = e.file_name();
        assert_eq!(
            std::fs::read(e.path()).unwrap(),
            std::fs::read(tb.join(&name)).unwrap(),
            "{name:?}"
        );
        n += 1;
    }
    assert!(n > 0);
    for f in [
        "test_runner.py",
        "test_system.py",
        "vectors.json",
        "rtl/mh_cocotb_top.sv",
    ] {
        assert!(tb.join(f).is_file(), "{f}");
    }
}
