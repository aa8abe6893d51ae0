//! The progress rule: `gen`'s stage spinner is drawn when standard error is a terminal
//! (a pseudo-terminal made by util-linux `script`), and nothing of it — no spinner
//! text, no escape codes — reaches a pipe or a terminal under `CI=true`.

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn gen_command(out: &Path) -> String {
    let r = root();
    format!(
        "{} gen --model {} --config {} -o {}",
        env!("CARGO_BIN_EXE_mase-hw"),
        r.join("examples/bert-tiny.json").display(),
        r.join("examples/bert-tiny-q.toml").display(),
        out.display()
    )
}

fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mh-progress-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `gen` under a pseudo-terminal with `CI` set to `ci` (or unset); all it drew.
fn on_terminal(dir: &Path, ci: Option<&str>) -> Option<String> {
    let script = which::which("script").ok()?;
    let mut cmd = Command::new(script);
    cmd.arg("-qefc")
        .arg(gen_command(&dir.join("out")))
        .arg(dir.join("typescript"))
        .env_remove("CI");
    if let Some(v) = ci {
        cmd.env("CI", v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn require_script() {
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("`script` (util-linux) is needed for the terminal half of this test");
    }
    eprintln!("skipping: `script` (util-linux) not found");
}

#[test]
fn gen_draws_stages_on_a_terminal_only() {
    let dir = scratch("tty");
    let Some(tty) = on_terminal(&dir, None) else {
        return require_script();
    };
    assert!(tty.contains("gen: "), "no spinner on a terminal:\n{tty}");
    assert!(tty.contains("calibrate done"), "no stage names:\n{tty}");
    assert!(tty.contains('\x1b'), "no terminal control codes:\n{tty}");

    let ci = on_terminal(&dir, Some("true")).unwrap();
    assert!(
        !ci.contains("gen: ") && !ci.contains('\x1b'),
        "drawn under CI=true:\n{ci}"
    );
    assert!(ci.contains("wrote "), "{ci}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gen_piped_has_no_progress() {
    let dir = scratch("pipe");
    let out = Command::new("sh")
        .arg("-c")
        .arg(gen_command(&dir.join("out")))
        .env_remove("CI")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains('\x1b') && !text.contains("gen: "),
            "{name} carries progress:\n{text}"
        );
    }
    assert!(String::from_utf8_lossy(&out.stdout).contains("wrote "));
    let _ = std::fs::remove_dir_all(&dir);
}
