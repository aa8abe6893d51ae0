//! The device catalog: the boards `--board` names, read from the TOML files of
//! `fpga/boards/` that are compiled into the binary (so generation never depends on the
//! working directory). A [`Board`] carries the device totals from the public datasheets,
//! the fraction the partitioner may fill, the default clock and the QSFP28 cages with
//! their transceiver quads. It does not model per-SLR budgets or timing; it is data.

use serde::Deserialize;

use crate::SystemError;

/// The catalog files, by board name (sorted).
const FILES: &[(&str, &str)] = &[
    ("u250", include_str!("../../fpga/boards/u250.toml")),
    ("u280", include_str!("../../fpga/boards/u280.toml")),
    ("u55c", include_str!("../../fpga/boards/u55c.toml")),
    ("vcu118", include_str!("../../fpga/boards/vcu118.toml")),
];

/// One QSFP28 cage: where its four GT lanes and reference clock are.
#[derive(Clone, Debug, Deserialize, PartialEq, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Qsfp {
    /// Cage name as the board's documentation says it (`qsfp0`).
    pub name: String,
    /// GT quad of the four lanes (`Quad_231`).
    pub gt_quad: String,
    /// First GT channel site of the quad (`GTY_CHANNEL_X1Y44`); lanes follow in order.
    pub gt_channel: String,
    /// Reference clock pins (package pin names) and frequency.
    pub refclk_p: String,
    pub refclk_n: String,
    pub refclk_mhz: f64,
    /// Which reference clock input of the quad the clock enters (`MGTREFCLK0`/`1`).
    #[serde(default)]
    pub refclk_index: Option<u8>,
    /// Lane 0's GTYE4_CHANNEL site (`X1Y48`) and its quad's GTYE4_COMMON site
    /// (`X1Y12`): what the Aurora core is placed by (`C_START_LANE`, `C_START_QUAD`).
    #[serde(default)]
    pub gt_site: Option<String>,
    #[serde(default)]
    pub gt_quad_site: Option<String>,
    /// Lane 0's serial package pins.
    #[serde(default)]
    pub rx_p: Option<String>,
    #[serde(default)]
    pub rx_n: Option<String>,
    #[serde(default)]
    pub tx_p: Option<String>,
    #[serde(default)]
    pub tx_n: Option<String>,
    /// Board pins the cage's reference clock needs driven (output enable, frequency
    /// select), each held at a constant by the board top.
    #[serde(default)]
    pub ctrl: Vec<QsfpCtrl>,
}

/// A constant control output of a cage's reference clock generator.
#[derive(Clone, Debug, Deserialize, PartialEq, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct QsfpCtrl {
    /// Port suffix on the board top (`refclk_oe_b` → `link0_tx_refclk_oe_b`).
    pub port: String,
    pub pin: String,
    pub iostandard: String,
    pub value: u8,
}

/// What the board top and the Aurora core of one link need of its cage.
#[derive(Clone, Debug, PartialEq)]
pub struct CagePlacement {
    pub refclk_index: u8,
    pub gt_site: String,
    pub gt_quad_site: String,
    pub rx_p: String,
    pub rx_n: String,
    pub tx_p: String,
    pub tx_n: String,
}

impl Qsfp {
    /// The placement of the cage's lane 0, or the name of the first missing field
    /// (not sourced from a public document).
    pub fn placement(&self) -> Result<CagePlacement, &'static str> {
        fn need<T: Clone>(v: &Option<T>, name: &'static str) -> Result<T, &'static str> {
            v.clone().ok_or(name)
        }
        Ok(CagePlacement {
            gt_site: need(&self.gt_site, "gt_site")?,
            gt_quad_site: need(&self.gt_quad_site, "gt_quad_site")?,
            refclk_index: need(&self.refclk_index, "refclk_index")?,
            rx_p: need(&self.rx_p, "rx_p")?,
            rx_n: need(&self.rx_n, "rx_n")?,
            tx_p: need(&self.tx_p, "tx_p")?,
            tx_n: need(&self.tx_n, "tx_n")?,
        })
    }
}

/// A board of the catalog.
#[derive(Clone, Debug, Deserialize, PartialEq, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    pub name: String,
    pub title: String,
    pub part: String,
    pub board_part: String,
    pub source: String,
    pub lut: u64,
    pub ff: u64,
    pub dsp: u64,
    pub bram36: u64,
    pub uram: u64,
    #[serde(default = "default_usable")]
    pub usable: f64,
    pub clock_mhz: f64,
    pub slr: u32,
    #[serde(default)]
    pub qsfp: Vec<Qsfp>,
}

fn default_usable() -> f64 {
    0.75
}

impl Board {
    /// Usable amount of a total (`usable` × total, rounded down).
    pub fn usable_of(&self, total: u64) -> u64 {
        (total as f64 * self.usable).floor() as u64
    }

    /// On-chip memory in bits (BRAM36 and URAM).
    pub fn memory_bits(&self) -> u64 {
        self.bram36 * 36 * 1024 + self.uram * 288 * 1024
    }
}

/// The names `--board` accepts.
pub fn names() -> Vec<&'static str> {
    FILES.iter().map(|(n, _)| *n).collect()
}

/// The board named `name`, or an error listing the catalog.
pub fn find(name: &str) -> Result<Board, SystemError> {
    let Some((_, text)) = FILES.iter().find(|(n, _)| *n == name) else {
        return Err(SystemError::Board {
            board: name.to_string(),
            rule: format!("not in the catalog (boards: {})", names().join(", ")),
        });
    };
    parse(name, text)
}

fn parse(name: &str, text: &str) -> Result<Board, SystemError> {
    let board: Board = toml::from_str(text).map_err(|e| SystemError::Board {
        board: name.to_string(),
        rule: format!("catalog file: {}", e.message()),
    })?;
    for q in &board.qsfp {
        if q.refclk_index.is_some_and(|i| i > 1) {
            return Err(SystemError::Board {
                board: name.to_string(),
                rule: format!("{}: refclk_index must be 0 or 1", q.name),
            });
        }
        if let Some(c) = q.ctrl.iter().find(|c| c.value > 1) {
            return Err(SystemError::Board {
                board: name.to_string(),
                rule: format!("{}: ctrl {}: value must be 0 or 1", q.name, c.port),
            });
        }
    }
    if !(board.usable > 0.0 && board.usable <= 1.0) {
        return Err(SystemError::Board {
            board: name.to_string(),
            rule: format!("usable = {}: must be in (0, 1]", board.usable),
        });
    }
    Ok(board)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_file_parses_and_is_named_by_its_file() {
        for name in names() {
            let b = find(name).unwrap();
            assert_eq!(b.name, name);
            assert!(b.dsp > 0 && b.lut > 0 && b.bram36 > 0);
        }
    }

    #[test]
    fn datasheet_totals() {
        // DS962: U250 12,288 DSP, 2,688 BRAM36, 1,280 URAM.
        let u250 = find("u250").unwrap();
        assert_eq!((u250.dsp, u250.bram36, u250.uram), (12288, 2688, 1280));
        assert_eq!(u250.usable_of(u250.dsp), 9216);
        // 2,688 × 36 Kib + 1,280 × 288 Kib.
        assert_eq!(u250.memory_bits(), 476_577_792);
    }

    #[test]
    fn unknown_board_lists_the_catalog() {
        let e = find("u999").unwrap_err().to_string();
        assert_eq!(
            e,
            "board `u999`: not in the catalog (boards: u250, u280, u55c, vcu118)"
        );
    }
}
