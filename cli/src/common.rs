//! Helpers shared by several subcommands: configuring a component from `-p KEY=VALUE`
//! flags, selecting components by name, and checking output paths and `--top` names
//! before anything is written.

use std::path::Path;

use anyhow::Result;
use generator::component::Instance;
use generator::components;

use crate::errors::user;

/// The named component elaborated with `params` (`KEY=VALUE`, mode names allowed).
pub fn configure(name: &str, params: &[String]) -> Result<Box<dyn Instance>> {
    let c = components::find(name).map_err(user)?;
    let p = generator::Params::parse(name, c.params(), params).map_err(user)?;
    c.elaborate(&p).map_err(user)
}

/// The named components, or all of them.
pub fn select(names: &[String]) -> Result<Vec<&'static dyn generator::Component>> {
    if names.is_empty() {
        return Ok(components::all().to_vec());
    }
    names
        .iter()
        .map(|n| components::find(n).map_err(user))
        .collect()
}

/// A file to be written must have an existing parent directory.
pub fn check_parent(file: &Path, flag: &str) -> Result<()> {
    let parent = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(user(format!(
            "{flag} {}: directory {} does not exist",
            file.display(),
            parent.display()
        )));
    }
    Ok(())
}

/// A `--top` name: a legal, non-reserved identifier that names no library module.
pub fn check_top(top: &str) -> Result<()> {
    generator::names::check_module_name(top, &generator::library::module_names())
        .map_err(|rule| user(format!("--top {top:?}: {rule}")))
}

/// Which model computes a simulation's outputs.
#[derive(Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum Engine {
    Golden,
    Verilator,
    /// The beat-level cycle simulator (`sim system` only; timing, outputs from golden).
    Fast,
}
