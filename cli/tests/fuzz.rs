//! Byte fuzzing of the tensor JSON reader as users reach it: each mutated file of
//! `fuzz/corpus/tensor_json/` is given to `mase-hw sim component cast --inputs`; the
//! run must end with exit 0, 1 or 2 and no panic (harness: `fuzz/harness.rs`). A
//! process per input makes this target slow (about 100 inputs per second).

#[path = "../../fuzz/harness.rs"]
mod harness;

use std::process::Command;

#[test]
fn fuzz_tensor_json() {
    let dir = std::env::temp_dir().join(format!("mase-hw-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("t.json");
    harness::fuzz("tensor_json", Vec::new(), |b| {
        std::fs::write(&file, b).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_mase-hw"))
            .args([
                "sim",
                "component",
                "cast",
                "-p",
                "PARALLELISM=4",
                "--inputs",
            ])
            .arg(&file)
            .args(["--output", "/dev/null"])
            .output()
            .unwrap();
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(
            matches!(o.status.code(), Some(0..=2)) && !e.contains("panicked"),
            "exit {:?}: {e}",
            o.status.code()
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
    // `--output /dev/null` writes into the device: it must still be one.
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device(),
        "/dev/null is no longer a character device"
    );
}
