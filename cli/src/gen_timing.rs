//! The simulated timing `gen` reports: after stitching, the fast cycle simulator
//! (`sim::cycle`, timing mode, no stalls) runs a few items back to back through the
//! single-device design, and `gen` prints latency and cycles per item labelled
//! "simulated"; `report.json` carries them under `timing` (`source = "simulated"`),
//! with the descriptor-based estimate kept beside them as `timing.estimate`.
//!
//! The CLI composes this: `system` (the stitcher) does not depend on `sim`, and no
//! external tool runs — generation still needs no simulator program. A multi-device
//! design is simulated with its links (`multi_net`); one with a cut crossed by several
//! streams keeps the estimate (`source = "estimate"`) and says why.

use generator::Instance;
use generator::emit::FileSet;
use serde::Serialize;
use sim::cycle::NoStalls;
use sim::cycle::system::system_net;
use system::SystemInstance;

/// Items `gen` simulates: enough for a steady-state interval, cheap for bert-base.
pub const ITEMS: usize = 3;

#[derive(Clone, Debug, Serialize)]
pub struct Estimate {
    pub latency_cycles: u64,
    pub latency_exact: bool,
    pub item_interval_cycles: u64,
}

/// `report.json`'s `timing`.
#[derive(Clone, Debug, Serialize)]
pub struct Timing {
    /// `"simulated"` or `"estimate"`.
    pub source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_cycles: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_in_to_last_out_cycles: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cycles_per_item: Option<f64>,
    /// Why the simulation did not run or did not finish.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub estimate: Estimate,
}

fn estimate(sys: &SystemInstance) -> Estimate {
    Estimate {
        latency_cycles: sys.timing().latency,
        latency_exact: sys.timing_is_exact(),
        item_interval_cycles: sys.item_interval(),
    }
}

/// The estimate only, with `note` saying why.
pub fn estimated(sys: &SystemInstance, note: &str) -> Timing {
    Timing {
        source: "estimate",
        items: None,
        latency_cycles: None,
        first_in_to_last_out_cycles: None,
        cycles_per_item: None,
        note: Some(note.to_string()),
        estimate: estimate(sys),
    }
}

/// Runs [`ITEMS`] items of `sys` through the fast engine with no stalls; a deadlock or
/// a component without a cycle model leaves the estimate with a note.
pub fn simulate(sys: &SystemInstance) -> Timing {
    timing_of(sys, system_net(&sys.net, ITEMS))
}

/// [`simulate`] for a split design: every device's net joined by cycle models of the
/// links (`multi_net`). A cut crossed by several streams is not simulated by the fast
/// engine; it keeps the estimate with the reason.
pub fn simulate_multi(sys: &SystemInstance, m: &system::split::MultiInstance) -> Timing {
    timing_of(sys, sim::cycle::system::multi_net(m, ITEMS))
}

/// Runs `net` (built for [`ITEMS`] items) without stalls: the simulated timing, or the
/// estimate of `sys` with the reason it could not be simulated.
fn timing_of(sys: &SystemInstance, net: Result<sim::cycle::Net, sim::cycle::CycleError>) -> Timing {
    let run = net.and_then(|mut n| {
        n.run(&mut NoStalls)?;
        Ok(n.summary(ITEMS))
    });
    match run {
        Ok(s) => Timing {
            source: "simulated",
            items: Some(ITEMS),
            latency_cycles: Some(s.latency_cycles),
            first_in_to_last_out_cycles: Some(s.first_in_to_last_out_cycles),
            cycles_per_item: s.cycles_per_item,
            note: None,
            estimate: estimate(sys),
        },
        Err(e) => estimated(sys, &format!("fast engine: {e}")),
    }
}

/// Prints the simulated figures (or why there are none).
pub fn print(t: &Timing, secs: f64) {
    match (t.source, t.latency_cycles) {
        ("simulated", Some(l)) => println!(
            "  simulated: latency {l} cycles (first input beat -> first output beat), {} cycles per item back to back ({} items, no stalls, fast engine {secs:.2} s)",
            t.cycles_per_item
                .map_or("-".to_string(), |c| format!("{c:.1}")),
            t.items.unwrap_or(0)
        ),
        _ => println!(
            "  timing: estimate only ({})",
            t.note.as_deref().unwrap_or("not simulated")
        ),
    }
}

/// Adds `timing` to `report.json` (as its last field, the others keep their order).
pub fn add_to_report(files: &mut FileSet, t: &Timing) {
    let Some(text) = files.get("report.json") else {
        return;
    };
    let Some(head) = text.trim_end().strip_suffix('}') else {
        return;
    };
    let v = serde_json::to_string_pretty(t)
        .unwrap_or_default()
        .replace('\n', "\n  ");
    let t = format!("{},\n  \"timing\": {v}\n}}\n", head.trim_end());
    files.insert("report.json".into(), t);
}
