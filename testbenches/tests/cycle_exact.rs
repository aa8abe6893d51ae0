//! The fast cycle simulator against Verilator: for every component that has a cycle
//! model, its corner configurations and seeded random ones × the four stall patterns ×
//! two seeds, the cycle of every handshake on every stream must be Verilator's. A
//! difference names the component, parameters, seed, stall, stream, beat and both cycles.

use testbenches::regress;

fn check(name: &str) {
    let Some(v) = testbenches::verilator_or_skip(name) else {
        return;
    };
    let c = generator::components::find(name).unwrap();
    let mut failures = Vec::new();
    let mut beats = 0;
    for (label, o) in regress::configs(c, 1, 2) {
        let inst = c.configure(&o).unwrap();
        match testbenches::fast::check_instance(&v, &*inst, 24, &[1, 2, 3]) {
            Ok(n) => beats += n,
            Err(e) => failures.push(format!("{label}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(beats > 0, "{name}: no beats compared");
    eprintln!("{name}: {beats} handshakes equal to Verilator's");
}

#[test]
fn skid_buffer_cycle_exact() {
    check("skid_buffer");
}
#[test]
fn fifo_cycle_exact() {
    check("fifo");
}
#[test]
fn fork_cycle_exact() {
    check("fork");
}
#[test]
fn join_cycle_exact() {
    check("join");
}
#[test]
fn add_cycle_exact() {
    check("add");
}
#[test]
fn mul_cycle_exact() {
    check("mul");
}
#[test]
fn relu_cycle_exact() {
    check("relu");
}
#[test]
fn cast_cycle_exact() {
    check("cast");
}
#[test]
fn resize_cycle_exact() {
    check("resize");
}
#[test]
fn weight_rom_cycle_exact() {
    check("weight_rom");
}
#[test]
fn adder_tree_cycle_exact() {
    check("adder_tree");
}
#[test]
fn dot_product_cycle_exact() {
    check("dot_product");
}
#[test]
fn accumulator_cycle_exact() {
    check("accumulator");
}
#[test]
fn gelu_cycle_exact() {
    check("gelu");
}
#[test]
fn transpose_cycle_exact() {
    check("transpose");
}
#[test]
fn linear_cycle_exact() {
    check("linear");
}
#[test]
fn softmax_cycle_exact() {
    check("softmax");
}
#[test]
fn matmul_cycle_exact() {
    check("matmul");
}
#[test]
fn layernorm_cycle_exact() {
    check("layernorm");
}

#[test]
fn link_cycle_exact() {
    check("link");
}

#[test]
fn link_vc_cycle_exact() {
    check("link_vc");
}
