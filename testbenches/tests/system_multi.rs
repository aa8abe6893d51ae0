//! bert-tiny split over 2 and over 3 devices (`system::split`): each device top holds
//! its partition between a `mh_link_rx` and a `mh_link_tx`, the devices are joined by
//! simulation link models (latency, bandwidth, credits), and the whole chain is
//! simulated in Verilator as one design. Its output must equal, bit for bit, the
//! golden output of the single-device system built from the same model, config and
//! weights (an independently mapped netlist), with and without stalls.

use std::path::Path;

use generator::Instance;
use model::quant::QuantConfig;
use model::weights::Weights;
use system::SystemInstance;
use system::split::{LinkParams, MultiInstance};
use testbenches::cosim::{Dut, RunOutcome, Stall};
use testbenches::fast::PatternStimulus;

/// The fast engine on the split system (`sim::cycle::system::multi_net`: every device's
/// net and a cycle-stepped node per cut) under the stall pattern and seed of a
/// Verilator run: every handshake of the top's `data_in` and `data_out` must be
/// Verilator's.
fn fast_equals_verilator(
    multi: &MultiInstance,
    items: usize,
    out: &RunOutcome,
    stall: Stall,
    seed: u64,
) {
    use sim::cycle::End;
    let mut net = sim::cycle::system::multi_net(multi, items).unwrap();
    let mut stim = PatternStimulus::new(&multi.streams(), stall, seed);
    net.run(&mut stim).unwrap();
    let mut compared = 0;
    for s in &net.streams {
        let port = match (s.producer, s.consumer) {
            (End::Boundary(_), _) => "data_in",
            (_, End::Boundary(_)) => "data_out",
            _ => continue,
        };
        let want = &out.handshakes[port];
        let got = s.handshakes();
        if let Some(b) = (0..want.len().max(got.len())).find(|&b| want.get(b) != got.get(b)) {
            panic!(
                "{stall:?} seed {seed}: `{port}` beat {b}: Verilator cycle {:?}, fast engine {:?}",
                want.get(b),
                got.get(b)
            );
        }
        compared += want.len();
    }
    assert!(compared > 0);
}

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// bert-tiny (synthetic weights, seed 3, the shipped config): the graph, the
/// single-device system and a second, independently mapped netlist split over
/// `devices` devices.
fn setup(devices: usize, link: LinkParams) -> (model::graph::Graph, SystemInstance, MultiInstance) {
    let g = model::json::from_json(&example("bert-tiny.json")).unwrap();
    let w = Weights::synthetic(&g, 3);
    let cfg = QuantConfig::from_toml(&example("bert-tiny-q.toml")).unwrap();
    let plan = system::map::resolve(&g, &cfg, &w, 0, 16).unwrap();
    let single = SystemInstance::new(system::map_model(&g, &plan, &w).unwrap());
    let part = system::plan::split_by_count(&g, devices, "u250").unwrap();
    let multi =
        system::split::split(system::map_model(&g, &plan, &w).unwrap(), &part, link).unwrap();
    (g, single, multi)
}

fn check(devices: usize, link: LinkParams, stalls: &[Stall]) {
    let Some(v) = testbenches::verilator_or_skip("system_multi") else {
        return;
    };
    let (g, single, multi) = setup(devices, link);
    assert_eq!(multi.devices.len(), devices);
    assert_eq!(multi.cuts.len(), devices - 1);
    let (_, x) = system::inputs::synthetic(&g, &single, 500, 2).unwrap();
    let mut inputs = single.rom_tensors();
    inputs.insert("data_in".into(), x);
    // The reference is the single-device system's golden output.
    let expected = single.golden(&inputs).unwrap();
    assert_eq!(multi.rom_tensors().len(), single.rom_tensors().len());
    let t0 = std::time::Instant::now();
    let dut = Dut::build(&v, &multi, false).unwrap();
    println!(
        "bert-tiny on {devices} devices: Verilator build {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    for (k, &stall) in stalls.iter().enumerate() {
        let out = dut
            .run(&inputs, &expected, stall, 21 + k as u64, None)
            .unwrap();
        println!(
            "bert-tiny on {devices} devices {stall:?}: {} cycles, latency {:?}, {} beats",
            out.cycles, out.latency, out.beats_compared
        );
        assert!(
            out.passed(),
            "{stall:?}: {:?} {:?}",
            out.first_mismatch,
            out.errors
        );
        assert_eq!(out.beats_compared as usize, 2 * 8 * 64 / 4);
        fast_equals_verilator(&multi, 2, &out, stall, 21 + k as u64);
    }
    println!("bert-tiny on {devices} devices: bit-exact, fast engine cycle-exact");
}

#[test]
fn bert_tiny_on_two_devices_equals_the_single_device_golden_output() {
    check(2, LinkParams::default(), &Stall::ALL);
}

/// Three devices over a slow, long link with few credits: a quarter of the word rate
/// and a round trip the credits do not cover, so the links throttle the pipeline.
#[test]
fn bert_tiny_on_three_devices_over_a_throttled_link_equals_the_single_device_output() {
    let link = LinkParams {
        word_width: 64,
        latency: 40,
        bits_per_cycle: 16,
        credits: 12,
    };
    check(3, link, &[Stall::None, Stall::Both]);
}

/// bert-tiny cut into two devices after model node `after` (`names[..=after]` on
/// device 0): the graph, the single-device system and the split one.
fn setup_cut(
    after: &str,
    link: LinkParams,
) -> (model::graph::Graph, SystemInstance, MultiInstance) {
    let g = model::json::from_json(&example("bert-tiny.json")).unwrap();
    let w = Weights::synthetic(&g, 3);
    let cfg = QuantConfig::from_toml(&example("bert-tiny-q.toml")).unwrap();
    let plan = system::map::resolve(&g, &cfg, &w, 0, 16).unwrap();
    let single = SystemInstance::new(system::map_model(&g, &plan, &w).unwrap());
    let names: Vec<String> = g.nodes.iter().map(|n| n.name.clone()).collect();
    let k = names.iter().position(|n| n.ends_with(after)).unwrap() + 1;
    let part = system::plan::Partition {
        devices: vec![
            system::plan::DevicePart {
                board: "u250".into(),
                nodes: names[..k].to_vec(),
            },
            system::plan::DevicePart {
                board: "u250".into(),
                nodes: names[k..].to_vec(),
            },
        ],
    };
    let multi =
        system::split::split(system::map_model(&g, &plan, &w).unwrap(), &part, link).unwrap();
    (g, single, multi)
}

/// A cut inside the first FFN block (after its GELU): the main path and the residual
/// skip into the block's `add` both cross, multiplexed over one link (per-stream
/// credits). Bit-exact against the single-device golden output under every stall
/// pattern.
#[test]
fn bert_tiny_cut_inside_a_residual_block_equals_the_single_device_output() {
    let Some(v) = testbenches::verilator_or_skip("system_multi") else {
        return;
    };
    let (g, single, multi) = setup_cut("layer.0.intermediate.gelu", LinkParams::default());
    assert_eq!(multi.cuts.len(), 1);
    let tensors: Vec<&str> = multi.cuts[0]
        .streams
        .iter()
        .map(|s| s.tensor.as_str())
        .collect();
    assert_eq!(tensors.len(), 2, "{tensors:?}");
    assert!(
        tensors.iter().any(|t| t.ends_with("intermediate.gelu"))
            && tensors
                .iter()
                .any(|t| t.contains("attention.output.LayerNorm")),
        "{tensors:?}"
    );
    let (_, x) = system::inputs::synthetic(&g, &single, 500, 2).unwrap();
    let mut inputs = single.rom_tensors();
    inputs.insert("data_in".into(), x);
    let expected = single.golden(&inputs).unwrap();
    // The split system's own golden chain (devices with two boundary streams) agrees.
    assert_eq!(
        multi.golden(&inputs).unwrap()["data_out"],
        expected["data_out"]
    );
    let dut = Dut::build(&v, &multi, false).unwrap();
    for (k, &stall) in Stall::ALL.iter().enumerate() {
        let out = dut
            .run(&inputs, &expected, stall, 31 + k as u64, None)
            .unwrap();
        println!(
            "bert-tiny cut inside a residual block {stall:?}: {} cycles, latency {:?}",
            out.cycles, out.latency
        );
        assert!(
            out.passed(),
            "{stall:?}: {:?} {:?}",
            out.first_mismatch,
            out.errors
        );
        assert_eq!(out.beats_compared as usize, 2 * 8 * 64 / 4);
    }
    // The fast engine refuses a multiplexed cut rather than report a false deadlock.
    let e = sim::cycle::system::multi_net(&multi, 2)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("2 streams") && e.contains("single-stream cuts only"),
        "{e}"
    );
}

#[test]
fn single_stream_cut_points_are_after_residual_adds_and_layernorms() {
    let g = model::json::from_json(&example("bert-tiny.json")).unwrap();
    let names: Vec<String> = g.nodes.iter().map(|n| n.name.clone()).collect();
    // split_by_count only offers single-stream cuts: after each residual add and each
    // LayerNorm (not before the output node).
    let cuts = system::plan::single_stream_cuts(&g);
    assert!(
        cuts.iter()
            .all(|&c| names[c - 1].ends_with("LayerNorm") || names[c - 1].ends_with("residual")),
        "{cuts:?}"
    );
    assert_eq!(cuts.len(), 2 * 4 - 1);
}
