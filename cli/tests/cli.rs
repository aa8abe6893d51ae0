//! The `mase-hw` binary as users run it: listing, emitting, simulating with the golden
//! model, and bad input (exit code 2, one-line error naming the field, nothing written).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mase(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mase-hw"))
        .args(args)
        .output()
        .expect("run mase-hw")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mase-hw-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_user_error(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(o));
    let e = stderr(o);
    assert!(e.contains(needle), "expected {needle:?} in {e:?}");
    assert_eq!(
        e.trim_end().lines().count(),
        1,
        "error is not one line: {e:?}"
    );
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn components_lists_every_component_with_parameters() {
    let o = mase(&["components"]);
    assert!(o.status.success());
    let s = String::from_utf8_lossy(&o.stdout);
    for c in [
        "skid_buffer",
        "fifo",
        "fork",
        "join",
        "weight_rom",
        "cast",
        "adder_tree",
        "dot_product",
        "accumulator",
        "linear",
    ] {
        assert!(s.lines().any(|l| l.starts_with(c)), "{c} missing");
    }
    assert!(s.contains("ROUNDING") && s.contains("RND_CONV"));
}

#[test]
fn emit_writes_sv_signature_and_filelist() {
    let d = tmp("emit");
    let out = d.join("cast");
    let o = mase(&[
        "emit",
        "cast",
        "-p",
        "IN_WIDTH=13",
        "-p",
        "ROUNDING=RND_CONV",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "cast_top.sv",
        "mh_cast.sv",
        "mh_cast_lane.sv",
        "cast_top.signature.json",
        "filelist.f",
        "lint.vlt",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let sig: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("cast_top.signature.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(sig["parameters"]["ROUNDING"], "RND_CONV");
    assert_eq!(sig["timing"]["latency"], 1);
    let top = std::fs::read_to_string(out.join("cast_top.sv")).unwrap();
    assert!(
        top.contains(".ROUNDING(6)") && top.contains(".IN_WIDTH(13)"),
        "{top}"
    );
}

#[test]
fn bad_parameters_exit_2_and_write_nothing() {
    let d = tmp("bad");
    let out = d.join("never");
    let o = mase(&[
        "emit",
        "linear",
        "-p",
        "IN_SIZE=12",
        "-p",
        "IN_PARALLELISM=5",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_user_error(&o, "IN_PARALLELISM=5: must divide IN_SIZE=12");
    assert!(!out.exists(), "output written despite the error");
    assert_user_error(
        &mase(&[
            "emit",
            "cast",
            "-p",
            "IN_WIDTH=0",
            "-o",
            out.to_str().unwrap(),
        ]),
        "IN_WIDTH=0",
    );
    assert_user_error(
        &mase(&["emit", "nosuch", "-o", out.to_str().unwrap()]),
        "unknown component `nosuch`",
    );
    assert_user_error(
        &mase(&[
            "emit",
            "linear",
            "-p",
            "WEIGHTS_FROM_ROM=1",
            "-o",
            out.to_str().unwrap(),
        ]),
        "missing tensor `weight`",
    );
    assert!(!out.exists());
}

fn write(p: &Path, text: &str) {
    std::fs::write(p, text).unwrap();
}

#[test]
fn sim_component_golden_runs_user_tensors() {
    let d = tmp("sim");
    let inp = d.join("in.json");
    // cast s8.4 -> s4.1 with RND_CONV: 0x18 = 1.5 -> 1.5 (raw 3), 0x14 = 1.25 -> 1.0 (raw 2, tie to even), -128 saturates to -8.
    write(
        &inp,
        r#"{"data_in": {"shape": [1, 4], "raw": [24, 20, -128, 127]}}"#,
    );
    let out = d.join("out.json");
    let args = [
        "sim",
        "component",
        "cast",
        "-p",
        "IN_WIDTH=8",
        "-p",
        "IN_FRAC_WIDTH=4",
        "-p",
        "OUT_WIDTH=4",
        "-p",
        "OUT_FRAC_WIDTH=1",
        "-p",
        "ROUNDING=RND_CONV",
        "-p",
        "PARALLELISM=2",
    ];
    let mut a: Vec<&str> = args.to_vec();
    a.extend([
        "--inputs",
        inp.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    let o = mase(&a);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["data_out"]["raw"], serde_json::json!([3, 2, -8, 7]));
    assert_eq!(v["data_out"]["width"], 4);
    assert_eq!(v["data_out"]["frac_width"], 1);

    // Bad tensors: wrong shape, malformed JSON, out-of-range code, unknown tensor.
    let cases = [
        (
            r#"{"data_in": {"shape": [1, 3], "raw": [1, 2, 3]}}"#,
            "shape [1, 3] does not match [N, 2k]",
        ),
        (
            r#"{"data_in": {"shape": [1, 4], "raw": [1, 2, 3]}"#,
            "invalid JSON",
        ),
        (
            r#"{"data_in": {"shape": [1, 2], "raw": [1, 300]}}"#,
            "element 1 = 300 is outside",
        ),
        (
            r#"{"data_in": {"shape": [1, 2], "raw": [1, 2], "width": 9}}"#,
            "field `width`",
        ),
        (
            r#"{"weights": {"shape": [1], "raw": [1]}}"#,
            "`weights` is not an input",
        ),
        (
            r#"{"data_in": {"shape": [2], "raw": [1, 2, 3]}}"#,
            "3 elements, but shape [2] has 2",
        ),
    ];
    for (text, needle) in cases {
        write(&inp, text);
        let _ = std::fs::remove_file(&out);
        assert_user_error(&mase(&a), needle);
        assert!(!out.exists(), "output written for {text}");
    }
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn gen_writes_a_deterministic_jsc_mlp_system() {
    let d = tmp("gen");
    let (a, b) = (d.join("a"), d.join("b"));
    for out in [&a, &b] {
        let o = mase(&[
            "gen",
            "--model",
            &example("jsc-mlp.json"),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("predicted: latency 4195 cycles"), "{text}");
        assert!(text.contains("cosine"), "{text}");
    }
    let files = [
        "rtl/mh_jsc_mlp.sv",
        "rtl/mh_linear.sv",
        "rtl/mh_softmax.sv",
        "mem/fc1_weight.mem",
        "mem/fc4_bias.mem",
        "signature.json",
        "filelist.f",
        "report.json",
    ];
    for f in files {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert_eq!(x, y, "{f} differs between two runs");
    }
    let top = std::fs::read_to_string(a.join("rtl/mh_jsc_mlp.sv")).unwrap();
    assert!(top.contains(".WEIGHT_MEM_FILE(\"mem/fc1_weight.mem\")"));
    assert!(
        !top.contains(&*d.to_string_lossy()),
        "absolute path in the top"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn gen_refuses_fan_out_and_bad_configs_writing_nothing() {
    let d = tmp("gen-bad");
    let out = d.join("out");
    let o = mase(&[
        "gen",
        "--model",
        &example("bert-tiny.json"),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_user_error(&o, "fan-out stitching");
    assert!(stderr(&o).contains("not implemented yet"));
    let cfg = d.join("q.toml");
    for (text, needle) in [
        ("[node.fc1]\nparallelism = 3\n", "fc1"),
        ("[node.nope]\nwidth = 8\n", "nope"),
        (
            "[node.fc1]\nparallelism = { in = 4, out = 8 }\n",
            "node `features` produces 1 lanes but node `fc1` consumes 4",
        ),
    ] {
        std::fs::write(&cfg, text).unwrap();
        let o = mase(&[
            "gen",
            "--model",
            &example("jsc-mlp.json"),
            "--config",
            cfg.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_user_error(&o, needle);
    }
    assert!(!out.exists(), "output written despite an error");
    let _ = std::fs::remove_dir_all(&d);
}
