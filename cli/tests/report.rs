//! `mase-hw gen --report` writes a report.html that headless Chromium renders: the
//! DOM Chromium builds has every section and one SVG node per netlist instance plus the
//! two ports, and a screenshot is taken (`target/report-screenshot.png`). Chromium is
//! optional locally (the test skips with a message) and required under `CI=true`
//! (scripts/setup.sh installs Debian's `chromium` there).

use std::path::PathBuf;
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"]
        .iter()
        .find_map(|n| which::which(n).ok());
    if found.is_none() {
        let msg = "chromium not found; `CI=true bash scripts/setup.sh` installs it (apt-get install chromium)";
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
            "{msg}"
        );
        eprintln!("SKIPPED report_html: {msg}");
    }
    found
}

#[test]
fn report_html_renders_in_chromium_with_every_section() {
    let Some(chrome) = chromium() else {
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root
        .join("target")
        .join(format!("report-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let st = Command::new(env!("CARGO_BIN_EXE_mase-hw"))
        .args(["gen", "--model"])
        .arg(root.join("examples/jsc-mlp.json"))
        .arg("-o")
        .arg(&dir)
        .args(["--report", "--no-accuracy"])
        .output()
        .expect("mase-hw gen");
    assert!(
        st.status.success(),
        "gen: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    let html = dir.join("report.html");
    let url = format!(
        "file://{}",
        html.canonicalize().expect("report.html").display()
    );
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
    ];
    let dom = Command::new(&chrome)
        .args(flags)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium");
    let dom = String::from_utf8_lossy(&dom.stdout);
    for id in [
        "summary",
        "graph",
        "resources",
        "throughput",
        "fifos",
        "accuracy",
    ] {
        assert!(
            dom.contains(&format!("<section id=\"{id}\">")),
            "section {id} missing from the DOM"
        );
    }
    let netlist: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("netlist.json")).expect("netlist"))
            .expect("json");
    let n = netlist["nodes"].as_array().expect("nodes").len();
    assert_eq!(
        dom.matches("<g class=\"node\">").count(),
        n + 2,
        "one box per instance and port"
    );
    assert!(dom.contains("id=\"bottleneck\""), "the bottleneck is named");
    let shot = root.join("target").join("report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let out = Command::new(&chrome)
        .args(flags)
        .arg("--window-size=1400,1800")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .expect("chromium screenshot");
    let png = std::fs::read(&shot)
        .unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a non-empty PNG"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
