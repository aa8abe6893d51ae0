//! Icarus against Verilator: the same instance, vectors, stall pattern and seed run on
//! both simulators must give the same outcome beat for beat (observed beats, cycle
//! count, handshake cycles on the initiation-interval stream, latency, verdict), and a
//! perturbed expected beat must fail on Icarus at the same beat as on Verilator.

use generator::rng::Rng;
use testbenches::backend::Runner as _;
use testbenches::cosim::{Dut, Stall};
use testbenches::icarus::IcarusDut;

fn icarus_or_skip(test: &str) -> Option<sim::Icarus> {
    match sim::Icarus::discover() {
        Ok(i) => Some(i),
        Err(e) => {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
                "{test}: {e}"
            );
            eprintln!("SKIPPED {test}: {e}");
            None
        }
    }
}

fn same_on_both(component: &str, params: &[(&'static str, i64)], rows: usize) {
    let Some(v) = testbenches::verilator_or_skip(component) else {
        return;
    };
    let Some(ic) = icarus_or_skip(component) else {
        return;
    };
    let c = generator::components::find(component).expect("component");
    let inst = c.configure(params).expect("configuration");
    let dut = Dut::build(&v, &*inst, false).expect("verilator build");
    let idut = IcarusDut::build(&ic, &*inst).expect("icarus build");
    for (i, stall) in Stall::ALL.into_iter().enumerate() {
        let seed = 0x1ca7 + i as u64;
        let inputs = inst.random_inputs(&mut Rng::new(seed), rows);
        let expected = inst.golden(&inputs).expect("golden");
        let a = dut
            .run(&inputs, &expected, stall, seed, None)
            .expect("verilator run");
        let b = idut
            .run(&inputs, &expected, stall, seed, None)
            .expect("icarus run");
        let ctx = format!("{component} {params:?} stall={stall} seed={seed}");
        assert!(
            a.passed(),
            "{ctx}: verilator: {:?} {:?}",
            a.first_mismatch,
            a.errors
        );
        assert!(
            b.passed(),
            "{ctx}: icarus: {:?} {:?}",
            b.first_mismatch,
            b.errors
        );
        assert_eq!(a.observed, b.observed, "{ctx}: observed beats");
        assert_eq!(a.cycles, b.cycles, "{ctx}: cycles");
        assert_eq!(a.ii_fires, b.ii_fires, "{ctx}: handshake cycles");
        assert_eq!(a.latency, b.latency, "{ctx}: latency");
        assert_eq!(a.beats_compared, b.beats_compared, "{ctx}: beats compared");
        assert!(a.beats_compared > 0, "{ctx}: no beats");

        // One perturbed expected beat: both fail, at the same beat, lane and cycle.
        let mut bad = expected.clone();
        let t = bad.values_mut().next().expect("an output tensor");
        t.raw[0] ^= 1;
        let a = dut
            .run(&inputs, &bad, stall, seed, None)
            .expect("verilator run");
        let b = idut
            .run(&inputs, &bad, stall, seed, None)
            .expect("icarus run");
        assert!(!b.passed(), "{ctx}: icarus passed a perturbed vector");
        let (ma, mb) = (
            a.first_mismatch.expect("verilator mismatch"),
            b.first_mismatch.expect("icarus mismatch"),
        );
        assert_eq!(
            (ma.beat, ma.lane, ma.cycle),
            (mb.beat, mb.lane, mb.cycle),
            "{ctx}: first mismatch"
        );
    }
}

#[test]
fn cast_same_on_icarus() {
    same_on_both("cast", &[], 12);
}

#[test]
fn add_two_inputs_same_on_icarus() {
    same_on_both("add", &[], 12);
}

#[test]
fn linear_with_rom_same_on_icarus() {
    same_on_both("linear", &[], 4);
}

#[test]
fn fifo_same_on_icarus() {
    same_on_both("fifo", &[], 12);
}
