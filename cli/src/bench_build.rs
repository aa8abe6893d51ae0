//! `mase-hw bench build`: builds one Verilator model (a generated system directory or
//! one configured component) from nothing in each build mode (`single`, `split`,
//! `auto`), each in a fresh cache with ccache off, and prints per mode the verilate,
//! compile and link seconds, the CPU seconds of all build processes (Verilator and
//! compilers; the figure to compare on a loaded machine) and the peak memory of all
//! build processes running at once. The modes run back to back so they share the
//! machine's load; the figures in `docs/performance.md` come from here.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use clap::Args;
use generator::component::Instance;
use sim::BuildMode;
use testbenches::cosim::Dut;

/// Arguments of `bench build`.
#[derive(Args, Debug)]
pub struct BenchBuildArgs {
    /// A directory written by `mase-hw gen` (its system is built).
    #[arg(long, conflicts_with = "component")]
    pub system: Option<PathBuf>,
    /// Instead of --system: a component name.
    #[arg(long)]
    pub component: Option<String>,
    /// Component parameter KEY=VALUE (repeatable).
    #[arg(short = 'p', long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Build modes to measure, comma-separated (auto, single, split).
    #[arg(long, default_value = "single,split", value_delimiter = ',')]
    pub modes: Vec<String>,
    /// Compiler processes at once in split builds (default: the available cores).
    #[arg(long)]
    pub jobs: Option<usize>,
}

/// One mode's figures.
struct Row {
    mode: BuildMode,
    info: sim::BuildInfo,
    total: f64,
}

pub fn run(a: &BenchBuildArgs) -> Result<()> {
    let modes: Vec<BuildMode> = a
        .modes
        .iter()
        .map(|m| BuildMode::parse(m.trim()).map_err(|e| crate::user(format!("--modes: {e}"))))
        .collect::<Result<_>>()?;
    if a.jobs == Some(0) {
        return Err(crate::user("--jobs: must be at least 1"));
    }
    let inst: Box<dyn Instance> = match (&a.system, &a.component) {
        (Some(dir), _) => Box::new(system::load::load(dir).map_err(crate::user)?.0),
        (None, Some(name)) => {
            let c = generator::components::find(name).map_err(crate::user)?;
            let p = generator::Params::parse(name, c.params(), &a.params).map_err(crate::user)?;
            c.elaborate(&p).map_err(crate::user)?
        }
        (None, None) => {
            return Err(crate::user(
                "bench build: give --system DIR or --component NAME",
            ));
        }
    };
    let base = crate::progress::verilator()?.with_ccache(false);
    let base = match a.jobs {
        Some(j) => base.with_jobs(j),
        None => base,
    };
    // The shared runtime is built once (or found) and copied into every fresh cache.
    let runtime_dir = base
        .runtime(false)?
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| anyhow!("runtime library without a directory"))?;
    let scratch = sim::tools::cache_dir().join(format!("bench-build-{}", std::process::id()));
    let mut rows = Vec::new();
    for mode in modes {
        let cache = scratch.join(mode.name());
        let _ = fs::remove_dir_all(&cache);
        let rt_name = runtime_dir.file_name().unwrap_or_default();
        copy_dir(&runtime_dir, &cache.join("verilator").join(rt_name))?;
        let v = base.clone().with_cache(&cache).with_mode(mode);
        let cpu0 = children_cpu();
        let peak = PeakRss::start();
        let t0 = Instant::now();
        let dut = Dut::build(&v, &*inst, false);
        let total = t0.elapsed().as_secs_f64();
        let peak_mb = peak.stop();
        let cpu = children_cpu() - cpu0;
        let dut = dut.map_err(|e| anyhow!(e))?;
        let info = sim::BuildInfo::read(dut.library_dir())
            .ok_or_else(|| anyhow!("{}: no build.json", dut.library_dir().display()))?;
        println!(
            "{:<6} {:>4} unit(s) {:>5} job(s) | verilate {:>7.1} s  compile {:>7.1} s  link {:>5.1} s | total {:>7.1} s  build CPU {:>7.1} s  peak {:>6.0} MB",
            mode.name(),
            info.units,
            info.jobs,
            info.verilate_secs,
            info.compile_secs,
            info.link_secs,
            total,
            cpu,
            peak_mb
        );
        rows.push(Row { mode, info, total });
        drop(dut);
        let _ = fs::remove_dir_all(&cache);
    }
    let _ = fs::remove_dir_all(&scratch);
    let by: BTreeMap<&str, &Row> = rows.iter().map(|r| (r.mode.name(), r)).collect();
    if let (Some(s), Some(p)) = (by.get("single"), by.get("split")) {
        println!(
            "split vs single: {:.2}x wall ({:.1} s -> {:.1} s), {:.1} MB generated C++",
            s.total / p.total.max(1e-9),
            s.total,
            p.total,
            p.info.cpp_bytes as f64 / 1e6
        );
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for e in fs::read_dir(from)? {
        let e = e?;
        if e.file_type()?.is_file() {
            fs::copy(e.path(), to.join(e.file_name()))?;
        }
    }
    Ok(())
}

/// User + system CPU seconds of this process's waited-for children so far.
fn children_cpu() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_CHILDREN is a valid `who`.
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &raw mut ru) } != 0 {
        return 0.0;
    }
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

/// Samples, every 200 ms, the summed resident memory of this process and all its
/// descendants (compilers running at once count together).
struct PeakRss {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl PeakRss {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let (s, p) = (stop.clone(), peak.clone());
        let handle = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(tree_rss(std::process::id()), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        PeakRss {
            stop,
            peak,
            handle: Some(handle),
        }
    }

    /// Stops sampling; the peak in MB.
    fn stop(mut self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        self.peak.load(Ordering::Relaxed) as f64 / 1e6
    }
}

/// Resident bytes of `root` and its descendants, from `/proc` (0 where unreadable).
fn tree_rss(root: u32) -> u64 {
    let Ok(entries) = fs::read_dir("/proc") else {
        return 0;
    };
    let mut parent: BTreeMap<u32, u32> = BTreeMap::new();
    let mut rss: BTreeMap<u32, u64> = BTreeMap::new();
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the parenthesised command: state, ppid, ...; rss is field 24.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let (Some(ppid), Some(pages)) = (
            f.get(1).and_then(|s| s.parse::<u32>().ok()),
            f.get(21).and_then(|s| s.parse::<u64>().ok()),
        ) else {
            continue;
        };
        parent.insert(pid, ppid);
        rss.insert(pid, pages * 4096);
    }
    rss.iter()
        .filter(|(pid, _)| {
            let mut p = **pid;
            for _ in 0..64 {
                if p == root {
                    return true;
                }
                match parent.get(&p) {
                    Some(&q) if q != p => p = q,
                    _ => return false,
                }
            }
            false
        })
        .map(|(_, b)| b)
        .sum()
}
