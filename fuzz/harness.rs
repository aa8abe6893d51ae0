//! The byte-fuzzing harness shared by the `fuzz` tests (included with `#[path]`):
//! seeds from `fuzz/corpus/<target>/`, regressions from `fuzz/regressions/<target>/`,
//! proptest-generated mutation lists, a time limit `FUZZ_SECS` (default 2 s) and a case
//! limit `FUZZ_CASES`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

const TOKENS: &[&[u8]] = &[
    b"99999999999999999999999",
    b"-1",
    b"0",
    b"1e308",
    b"NaN",
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"null",
    b"true",
    b"4611686018427387904",
    b"18446744073709551615",
    b"\n",
    b"\"auto\"",
    b"=",
    b"[[",
    b"\xff",
    b"\"op\": \"linear\"",
];

pub fn files(dir: &Path) -> Vec<Vec<u8>> {
    let mut v: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().is_file())
                .map(|e| (e.path(), std::fs::read(e.path()).unwrap()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v.into_iter().map(|(_, b)| b).collect()
}

/// One mutation: (kind, position, length, token or byte).
type Op = (u8, usize, usize, usize);

pub fn mutate(seed: &[u8], ops: &[Op]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for &(kind, pos, len, tok) in ops {
        let at = if b.is_empty() { 0 } else { pos % (b.len() + 1) };
        match kind % 6 {
            0 if at < b.len() => b[at] ^= 1 << (tok % 8),
            1 => {
                let t = TOKENS[tok % TOKENS.len()];
                b.splice(at..at, t.iter().copied());
            }
            2 => {
                let end = (at + len % 64).min(b.len());
                b.drain(at..end);
            }
            3 => {
                let end = (at + len % 64).min(b.len());
                let piece: Vec<u8> = b[at..end].to_vec();
                b.splice(at..at, piece);
            }
            4 => b.truncate(at),
            _ if at < b.len() => b[at] = tok as u8,
            _ => {}
        }
    }
    b
}

fn secs() -> Duration {
    Duration::from_secs_f64(
        std::env::var("FUZZ_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(2.0),
    )
}

/// Replays the regressions, then fuzzes `target` for the time limit.
pub fn fuzz(target: &str, extra_seeds: Vec<Vec<u8>>, check_one: impl Fn(&[u8])) {
    for r in files(&root().join("fuzz/regressions").join(target)) {
        check_one(&r);
    }
    let mut seeds = files(&root().join("fuzz/corpus").join(target));
    seeds.extend(extra_seeds);
    assert!(!seeds.is_empty(), "no corpus for {target}");
    for s in &seeds {
        check_one(s);
    }
    let cases: u64 = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let start = Instant::now();
    let deadline = start + secs();
    let strategy = (
        0..seeds.len(),
        proptest::collection::vec(
            (any::<u8>(), any::<usize>(), any::<usize>(), any::<usize>()),
            1..8,
        ),
    );
    let ran = std::cell::Cell::new(0u64);
    // Chunks of cases until the time or case limit, each with a fresh random seed.
    let mut result = Ok(());
    while result.is_ok() && Instant::now() < deadline && ran.get() < cases {
        let mut runner = TestRunner::new(Config {
            cases: 1000,
            failure_persistence: None,
            ..Config::default()
        });
        result = runner.run(&strategy, |(i, ops)| {
            if Instant::now() > deadline {
                return Ok(());
            }
            ran.set(ran.get() + 1);
            check_one(&mutate(&seeds[i], &ops));
            Ok(())
        });
    }
    eprintln!(
        "fuzz {target}: {} inputs in {:.1?} (limit {:?})",
        ran.get(),
        start.elapsed(),
        secs()
    );
    if let Err(e) = result {
        // Keep the (shrunk) failing input as a regression, replayed on every run.
        if let proptest::test_runner::TestError::Fail(_, (i, ops)) = &e {
            let bytes = mutate(&seeds[*i], ops);
            let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
            });
            let dir = root().join("fuzz/regressions").join(target);
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join(format!("crash-{h:016x}")), &bytes);
        }
        panic!("fuzz {target}: {e}");
    }
}
