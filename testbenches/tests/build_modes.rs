//! Verilator build modes: a ROM-weight linear layer (16 inputs, 4 outputs) built split
//! (Verilator's output and functions split, one compiler per file) equals the golden
//! model under stalls, as the one-unit build does; the modes are separate cache
//! entries, and `build.json` records how each was compiled.

use generator::rng::Rng;
use sim::BuildMode;
use testbenches::cosim::{Dut, Stall};

#[test]
fn split_and_single_builds_both_match_golden() {
    let Some(v) = testbenches::verilator_or_skip("build modes") else {
        return;
    };
    let c = generator::components::find("linear").unwrap();
    let params: Vec<String> = ["IN_SIZE=16", "OUT_SIZE=4", "WEIGHTS_FROM_ROM=1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let inst = c
        .elaborate(&generator::Params::parse("linear", c.params(), &params).unwrap())
        .unwrap();
    let inputs = inst.random_inputs(&mut Rng::new(11), 6);
    let expected = inst.golden(&inputs).unwrap();
    let mut dirs = Vec::new();
    for (mode, per_file) in [(BuildMode::Split, true), (BuildMode::Single, false)] {
        let v = v.clone().with_mode(mode);
        let dut = Dut::build(&v, &*inst, false).unwrap();
        let info = sim::BuildInfo::read(dut.library_dir()).expect("build.json");
        assert_eq!(info.mode, mode.name());
        assert_eq!(info.per_file, per_file, "{info:?}");
        assert_eq!(info.units > 1, per_file, "{info:?}");
        for stall in [Stall::None, Stall::Both] {
            let out = dut.run(&inputs, &expected, stall, 5, None).unwrap();
            assert!(
                out.passed(),
                "{} build, {stall:?}: {:?} {:?}",
                mode.name(),
                out.first_mismatch,
                out.errors
            );
        }
        dirs.push(dut.library_dir().to_path_buf());
    }
    assert_ne!(dirs[0], dirs[1], "the build mode is part of the cache key");
}
