//! Probes of a hostile user, kept as regressions: work bounded before allocation,
//! names that collide or break comments, output directories replaced whole, bounded
//! reads, and meaningless flags refused. Each is exit 0 with lint-clean output or exit
//! 2 with a one-line error (the budget probes must also return quickly, since they
//! refuse before allocating).

mod common;

use common::{assert_user_error, mase, root, stderr, tmp};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

/// A one-linear model JSON: `rows × d_in → d_out`, node names given.
fn linear_model(name: &str, rows: u64, d_in: u64, d_out: u64) -> String {
    format!(
        r#"{{"version": 1, "name": {name:?}, "params": [{{"name": "w", "shape": [{d_out}, {d_in}]}}],
  "nodes": [{{"name": "x", "op": "input", "shape": [{rows}, {d_in}]}},
    {{"name": "fc", "op": "linear", "weight": "w", "inputs": ["x"], "shape": [{rows}, {d_out}]}},
    {{"name": "y", "op": "output", "inputs": ["fc"], "shape": [{rows}, {d_out}]}}]}}"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn generate(model: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["gen", "--model", model, "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    mase(&args)
}

/// `verilator --lint-only -Wall -f filelist.f` in `dir`; a missing Verilator fails
/// under CI and skips locally.
fn lint(dir: &Path) {
    let Some(v) = sim::tools::find_tool("verilator") else {
        assert!(std::env::var("CI").is_err(), "verilator missing under CI");
        eprintln!("skipping lint: no verilator");
        return;
    };
    let o = Command::new(v)
        .args(["--lint-only", "-Wall", "-f", "filelist.f"])
        .env("PATH", sim::tools::child_path())
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!("{}{}", stderr(&o), String::from_utf8_lossy(&o.stdout));
    // Any warning or error (`%Warning-…`, `%Error…`) fails; the report lines do not.
    let bad = text.lines().any(|l| l.starts_with('%'));
    assert!(
        o.status.success() && !bad,
        "lint of {}:\n{text}",
        dir.display()
    );
}

#[test]
fn oversized_models_are_refused_before_allocating() {
    let d = tmp("budget");
    for (tag, rows, d_in, d_out, needle) in [
        (
            "square",
            1,
            100_000,
            100_000,
            "node `fc`: parameter `w` [100000, 100000]",
        ),
        ("rows", 1_000_000_000, 16, 16, "node `"),
        ("wide", 1, 1_000_000_000, 3, "[3, 1000000000]"),
        ("20k", 1, 20_000, 20_000, "budget of 8.0 GiB"),
        ("16k", 1, 16_384, 16_384, "budget of 8.0 GiB"),
    ] {
        let m = write(
            &d,
            &format!("{tag}.json"),
            &linear_model(tag, rows, d_in, d_out),
        );
        let t = Instant::now();
        let o = generate(&m, &d.join(tag), &[]);
        assert_user_error(&o, needle);
        assert!(t.elapsed().as_secs() < 20, "{tag} took {:?}", t.elapsed());
        assert!(!d.join(tag).exists(), "{tag}: output written");
    }
    let jsc = root().join("examples/jsc-mlp.json");
    let jsc = jsc.to_str().unwrap();
    assert_user_error(
        &generate(jsc, &d.join("i"), &["--items", "1000000000"]),
        "item(s)",
    );
    assert_user_error(
        &generate(jsc, &d.join("c"), &["--calibration", "1000000000"]),
        "budget",
    );
    assert_user_error(
        &generate(jsc, &d.join("z"), &["--items", "0"]),
        "--items: must be at least 1",
    );
    assert!(!d.join("z").exists(), "--items 0 wrote files");
    assert_user_error(
        &generate(jsc, &d.join("m"), &["--max-memory", "1K"]),
        "above the budget of 1.0 KiB",
    );
    // Hugging Face configs.
    for (tag, h, layers, needle) in [
        ("hf-wide", 1_000_000, 2, "budget"),
        (
            "hf-deep",
            64,
            100_000,
            "num_hidden_layers = 100000: must be at most 1024",
        ),
    ] {
        let cfg = format!(
            r#"{{"model_type": "bert", "hidden_size": {h}, "num_hidden_layers": {layers},
              "num_attention_heads": 2, "intermediate_size": 128, "hidden_act": "gelu"}}"#
        );
        let m = write(&d, &format!("{tag}.json"), &cfg);
        let t = Instant::now();
        assert_user_error(&generate(&m, &d.join(tag), &["--seq-len", "8"]), needle);
        assert!(t.elapsed().as_secs() < 20, "{tag} took {:?}", t.elapsed());
    }
    assert_user_error(
        &mase(&[
            "sim",
            "component",
            "cast",
            "--random",
            "1000000000",
            "--output",
            "/dev/null",
        ]),
        "--random 1000000000",
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn colliding_and_odd_names_give_lint_clean_unique_rtl() {
    let d = tmp("names");
    // `a-b`, `a.b`, `a_b` legalise to one stem; `r_fork` meets the fork inserted for `r`.
    let model = r#"{"version": 1, "name": "multi\nline */ name", "params": [
        {"name": "w1", "shape": [4, 4]}, {"name": "w2", "shape": [4, 4]}],
      "nodes": [
        {"name": "x", "op": "input", "shape": [2, 4]},
        {"name": "a-b", "op": "linear", "weight": "w1", "inputs": ["x"], "shape": [2, 4]},
        {"name": "a.b", "op": "relu", "inputs": ["a-b"], "shape": [2, 4]},
        {"name": "r", "op": "relu", "inputs": ["a.b"], "shape": [2, 4]},
        {"name": "r_fork", "op": "linear", "weight": "w2", "inputs": ["r"], "shape": [2, 4]},
        {"name": "a_b", "op": "add", "inputs": ["r", "r_fork"], "shape": [2, 4]},
        {"name": "module", "op": "output", "inputs": ["a_b"], "shape": [2, 4]}]}"#;
    let m = write(&d, "collide.json", model);
    let out = d.join("collide");
    let o = generate(&m, &out, &["--top", "mh_collide", "--no-accuracy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    lint(&out);
    // A model called `linear` must not overwrite the library's mh_linear.sv.
    let m = write(&d, "linear.json", &linear_model("linear", 2, 4, 4));
    let out = d.join("lin");
    let o = generate(&m, &out, &["--no-accuracy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lib = std::fs::read_to_string(out.join("rtl/mh_linear.sv")).unwrap();
    assert!(lib.contains("module mh_linear"), "library module replaced");
    assert!(out.join("rtl/mh_linear_top.sv").is_file());
    lint(&out);
    // A 200-character model name.
    let long = "n".repeat(200);
    let m = write(&d, "long.json", &linear_model(&long, 2, 4, 4));
    let out = d.join("long");
    let o = generate(&m, &out, &["--no-accuracy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    lint(&out);
    for top in ["module", "mh_linear", "a b", "x\ny"] {
        assert_user_error(&generate(&m, &d.join("t"), &["--top", top]), "--top");
        assert_user_error(
            &mase(&[
                "emit",
                "cast",
                "--top",
                top,
                "-o",
                d.join("e").to_str().unwrap(),
            ]),
            "--top",
        );
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn dead_branches_and_unknown_fields_are_refused() {
    let d = tmp("dead");
    let dead = r#"{"version": 1, "name": "dead", "params": [],
      "nodes": [{"name": "x", "op": "input", "shape": [1, 4]},
        {"name": "unused", "op": "relu", "inputs": ["x"], "shape": [1, 4]},
        {"name": "live", "op": "relu", "inputs": ["x"], "shape": [1, 4]},
        {"name": "y", "op": "output", "inputs": ["live"], "shape": [1, 4]}]}"#;
    assert_user_error(
        &generate(&write(&d, "dead.json", dead), &d.join("o"), &[]),
        "node `unused`: its output reaches no `output` node",
    );
    let extra = linear_model("m", 1, 4, 4).replace(
        r#""op": "linear","#,
        r#""op": "linear", "activation": "relu","#,
    );
    assert_user_error(
        &generate(&write(&d, "extra.json", &extra), &d.join("o"), &[]),
        "unknown field `activation`",
    );
    let t = write(
        &d,
        "t.json",
        r#"{"data_in": {"shape": [1, 4], "raw": [1, 2, 3, 4], "scale": 2}}"#,
    );
    assert_user_error(
        &mase(&[
            "sim",
            "component",
            "cast",
            "-p",
            "PARALLELISM=4",
            "--inputs",
            &t,
            "--output",
            "/dev/null",
        ]),
        "unknown field `scale`",
    );
    let big = write(
        &d,
        "big.json",
        r#"{"data_in": {"shape": [4611686018427387906, 4], "raw": [1, 2, 3, 4, 5, 6, 7, 8]}}"#,
    );
    assert_user_error(
        &mase(&[
            "sim",
            "component",
            "cast",
            "--inputs",
            &big,
            "--output",
            "/dev/null",
        ]),
        "must fit in 2^48",
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn output_directories_are_replaced_whole_and_reads_are_bounded() {
    let d = tmp("outdir");
    let out = d.join("o");
    let jsc = root().join("examples/jsc-mlp.json");
    let o = generate(jsc.to_str().unwrap(), &out, &["--no-accuracy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("rtl/mh_jsc_mlp.sv").is_file());
    let m = write(&d, "small.json", &linear_model("small", 2, 4, 4));
    let o = generate(&m, &out, &["--no-accuracy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !out.join("rtl/mh_jsc_mlp.sv").exists(),
        "a file of the earlier run survived"
    );
    assert!(!out.join("mem/fc1_weight.mem").exists());
    // A foreign directory is not replaced.
    let home = d.join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("notes.txt"), "keep").unwrap();
    assert_user_error(
        &generate(&m, &home, &["--no-accuracy"]),
        "not an earlier output",
    );
    assert!(home.join("notes.txt").is_file());
    // A ROM file that is /dev/zero is refused after a bounded read.
    let o = generate(jsc.to_str().unwrap(), &out, &["--no-accuracy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mem = std::fs::read_dir(out.join("mem"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    std::fs::remove_file(&mem).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &mem).unwrap();
    let t = Instant::now();
    assert_user_error(
        &mase(&["sim", "system", out.to_str().unwrap(), "--random", "1"]),
        "larger than",
    );
    assert!(t.elapsed().as_secs() < 20);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn meaningless_requests_are_refused() {
    assert_user_error(
        &mase(&["test", "cast", "--vectors", "0", "--configs", "0"]),
        "--vectors",
    );
    assert_user_error(
        &mase(&["test", "cast", "--waves", "/nonexistent/waves"]),
        "--waves",
    );
    assert_user_error(&mase(&["bench", "cosim", "--cycles", "0"]), "--cycles");
    assert_user_error(
        &mase(&[
            "sim",
            "component",
            "cast",
            "--random",
            "1",
            "--engine",
            "verilator",
            "--waves",
            "/nonexistent/w.vcd",
            "--output",
            "/dev/null",
        ]),
        "--waves",
    );
    // Each cause once.
    for args in [
        &[
            "gen",
            "--model",
            "/nonexistent/m.json",
            "-o",
            "/tmp/never-written",
        ][..],
        &["emit", "cast", "-o", "/proc/version/x"][..],
    ] {
        let o = mase(args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{e}");
        let n = e.matches("(os error").count();
        assert!(n <= 1, "OS error printed {n} times: {e}");
    }
}

/// Random graphs (a chain with residual adds) whose node names are drawn from
/// adversarial spellings: every accepted one gives lint-clean RTL, any other a clean
/// refusal. Few cases, as each runs `gen` and Verilator.
#[test]
fn random_graphs_with_adversarial_names_lint_clean() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    const NAMES: &[&str] = &[
        "a-b",
        "a.b",
        "a_b",
        "r",
        "r_fork",
        "module",
        "data_out",
        "u_x",
        "x_data_out",
        "1abc",
        "ünï",
        "a\nb",
        "*/",
        "mh_linear",
        "clk",
        "fc_data_in_cast",
        "wire",
    ];
    let d = tmp("prop");
    let cases = std::env::var("NAME_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let node = (
        0usize..3,
        0usize..NAMES.len(),
        any::<usize>(),
        any::<bool>(),
    );
    let strategy = proptest::collection::vec(node, 1..6);
    let count = std::cell::Cell::new(0);
    runner
        .run(&strategy, |nodes| {
            count.set(count.get() + 1);
            let mut used = std::collections::BTreeSet::new();
            let mut params = Vec::new();
            let mut lines = vec![r#"{"name": "x", "op": "input", "shape": [2, 4]}"#.to_string()];
            let mut names = vec!["x".to_string()];
            for (k, (op, n, j, long)) in nodes.iter().enumerate() {
                let mut name = NAMES[*n].to_string();
                if *long {
                    name = format!("{name}{}", "z".repeat(120));
                }
                while !used.insert(name.clone()) || name == "x" || name == "y" {
                    name.push('_');
                }
                let prev = names.last().unwrap().clone();
                let line = match op {
                    0 => format!(r#"{{"name": {name:?}, "op": "relu", "inputs": [{prev:?}], "shape": [2, 4]}}"#),
                    1 => {
                        params.push(format!(r#"{{"name": "w{k}", "shape": [4, 4]}}"#));
                        format!(r#"{{"name": {name:?}, "op": "linear", "weight": "w{k}", "inputs": [{prev:?}], "shape": [2, 4]}}"#)
                    }
                    _ => {
                        let other = &names[j % names.len()];
                        format!(r#"{{"name": {name:?}, "op": "add", "inputs": [{prev:?}, {other:?}], "shape": [2, 4]}}"#)
                    }
                };
                lines.push(line);
                names.push(name);
            }
            lines.push(format!(
                r#"{{"name": "y", "op": "output", "inputs": [{:?}], "shape": [2, 4]}}"#,
                names.last().unwrap()
            ));
            let model = format!(
                "{{\"version\": 1, \"name\": \"p\\n*/q\", \"params\": [{}], \"nodes\": [{}]}}",
                params.join(", "),
                lines.join(",\n ")
            );
            let case = count.get();
            let m = write(&d, &format!("m{case}.json"), &model);
            let out = d.join(format!("o{case}"));
            let o = generate(&m, &out, &["--no-accuracy"]);
            match o.status.code() {
                Some(0) => lint(&out),
                Some(2) => assert_eq!(stderr(&o).trim_end().lines().count(), 1, "{}", stderr(&o)),
                c => panic!("exit {c:?} for {model}: {}", stderr(&o)),
            }
            Ok(())
        })
        .unwrap();
    let _ = std::fs::remove_dir_all(&d);
}
