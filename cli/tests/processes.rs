//! `mase-hw` as separate processes: `gen` is deterministic across processes and working
//! directories (every file byte for byte, single- and multi-device); concurrent `gen`s
//! into one directory leave exactly one run's complete output or refuse cleanly; a
//! target that is a mount point is written in place; two regressions sharing the ROM
//! directory of a warm Verilator cache both pass.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{bin, example, stderr, stdout, tmp, tree};

/// `mase-hw args…` run in `cwd`.
fn mase_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run mase-hw")
}

/// Every file of two output trees equal byte for byte (and the same file names).
fn assert_same_tree(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>, what: &str) {
    let (na, nb): (Vec<&String>, Vec<&String>) = (a.keys().collect(), b.keys().collect());
    assert_eq!(na, nb, "{what}: the file lists differ");
    for (name, bytes) in a {
        assert!(bytes == &b[name], "{what}: {name} differs");
    }
}

#[test]
fn gen_is_byte_identical_across_processes_and_working_directories() {
    let d = tmp("determinism");
    let cases: [(&str, Vec<String>); 3] = [
        (
            "bert-tiny",
            vec![
                "--model".into(),
                example("bert-tiny.json"),
                "--config".into(),
                example("bert-tiny-q.toml"),
            ],
        ),
        ("jsc-mlp", vec!["--model".into(), example("jsc-mlp.json")]),
        (
            "jsc-mlp-2-devices",
            vec![
                "--model".into(),
                example("jsc-mlp.json"),
                "--devices".into(),
                "2".into(),
            ],
        ),
    ];
    for (name, args) in &cases {
        // Two working directories, relative output paths with different names.
        let mut trees = Vec::new();
        for (cwd, out) in [("one", "out-alpha-7f3"), ("two/deeper", "out-beta-9c1")] {
            let cwd = d.join(name).join(cwd);
            std::fs::create_dir_all(&cwd).unwrap();
            let mut a: Vec<&str> = vec!["gen", "-o", out];
            a.extend(args.iter().map(String::as_str));
            let o = mase_in(&cwd, &a);
            assert!(o.status.success(), "{name}: {}", stderr(&o));
            let t = tree(&cwd.join(out));
            assert!(t.contains_key("filelist.f"), "{name}: no filelist.f");
            for (f, bytes) in &t {
                let text = String::from_utf8_lossy(bytes);
                assert!(
                    !text.contains(&*d.to_string_lossy()) && !text.contains(out),
                    "{name}: {f} names its directory"
                );
            }
            trees.push(t);
        }
        assert!(trees[0].len() > 5, "{name}: {} files", trees[0].len());
        if name.contains("devices") {
            assert!(
                trees[0].keys().any(|f| f.starts_with("fpga/")),
                "{name}: no fpga/ projects"
            );
        }
        assert_same_tree(&trees[0], &trees[1], name);
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn concurrent_gens_into_one_directory_leave_one_whole_run_or_refuse() {
    let d = tmp("concurrent-gen");
    // Four runs whose outputs differ (weight seeds), so a mix of two is detectable.
    let seeds = ["1", "2", "3", "4"];
    let gen_args = |out: &Path, seed: &str| -> Vec<String> {
        [
            "gen",
            "--model",
            &example("jsc-mlp.json"),
            "--no-accuracy",
            "--seed",
            seed,
            "-o",
            out.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let mut serial = Vec::new();
    for s in seeds {
        let out = d.join(format!("serial-{s}"));
        let o = Command::new(bin())
            .args(gen_args(&out, s))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        serial.push(tree(&out));
    }
    for w in serial.windows(2) {
        assert_ne!(w[0], w[1], "the seeds give identical outputs");
    }
    let shared = d.join("shared");
    for round in 0..3 {
        let children: Vec<_> = seeds
            .iter()
            .map(|s| {
                Command::new(bin())
                    .args(gen_args(&shared, s))
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outs: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let mut ok = Vec::new();
        for (k, o) in outs.iter().enumerate() {
            match o.status.code() {
                Some(0) => ok.push(k),
                Some(2) => {
                    let e = stderr(o);
                    assert!(
                        e.contains("another mase-hw process is writing this directory"),
                        "round {round} seed {}: {e}",
                        seeds[k]
                    );
                    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
                }
                c => panic!("round {round} seed {}: exit {c:?}: {}", seeds[k], stderr(o)),
            }
        }
        assert!(!ok.is_empty(), "round {round}: every run refused");
        let got = tree(&shared);
        let from = serial.iter().position(|t| *t == got);
        assert!(
            from.is_some_and(|k| ok.contains(&k)),
            "round {round}: the directory is not one successful run's output (succeeded: {ok:?})"
        );
        // No temporary or displaced siblings are left behind.
        let left: Vec<String> = std::fs::read_dir(&d)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-") || n.contains(".old-"))
            .collect();
        assert!(left.is_empty(), "round {round}: left behind {left:?}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// A mounted tmpfs under `dir` (root may mount), else `/dev/shm` when it is a mount
/// point and empty; `None` when neither is available. The bool says whether to unmount.
fn mount_point(dir: &Path) -> Option<(PathBuf, bool)> {
    use std::os::unix::fs::MetadataExt;
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64m", "tmpfs"])
        .arg(&mnt)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let dev = |p: &Path| std::fs::metadata(p).map(|m| m.dev()).ok();
    if mounted && dev(&mnt) != dev(dir) {
        eprintln!("mount point: a tmpfs mounted at {}", mnt.display());
        return Some((mnt, true));
    }
    let shm = Path::new("/dev/shm");
    let empty = std::fs::read_dir(shm).is_ok_and(|mut e| e.next().is_none());
    if dev(shm).is_some() && dev(shm) != dev(Path::new("/dev")) && empty {
        eprintln!("mount point: /dev/shm (mounting a tmpfs is not permitted)");
        return Some((shm.to_path_buf(), false));
    }
    None
}

#[test]
fn gen_onto_a_mount_point_writes_in_place() {
    let d = tmp("mount");
    let Some((mnt, unmount)) = mount_point(&d) else {
        // Debian containers have /dev/shm; under CI a missing target is a failure.
        assert!(
            std::env::var("CI").is_err(),
            "no mount point to test on: mounting a tmpfs failed and /dev/shm is not an empty mount point"
        );
        eprintln!("skipping: no mount point available");
        return;
    };
    let reference = d.join("reference");
    let run = |out: &Path, model: &str| {
        let o = Command::new(bin())
            .args(["gen", "--model", model, "--no-accuracy", "-o"])
            .arg(out)
            .output()
            .unwrap();
        (o.status.success(), stderr(&o))
    };
    let jsc = example("jsc-mlp.json");
    let tiny = example("bert-tiny.json");
    let results = {
        let mut failures = Vec::new();
        // Empty mount point, then a mount point holding an earlier output.
        for (step, model) in [("empty", &tiny), ("replacing", &jsc)] {
            let (ok, err) = run(&mnt, model);
            if !ok {
                failures.push(format!("{step}: {err}"));
                continue;
            }
            let (ok, err) = run(&reference, model);
            assert!(ok, "{err}");
            if tree(&mnt) != tree(&reference) {
                failures.push(format!(
                    "{step}: the mount point's files differ from a plain directory's"
                ));
            }
        }
        failures
    };
    if unmount {
        let _ = Command::new("umount").arg(&mnt).status();
    } else {
        for e in std::fs::read_dir(&mnt).unwrap().flatten() {
            let p = e.path();
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
        }
    }
    assert!(results.is_empty(), "{results:?}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn two_concurrent_regressions_on_a_warm_cache_both_pass() {
    if sim::tools::find_tool("verilator").is_none() {
        assert!(std::env::var("CI").is_err(), "verilator missing under CI");
        eprintln!("skipping: no verilator");
        return;
    }
    let args = ["test", "linear", "--configs", "1", "--jobs", "1"];
    // Warm the cache: builds every configuration once.
    let warm = Command::new(bin()).args(args).output().unwrap();
    assert!(
        warm.status.success(),
        "warm-up: {}{}",
        stdout(&warm),
        stderr(&warm)
    );
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(bin())
                .args(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (k, c) in children.into_iter().enumerate() {
        let o = c.wait_with_output().unwrap();
        let text = stdout(&o);
        assert!(o.status.success(), "run {k}: {text}{}", stderr(&o));
        // Both compared beats (the summary's total row), none mismatching.
        let total = text
            .lines()
            .find(|l| l.starts_with("total"))
            .unwrap_or_else(|| panic!("run {k}: no summary: {text}"));
        let cols: Vec<u64> = total
            .split_whitespace()
            .skip(1)
            .take(5)
            .map(|v| v.parse().unwrap())
            .collect();
        assert!(cols[2] > 0, "run {k}: no beats compared: {total}");
        assert_eq!((cols[3], cols[4]), (0, 0), "run {k}: {total}");
    }
}
