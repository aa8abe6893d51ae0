//! The `mase-hw` binary as users run it: listing, emitting, simulating with the golden
//! model, and bad input (exit code 2, one-line error naming the field, nothing written).

mod common;

use common::{assert_user_error, example, mase, stderr, tmp};
use std::path::Path;
use std::process::Command;

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
fn gen_refuses_bad_configs_writing_nothing() {
    let d = tmp("gen-bad");
    let out = d.join("out");
    let cfg = d.join("q.toml");
    for (model, text, needle) in [
        ("jsc-mlp.json", "[node.fc1]\nparallelism = 3\n", "fc1"),
        ("jsc-mlp.json", "[node.nope]\nwidth = 8\n", "nope"),
        (
            "bert-tiny.json",
            "[node.\"encoder.layer.0.attention.self.scores\"]\nparallelism = { k = 3 }\n",
            "parallelism.k = 3",
        ),
        (
            "bert-tiny.json",
            "[default]\nrounding = \"ROUND_UP\"\n",
            "ROUND_UP",
        ),
    ] {
        std::fs::write(&cfg, text).unwrap();
        let o = mase(&[
            "gen",
            "--model",
            &example(model),
            "--config",
            cfg.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_user_error(&o, needle);
    }
    for (args, needle) in [
        (
            vec!["--model", "/nonexistent/config.json"],
            "/nonexistent/config.json",
        ),
        (
            vec!["--model", &example("bert-tiny-q.toml")],
            "invalid JSON",
        ),
        (
            vec!["--model", &example("hf-bert-tiny"), "--seq-len", "0"],
            "seq",
        ),
    ] {
        let mut all = vec!["gen"];
        all.extend(args.iter().copied());
        all.extend(["-o", out.to_str().unwrap()]);
        assert_user_error(&mase(&all), needle);
    }
    assert!(!out.exists(), "output written despite an error");
    let _ = std::fs::remove_dir_all(&d);
}

/// A Hugging Face directory (the shipped bert-tiny `config.json` plus a float16
/// `model.safetensors`): `gen` reads both, writes the same
/// bytes twice, and `sim system` runs the directory on the golden model, compares with
/// the float model when given the weights, and rejects bad inputs naming the field.
#[test]
fn gen_and_sim_system_on_a_hugging_face_directory() {
    let d = tmp("hf");
    let hf = d.join("bert-tiny");
    std::fs::create_dir_all(&hf).unwrap();
    std::fs::copy(
        Path::new(&example("hf-bert-tiny")).join("config.json"),
        hf.join("config.json"),
    )
    .unwrap();
    let cfg = model::hf::BertConfig::load(&hf).unwrap();
    let g = model::hf::expand(&cfg, 8, "bert-tiny").unwrap();
    let w = model::weights::Weights::synthetic(&g, 5);
    let bytes = w.to_safetensors(model::weights::FileDtype::F16).unwrap();
    std::fs::write(hf.join("model.safetensors"), &bytes).unwrap();
    let (a, b) = (d.join("a"), d.join("b"));
    for out in [&a, &b] {
        let o = mase(&[
            "gen",
            "--model",
            hf.to_str().unwrap(),
            "--seq-len",
            "8",
            "--config",
            &example("bert-tiny-q.toml"),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("4 fork") && text.contains("8 transpose"),
            "{text}"
        );
        assert!(text.contains("accuracy vs float"), "{text}");
    }
    for f in [
        "rtl/mh_bert_tiny.sv",
        "mem/encoder_layer_1_output_dense_weight.mem",
        "mem/encoder_layer_0_attention_output_LayerNorm_gamma.mem",
        "netlist.json",
        "report.json",
        "model.json",
        "float.json",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between two runs"
        );
    }
    let y = d.join("y.json");
    let o = mase(&[
        "sim",
        "system",
        a.to_str().unwrap(),
        "--random",
        "2",
        "--output",
        y.to_str().unwrap(),
    ]);
    // Real weights are not in the directory: without --weights no float model, so no
    // seeded float inputs either.
    assert_user_error(&o, "--random needs the float model");
    let o = mase(&[
        "sim",
        "system",
        a.to_str().unwrap(),
        "--random",
        "2",
        "--weights",
        hf.join("model.safetensors").to_str().unwrap(),
        "--output",
        y.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("golden: 2 items"), "{text}");
    let out: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&y).unwrap()).unwrap();
    assert_eq!(out["data_out"]["shape"], serde_json::json!([2, 8, 64]));
    // The real checkpoint at the default config (16 bits, frac auto): 1 - cosine is
    // 1.7e-7 on these seeded inputs (deterministic); the bound keeps a 12x margin.
    let cosine: f64 = text
        .split("accuracy vs float (2 items): cosine ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no accuracy line: {text}"));
    println!("hf bert-tiny, 2 items: 1 - cosine {:.3e}", 1.0 - cosine);
    assert!(
        1.0 - cosine <= 2e-6,
        "1 - cosine {:.3e}: {text}",
        1.0 - cosine
    );
    // One sequence given as real values.
    let x = d.join("x.json");
    let values: Vec<f64> = (0..8 * 64).map(|i| ((i % 17) as f64 - 8.0) / 8.0).collect();
    write(
        &x,
        &serde_json::json!({"data_in": {"shape": [8, 64], "values": values}}).to_string(),
    );
    let o = mase(&[
        "sim",
        "system",
        a.to_str().unwrap(),
        "--inputs",
        x.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("accuracy vs float: skipped"));
    for (text, needle) in [
        (
            r#"{"data_in": {"shape": [8, 63], "values": []}}"#,
            "data_in.shape [8, 63]",
        ),
        (
            r#"{"data_in": {"shape": [8, 64], "values": [1.0]}}"#,
            "1 elements",
        ),
        (
            r#"{"data_in": {"shape": [8, 64]}}"#,
            "exactly one of `raw` and `values`",
        ),
        (r#"{"x": 1}"#, "needs an object `data_in`"),
        ("{", "invalid JSON"),
    ] {
        write(&x, text);
        let o = mase(&[
            "sim",
            "system",
            a.to_str().unwrap(),
            "--inputs",
            x.to_str().unwrap(),
        ]);
        assert_user_error(&o, needle);
    }
    let o = mase(&["sim", "system", d.to_str().unwrap(), "--random", "1"]);
    assert_user_error(&o, "netlist.json");
    let _ = std::fs::remove_dir_all(&d);
}

/// `gen --layers 1 --calibration-inputs`: calibrated on the given values, the clipped
/// fraction of every node lands in report.json; calibrated on values 100× too small,
/// the clipping warning names nodes and `--min-cosine` exits 1 (with the files
/// written); a raw-code calibration file is refused.
#[test]
fn gen_calibrates_on_given_inputs_reports_clipping_and_checks_min_cosine() {
    let d = tmp("calib");
    let hf = d.join("bert-tiny");
    std::fs::create_dir_all(&hf).unwrap();
    std::fs::copy(
        Path::new(&example("hf-bert-tiny")).join("config.json"),
        hf.join("config.json"),
    )
    .unwrap();
    let cfg = model::hf::BertConfig::load(&hf).unwrap();
    let g = model::hf::expand(&cfg, 8, "bert-tiny").unwrap();
    let w = model::weights::Weights::synthetic(&g, 5);
    std::fs::write(
        hf.join("model.safetensors"),
        w.to_safetensors(model::weights::FileDtype::F32).unwrap(),
    )
    .unwrap();
    let values = |scale: f64| -> String {
        let mut rng = model::rng::Rng::for_name(9, "calibration");
        let v: Vec<f64> = (0..3 * 8 * 64).map(|_| rng.normal() * scale).collect();
        serde_json::json!({"data_in": {"shape": [3, 8, 64], "values": v}}).to_string()
    };
    let run = |file: &str, out: &Path| {
        mase(&[
            "gen",
            "--model",
            hf.to_str().unwrap(),
            "--seq-len",
            "8",
            "--layers",
            "1",
            "--calibration-inputs",
            file,
            "--min-cosine",
            "0.99",
            "-o",
            out.to_str().unwrap(),
        ])
    };
    let good = d.join("good.json");
    write(&good, &values(1.0));
    let o = run(good.to_str().unwrap(), &d.join("a"));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(">= --min-cosine 0.99"), "{text}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("a/report.json")).unwrap()).unwrap();
    let clip = report["accuracy"]["clipped_fraction"].as_object().unwrap();
    assert!(
        clip.contains_key("encoder.layer.0.output.LayerNorm"),
        "{clip:?}"
    );
    assert!(
        !clip.keys().any(|k| k.starts_with("encoder.layer.1.")),
        "{clip:?}"
    );
    // Calibrated on values 100x too small: saturation everywhere, named, and exit 1.
    let small = d.join("small.json");
    write(&small, &values(0.01));
    let o = run(small.to_str().unwrap(), &d.join("b"));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("warning:") && text.contains("hidden_states"),
        "{text}"
    );
    assert!(
        stderr(&o).contains("is below --min-cosine 0.99"),
        "{}",
        stderr(&o)
    );
    assert!(d.join("b/report.json").is_file());
    // Raw codes cannot calibrate.
    let raw = d.join("raw.json");
    write(
        &raw,
        &serde_json::json!({"data_in": {"shape": [8, 64], "raw": vec![0; 512]}}).to_string(),
    );
    let o = run(raw.to_str().unwrap(), &d.join("c"));
    assert_user_error(&o, "calibration inputs need `values`");
    let _ = std::fs::remove_dir_all(&d);
}

/// `gen --devices` writes one Vivado project per device that `vivado-check` accepts;
/// a board without a sourced QSFP28 transceiver placement and a device count beyond the model's
/// single-stream cut points are refused with one line, exit 2, nothing written.
#[test]
fn gen_devices_writes_projects_that_pass_vivado_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let model = root.join("examples/bert-tiny.json");
    let config = root.join("examples/bert-tiny-q.toml");
    let (model, config) = (model.to_str().unwrap(), config.to_str().unwrap());
    let d = tmp("devices");
    let out = d.join("sys");
    let o = mase(&[
        "gen",
        "--model",
        model,
        "--config",
        config,
        "--devices",
        "2",
        "--no-accuracy",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "fpga/Makefile",
        "fpga/partition.json",
        "fpga/dev0/top.sv",
        "fpga/dev1/build.tcl",
        "fpga/dev1/constraints.xdc",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let has_tclsh = Command::new("tclsh")
        .stdin(std::process::Stdio::null())
        .output()
        .is_ok();
    if has_tclsh || std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        let o = mase(&["vivado-check", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter(|l| l.contains(": ok "))
                .count(),
            2
        );
    }
    let bad = d.join("bad");
    let o = mase(&[
        "gen",
        "--model",
        model,
        "--config",
        config,
        "--devices",
        "2",
        "--board",
        "u55c",
        "--no-accuracy",
        "-o",
        bad.to_str().unwrap(),
    ]);
    assert_user_error(&o, "board `u55c`");
    assert!(!bad.exists());
    let o = mase(&[
        "gen",
        "--model",
        model,
        "--config",
        config,
        "--devices",
        "9",
        "--no-accuracy",
        "-o",
        bad.to_str().unwrap(),
    ]);
    assert_user_error(&o, "--devices 9");
    assert!(!bad.exists());
    let _ = std::fs::remove_dir_all(&d);
}

/// `sim system --engine fast --mode data`: the beats deliver the golden output (checked
/// by the binary, which says `bit-exact`), `--output` writes what the golden engine
/// writes, and `--vcd` / `--mode data` misuse is a one-line exit 2.
#[test]
fn sim_system_fast_data_mode_is_bit_exact_and_writes_a_vcd() {
    let d = tmp("fast-data");
    let out = d.join("jsc");
    let o = mase(&[
        "gen",
        "--model",
        &example("jsc-mlp.json"),
        "--no-accuracy",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dir = out.to_str().unwrap();
    let (y_fast, y_gold, vcd) = (
        d.join("fast.json"),
        d.join("golden.json"),
        d.join("run.vcd"),
    );
    let o = mase(&[
        "sim",
        "system",
        dir,
        "--engine",
        "fast",
        "--mode",
        "data",
        "--random",
        "3",
        "--stalls",
        "both",
        "--seed",
        "5",
        "--vcd",
        vcd.to_str().unwrap(),
        "--output",
        y_fast.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("3 items bit-exact against the golden model"),
        "{text}"
    );
    assert!(text.contains("data mode"), "{text}");
    let o = mase(&[
        "sim",
        "system",
        dir,
        "--random",
        "3",
        "--seed",
        "5",
        "--output",
        y_gold.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&y_fast).unwrap(),
        std::fs::read(&y_gold).unwrap()
    );
    let v = std::fs::read_to_string(&vcd).unwrap();
    assert!(v.contains("$var wire 1") && v.contains(" beats "), "{v}");
    let missing = d.join("no/such/dir/run.vcd");
    let o = mase(&[
        "sim",
        "system",
        dir,
        "--engine",
        "fast",
        "--random",
        "1",
        "--vcd",
        missing.to_str().unwrap(),
    ]);
    assert_user_error(&o, "--vcd");
    let o = mase(&["sim", "system", dir, "--random", "1", "--mode", "data"]);
    assert_user_error(&o, "--mode data");
}
