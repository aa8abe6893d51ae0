//! The harness itself can fail: a perturbed golden expectation, a missing beat and an
//! extra beat are each reported with the stream, beat, lane and cycle, under every stall
//! pattern. (Tests that cannot fail prove nothing.)

use generator::components;
use generator::rng::Rng;
use testbenches::cosim::{Dut, Stall};

#[test]
fn harness_reports_mismatches_missing_and_extra_beats() {
    let Some(v) = testbenches::verilator_or_skip("harness") else {
        return;
    };
    let c = components::find("fifo").unwrap();
    let inst = c
        .configure(&[("WIDTH", 8), ("PARALLELISM", 2), ("DEPTH", 4)])
        .unwrap();
    let dut = Dut::build(&v, &*inst, false).unwrap();
    let inputs = inst.random_inputs(&mut Rng::new(3), 20);
    let good = inst.golden(&inputs).unwrap();
    for stall in Stall::ALL {
        let ok = dut.run(&inputs, &good, stall, 9, None).unwrap();
        assert!(
            ok.passed(),
            "{stall}: {:?} {:?}",
            ok.first_mismatch,
            ok.errors
        );
        assert_eq!(ok.beats_compared, 20);

        // One element changed: beat 7 (elements 14, 15), lane 1.
        let mut bad = good.clone();
        let t = bad.get_mut("data_out").unwrap();
        t.raw[15] = (t.raw[15] + 1) % 256;
        let out = dut.run(&inputs, &bad, stall, 9, None).unwrap();
        assert_eq!(out.mismatches, 1, "{stall}");
        let m = out.first_mismatch.expect("a mismatch");
        assert_eq!(
            (m.stream.as_str(), m.beat, m.lane),
            ("data_out", 7, 1),
            "{stall}"
        );

        // The design produces 20 beats; expecting 21 must time out, expecting 19 must flag an extra beat.
        let mut more = good.clone();
        let t = more.get_mut("data_out").unwrap();
        t.raw.extend([0, 0]);
        t.shape[0] += 1;
        let out = dut.run(&inputs, &more, stall, 9, None).unwrap();
        assert!(
            out.errors
                .iter()
                .any(|e| e.contains("timeout") && e.contains("20 of 21")),
            "{stall}: {:?}",
            out.errors
        );

        let mut fewer = good.clone();
        let t = fewer.get_mut("data_out").unwrap();
        t.raw.truncate(38);
        t.shape[0] -= 1;
        let out = dut.run(&inputs, &fewer, stall, 9, None).unwrap();
        assert!(
            out.errors.iter().any(|e| e.contains("extra beat 19")),
            "{stall}: {:?}",
            out.errors
        );
    }
}
