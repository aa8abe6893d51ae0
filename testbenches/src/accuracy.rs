//! Accuracy of approximate components against their float reference: the golden model
//! (which the RTL matches bit for bit) is compared with the mathematical function on the
//! same quantised inputs. Reports max and mean absolute error in output LSBs plus the
//! component's own figures (e.g. softmax argmax agreement) and checks the stated bounds.
//! Needs no simulator.

use std::fmt::Write as _;

use generator::component::{AccuracyFigure, Component};
use generator::rng::Rng;

/// Accuracy of one configuration.
#[derive(Clone, Debug)]
pub struct AccuracyReport {
    pub component: &'static str,
    pub label: String,
    pub params: Vec<String>,
    pub samples: usize,
    pub max_lsb: f64,
    pub mean_lsb: f64,
    pub bound: Option<f64>,
    pub extras: Vec<AccuracyFigure>,
    pub failures: Vec<String>,
}

/// Measures one configuration on `rows` rows of the component's accuracy inputs;
/// `None` when the component has no float reference (it is exact).
pub fn measure(
    c: &'static dyn Component,
    label: &str,
    overrides: &[(&'static str, i64)],
    seed: u64,
    rows: usize,
) -> Option<AccuracyReport> {
    let inst = match c.configure(overrides) {
        Ok(i) => i,
        Err(e) => {
            return Some(AccuracyReport {
                component: c.name(),
                label: label.to_string(),
                params: Vec::new(),
                samples: 0,
                max_lsb: 0.0,
                mean_lsb: 0.0,
                bound: None,
                extras: Vec::new(),
                failures: vec![format!("{} [{label}]: elaboration: {e}", c.name())],
            });
        }
    };
    let inputs = inst.accuracy_inputs(&mut Rng::new(seed), rows);
    let mut r = AccuracyReport {
        component: c.name(),
        label: label.to_string(),
        params: inst.params().display(c.params()),
        samples: 0,
        max_lsb: 0.0,
        mean_lsb: 0.0,
        bound: inst.accuracy_bound().map(|b| b.max_lsb),
        extras: Vec::new(),
        failures: Vec::new(),
    };
    let whence = format!("{} [{label}] {} seed={seed}", c.name(), r.params.join(" "));
    let golden = match inst
        .check_inputs(&inputs)
        .and_then(|()| inst.golden(&inputs))
    {
        Ok(g) => g,
        Err(e) => {
            r.failures.push(format!("{whence}: golden model: {e}"));
            return Some(r);
        }
    };
    let float = match inst.float_reference(&inputs) {
        Ok(Some(f)) => f,
        Ok(None) => return None,
        Err(e) => {
            r.failures.push(format!("{whence}: float reference: {e}"));
            return Some(r);
        }
    };
    let mut sum = 0.0;
    for (name, reference) in &float {
        let Some(g) = golden.get(name) else {
            r.failures.push(format!(
                "{whence}: float reference names `{name}`, which the golden model does not produce"
            ));
            continue;
        };
        let lsb = (-f64::from(g.format.frac())).exp2();
        for (i, (&raw, &want)) in g.raw.iter().zip(reference).enumerate() {
            let err = (g.format.to_f64(raw) - want).abs() / lsb;
            if err > r.max_lsb {
                r.max_lsb = err;
                if r.bound.is_some_and(|b| err > b) && r.failures.is_empty() {
                    r.failures.push(format!(
                        "{whence}: {name}[{i}] = {} differs from float {want:.6} by {err:.3} LSB",
                        g.format.to_f64(raw)
                    ));
                }
            }
            sum += err;
            r.samples += 1;
        }
    }
    r.mean_lsb = if r.samples > 0 {
        sum / r.samples as f64
    } else {
        0.0
    };
    if let Some(b) = r.bound
        && r.max_lsb > b
    {
        r.failures.push(format!(
            "{whence}: max error {:.3} LSB exceeds the stated bound {b} LSB",
            r.max_lsb
        ));
    }
    r.extras = inst.accuracy_extras(&inputs, &golden, &float);
    for x in &r.extras {
        if x.min.is_some_and(|m| x.value < m) || x.max.is_some_and(|m| x.value > m) {
            r.failures.push(format!(
                "{whence}: {} = {:.6} outside [{}, {}]",
                x.name,
                x.value,
                x.min.map_or("-".into(), |v| v.to_string()),
                x.max.map_or("-".into(), |v| v.to_string())
            ));
        }
    }
    Some(r)
}

/// Measures corners and `random` random configurations of each component that has a
/// float reference.
pub fn sweep(
    comps: &[&'static dyn Component],
    seed: u64,
    random: usize,
    rows: usize,
) -> Vec<AccuracyReport> {
    let mut out = Vec::new();
    for &c in comps {
        for (label, o) in crate::regress::configs(c, seed, random) {
            if let Some(r) = measure(c, &label, &o, seed, rows) {
                out.push(r);
            }
        }
    }
    out
}

/// The accuracy table as printed by `mase-hw test --accuracy`.
pub fn table(reports: &[AccuracyReport]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<12} {:<9} {:>8} {:>9} {:>9} {:>7}  {:<24}  parameters",
        "component", "config", "samples", "max LSB", "mean LSB", "bound", "other"
    );
    for r in reports {
        let extras: Vec<String> = r
            .extras
            .iter()
            .map(|x| format!("{}={:.4}", x.name, x.value))
            .collect();
        let _ = writeln!(
            s,
            "{:<12} {:<9} {:>8} {:>9.3} {:>9.4} {:>7}  {:<24}  {}",
            r.component,
            r.label,
            r.samples,
            r.max_lsb,
            r.mean_lsb,
            r.bound.map_or("-".to_string(), |b| format!("{b}")),
            extras.join(" "),
            r.params.join(" ")
        );
    }
    s
}
