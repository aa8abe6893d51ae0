//! Co-simulation on Icarus Verilog, the second simulator: the same vectors, the same
//! stall schedule and the same verdict as [`crate::cosim::Dut`], beat for beat.
//!
//! Icarus cannot be driven from Rust, so [`IcarusDut::build`] compiles the instance's
//! generated top together with a generated testbench (`mh_tb`) once per
//! configuration. The testbench runs the cycle loop of `Dut::run` in SystemVerilog:
//! it reads the beat counts and cycle budget from `counts.txt`, each input stream's
//! beats from `i<k>.hex` and each stream's stall decisions from `s<k>.txt` (drawn in
//! Rust by [`crate::cosim::stall_schedule`], consumed one per stall question in the
//! same order), and logs every input handshake and every cycle an output is valid to
//! `trace.txt`. Its `run` (the [`crate::backend::Runner`] impl) writes those files,
//! runs `vvp`, and replays the log through the checks of the Verilator loop
//! ([`crate::cosim`]'s scoreboard and summary: hold rule, per-beat comparison, extra
//! beats, timeouts, latency, beat interval). It does not compare inside the simulator:
//! the verdict is computed in one place from what the hardware did.
//!
//! Icarus adds one check Verilator cannot make: an output valid or data bit that is
//! `x` or `z` is an error.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use generator::bits;
use generator::component::{Instance, StreamDef};
use generator::sv::Dir;
use generator::tensor::{Beat, TensorMap};
use sim::{Icarus, PortDir};

use crate::cosim::{self, InputLog, RunOutcome, Scoreboard, Stall};

/// An instance compiled for Icarus with its generated testbench.
pub struct IcarusDut<'i> {
    pub inst: &'i dyn Instance,
    icarus: Icarus,
    dir: PathBuf,
    streams: Vec<StreamDef>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl<'i> IcarusDut<'i> {
    /// Writes the sources and the testbench into a fresh directory under the cache and
    /// compiles them into `model.vvp`.
    pub fn build(icarus: &Icarus, inst: &'i dyn Instance) -> Result<IcarusDut<'i>, String> {
        let dir = sim::tools::cache_dir().join("icarus").join(format!(
            "{}-{}-{}",
            inst.component().name(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        // ROM paths relative to the run directory, where each run writes its ROM files.
        let (files, order) = generator::emit::sources(inst, "mh_dut", "");
        let mut list = Vec::new();
        for name in order.iter().filter(|f| f.ends_with(".sv")) {
            let p = dir.join(name);
            fs::write(&p, &files[name]).map_err(|e| format!("{}: {e}", p.display()))?;
            list.push(name.clone());
        }
        let tb = testbench(inst)?;
        fs::write(dir.join("mh_tb.sv"), tb).map_err(|e| format!("{}: {e}", dir.display()))?;
        list.push("mh_tb.sv".into());
        icarus
            .compile(&dir, &list, "mh_tb", "model.vvp")
            .map_err(|e| e.to_string())?;
        Ok(IcarusDut {
            inst,
            icarus: icarus.clone(),
            dir,
            streams: inst.streams(),
        })
    }

    /// The directory holding the sources, the testbench and `model.vvp`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for IcarusDut<'_> {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

impl crate::backend::Runner for IcarusDut<'_> {
    /// Runs one vector set, like [`crate::cosim::Dut::run`].
    fn run(
        &self,
        inputs: &TensorMap,
        expected: &TensorMap,
        stall: Stall,
        seed: u64,
        waves: Option<&Path>,
    ) -> Result<RunOutcome, String> {
        let inst = self.inst;
        let mut all = inputs.clone();
        all.extend(expected.iter().map(|(k, v)| (k.clone(), v.clone())));
        let mut beats = Vec::new();
        for s in &self.streams {
            beats.push(inst.stream_beats(s, &all).map_err(|e| e.to_string())?);
        }
        let count = |d: Dir| -> usize {
            self.streams
                .iter()
                .zip(&beats)
                .filter(|(s, _)| s.direction == d)
                .map(|(_, b)| b.len())
                .sum()
        };
        let (total_in, total_out) = (count(Dir::Input), count(Dir::Output));
        let limit = cosim::cycle_limit(inst, total_in, total_out);
        // At most one stall question per stream and cycle.
        let schedule = cosim::stall_schedule(inst, stall, seed, limit as usize + 2);

        let run = self
            .dir
            .join(format!("run-{}", COUNTER.fetch_add(1, Ordering::Relaxed)));
        let _ = fs::remove_dir_all(&run);
        fs::create_dir_all(&run).map_err(|e| format!("{}: {e}", run.display()))?;
        let write = |name: &str, text: &str| {
            let p = run.join(name);
            fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))
        };
        for (name, text) in
            generator::emit::memory_files(inst, Some(&all)).map_err(|e| e.to_string())?
        {
            write(&name, &text)?;
        }
        let mut counts = String::new();
        for (k, (s, b)) in self.streams.iter().zip(&beats).enumerate() {
            let _ = write!(counts, "{} ", b.len());
            let decisions: String = schedule[k]
                .iter()
                .map(|&d| if d { '1' } else { '0' })
                .collect();
            write(&format!("s{k}.txt"), &decisions)?;
            if s.direction == Dir::Input {
                let width = s.lane_width * s.lanes as u32;
                let mut text = String::with_capacity(b.len() * (width as usize / 4 + 2));
                for beat in b {
                    text.push_str(&bits::hex(&bits::pack(beat, s.format()), width));
                    text.push('\n');
                }
                write(&format!("i{k}.hex"), &text)?;
            }
        }
        let _ = writeln!(counts, "{limit}");
        write("counts.txt", &counts)?;

        let started = Instant::now();
        let plus: &[&str] = if waves.is_some() { &["+vcd"] } else { &[] };
        self.icarus
            .run(&self.dir.join("model.vvp"), &run, plus)
            .map_err(|e| e.to_string())?;
        let secs = started.elapsed().as_secs_f64();
        let trace = fs::read_to_string(run.join("trace.txt"))
            .map_err(|e| format!("{}: {e}", run.join("trace.txt").display()))?;
        if let Some(w) = waves {
            fs::copy(run.join("waves.vcd"), w).map_err(|e| format!("{}: {e}", w.display()))?;
        }
        let mut out = replay(inst, &self.streams, &beats, &trace)?;
        out.loop_secs = secs;
        let _ = fs::remove_dir_all(&run);
        Ok(out)
    }
}

/// The generated testbench `mh_tb` around `mh_dut`: the cycle loop of `Dut::run`.
pub fn testbench(inst: &dyn Instance) -> Result<String, String> {
    let streams = inst.streams();
    let ports = cosim::ports_of(inst);
    let mut known: Vec<String> = vec!["clk".into(), "rst".into()];
    for s in &streams {
        known.extend([
            s.name.clone(),
            format!("{}_valid", s.name),
            format!("{}_ready", s.name),
        ]);
    }
    if let Some(p) = ports.iter().find(|p| !known.contains(&p.name)) {
        return Err(format!(
            "port `{}` belongs to no stream; the Icarus testbench drives streams only",
            p.name
        ));
    }
    let has_inputs = streams.iter().any(|s| s.direction == Dir::Input);
    let mut t = String::new();
    let w = &mut t;
    let _ = writeln!(
        w,
        "// Generated by mase-hw: Icarus testbench replaying the Rust co-simulation loop."
    );
    let _ = writeln!(
        w,
        "`timescale 1ns/1ps\n`default_nettype none\nmodule mh_tb;"
    );
    let _ = writeln!(w, "  logic clk = 1'b0;\n  logic rst = 1'b1;");
    for p in ports.iter().filter(|p| p.name != "clk" && p.name != "rst") {
        let range = if p.width > 1 {
            format!(" [{}:0]", p.width - 1)
        } else {
            String::new()
        };
        let kind = if p.dir == PortDir::Input {
            "logic"
        } else {
            "wire"
        };
        let _ = writeln!(w, "  {kind}{range} {};", p.name);
    }
    let conns: Vec<String> = ports.iter().map(|p| format!(".{0}({0})", p.name)).collect();
    let _ = writeln!(w, "  mh_dut dut ({});", conns.join(", "));
    let _ = writeln!(
        w,
        "  integer tb_cycle, tb_drain, tb_remaining, tb_limit, tb_fd, tb_fc, tb_r, tb_c;\n  logic tb_run, tb_timeout, tb_done, tb_stalled;"
    );
    for (k, s) in streams.iter().enumerate() {
        let _ = writeln!(w, "  integer tb_n{k}, tb_fs{k}; // {}", s.name);
        if s.direction == Dir::Input {
            let _ = writeln!(w, "  integer tb_fi{k}, tb_pos{k};\n  logic tb_off{k};");
        } else {
            let _ = writeln!(w, "  integer tb_got{k};");
        }
    }
    let _ = writeln!(w, "  initial begin");
    let _ = writeln!(
        w,
        "    if ($test$plusargs(\"vcd\")) begin\n      $dumpfile(\"waves.vcd\");\n      $dumpvars(0, mh_tb);\n    end"
    );
    let _ = writeln!(w, "    tb_fc = $fopen(\"counts.txt\", \"r\");");
    for k in 0..streams.len() {
        let _ = writeln!(w, "    tb_r = $fscanf(tb_fc, \"%d\", tb_n{k});");
    }
    let _ = writeln!(
        w,
        "    tb_r = $fscanf(tb_fc, \"%d\", tb_limit);\n    $fclose(tb_fc);"
    );
    let _ = writeln!(
        w,
        "    tb_fd = $fopen(\"trace.txt\", \"w\");\n    tb_remaining = 0;"
    );
    for (k, s) in streams.iter().enumerate() {
        let _ = writeln!(w, "    tb_fs{k} = $fopen(\"s{k}.txt\", \"r\");");
        if s.direction == Dir::Input {
            let _ = writeln!(
                w,
                "    tb_fi{k} = $fopen(\"i{k}.hex\", \"r\");\n    tb_pos{k} = 0;\n    tb_off{k} = 1'b0;\n    {0} = '0;\n    {0}_valid = 1'b0;",
                s.name
            );
        } else {
            let _ = writeln!(
                w,
                "    tb_got{k} = 0;\n    tb_remaining = tb_remaining + tb_n{k};\n    {}_ready = 1'b0;",
                s.name
            );
        }
    }
    let _ = writeln!(
        w,
        "    repeat (3) begin\n      clk = 1'b0;\n      #5;\n      clk = 1'b1;\n      #5;\n    end\n    rst = 1'b0;"
    );
    let _ = writeln!(
        w,
        "    tb_cycle = 0;\n    tb_drain = 0;\n    tb_run = 1'b1;\n    tb_timeout = 1'b0;\n    while (tb_run) begin"
    );
    for (k, s) in streams
        .iter()
        .enumerate()
        .filter(|(_, s)| s.direction == Dir::Input)
    {
        let _ = writeln!(
            w,
            "      if (!tb_off{k} && tb_pos{k} < tb_n{k}) begin\n        tb_c = $fgetc(tb_fs{k});\n        if (tb_c != 49) begin\n          tb_off{k} = 1'b1;\n          tb_r = $fscanf(tb_fi{k}, \"%h\\n\", {0});\n        end\n      end\n      {0}_valid = tb_off{k};",
            s.name
        );
    }
    let _ = writeln!(w, "      tb_done = tb_remaining == 0;");
    for (k, s) in streams
        .iter()
        .enumerate()
        .filter(|(_, s)| s.direction == Dir::Output)
    {
        let _ = writeln!(
            w,
            "      if (tb_done) {0}_ready = 1'b{1};\n      else begin\n        tb_c = $fgetc(tb_fs{k});\n        {0}_ready = tb_c != 49;\n      end",
            s.name,
            u8::from(has_inputs)
        );
    }
    let _ = writeln!(w, "      clk = 1'b0;\n      #5;");
    for (k, s) in streams.iter().enumerate() {
        if s.direction == Dir::Input {
            let _ = writeln!(
                w,
                "      if (tb_off{k} && {0}_ready === 1'b1) begin\n        tb_off{k} = 1'b0;\n        tb_pos{k} = tb_pos{k} + 1;\n        $fwrite(tb_fd, \"I {k} %0d\\n\", tb_cycle);\n      end",
                s.name
            );
        } else {
            let _ = writeln!(
                w,
                "      if ({0}_valid === 1'b1) begin\n        $fwrite(tb_fd, \"O {k} %0d %0d %h\\n\", tb_cycle, {0}_ready, {0});\n        if ({0}_ready) begin\n          tb_got{k} = tb_got{k} + 1;\n          if (tb_got{k} <= tb_n{k}) tb_remaining = tb_remaining - 1;\n        end\n      end else if ({0}_valid !== 1'b0) $fwrite(tb_fd, \"X {k} %0d\\n\", tb_cycle);",
                s.name
            );
        }
    }
    let _ = writeln!(
        w,
        "      clk = 1'b1;\n      #5;\n      tb_cycle = tb_cycle + 1;"
    );
    let _ = writeln!(
        w,
        "      if (tb_remaining == 0) begin\n        tb_drain = tb_drain + 1;\n        if (tb_drain > 16) tb_run = 1'b0;\n      end\n      if (tb_run && tb_cycle > tb_limit) begin\n        tb_run = 1'b0;\n        tb_timeout = 1'b1;\n      end\n    end"
    );
    let _ = writeln!(
        w,
        "    $fwrite(tb_fd, \"E %0d %0d\\n\", tb_cycle, tb_timeout);\n    $fclose(tb_fd);\n    $finish;\n  end\nendmodule\n`resetall"
    );
    Ok(t)
}

/// One logged cycle of an output: cycle, ready, data words (`None`: x/z bits).
type Seen = (u64, bool, Option<Vec<u32>>);

/// Parses a hex vector as printed by `%h` into words, least significant first.
fn parse_hex(s: &str, width: u32) -> Option<Vec<u32>> {
    let mut words = vec![0u32; bits::words_for(width)];
    for (d, ch) in s.bytes().rev().enumerate() {
        let v = (ch as char).to_digit(16)?;
        let bit = d as u32 * 4;
        if bit < width {
            bits::put(&mut words, bit, (width - bit).min(4), u128::from(v));
        }
    }
    Some(words)
}

/// Rebuilds the outcome of a run from the testbench's log, with the checks and the
/// messages of the Verilator loop.
fn replay(
    inst: &dyn Instance,
    streams: &[StreamDef],
    beats: &[Vec<Beat>],
    trace: &str,
) -> Result<RunOutcome, String> {
    let n = streams.len();
    let mut in_fires: Vec<Vec<u64>> = vec![Vec::new(); n];
    let mut seen: Vec<Vec<Seen>> = vec![Vec::new(); n];
    let mut xs: Vec<(u64, usize)> = Vec::new();
    let mut end: Option<(u64, bool)> = None;
    let bad = |l: &str| format!("Icarus testbench log: cannot read line `{l}`");
    for line in trace.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let num = |i: usize| {
            f.get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| bad(line))
        };
        match f.first().copied() {
            Some("I") => in_fires[num(1)? as usize].push(num(2)?),
            Some("O") => {
                let k = num(1)? as usize;
                let s = streams.get(k).ok_or_else(|| bad(line))?;
                let data = f.get(4).ok_or_else(|| bad(line))?;
                seen[k].push((
                    num(2)?,
                    num(3)? == 1,
                    parse_hex(data, s.lane_width * s.lanes as u32),
                ));
            }
            Some("X") => xs.push((num(2)?, num(1)? as usize)),
            Some("E") => end = Some((num(1)?, num(2)? == 1)),
            _ => return Err(bad(line)),
        }
    }
    let (cycles, timeout) = end.ok_or("Icarus testbench log ends before the run finished")?;
    let mut out = RunOutcome::default();
    for &(c, k) in &xs {
        out.errors
            .push(format!("{}: valid is x or z at cycle {c}", streams[k].name));
    }
    // Per-output replay, cycle by cycle and stream by stream as the Verilator loop goes.
    let mut outs: Vec<(usize, usize, Scoreboard)> = streams
        .iter()
        .enumerate()
        .filter(|(_, s)| s.direction == Dir::Output)
        .map(|(k, s)| (k, 0, Scoreboard::new(s, beats[k].clone())))
        .collect();
    // The hold check needs the cycle after every stalled beat too.
    let mut visit: Vec<u64> = seen
        .iter()
        .flatten()
        .map(|e| e.0)
        .flat_map(|c| [c, c + 1])
        .filter(|&c| c < cycles)
        .collect();
    visit.sort_unstable();
    visit.dedup();
    for cycle in visit {
        for (k, next, board) in outs.iter_mut() {
            let here = seen[*k].get(*next).filter(|e| e.0 == cycle);
            if here.is_some() {
                *next += 1;
            }
            let (valid, ready, data) = match here {
                Some((_, ready, words)) => (true, *ready, words.as_deref()),
                None => (false, false, None),
            };
            board.observe(cycle, valid, data, ready, &mut out);
        }
    }
    let inputs = streams
        .iter()
        .zip(in_fires)
        .zip(beats)
        .filter(|((s, _), _)| s.direction == Dir::Input)
        .map(|((s, fires), b)| InputLog {
            name: s.name.clone(),
            beats: b.len(),
            fires,
        })
        .collect();
    let boards = outs.into_iter().map(|(_, _, b)| b).collect();
    let out = cosim::summarise(
        out,
        inputs,
        boards,
        cycles,
        timeout,
        &inst.timing().ii_stream,
    );
    Ok(out)
}
