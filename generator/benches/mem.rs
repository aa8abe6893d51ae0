//! Times the ROM-file part of `gen` for bert-base sizes (12 layers × 6 linears, hidden
//! 768, FFN 3072: 85 M weights) with seeded random codes: rendering the `.mem` text
//! the old way (per word `bits::pack` + `bits::hex`) and with `bits::write_mem`, then
//! `emit::memory_files` of every linear's ROMs (checks, ROM word order, text), one
//! instance after another and spread over the cores the way a system's ROM list is
//! (and the instances' `memory_words` alone, the word lists the text is made from),
//! and writing the text with `emit::write_dir`. Run with
//! `cargo bench -p generator --bench mem` (an argument filters the steps by label).

use std::time::{Duration, Instant};

use generator::bits;
use generator::component::Instance;
use generator::components::find;
use generator::emit::{FileSet, memory_files, write_dir};
use generator::tensor::{Tensor, TensorMap};
use golden::Format;

fn time<T>(filter: &Option<String>, label: &str, runs: usize, mut f: impl FnMut() -> T) {
    if filter.as_ref().is_some_and(|s| !label.contains(s.as_str())) {
        return;
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{label:<60} min {:>9.3} ms   median {:>9.3} ms   ({runs} runs)",
        times[0].as_secs_f64() * 1e3,
        times[runs / 2].as_secs_f64() * 1e3
    );
}

/// The (in, out) sizes of bert-base's linears: per layer q, k, v, attention output,
/// intermediate, output.
fn linears() -> Vec<(usize, usize)> {
    let (h, ffn) = (768, 3072);
    (0..12)
        .flat_map(|_| [(h, h), (h, h), (h, h), (h, h), (h, ffn), (ffn, h)])
        .collect()
}

/// Seeded random raw codes of `format`.
fn codes(n: usize, format: Format, seed: u64) -> Vec<i128> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            format.from_bits(u128::from(s))
        })
        .collect()
}

/// One bert-base linear with ROM weights: `w` bits per weight, `pi` × `po` lanes.
fn instance(d_in: usize, d_out: usize, w: u32, pi: usize, po: usize) -> Box<dyn Instance> {
    let p = [
        ("IN_SIZE", d_in as i64),
        ("OUT_SIZE", d_out as i64),
        ("IN_WIDTH", 16),
        ("IN_FRAC_WIDTH", 12),
        ("WEIGHT_WIDTH", i64::from(w)),
        ("WEIGHT_FRAC_WIDTH", i64::from(w) - 1),
        ("BIAS_WIDTH", 16),
        ("BIAS_FRAC_WIDTH", 12),
        ("OUT_WIDTH", 16),
        ("OUT_FRAC_WIDTH", 12),
        ("IN_PARALLELISM", pi as i64),
        ("OUT_PARALLELISM", po as i64),
        ("WEIGHTS_FROM_ROM", 1),
    ];
    find("linear")
        .and_then(|c| c.configure(&p))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn tensors(d_in: usize, d_out: usize, w: u32, seed: u64) -> TensorMap {
    let (wf, bf) = (
        Format::signed(w, w as i32 - 1).unwrap_or_else(|e| panic!("{e}")),
        Format::signed(16, 12).unwrap_or_else(|e| panic!("{e}")),
    );
    TensorMap::from([
        (
            "weight".to_string(),
            Tensor::new(vec![d_out, d_in], codes(d_in * d_out, wf, seed), wf),
        ),
        (
            "bias".to_string(),
            Tensor::new(vec![d_out], codes(d_out, bf, seed + 1), bf),
        ),
    ])
}

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("ROM file benchmark, bert-base sizes ({cores} threads available)");
    let lin = linears();
    for (w, pi, po) in [(8u32, 4usize, 2usize), (16, 1, 1)] {
        let tag = format!("{w}-bit weights, {pi}x{po} lanes");
        // The text of every weight ROM, as words of `pi * po` lanes (block order does
        // not matter for the text speed; the word count and widths do).
        let f = Format::signed(w, 0).unwrap_or_else(|e| panic!("{e}"));
        let lanes = pi * po;
        let all: Vec<Vec<i128>> = lin
            .iter()
            .enumerate()
            .map(|(i, (a, b))| codes(a * b, f, i as u64))
            .collect();
        let word_width = w * lanes as u32;
        let bytes: usize = all
            .iter()
            .map(|t| t.len() / lanes * (word_width.div_ceil(4) as usize + 1))
            .sum();
        println!("{tag}: {:.0} MB of hex", bytes as f64 / 1e6);
        let words: Vec<Vec<Vec<i128>>> = all
            .iter()
            .map(|t| t.chunks(lanes).map(<[i128]>::to_vec).collect())
            .collect();
        time(
            &filter,
            &format!("{tag}: text, old pack + hex per word"),
            1,
            || {
                words
                    .iter()
                    .map(|ws| {
                        let mut text = String::new();
                        for wd in ws {
                            text.push_str(&bits::hex(&bits::pack(wd, f), word_width));
                            text.push('\n');
                        }
                        text.len()
                    })
                    .sum::<usize>()
            },
        );
        time(
            &filter,
            &format!("{tag}: text, bits::write_mem (1 thread)"),
            3,
            || {
                words
                    .iter()
                    .map(|ws| {
                        let mut text = Vec::new();
                        bits::write_mem(&mut text, ws.iter().map(Vec::as_slice), f, word_width);
                        text.len()
                    })
                    .sum::<usize>()
            },
        );
        drop(words);
        drop(all);

        // memory_files of every linear, from its raw tensors.
        let insts: Vec<(Box<dyn Instance>, TensorMap)> = lin
            .iter()
            .enumerate()
            .map(|(i, &(a, b))| (instance(a, b, w, pi, po), tensors(a, b, w, i as u64)))
            .collect();
        let render = |range: &[(Box<dyn Instance>, TensorMap)]| -> FileSet {
            let mut files = FileSet::new();
            for (i, (inst, t)) in range.iter().enumerate() {
                let f = memory_files(inst.as_ref(), Some(t)).unwrap_or_else(|e| panic!("{e}"));
                files.extend(f.into_iter().map(|(k, v)| (format!("{i}_{k}"), v)));
            }
            files
        };
        time(
            &filter,
            &format!("{tag}: Instance::memory_words only (word lists)"),
            3,
            || {
                insts
                    .iter()
                    .map(|(inst, t)| {
                        inst.memories()
                            .iter()
                            .map(|m| inst.memory_words(m, t).map_or(0, |w| w.len()))
                            .sum::<usize>()
                    })
                    .sum::<usize>()
            },
        );
        time(
            &filter,
            &format!("{tag}: emit::memory_files, instances in turn"),
            3,
            || render(&insts).len(),
        );
        let mut files = FileSet::new();
        time(
            &filter,
            &format!("{tag}: emit::memory_files, instances on {cores} cores"),
            3,
            || {
                let per = insts.len().div_ceil(cores);
                let parts: Vec<FileSet> = std::thread::scope(|s| {
                    let hs: Vec<_> = insts
                        .chunks(per)
                        .map(|c| s.spawn(move || render(c)))
                        .collect();
                    hs.into_iter()
                        .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                        .collect()
                });
                files = parts.into_iter().flatten().collect();
                files.len()
            },
        );
        drop(insts);
        let dir = std::env::temp_dir().join(format!("mase-hw-bench-mem-{}", std::process::id()));
        time(
            &filter,
            &format!("{tag}: emit::write_dir of the ROM files"),
            3,
            || {
                let _ = std::fs::remove_dir_all(&dir);
                write_dir(&files, &dir).map(|v| v.len())
            },
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
