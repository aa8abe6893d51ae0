//! Emission of one configured component as a self-contained directory: the library
//! modules it needs, the generated flat top, `.mem` files for its ROMs, the signature
//! and a file list. Files are rendered in memory first and written only when everything
//! rendered, into a temporary directory that is then moved into place, so an error
//! never leaves half-written output.

use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::component::Instance;
use crate::error::GenError;
use crate::tensor::TensorMap;

/// Relative path → contents, in path order.
pub type FileSet = BTreeMap<String, String>;

/// The SystemVerilog of `inst` with top module `top`: files, and the order a tool
/// reads them in (waivers, dependencies, top last). ROM paths in the top are `mem_dir`
/// + file name (empty `mem_dir`: relative to the directory the simulator runs in).
pub fn sources(inst: &dyn Instance, top: &str, mem_dir: &str) -> (FileSet, Vec<String>) {
    let mut files = FileSet::new();
    let mut order: Vec<String> = Vec::new();
    for module in inst.library() {
        let text = crate::library::source(module);
        let file = format!("{module}.sv");
        if !files.contains_key(&file) {
            files.insert(file.clone(), text.to_string());
            order.push(file);
        }
    }
    for m in inst.generated(mem_dir) {
        let file = format!("{}.sv", m.name);
        files.insert(file.clone(), m.print());
        order.push(file);
    }
    let top_file = format!("{top}.sv");
    files.insert(top_file.clone(), inst.top(top, mem_dir).print());
    order.push(top_file);
    files.insert("lint.vlt".into(), crate::library::LINT_WAIVERS.to_string());
    order.insert(0, "lint.vlt".into());
    (files, order)
}

/// The `.mem` files of `inst`'s ROMs, from `tensors` (checked against the instance).
/// Files are rendered in parallel across the available cores (each one whole, so the
/// text is the same whatever the split); the first error in ROM order is returned.
pub fn memory_files(inst: &dyn Instance, tensors: Option<&TensorMap>) -> Result<FileSet, GenError> {
    let mems = inst.memories();
    let texts = mems
        .par_iter()
        .map(|m| memory_file(inst, m, tensors))
        .collect::<Vec<_>>();
    let mut files = FileSet::new();
    for (mem, text) in mems.iter().zip(texts) {
        files.insert(mem.file.clone(), text?);
    }
    Ok(files)
}

/// The text of one ROM's `.mem` file: one line per word, hex, most significant digit
/// first (see [`crate::bits::write_mem`]).
fn memory_file(
    inst: &dyn Instance,
    mem: &crate::component::MemDef,
    tensors: Option<&TensorMap>,
) -> Result<String, GenError> {
    let name = inst.component().name();
    let tensors = tensors.ok_or_else(|| GenError::MissingTensor {
        component: name.to_string(),
        tensor: mem.tensor.clone(),
        what: format!(
            "contents of ROM `{}` (pass --inputs with this tensor)",
            mem.file
        ),
    })?;
    let t = crate::tensor::require(tensors, name, &mem.tensor, "ROM contents")?;
    if let Some(def) = inst.tensors().iter().find(|d| d.name == mem.tensor) {
        t.check_shape(name, &mem.tensor, &def.shape)?;
        if t.format != def.format {
            return Err(GenError::bad_tensor(
                name,
                &mem.tensor,
                format!("format {} differs from {}", t.format, def.format),
            ));
        }
    }
    t.check_range(name, &mem.tensor)?;
    let digits = mem.word_width.div_ceil(4) as usize;
    let mut text = Vec::with_capacity(mem.depth * (digits + 1));
    inst.write_memory(mem, tensors, t.format, &mut text)?;
    // Hex digits and newlines only.
    Ok(String::from_utf8(text).unwrap_or_default())
}

/// Renders every file of `inst` with top module `top`: sources, ROM files, the
/// signature and `filelist.f`.
pub fn render(
    inst: &dyn Instance,
    top: &str,
    tensors: Option<&TensorMap>,
) -> Result<FileSet, GenError> {
    let (mut files, order) = sources(inst, top, "");
    files.extend(memory_files(inst, tensors)?);
    let sig = inst.signature(top);
    let json = serde_json::to_string_pretty(&sig).unwrap_or_default() + "\n";
    files.insert(format!("{top}.signature.json"), json);
    let mut filelist = String::new();
    for f in &order {
        filelist.push_str(f);
        filelist.push('\n');
    }
    files.insert("filelist.f".into(), filelist);
    Ok(files)
}

/// Writes `files` as the whole content of `dir`: rendered into a temporary sibling and
/// swapped in by rename, so no file of an earlier output survives and concurrent
/// writers are refused (see [`crate::outdir`]); a name with `/` goes into a
/// subdirectory.
pub fn write_dir(files: &FileSet, dir: &Path) -> Result<Vec<PathBuf>, GenError> {
    crate::outdir::replace_dir(files, dir)
}
