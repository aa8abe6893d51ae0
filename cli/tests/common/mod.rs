//! Helpers shared by the `mase-hw` binary's integration tests: running the binary,
//! fresh temporary directories, paths into the repository, and the checks of a
//! refused request (exit 2, one line naming the problem, no panic).
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mase-hw")
}

/// Runs `mase-hw args…` to completion.
pub fn mase(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .output()
        .expect("run mase-hw")
}

/// A fresh, empty temporary directory unique to this process and `name`.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mase-hw-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A refused request: exit 2, one line containing `needle`, no panic.
pub fn assert_user_error(o: &Output, needle: &str) {
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

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A file of `examples/`, as an argument.
pub fn example(name: &str) -> String {
    root().join("examples").join(name).display().to_string()
}

/// Every regular file under `dir`, by relative path, with its bytes.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, d: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                walk(base, &p, out);
            } else if t.is_file() {
                let rel = p.strip_prefix(base).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}
