//! Building Verilator models as shared libraries. For each request the builder writes
//! the sources and a generated C++ wrapper (`mh_new`, `mh_eval`, `mh_port`, trace
//! calls) into a fresh directory, runs `verilator --cc --build`, links the static
//! archives into `libmodel.so` and moves the directory into the cache under a key that
//! hashes the sources, top, ports, flags and Verilator version. A cached key is
//! reused without running Verilator; concurrent builders of one key both succeed (the
//! second rename loses and its copy is dropped). Whether the C++ is compiled as one
//! unit or file by file on every core is the [`BuildMode`] (part of the key); each
//! build records its mode, unit count and phase times in `build.json`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};

use crate::build_mode::{self, BuildEvent, BuildMode, Progress, Unit};
use crate::model::{Library, PortDecl};
use crate::tools;

/// Why a simulator could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(
        "verilator not found (looked for .hwenv/shim/verilator and on PATH); run `make setup` (scripts/setup.sh)"
    )]
    NoVerilator,
    #[error("{what} failed (exit {code:?}); log: {log}\n{tail}")]
    Tool {
        what: String,
        code: Option<i32>,
        log: String,
        tail: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("loading {path}: {message}")]
    Load { path: String, message: String },
    #[error("port `{0}` is not a port of the model")]
    NoPort(String),
    #[error("{0}")]
    Setting(String),
}

fn io_err(p: &Path) -> impl FnOnce(std::io::Error) -> SimError + '_ {
    move |source| SimError::Io {
        path: p.display().to_string(),
        source,
    }
}

/// What to build: sources (name → text; passed to Verilator in `order`), the top
/// module and its ports in the order the wrapper numbers them.
pub struct BuildRequest<'a> {
    pub top: &'a str,
    pub files: &'a BTreeMap<String, String>,
    pub order: &'a [String],
    pub ports: &'a [PortDecl],
    pub trace: bool,
}

/// A located Verilator installation, the cache it builds into and how it builds.
#[derive(Clone)]
pub struct Verilator {
    bin: PathBuf,
    version: String,
    cache: PathBuf,
    mode: BuildMode,
    jobs: usize,
    ccache: bool,
    progress: Option<Progress>,
}

impl std::fmt::Debug for Verilator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verilator")
            .field("bin", &self.bin)
            .field("version", &self.version)
            .field("cache", &self.cache)
            .field("mode", &self.mode)
            .field("jobs", &self.jobs)
            .field("ccache", &self.ccache)
            .finish_non_exhaustive()
    }
}

/// A build shared by every thread that asks for the same key.
type BuildCell = Arc<OnceLock<Result<Arc<Library>, String>>>;

/// Libraries built or loaded by this process, so one key is built and `dlopen`ed once.
fn loaded() -> &'static Mutex<HashMap<String, BuildCell>> {
    static LOADED: OnceLock<Mutex<HashMap<String, BuildCell>>> = OnceLock::new();
    LOADED.get_or_init(Default::default)
}

impl Verilator {
    /// Finds Verilator (the project shim first) and reads its version. The build mode
    /// comes from `MASE_HW_VERILATOR_BUILD` (default `auto`), the compile jobs from
    /// `MASE_HW_BUILD_JOBS` (default: the available cores).
    pub fn discover() -> Result<Self, SimError> {
        let mode = BuildMode::from_env().map_err(SimError::Setting)?;
        let bin = tools::find_tool("verilator").ok_or(SimError::NoVerilator)?;
        let out = Command::new(&bin)
            .arg("--version")
            .env("PATH", tools::child_path())
            .output()
            .map_err(|_| SimError::NoVerilator)?;
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() || version.is_empty() {
            return Err(SimError::NoVerilator);
        }
        Ok(Verilator {
            bin,
            version,
            cache: tools::cache_dir().join("verilator"),
            mode,
            jobs: build_mode::jobs(),
            ccache: true,
            progress: None,
        })
    }

    /// The same installation building in `mode`.
    #[must_use]
    pub fn with_mode(mut self, mode: BuildMode) -> Self {
        self.mode = mode;
        self
    }

    /// The same installation compiling at most `jobs` units at once (at least 1).
    #[must_use]
    pub fn with_jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self
    }

    /// The same installation building into `dir` (its `verilator` subdirectory).
    #[must_use]
    pub fn with_cache(mut self, dir: &Path) -> Self {
        self.cache = dir.join("verilator");
        self
    }

    /// The same installation with ccache on or off (benchmarks measure without it).
    #[must_use]
    pub fn with_ccache(mut self, on: bool) -> Self {
        self.ccache = on;
        self
    }

    /// The same installation reporting build phases to `progress`.
    #[must_use]
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    pub fn mode(&self) -> BuildMode {
        self.mode
    }

    fn report(&self, e: &BuildEvent) {
        if let Some(p) = &self.progress {
            p(e);
        }
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    fn flags(&self, trace: bool) -> Vec<String> {
        let mut f: Vec<String> = [
            "--cc",
            "-O3",
            "-Wall",
            "--x-assign",
            "fast",
            "--x-initial",
            "fast",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        if trace {
            f.push("--trace".into());
        }
        f
    }

    /// C++ flags for the model and the runtime; the defines mirror `verilated.mk`.
    fn cxx_flags(&self, trace: bool) -> Result<Vec<String>, SimError> {
        let root = self.root()?;
        let t = u8::from(trace);
        Ok(vec![
            "-O2".into(),
            "-fPIC".into(),
            // Calls inside the model resolve directly, as in a static executable.
            "-fvisibility=hidden".into(),
            "-fno-semantic-interposition".into(),
            "-std=gnu++17".into(),
            format!("-I{}/include", root.display()),
            format!("-I{}/include/vltstd", root.display()),
            "-DVERILATOR=1".into(),
            "-DVM_COVERAGE=0".into(),
            "-DVM_SC=0".into(),
            "-DVM_TIMING=0".into(),
            format!("-DVM_TRACE={t}"),
            "-DVM_TRACE_FST=0".into(),
            format!("-DVM_TRACE_VCD={t}"),
            "-DVM_TRACE_SAIF=0".into(),
        ])
    }

    /// `VERILATOR_ROOT` as the tool reports it.
    pub fn root(&self) -> Result<PathBuf, SimError> {
        static ROOT: OnceLock<Option<PathBuf>> = OnceLock::new();
        let bin = self.bin.clone();
        ROOT.get_or_init(|| {
            let out = Command::new(&bin)
                .args(["--getenv", "VERILATOR_ROOT"])
                .env("PATH", tools::child_path())
                .output()
                .ok()?;
            let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
            (!s.is_empty()).then(|| PathBuf::from(s))
        })
        .clone()
        .ok_or(SimError::NoVerilator)
    }

    /// The Verilator runtime (`verilated.cpp` & co.) compiled once per version and
    /// trace setting, shared by every model: `<cache>/runtime-<key>/libverilated.a`.
    pub fn runtime(&self, trace: bool) -> Result<PathBuf, SimError> {
        let flags = self.cxx_flags(trace)?;
        let mut h = Sha256::new();
        h.update(self.version.as_bytes());
        h.update(flags.join(" ").as_bytes());
        let key: String = h
            .finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        let dir = self.cache.join(format!("runtime-{key}"));
        let lib = dir.join("libverilated.a");
        if lib.is_file() {
            return Ok(lib);
        }
        static LOCK: Mutex<()> = Mutex::new(());
        let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        if lib.is_file() {
            return Ok(lib);
        }
        let tmp = self.fresh_tmp(&format!("runtime-{key}"))?;
        let root = self.root()?;
        let mut units = vec!["verilated.cpp", "verilated_threads.cpp"];
        if trace {
            units.push("verilated_vcd_c.cpp");
        }
        let mut objs = Vec::new();
        for u in units {
            let o = tmp.join(u.replace(".cpp", ".o"));
            let mut cmd = self.cxx();
            cmd.args(&flags)
                .arg("-c")
                .arg(root.join("include").join(u))
                .arg("-o")
                .arg(&o);
            if let Err(e) = run_logged(
                cmd,
                &tmp.join("build.log"),
                "compiling the Verilator runtime",
            ) {
                return Err(self.keep_failed(&tmp, &format!("runtime-{key}"), e));
            }
            objs.push(o);
        }
        let mut ar = Command::new("ar");
        ar.arg("rcs").arg(tmp.join("libverilated.a")).args(&objs);
        if let Err(e) = run_logged(ar, &tmp.join("ar.log"), "archiving the Verilator runtime") {
            return Err(self.keep_failed(&tmp, &format!("runtime-{key}"), e));
        }
        if fs::rename(&tmp, &dir).is_err() {
            let _ = fs::remove_dir_all(&tmp);
        }
        Ok(lib)
    }

    /// `c++`, through ccache when it is installed.
    fn cxx(&self) -> Command {
        match tools::find_tool("ccache").filter(|_| self.ccache) {
            Some(cc) => {
                let mut c = Command::new(cc);
                c.arg("c++");
                c
            }
            None => Command::new("c++"),
        }
    }

    fn fresh_tmp(&self, stem: &str) -> Result<PathBuf, SimError> {
        static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let serial = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = self
            .cache
            .join(format!("{stem}.tmp-{}-{serial}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
        Ok(tmp)
    }

    /// Removes `*.tmp-<pid>-<n>` build directories whose process is gone (a build that
    /// was killed). Directories of live processes, including this one, are kept.
    fn sweep_stale(&self) {
        let Ok(entries) = fs::read_dir(&self.cache) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(pid) = tmp_owner(&name) else {
                continue;
            };
            if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    }

    /// A failed build's directory becomes `<key>.failed` (replacing an earlier one), so
    /// its logs stay readable and no temporary directory is left; the error's log path
    /// is rewritten to point there.
    fn keep_failed(&self, tmp: &Path, key: &str, e: SimError) -> SimError {
        let failed = self.cache.join(format!("{key}.failed"));
        let _ = fs::remove_dir_all(&failed);
        if fs::rename(tmp, &failed).is_err() {
            let _ = fs::remove_dir_all(tmp);
            return e;
        }
        match e {
            SimError::Tool {
                what,
                code,
                log,
                tail,
            } => SimError::Tool {
                what,
                code,
                log: log.replacen(&tmp.display().to_string(), &failed.display().to_string(), 1),
                tail,
            },
            other => other,
        }
    }

    /// The cache key of a request.
    pub fn key(&self, req: &BuildRequest<'_>) -> String {
        let mut h = Sha256::new();
        h.update(self.version.as_bytes());
        for f in self
            .flags(req.trace)
            .into_iter()
            .chain(self.cxx_flags(req.trace).unwrap_or_default())
        {
            h.update(f.as_bytes());
            h.update([0]);
        }
        h.update(self.mode.name().as_bytes());
        h.update([0]);
        h.update(req.top.as_bytes());
        for name in req.order {
            h.update(name.as_bytes());
            h.update([0]);
            h.update(req.files.get(name).map_or("", String::as_str).as_bytes());
            h.update([0]);
        }
        for p in req.ports {
            let _ = write!(HexSink(&mut h), "{}:{}:{:?};", p.name, p.width, p.dir);
        }
        h.update(WRAPPER_VERSION.as_bytes());
        let digest = h.finalize();
        digest.iter().take(10).fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    /// Builds (or finds in the cache) and loads the model for `req`.
    pub fn build(&self, req: &BuildRequest<'_>) -> Result<Arc<Library>, SimError> {
        let key = format!("{}-{}", req.top, self.key(req));
        let cell = {
            let mut map = loaded().lock().unwrap_or_else(|e| e.into_inner());
            map.entry(key.clone()).or_default().clone()
        };
        let result = cell.get_or_init(|| {
            self.build_uncached(&key, req)
                .map(Arc::new)
                .map_err(|e| e.to_string())
        });
        self.report(&BuildEvent::Finished);
        match result {
            Ok(lib) => Ok(lib.clone()),
            Err(message) => Err(SimError::Load {
                path: key,
                message: message.clone(),
            }),
        }
    }

    fn build_uncached(&self, key: &str, req: &BuildRequest<'_>) -> Result<Library, SimError> {
        let dir = self.cache.join(key);
        let so = dir.join("libmodel.so");
        if !so.is_file() {
            fs::create_dir_all(&self.cache).map_err(io_err(&self.cache))?;
            self.sweep_stale();
            let tmp = self.fresh_tmp(key)?;
            if let Err(e) = self.compile(&tmp, req) {
                return Err(self.keep_failed(&tmp, key, e));
            }
            if fs::rename(&tmp, &dir).is_err() {
                // Another builder won the race; its result is equivalent.
                let _ = fs::remove_dir_all(&tmp);
            }
        }
        Library::load(&so, req.ports.to_vec())
    }

    /// Verilates into `dir/obj`, compiles the model and the wrapper (as one translation
    /// unit, or file by file on `jobs` cores, per the build mode), links it with the
    /// shared runtime into `dir/libmodel.so` and writes `dir/build.json`.
    fn compile(&self, dir: &Path, req: &BuildRequest<'_>) -> Result<(), SimError> {
        let runtime = self.runtime(req.trace)?;
        let src = dir.join("src");
        let obj = dir.join("obj");
        fs::create_dir_all(&src).map_err(io_err(&src))?;
        let mut args: Vec<String> = self.flags(req.trace);
        args.extend(build_mode::verilator_flags(self.mode));
        if self.mode.splits_output() && self.jobs > 1 {
            args.extend(["--verilate-jobs".into(), self.jobs.to_string()]);
        }
        args.extend([
            "--prefix".into(),
            "Vmodel".into(),
            "--top-module".into(),
            req.top.into(),
        ]);
        args.extend(["-Mdir".into(), obj.display().to_string()]);
        for name in req.order {
            let p = src.join(name);
            fs::write(&p, req.files.get(name).map_or("", String::as_str)).map_err(io_err(&p))?;
            args.push(p.display().to_string());
        }
        let log = dir.join("build.log");
        let mut cmd = Command::new(&self.bin);
        cmd.args(&args)
            .env("PATH", tools::child_path())
            .current_dir(dir);
        self.report(&BuildEvent::Verilating);
        let t0 = std::time::Instant::now();
        run_logged(cmd, &log, "verilator")?;
        let verilate_secs = t0.elapsed().as_secs_f64();

        let mut units: Vec<(String, u64)> = fs::read_dir(&obj)
            .map_err(io_err(&obj))?
            .filter_map(|e| {
                let e = e.ok()?;
                let n = e.file_name().to_string_lossy().into_owned();
                let len = e.metadata().ok()?.len();
                (n.starts_with("Vmodel") && n.ends_with(".cpp")).then_some((n, len))
            })
            .collect();
        units.sort();
        let cpp_bytes: u64 = units.iter().map(|u| u.1).sum();
        let per_file = self.mode.compiles_per_file(cpp_bytes);
        let t1 = std::time::Instant::now();
        let wrapper = wrapper_cpp(req.ports, req.trace);
        let cxx_flags = self.cxx_flags(req.trace)?;
        let compile = |unit: &Path, o: &Path| {
            let mut cc = self.cxx();
            cc.args(&cxx_flags)
                .arg(format!("-I{}", obj.display()))
                .arg("-c")
                .arg(unit)
                .arg("-o")
                .arg(o);
            cc
        };
        let objects: Vec<PathBuf> = if per_file {
            let w = obj.join("mh_wrapper.cpp");
            fs::write(&w, &wrapper).map_err(io_err(&w))?;
            units.push(("mh_wrapper.cpp".into(), wrapper.len() as u64));
            let mut jobs = Vec::new();
            let mut objects = Vec::new();
            for (name, bytes) in &units {
                let o = obj.join(name.replace(".cpp", ".o"));
                jobs.push(Unit {
                    cmd: compile(&obj.join(name), &o),
                    log: dir.join(format!("compile-{}.log", name.trim_end_matches(".cpp"))),
                    bytes: *bytes,
                });
                objects.push(o);
            }
            build_mode::run_units(jobs, self.jobs, self.progress.as_ref(), run_logged)?;
            objects
        } else {
            // One translation unit: every generated .cpp (as Verilator's own __ALL.cpp does) and the wrapper.
            let mut all = String::new();
            for (u, _) in &units {
                let _ = writeln!(all, "#include \"{u}\"");
            }
            all.push_str(&wrapper);
            let unit = obj.join("mh_all.cpp");
            fs::write(&unit, all).map_err(io_err(&unit))?;
            self.report(&BuildEvent::Compiling { done: 0, total: 1 });
            let o = obj.join("mh_all.o");
            run_logged(
                compile(&unit, &o),
                &dir.join("compile.log"),
                "compiling the model",
            )?;
            self.report(&BuildEvent::Compiling { done: 1, total: 1 });
            units = vec![("mh_all.cpp".into(), cpp_bytes)];
            vec![o]
        };
        let compile_secs = t1.elapsed().as_secs_f64();

        self.report(&BuildEvent::Linking);
        let t2 = std::time::Instant::now();
        let mut link = Command::new("c++");
        link.arg("-shared")
            .arg("-Wl,-Bsymbolic")
            .arg("-o")
            .arg(dir.join("libmodel.so"))
            .args(&objects)
            .arg(&runtime)
            .arg("-pthread");
        run_logged(link, &dir.join("link.log"), "linking the model")?;
        let info = BuildInfo {
            mode: self.mode.name().to_string(),
            per_file,
            units: units.len(),
            cpp_bytes,
            jobs: if per_file { self.jobs } else { 1 },
            verilate_secs,
            compile_secs,
            link_secs: t2.elapsed().as_secs_f64(),
        };
        let p = dir.join("build.json");
        fs::write(
            &p,
            serde_json::to_string_pretty(&info).unwrap_or_default() + "\n",
        )
        .map_err(io_err(&p))
    }
}

/// What one model build did (`build.json` beside `libmodel.so`).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct BuildInfo {
    /// The build mode asked for (`auto`, `single`, `split`).
    pub mode: String,
    /// Whether the C++ was compiled file by file.
    pub per_file: bool,
    /// Compiled translation units (1 when not per file).
    pub units: usize,
    /// Bytes of C++ Verilator generated.
    pub cpp_bytes: u64,
    /// Compiler processes run at once.
    pub jobs: usize,
    pub verilate_secs: f64,
    pub compile_secs: f64,
    pub link_secs: f64,
}

impl BuildInfo {
    /// Reads the `build.json` of the model directory `dir` (None for older builds).
    pub fn read(dir: &Path) -> Option<Self> {
        let text = fs::read_to_string(dir.join("build.json")).ok()?;
        serde_json::from_str(&text).ok()
    }
}

/// The process id in a temporary build directory name `<stem>.tmp-<pid>-<serial>`.
fn tmp_owner(name: &str) -> Option<u32> {
    let (_, rest) = name.rsplit_once(".tmp-")?;
    let (pid, serial) = rest.split_once('-')?;
    serial.parse::<u64>().ok()?;
    pid.parse().ok()
}

/// Bumped whenever the generated wrapper changes shape, so old cache entries are not reused.
const WRAPPER_VERSION: &str = "mh-wrapper-4";

struct HexSink<'a>(&'a mut Sha256);
impl std::fmt::Write for HexSink<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

fn run_logged(mut cmd: Command, log: &Path, what: &str) -> Result<(), SimError> {
    let out = cmd.output().map_err(|source| SimError::Io {
        path: what.to_string(),
        source,
    })?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let _ = fs::write(log, &text);
    if out.status.success() {
        return Ok(());
    }
    let tail: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = tail[tail.len().saturating_sub(30)..].join("\n");
    Err(SimError::Tool {
        what: what.to_string(),
        code: out.status.code(),
        log: log.display().to_string(),
        tail,
    })
}

/// The C++ wrapper: an opaque handle, eval, tracing, and one pointer per port.
pub fn wrapper_cpp(ports: &[PortDecl], trace: bool) -> String {
    let mut s = String::new();
    s.push_str("// Generated by mase-hw: C entry points for a Verilator model.\n");
    s.push_str("#include <cstdint>\n#include \"Vmodel.h\"\n#include \"verilated.h\"\n");
    if trace {
        s.push_str("#include \"verilated_vcd_c.h\"\n");
    }
    s.push_str(
        "namespace {\nstruct Handle {\n    VerilatedContext ctx;\n    Vmodel* top = nullptr;\n",
    );
    if trace {
        s.push_str("    VerilatedVcdC* vcd = nullptr;\n");
    }
    s.push_str("};\n}  // namespace\n\n#define MH_API extern \"C\" __attribute__((visibility(\"default\")))\n");
    s.push_str("MH_API void* mh_new() {\n    Handle* h = new Handle();\n");
    if trace {
        s.push_str("    h->ctx.traceEverOn(true);\n");
    }
    s.push_str("    h->top = new Vmodel{&h->ctx, \"top\"};\n    return h;\n}\n");
    s.push_str("MH_API void mh_delete(void* p) {\n    Handle* h = static_cast<Handle*>(p);\n");
    if trace {
        s.push_str("    if (h->vcd) { h->vcd->close(); delete h->vcd; }\n");
    }
    s.push_str("    h->top->final();\n    delete h->top;\n    delete h;\n}\n");
    s.push_str("MH_API void mh_eval(void* p) { static_cast<Handle*>(p)->top->eval(); }\n");
    s.push_str("MH_API int mh_trace_open(void* p, const char* path) {\n");
    if trace {
        s.push_str("    Handle* h = static_cast<Handle*>(p);\n    h->vcd = new VerilatedVcdC;\n    h->top->trace(h->vcd, 99);\n    h->vcd->open(path);\n    return 1;\n");
    } else {
        s.push_str("    (void)p; (void)path;\n    return 0;\n");
    }
    s.push_str("}\nMH_API void mh_trace_dump(void* p, uint64_t t) {\n");
    if trace {
        s.push_str("    Handle* h = static_cast<Handle*>(p);\n    if (h->vcd) h->vcd->dump(t);\n");
    } else {
        s.push_str("    (void)p; (void)t;\n");
    }
    s.push_str("}\nMH_API void* mh_port(void* p, int i) {\n    Vmodel* t = static_cast<Handle*>(p)->top;\n    switch (i) {\n");
    for (i, port) in ports.iter().enumerate() {
        let expr = if port.width > 64 {
            format!("t->{}.data()", port.name)
        } else {
            format!("&t->{}", port.name)
        };
        let _ = writeln!(s, "    case {i}: return static_cast<void*>({expr});");
    }
    s.push_str("    default: return nullptr;\n    }\n}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::tmp_owner;

    #[test]
    fn temporary_names_give_their_owner() {
        assert_eq!(tmp_owner("mh_dut-0a1b.tmp-1234-0"), Some(1234));
        assert_eq!(tmp_owner("runtime-ff.tmp-7-12"), Some(7));
        assert_eq!(tmp_owner("mh_dut-0a1b"), None);
        assert_eq!(tmp_owner("mh_dut-0a1b.failed"), None);
        assert_eq!(tmp_owner("x.tmp-abc-1"), None);
    }
}
