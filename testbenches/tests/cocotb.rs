//! An emitted cocotb testbench runs under pytest with `cocotb_tools.runner` on both
//! simulators (Icarus and the project's Verilator), passes with the golden vectors and
//! fails when one expected beat is perturbed. Needs cocotb in `.hwenv` (scripts/setup.sh);
//! outside CI a missing cocotb skips with a message, under `CI=true` it fails.

use std::path::Path;
use std::process::Command;

use generator::rng::Rng;

fn python_with_cocotb() -> Option<std::path::PathBuf> {
    let py = sim::tools::hwenv().join("bin").join("python");
    let ok = Command::new(&py)
        .args(["-c", "import cocotb, cocotb_tools.runner, pytest"])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(py);
    }
    let msg = format!(
        "{} cannot import cocotb 2.1 and pytest; scripts/setup.sh installs them (run `make setup`)",
        py.display()
    );
    assert!(
        !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
        "{msg}"
    );
    eprintln!("SKIPPED cocotb: {msg}");
    None
}

fn pytest(py: &Path, dir: &Path, simulator: &str) -> (bool, String) {
    let out = Command::new(py)
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "test_runner.py",
        ])
        .current_dir(dir)
        .env("PATH", sim::tools::child_path())
        .env("SIM", simulator)
        .env("RANDOM_SEED", "7")
        .output()
        .expect("running pytest");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn emitted_cocotb_testbench_passes_and_catches_a_perturbed_beat() {
    let Some(py) = python_with_cocotb() else {
        return;
    };
    let c = generator::components::find("linear").expect("component");
    let inst = c
        .configure(&[("IN_SIZE", 8), ("OUT_SIZE", 4)])
        .expect("configuration");
    let inputs = inst.random_inputs(&mut Rng::new(3), 4);
    let expected = inst.golden(&inputs).expect("golden");
    let files = testbenches::cocotb::render(&*inst, "linear", &inputs, &expected).expect("render");
    let dir = sim::tools::cache_dir().join(format!("cocotb-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    generator::emit::write_dir(&files, &dir).expect("write");
    let sims: Vec<&str> = ["icarus", "verilator"]
        .into_iter()
        .filter(|s| {
            testbenches::backend::discover(s).is_ok()
                || std::env::var("CI").is_ok_and(|v| v == "true")
        })
        .collect();
    assert!(!sims.is_empty(), "neither Icarus nor Verilator found");
    for s in &sims {
        let (ok, log) = pytest(&py, &dir, s);
        assert!(
            ok,
            "{s}: the emitted testbench failed on golden vectors:\n{log}"
        );
        let results = std::fs::read_to_string(dir.join("test_linear.result.xml")).expect("results");
        assert_eq!(
            results.matches("<testcase ").count(),
            4,
            "{s}: four stall patterns ran"
        );
        assert!(!results.contains("<failure"), "{s}: {results}");
    }
    // Perturb the last digit of the first expected output beat.
    let vpath = dir.join("vectors.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&vpath).expect("vectors")).expect("json");
    let out = v["streams"]
        .as_array_mut()
        .expect("streams")
        .iter_mut()
        .find(|s| s["direction"] == "output")
        .expect("an output stream");
    let beat = out["beats"][0].as_str().expect("hex").to_string();
    let last = beat
        .chars()
        .last()
        .and_then(|c| c.to_digit(16))
        .expect("digit");
    let flipped = format!("{}{:x}", &beat[..beat.len() - 1], last ^ 1);
    out["beats"][0] = serde_json::Value::String(flipped);
    std::fs::write(&vpath, serde_json::to_string_pretty(&v).expect("json")).expect("write");
    for s in &sims {
        let (ok, log) = pytest(&py, &dir, s);
        assert!(
            !ok,
            "{s}: the emitted testbench passed a perturbed vector:\n{log}"
        );
        let results = std::fs::read_to_string(dir.join("test_linear.result.xml")).expect("results");
        assert!(
            results.contains("beat 0 lane"),
            "{s}: the failure names the first differing beat:\n{results}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
