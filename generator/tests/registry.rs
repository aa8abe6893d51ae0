//! Registry-wide properties: every component elaborates at its defaults, corners and
//! random configurations, names only library modules that exist, emits deterministic
//! text with no absolute paths, and rejects impossible parameters with one-line errors
//! naming the parameter, the value and the rule.

use generator::components;
use generator::rng::Rng;
use generator::{Params, TensorMap};

#[test]
fn every_configuration_elaborates_and_names_existing_modules() {
    for c in components::all() {
        let mut configs: Vec<(bool, Vec<(&str, i64)>)> = vec![(true, vec![])];
        configs.extend(c.corners().into_iter().map(|o| (true, o)));
        let mut rng = Rng::new(5);
        configs.extend((0..20).map(|_| (false, c.random(&mut rng))));
        for (must_pass, o) in &configs {
            let inst = match c.configure(o) {
                Ok(i) => i,
                // Random draws may be illegal; they must say why in one line.
                Err(e) if !must_pass => {
                    assert!(!e.to_string().contains('\n'), "{e}");
                    continue;
                }
                Err(e) => panic!("{} {o:?}: {e}", c.name()),
            };
            for m in inst.library() {
                assert!(
                    !generator::library::source(m).is_empty(),
                    "{}: module {m} missing",
                    c.name()
                );
                assert!(
                    generator::library::source(m).contains(&format!("module {m}")),
                    "{m}: file does not hold the module"
                );
            }
            let sig = inst.signature("t");
            assert!(!sig.streams.is_empty());
            assert!(sig.ports.iter().any(|p| p.name == "clk"));
        }
    }
}

#[test]
fn emission_is_deterministic_and_relative() {
    for c in components::all() {
        let inst = c.configure(&[]).unwrap();
        let tensors: TensorMap = inst.random_inputs(&mut Rng::new(1), 2);
        let a = generator::emit::render(&*inst, "dut", Some(&tensors)).unwrap();
        let b = generator::emit::render(&*inst, "dut", Some(&tensors)).unwrap();
        assert_eq!(a, b);
        for (name, text) in &a {
            assert!(
                !text.contains("/work/") && !text.contains("/tmp/"),
                "{}: {name} has an absolute path",
                c.name()
            );
        }
    }
}

#[test]
fn rom_contents_are_required_to_emit() {
    let c = components::find("linear").unwrap();
    let inst = c.configure(&[("WEIGHTS_FROM_ROM", 1)]).unwrap();
    let e = generator::emit::render(&*inst, "dut", None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "linear: missing tensor `weight` (contents of ROM `weight.mem` (pass --inputs with this tensor))"
    );
}

fn err(component: &str, params: &[&str]) -> String {
    let c = components::find(component).unwrap();
    let p: Vec<String> = params.iter().map(|s| s.to_string()).collect();
    match Params::parse(component, c.params(), &p).and_then(|p| c.elaborate(&p)) {
        Ok(_) => panic!("{component} {params:?} was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn impossible_parameters_are_one_line_errors() {
    insta::assert_snapshot!(
        [
            err("linear", &["IN_SIZE=12", "IN_PARALLELISM=5"]),
            err("linear", &["OUT_SIZE=10", "OUT_PARALLELISM=4"]),
            err("linear", &["IN_WIDTH=64", "WEIGHT_WIDTH=64"]),
            err("cast", &["IN_WIDTH=0"]),
            err("cast", &["OUT_FRAC_WIDTH=500"]),
            err("cast", &["ROUNDING=NEAREST"]),
            err("cast", &["OVERFLOW=clamp"]),
            err("cast", &["PARALLELISM=x"]),
            err("fifo", &["DEPTH=1"]),
            err("fork", &["N=0"]),
            err("linear", &["BIAS=1"]),
            err("linear", &["WEIGHT_GRANULARITY=2", "WEIGHT_BLOCK=6"]),
            err(
                "linear",
                &[
                    "WEIGHT_GRANULARITY=2",
                    "WEIGHT_BLOCK=8",
                    "IN_PARALLELISM=16",
                    "IN_SIZE=32"
                ]
            ),
            err("linear", &["WEIGHT_GRANULARITY=1", "WEIGHT_SHIFT_WIDTH=7"]),
            err("dot_product", &["PARALLELISM"]),
            err(
                "gelu",
                &[
                    "IN_WIDTH=32",
                    "IN_FRAC_WIDTH=16",
                    "OUT_WIDTH=32",
                    "OUT_FRAC_WIDTH=32"
                ]
            ),
            err("add", &["A_WIDTH=33"]),
        ]
        .join("\n")
    );
}

#[test]
fn unknown_components_list_the_known_ones() {
    let e = components::find("conv2d")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("unknown component `conv2d` (known: skid_buffer, fifo,"),
        "{e}"
    );
    for c in components::all() {
        assert!(e.contains(c.name()), "{e}");
    }
}

#[test]
fn linear_rom_words_follow_block_order() {
    // W[o][i] = 10*o + i, IN 4 (Pi 2), OUT 4 (Po 2): word j*KB+k holds W[j*2+o][k*2+i] at lane o*2+i.
    let c = components::find("linear").unwrap();
    let inst = c
        .configure(&[
            ("IN_SIZE", 4),
            ("OUT_SIZE", 4),
            ("IN_PARALLELISM", 2),
            ("OUT_PARALLELISM", 2),
            ("WEIGHTS_FROM_ROM", 1),
            ("HAS_BIAS", 0),
        ])
        .unwrap();
    let fmt = golden::Format::signed(8, 4).unwrap();
    let w = generator::Tensor::new(
        vec![4, 4],
        (0..4)
            .flat_map(|o| (0..4).map(move |i| 10 * o + i))
            .collect(),
        fmt,
    );
    let tensors = TensorMap::from([("weight".to_string(), w)]);
    let mem = &inst.memories()[0];
    let words = inst.memory_words(mem, &tensors).unwrap();
    assert_eq!(
        words,
        vec![
            vec![0, 1, 10, 11],
            vec![2, 3, 12, 13],
            vec![20, 21, 30, 31],
            vec![22, 23, 32, 33]
        ]
    );
    let files = generator::emit::memory_files(&*inst, Some(&tensors)).unwrap();
    // Lane 0 in the low bits: word 0 = 0x0b_0a_01_00.
    assert!(
        files["weight.mem"].starts_with("0b0a0100\n"),
        "{}",
        files["weight.mem"]
    );
}

/// Every component's `.mem` text (however it streams it) equals the words of
/// `memory_words`, packed and printed one per line: the order the co-simulation
/// checks is the order in the files, at corners and random configurations.
#[test]
fn rom_files_follow_memory_words() {
    let mut compared: Vec<&str> = Vec::new();
    for c in components::all() {
        let mut configs: Vec<Vec<(&str, i64)>> = vec![vec![]];
        configs.extend(c.corners());
        let mut rng = Rng::new(9);
        configs.extend((0..12).map(|_| c.random(&mut rng)));
        for o in &configs {
            let Ok(inst) = c.configure(o) else { continue };
            let mems = inst.memories();
            if mems.is_empty() {
                continue;
            }
            let tensors: TensorMap = inst.random_inputs(&mut Rng::new(3), 1);
            let files = generator::emit::memory_files(&*inst, Some(&tensors)).unwrap();
            for m in &mems {
                let fmt = tensors[&m.tensor].format;
                let mut want = String::new();
                for w in inst.memory_words(m, &tensors).unwrap() {
                    want.push_str(&generator::bits::hex(
                        &generator::bits::pack(&w, fmt),
                        m.word_width,
                    ));
                    want.push('\n');
                }
                assert_eq!(files[&m.file], want, "{} {o:?}: {}", c.name(), m.file);
                compared.push(c.name());
            }
        }
    }
    for c in ["linear", "weight_rom", "layernorm"] {
        assert!(compared.contains(&c), "no ROM of {c} compared");
    }
}
