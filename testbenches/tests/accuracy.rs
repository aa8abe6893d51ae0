//! Every approximate component meets its stated error bound (and its extra figures,
//! such as softmax argmax agreement) against the float reference, at its corner
//! configurations and seeded random ones. No simulator needed: the RTL equals the
//! golden model bit for bit (the co-simulation tests), so this bounds the RTL too.

use generator::components;
use testbenches::accuracy;

#[test]
fn approximate_components_meet_their_bounds() {
    let reports = accuracy::sweep(components::all(), 11, 3, 256);
    eprintln!("{}", accuracy::table(&reports));
    let failures: Vec<&String> = reports.iter().flat_map(|r| &r.failures).collect();
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        reports.iter().all(|r| r.samples > 0),
        "a configuration measured nothing"
    );
}
