//! Tensor JSON files: `{"<tensor>": {"shape": [..], "raw": [..]}}` in, the same plus
//! `width`, `frac_width`, `signed` out. Raw codes are JSON integers (or decimal
//! strings for values beyond 64 bits) in logical row-major order; the formats come
//! from the component, so a file given with formats must agree with it.

use std::path::Path;

use generator::component::Instance;
use generator::{Tensor, TensorMap};
use serde_json::{Map, Value, json};

/// Reads the tensors of `path` for `inst`; every error names the file, tensor and field.
pub fn read(path: &Path, inst: &dyn Instance) -> Result<TensorMap, String> {
    let text = read_text(path, MAX_TENSOR_FILE).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{}: top level must be an object of tensors", path.display()))?;
    let defs = inst.tensors();
    let mut out = TensorMap::new();
    for (name, t) in obj {
        let at = |field: &str| format!("{}: tensor `{name}` field `{field}`", path.display());
        let def = defs
            .iter()
            .find(|d| &d.name == name && d.direction == generator::sv::Dir::Input)
            .ok_or_else(|| {
                let known: Vec<&str> = defs
                    .iter()
                    .filter(|d| d.direction == generator::sv::Dir::Input)
                    .map(|d| d.name.as_str())
                    .collect();
                format!(
                    "{}: `{name}` is not an input of {} (inputs: {})",
                    path.display(),
                    inst.component().name(),
                    known.join(", ")
                )
            })?;
        let t = t
            .as_object()
            .ok_or_else(|| format!("{}: tensor `{name}` must be an object", path.display()))?;
        if let Some(k) = t
            .keys()
            .find(|k| !["shape", "raw", "width", "frac_width", "signed"].contains(&k.as_str()))
        {
            return Err(format!(
                "{}: tensor `{name}`: unknown field `{k}` (fields: shape, raw, width, frac_width, signed)",
                path.display()
            ));
        }
        let mut shape = shape_field(t.get("shape"), &at("shape"))?;
        let numel = checked_numel(&shape, &at("shape"))?;
        let raw = raw_field(t.get("raw"), &at("raw"))?;
        if raw.len() != numel {
            return Err(format!(
                "{}: {} elements, but shape {shape:?} has {numel}",
                at("raw"),
                raw.len(),
            ));
        }
        // A one-axis tensor is one row: `[16]` is `[1, 16]` where the component takes
        // `[N, …]` (elementwise components: any length the lanes divide).
        if shape.len() == 1 && def.shape.len() == 2 && def.shape[0] == generator::tensor::Dim::Batch
        {
            shape.insert(0, 1);
        }
        let f = def.format;
        for (field, want) in [
            ("width", Value::from(f.width())),
            ("frac_width", Value::from(f.frac())),
            ("signed", Value::from(f.is_signed())),
        ] {
            if let Some(got) = t.get(field)
                && *got != want
            {
                return Err(format!(
                    "{}: {got} differs from the component's {want}",
                    at(field)
                ));
            }
        }
        out.insert(name.clone(), Tensor::new(shape, raw, f));
    }
    Ok(out)
}

/// Largest tensor file read (1 GiB of JSON text).
pub const MAX_TENSOR_FILE: u64 = 1 << 30;

/// The text of `path`, refused beyond `limit` bytes (a file symlinked to `/dev/zero`
/// is read only up to the limit).
pub fn read_text(path: &Path, limit: u64) -> Result<String, String> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    if buf.len() as u64 > limit {
        return Err(format!(
            "larger than {} (not a tensor file?)",
            model::budget::human_bytes(limit)
        ));
    }
    String::from_utf8(buf).map_err(|_| "not UTF-8 text".to_string())
}

/// The element count of `shape`, refused when it overflows or exceeds 2^48.
pub fn checked_numel(shape: &[usize], at: &str) -> Result<usize, String> {
    model::graph::element_count(shape)
        .ok_or_else(|| format!("{at}: {shape:?}: the element count must fit in 2^48"))
}

/// A `shape` field: an array of non-negative integers; errors start with `at`.
fn shape_field(v: Option<&Value>, at: &str) -> Result<Vec<usize>, String> {
    v.and_then(Value::as_array)
        .ok_or_else(|| format!("{at}: missing or not an array of sizes"))?
        .iter()
        .map(|d| {
            d.as_u64()
                .map(|d| d as usize)
                .ok_or_else(|| format!("{at}: sizes must be non-negative integers"))
        })
        .collect()
}

/// A `raw` field: an array of integers (decimal strings beyond 64 bits); errors start
/// with `at`.
fn raw_field(v: Option<&Value>, at: &str) -> Result<Vec<i128>, String> {
    v.and_then(Value::as_array)
        .ok_or_else(|| format!("{at}: missing or not an array of integers"))?
        .iter()
        .enumerate()
        .map(|(i, x)| parse_int(x).ok_or_else(|| format!("{at}: element {i} is not an integer")))
        .collect()
}

fn parse_int(v: &Value) -> Option<i128> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Writes tensors with their formats; values beyond 64 bits as decimal strings.
pub fn write(path: &Path, tensors: &TensorMap) -> std::io::Result<()> {
    let mut obj = Map::new();
    for (name, t) in tensors {
        let raw: Vec<Value> = t
            .raw
            .iter()
            .map(|&r| i64::try_from(r).map_or_else(|_| Value::String(r.to_string()), Value::from))
            .collect();
        obj.insert(
            name.clone(),
            json!({
                "shape": t.shape,
                "raw": raw,
                "width": t.format.width(),
                "frac_width": t.format.frac(),
                "signed": t.format.is_signed(),
            }),
        );
    }
    let text = serde_json::to_string_pretty(&Value::Object(obj)).unwrap_or_default() + "\n";
    // A device or pipe (`--output /dev/null`, `/dev/stdout`) is written in place:
    // renaming a temporary file over it would replace the device itself.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return std::fs::write(path, text);
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// The `data_in` tensor of a system: `{"data_in": {"shape": [..], "raw": [..]}}` or
/// with `"values"` (real numbers, quantized with RND/SAT). The shape is the model's
/// input shape with or without a leading item axis. Returns the float values (for
/// the float reference; dequantized codes when `raw` was given) per item and the
/// quantized tensor `[items, ..input shape]`.
///
/// # Errors
/// Unreadable or malformed file, wrong shape, codes out of range — naming the field.
pub fn read_system_input(
    path: &Path,
    sys: &system::SystemInstance,
) -> anyhow::Result<(Vec<Vec<f64>>, Tensor)> {
    let user = |m: String| crate::user(format!("{}: {m}", path.display()));
    let text = read_text(path, MAX_TENSOR_FILE).map_err(user)?;
    let v: Value = serde_json::from_str(&text).map_err(|e| user(format!("invalid JSON: {e}")))?;
    let t = v.get("data_in").and_then(Value::as_object).ok_or_else(|| {
        user("needs an object `data_in` with `shape` and `raw` or `values`".into())
    })?;
    let shape = shape_field(t.get("shape"), "data_in.shape").map_err(user)?;
    let item = &sys.net.input_shape;
    let items = if shape == *item {
        1
    } else if shape.len() == item.len() + 1 && shape[1..] == item[..] && shape[0] >= 1 {
        shape[0]
    } else {
        return Err(user(format!(
            "data_in.shape {shape:?} must be {item:?} or [items, {}]",
            item.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    if let Some(k) = t.keys().find(|k| {
        !["shape", "raw", "values", "width", "frac_width", "signed"].contains(&k.as_str())
    }) {
        return Err(user(format!(
            "data_in: unknown field `{k}` (fields: shape, raw or values, width, frac_width, signed)"
        )));
    }
    let fmt = sys.tensors()[0].format;
    let n: usize = checked_numel(&shape, "data_in.shape").map_err(user)?;
    let (values, raw): (Vec<f64>, Vec<i128>) = match (t.get("values"), t.get("raw")) {
        (Some(vals), None) => {
            let vals: Vec<f64> = vals
                .as_array()
                .ok_or_else(|| user("data_in.values: not an array".into()))?
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    x.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
                        user(format!(
                            "data_in.values: element {i} is not a finite number"
                        ))
                    })
                })
                .collect::<Result<_, _>>()?;
            let raw = vals
                .iter()
                .map(|&x| fmt.from_f64(x, golden::Rounding::Rnd, golden::Overflow::Sat))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| user(format!("data_in.values: {e}")))?;
            (vals, raw)
        }
        (None, Some(r)) => {
            let raw = raw_field(Some(r), "data_in.raw").map_err(user)?;
            (raw.iter().map(|&r| fmt.to_f64(r)).collect(), raw)
        }
        _ => {
            return Err(user(
                "data_in: give exactly one of `raw` and `values`".into(),
            ));
        }
    };
    if raw.len() != n {
        return Err(user(format!(
            "data_in: {} elements, but shape {shape:?} has {n}",
            raw.len()
        )));
    }
    let mut full = vec![items];
    full.extend(item);
    let x = Tensor::new(full, raw, fmt);
    x.check_range("system", "data_in")
        .map_err(|e| user(e.to_string()))?;
    let per = n / items;
    Ok((values.chunks(per).map(<[f64]>::to_vec).collect(), x))
}
