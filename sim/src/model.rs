//! A loaded Verilator model. [`Library`] is the `dlopen`ed shared library with its entry
//! points; [`Model`] is one instance whose ports are cached raw pointers into the
//! model's own storage (`u8`/`u16`/`u32`/`u64` by width, or little-endian `u32` words
//! above 64 bits), so reading and writing a port is a memory access.

use std::ffi::{CString, c_void};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::verilator::SimError;

/// Direction of a port, seen from the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortDir {
    Input,
    Output,
}

/// A port of the top module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortDecl {
    pub name: String,
    pub width: u32,
    pub dir: PortDir,
}

type NewFn = unsafe extern "C" fn() -> *mut c_void;
type HandleFn = unsafe extern "C" fn(*mut c_void);
type PortFn = unsafe extern "C" fn(*mut c_void, i32) -> *mut c_void;
type TraceOpenFn = unsafe extern "C" fn(*mut c_void, *const std::ffi::c_char) -> i32;
type TraceDumpFn = unsafe extern "C" fn(*mut c_void, u64);

/// A loaded model library.
pub struct Library {
    _lib: libloading::Library,
    path: PathBuf,
    ports: Vec<PortDecl>,
    new: NewFn,
    delete: HandleFn,
    eval: HandleFn,
    port: PortFn,
    trace_open: TraceOpenFn,
    trace_dump: TraceDumpFn,
    /// Held while an instance is created: `$readmemh` files are read then, so callers
    /// that rewrite memory files before instantiating must not interleave.
    pub init_lock: Mutex<()>,
}

// SAFETY: the function pointers are plain C entry points valid for the library's
// lifetime; instances are separate objects with their own VerilatedContext.
unsafe impl Send for Library {}
unsafe impl Sync for Library {}

impl Library {
    /// Loads `libmodel.so` built by the wrapper generator for `ports`.
    pub fn load(path: &Path, ports: Vec<PortDecl>) -> Result<Library, SimError> {
        let err = |e: libloading::Error| SimError::Load {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        // SAFETY: the library was produced by our own build; its initialisers are Verilator's.
        let lib = unsafe { libloading::Library::new(path) }.map_err(err)?;
        // SAFETY: the symbol types match the generated wrapper's declarations.
        unsafe {
            let new = *lib.get::<NewFn>(b"mh_new").map_err(err)?;
            let delete = *lib.get::<HandleFn>(b"mh_delete").map_err(err)?;
            let eval = *lib.get::<HandleFn>(b"mh_eval").map_err(err)?;
            let port = *lib.get::<PortFn>(b"mh_port").map_err(err)?;
            let trace_open = *lib.get::<TraceOpenFn>(b"mh_trace_open").map_err(err)?;
            let trace_dump = *lib.get::<TraceDumpFn>(b"mh_trace_dump").map_err(err)?;
            Ok(Library {
                _lib: lib,
                path: path.to_path_buf(),
                ports,
                new,
                delete,
                eval,
                port,
                trace_open,
                trace_dump,
                init_lock: Mutex::new(()),
            })
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn ports(&self) -> &[PortDecl] {
        &self.ports
    }

    /// Index of the port named `name`.
    pub fn port_index(&self, name: &str) -> Result<usize, SimError> {
        self.ports
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| SimError::NoPort(name.to_string()))
    }

    /// A new instance with all inputs zero.
    pub fn instantiate(&self) -> Model<'_> {
        // SAFETY: mh_new returns a fresh handle; mh_port returns pointers into it that
        // stay valid until mh_delete, which only Model::drop calls.
        unsafe {
            let handle = (self.new)();
            let ptrs = (0..self.ports.len())
                .map(|i| (self.port)(handle, i as i32))
                .collect();
            let widths = self.ports.iter().map(|p| p.width).collect();
            Model {
                lib: self,
                handle,
                ptrs,
                widths,
                time: 0,
                tracing: false,
            }
        }
    }
}

/// One running instance of a model.
pub struct Model<'l> {
    lib: &'l Library,
    handle: *mut c_void,
    ptrs: Vec<*mut c_void>,
    widths: Vec<u32>,
    time: u64,
    tracing: bool,
}

impl Model<'_> {
    pub fn library(&self) -> &Library {
        self.lib
    }

    /// Writes the low `width` bits of `v` to a port of at most 64 bits.
    #[inline]
    pub fn set_u64(&mut self, port: usize, v: u64) {
        let (w, p) = (self.widths[port], self.ptrs[port]);
        let v = if w >= 64 { v } else { v & ((1u64 << w) - 1) };
        // SAFETY: p points at the port's storage, whose C type is chosen by width as in Verilator.
        unsafe {
            match w {
                0..=8 => *(p as *mut u8) = v as u8,
                9..=16 => *(p as *mut u16) = v as u16,
                17..=32 => *(p as *mut u32) = v as u32,
                33..=64 => *(p as *mut u64) = v,
                _ => {
                    let words =
                        std::slice::from_raw_parts_mut(p as *mut u32, w.div_ceil(32) as usize);
                    words.fill(0);
                    words[0] = v as u32;
                    words[1] = (v >> 32) as u32;
                }
            }
        }
    }

    /// Reads a port of at most 64 bits (the low 64 bits of a wider one).
    #[inline]
    pub fn get_u64(&self, port: usize) -> u64 {
        let (w, p) = (self.widths[port], self.ptrs[port]);
        // SAFETY: as in set_u64.
        unsafe {
            match w {
                0..=8 => u64::from(*(p as *const u8)),
                9..=16 => u64::from(*(p as *const u16)),
                17..=32 => u64::from(*(p as *const u32)),
                33..=64 => *(p as *const u64),
                _ => u64::from(*(p as *const u32)) | (u64::from(*(p as *const u32).add(1)) << 32),
            }
        }
    }

    /// Writes a port from little-endian 32-bit words (bits above the width must be 0).
    pub fn set_words(&mut self, port: usize, words: &[u32]) {
        let w = self.widths[port];
        if w <= 64 {
            let v = u64::from(words.first().copied().unwrap_or(0))
                | (u64::from(words.get(1).copied().unwrap_or(0)) << 32);
            self.set_u64(port, v);
            return;
        }
        let n = w.div_ceil(32) as usize;
        // SAFETY: wide ports are arrays of n u32 words.
        let dst = unsafe { std::slice::from_raw_parts_mut(self.ptrs[port] as *mut u32, n) };
        for (i, d) in dst.iter_mut().enumerate() {
            *d = words.get(i).copied().unwrap_or(0);
        }
        if !w.is_multiple_of(32) {
            dst[n - 1] &= (1u32 << (w % 32)) - 1;
        }
    }

    /// Reads a port into little-endian 32-bit words.
    pub fn get_words(&self, port: usize, out: &mut Vec<u32>) {
        let w = self.widths[port];
        out.clear();
        if w <= 64 {
            let v = self.get_u64(port);
            out.push(v as u32);
            if w > 32 {
                out.push((v >> 32) as u32);
            }
            return;
        }
        let n = w.div_ceil(32) as usize;
        // SAFETY: wide ports are arrays of n u32 words.
        out.extend_from_slice(unsafe {
            std::slice::from_raw_parts(self.ptrs[port] as *const u32, n)
        });
    }

    /// Evaluates the model (settles combinational logic, applies clock edges).
    #[inline]
    pub fn eval(&mut self) {
        // SAFETY: handle is live until drop.
        unsafe { (self.lib.eval)(self.handle) }
    }

    /// Starts a VCD trace; false if the library was built without tracing.
    pub fn trace_open(&mut self, path: &Path) -> bool {
        let Ok(c) = CString::new(path.display().to_string()) else {
            return false;
        };
        // SAFETY: handle is live; the string outlives the call (the tracer copies it).
        self.tracing = unsafe { (self.lib.trace_open)(self.handle, c.as_ptr()) } != 0;
        self.tracing
    }

    /// Dumps the trace at the current time and advances time by one unit.
    #[inline]
    pub fn trace_step(&mut self) {
        if self.tracing {
            // SAFETY: handle is live.
            unsafe { (self.lib.trace_dump)(self.handle, self.time) };
        }
        self.time += 1;
    }
}

impl Drop for Model<'_> {
    fn drop(&mut self) {
        // SAFETY: handle came from mh_new and is deleted exactly once.
        unsafe { (self.lib.delete)(self.handle) }
    }
}
