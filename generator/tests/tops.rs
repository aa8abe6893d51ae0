//! Pinned text of generated flat tops (insta snapshots beside this file): a cast top
//! (one direct stream each way) and a 3-way fork top (bundled outputs split out by
//! `assign`s). Any change to the stream wiring shows up as a snapshot diff.

use generator::components;

fn top(name: &str, overrides: &[(&str, i64)]) -> String {
    let inst = components::find(name)
        .unwrap()
        .configure(overrides)
        .unwrap();
    inst.top("dut", "mem").print()
}

#[test]
fn cast_top() {
    insta::assert_snapshot!(top(
        "cast",
        &[("IN_WIDTH", 12), ("OUT_WIDTH", 8), ("PARALLELISM", 2)]
    ));
}

#[test]
fn fork_3_way_top() {
    insta::assert_snapshot!(top("fork", &[("N", 3), ("WIDTH", 8), ("PARALLELISM", 2)]));
}
