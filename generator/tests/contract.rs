//! The declared [`Behaviour`] of every component checked against what the component
//! itself says elsewhere: its streams, its signature's latency, its tensors and its
//! golden model. Walks the whole registry at the defaults and every corner, so a new
//! component is checked as soon as it is registered.
//!
//! Also the "adding a component" checklist of `docs/components.md`: every registered
//! component has each of its facets (SV module, descriptor, golden model where it
//! computes, co-simulation regression, README row, docs section).

use std::collections::BTreeSet;
use std::path::Path;

use generator::component::{Behaviour, FirstOutput};
use generator::components;
use generator::rng::Rng;
use generator::sv::Dir;
use generator::tensor::Dim;
use generator::{Instance, StreamDef};

/// The defaults and every corner of every component, elaborated.
fn instances() -> Vec<(String, Box<dyn Instance>)> {
    let mut v = Vec::new();
    for c in components::all() {
        let mut configs = vec![vec![]];
        configs.extend(c.corners());
        for o in configs {
            let inst = c
                .configure(&o)
                .unwrap_or_else(|e| panic!("{} {o:?}: {e}", c.name()));
            v.push((format!("{} {o:?}", c.name()), inst));
        }
    }
    v
}

fn input_streams(inst: &dyn Instance) -> Vec<StreamDef> {
    inst.streams()
        .into_iter()
        .filter(|s| s.direction == Dir::Input)
        .collect()
}

/// Elements of one item of `tensor` (free dimensions as 1).
fn item_elements(inst: &dyn Instance, tensor: &str) -> Option<(usize, usize)> {
    let d = inst.tensors().into_iter().find(|d| d.name == tensor)?;
    let fixed = |x: &Dim| match x {
        Dim::Fixed(n) | Dim::Multiple(n) => *n,
        Dim::Batch => 1,
    };
    let last = d.shape.last().map_or(1, fixed);
    Some((d.shape.iter().map(fixed).product(), last))
}

#[test]
fn every_input_stream_is_declared_once_in_stream_order() {
    for (what, inst) in instances() {
        let b: Behaviour = inst.behaviour();
        let declared: Vec<&str> = b.inputs.iter().map(|i| i.stream.as_str()).collect();
        let streams: Vec<String> = input_streams(&*inst).into_iter().map(|s| s.name).collect();
        assert_eq!(
            declared, streams,
            "{what}: declared inputs differ from the streams"
        );
        for i in &b.inputs {
            if let Some(a) = &i.after {
                let other = b
                    .input(a)
                    .unwrap_or_else(|| panic!("{what}: `{}` after unknown `{a}`", i.stream));
                assert!(
                    matches!(other.first_output, FirstOutput::Tensor { .. }),
                    "{what}: `{}` is read after `{a}`, which is not held whole",
                    i.stream
                );
                assert_ne!(a, &i.stream, "{what}: a stream after itself");
            }
        }
    }
}

#[test]
fn waits_agree_with_the_signature_latency_and_the_tensors() {
    let mut rows = 0;
    for (what, inst) in instances() {
        let b = inst.behaviour();
        let latency = inst.timing().latency as usize;
        let streams = input_streams(&*inst);
        for i in &b.inputs {
            let s = streams.iter().find(|s| s.name == i.stream).unwrap();
            let beats = i.first_output.beats();
            assert!(beats >= 1, "{what}: `{}` waits for no beat", i.stream);
            // The first output cannot leave before the last beat it waits for has
            // arrived (back to back), nor before the stream it is read after is held.
            let before = i
                .after
                .as_deref()
                .and_then(|a| b.input(a))
                .map_or(0, |a| a.first_output.beats());
            assert!(
                latency + 1 >= before + beats,
                "{what}: latency {latency} is shorter than the {before} + {beats} beats `{}` waits for",
                i.stream
            );
            let (elements, last) = item_elements(&*inst, &s.tensor)
                .unwrap_or_else(|| panic!("{what}: stream `{}` has no tensor", i.stream));
            let waited = beats * s.lanes;
            match i.first_output {
                FirstOutput::Beat => {}
                FirstOutput::Row { .. } => {
                    rows += 1;
                    // One row of the stream's tensor (or whole rows of it, for a
                    // weight block feeding several outputs).
                    assert!(
                        waited.is_multiple_of(last) && waited <= elements,
                        "{what}: `{}` row of {beats} × {} lanes is not whole rows of {last}",
                        i.stream,
                        s.lanes
                    );
                    assert!(
                        waited < elements || elements == last,
                        "{what}: `{}` waits for the whole tensor: declare Tensor",
                        i.stream
                    );
                }
                FirstOutput::Tensor { .. } => {
                    // The whole item (per head: a divisor of the item, of whole rows).
                    assert!(
                        elements.is_multiple_of(waited) && waited.is_multiple_of(last),
                        "{what}: `{}` tensor of {beats} × {} lanes does not tile {elements}",
                        i.stream,
                        s.lanes
                    );
                }
            }
        }
    }
    assert!(rows > 0, "no component declares a row wait");
}

/// The beat of stream `s` that element `k` of its tensor travels in.
fn beat_of(inst: &dyn Instance, s: &StreamDef, tensors: &generator::TensorMap, k: usize) -> usize {
    let before = inst.stream_beats(s, tensors).unwrap();
    let mut t = tensors.clone();
    let x = t.get_mut(&s.tensor).unwrap();
    x.raw[k] = if x.raw[k] == 0 { 1 } else { 0 };
    let after = inst.stream_beats(s, &t).unwrap();
    before.iter().zip(&after).position(|(a, b)| a != b).unwrap()
}

/// The first output beat (of the first output stream) for `inputs`.
fn first_out(inst: &dyn Instance, inputs: &generator::TensorMap) -> Vec<i128> {
    let mut out = inst.golden(inputs).unwrap();
    out.extend(inputs.clone());
    let s = inst
        .streams()
        .into_iter()
        .find(|s| s.direction == Dir::Output)
        .unwrap();
    inst.stream_beats(&s, &out).unwrap()[0].clone()
}

#[test]
fn the_first_output_depends_on_exactly_the_beats_declared() {
    // Checked against the golden model: changing any input beat past the declared
    // wait never changes the first output beat (the declaration is not too short);
    // for a row wait of a computing component, changing the last beat of the row
    // does, for some draw (it is not too long).
    for (what, inst) in instances() {
        let b = inst.behaviour();
        let Some(out) = inst
            .streams()
            .into_iter()
            .find(|s| s.direction == Dir::Output)
        else {
            continue;
        };
        let mut rng = Rng::new(7);
        for i in &b.inputs {
            let s = input_streams(&*inst)
                .into_iter()
                .find(|s| s.name == i.stream)
                .unwrap();
            // A beat wait covers the beats that fill one (wider) output beat.
            let allowed = match i.first_output {
                FirstOutput::Beat => out.lanes.div_ceil(s.lanes).max(1),
                f => f.beats(),
            };
            let mut last_matters = false;
            for _ in 0..6 {
                let inputs = inst.random_inputs(&mut rng, 2);
                let base = first_out(&*inst, &inputs);
                let n = inputs[&s.tensor].raw.len();
                let beats: Vec<usize> = (0..n).map(|k| beat_of(&*inst, &s, &inputs, k)).collect();
                let mut late = inputs.clone();
                let fmt = late[&s.tensor].format;
                for (k, &bt) in beats.iter().enumerate() {
                    if bt >= allowed {
                        late.get_mut(&s.tensor).unwrap().raw[k] = rng.raw_in(fmt);
                    }
                }
                assert_eq!(
                    first_out(&*inst, &late),
                    base,
                    "{what}: the first output depends on `{}` beats past the declared {allowed}",
                    i.stream
                );
                let mut edge = inputs.clone();
                for (k, &bt) in beats.iter().enumerate() {
                    if bt == allowed - 1 {
                        edge.get_mut(&s.tensor).unwrap().raw[k] = rng.raw_in(fmt);
                    }
                }
                last_matters |= first_out(&*inst, &edge) != base;
            }
            if matches!(i.first_output, FirstOutput::Row { .. }) && !b.moves_bits && allowed > 1 {
                assert!(
                    last_matters,
                    "{what}: the first output never depends on beat {} of `{}`: the row wait is too long",
                    allowed - 1,
                    i.stream
                );
            }
        }
    }
}

#[test]
fn bit_movers_carry_raw_lanes_and_emit_only_input_values() {
    let mut movers = BTreeSet::new();
    for (what, inst) in instances() {
        let b = inst.behaviour();
        if !b.moves_bits {
            continue;
        }
        movers.insert(inst.component().name());
        let streams = inst.streams();
        let w = streams[0].lane_width;
        for s in &streams {
            assert!(
                !s.signed && s.frac_width == 0 && s.lane_width == w,
                "{what}: a bit mover's stream `{}` is not unsigned({w}, 0)",
                s.name
            );
        }
        let inputs = inst.random_inputs(&mut Rng::new(3), 2);
        let seen: BTreeSet<i128> = inputs.values().flat_map(|t| t.raw.clone()).collect();
        let out = inst.golden(&inputs).unwrap();
        for (name, t) in &out {
            assert!(
                t.raw.iter().all(|r| seen.contains(r)),
                "{what}: `{name}` holds a value no input had"
            );
        }
    }
    // The movers the stitcher relies on (no cast in front of them).
    for m in ["fork", "fifo", "skid_buffer", "transpose", "resize"] {
        assert!(movers.contains(m), "{m} does not declare moves_bits");
    }
}

#[test]
fn computing_components_change_values() {
    // A component that declares it computes must produce some value its inputs do
    // not hold (otherwise it is a mover and must say so).
    for c in components::all() {
        let inst = c.configure(&[]).unwrap();
        if inst.behaviour().moves_bits || input_streams(&*inst).is_empty() {
            continue;
        }
        let mut rng = Rng::new(11);
        let changed = (0..4).any(|_| {
            let inputs = inst.random_inputs(&mut rng, 3);
            let seen: BTreeSet<(i128, u32, i32)> = inputs
                .values()
                .flat_map(|t| {
                    t.raw
                        .iter()
                        .map(|&r| (r, t.format.width(), t.format.frac()))
                })
                .collect();
            let out = inst.golden(&inputs).unwrap();
            out.values().any(|t| {
                t.raw
                    .iter()
                    .any(|&r| !seen.contains(&(r, t.format.width(), t.format.frac())))
            })
        });
        assert!(
            changed,
            "{}: declares moves_bits false but only moves values",
            c.name()
        );
    }
}

/// The workspace root.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn every_component_has_every_facet_of_the_checklist() {
    let readme = read("README.md");
    let docs = read("docs/components.md");
    for c in components::all() {
        let stem = c.name();
        let inst = c.configure(&[]).unwrap();
        let module = inst.module();
        // SV module: file == module, in the library list.
        assert_eq!(
            module,
            format!("mh_{stem}"),
            "{stem}: module is not mh_<stem>"
        );
        let sv = format!("components/{stem}/{module}.sv");
        assert!(root().join(&sv).is_file(), "{stem}: {sv} missing");
        assert!(
            generator::library::source(module).contains(&format!("module {module}")),
            "{stem}: {module} is not in generator/src/library.rs"
        );
        // Descriptor.
        let desc = format!("generator/src/components/{stem}.rs");
        assert!(root().join(&desc).is_file(), "{stem}: {desc} missing");
        // Golden model: computing components have their own; movers are the identity
        // or a permutation, modelled in the descriptor.
        if !inst.behaviour().moves_bits && stem != "weight_rom" {
            let g = format!("golden/src/{stem}.rs");
            assert!(root().join(&g).is_file(), "{stem}: {g} missing");
        }
        // Co-simulation regression.
        let t = format!("testbenches/tests/{stem}.rs");
        assert!(root().join(&t).is_file(), "{stem}: {t} missing");
        // README table row and docs section.
        assert!(
            readme.contains(&format!("| `{stem}` | `{module}` |")),
            "{stem}: no row in the README component table"
        );
        assert!(
            docs.contains(&format!("### {stem} — `{module}`")),
            "{stem}: no section in docs/components.md"
        );
    }
}
