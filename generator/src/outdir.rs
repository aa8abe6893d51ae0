//! Output directories replaced whole. [`replace_dir`] writes a complete file set into a
//! temporary sibling of the target and swaps it in by renaming, so a reader sees the
//! old directory or the new one, never a mix, and an error leaves the old one as it
//! was. Concurrent writers of one target are refused (an advisory lock on the hidden
//! sibling `.<name>.lock`, released by the OS if the process dies). A target that
//! exists must be empty or a previous output (it holds `filelist.f`): anything else is
//! refused rather than deleted. A target that is a mount point cannot be renamed; its
//! contents are then replaced inside it (old files removed first, `filelist.f` moved in
//! last). This module knows nothing of what the files are.

use rayon::prelude::*;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::emit::FileSet;
use crate::error::GenError;

/// The file whose presence marks a directory as a previous output.
pub const MARKER: &str = "filelist.f";

fn io_at(p: &Path) -> impl FnOnce(io::Error) -> GenError + '_ {
    move |source| GenError::Io {
        path: p.display().to_string(),
        source,
    }
}

/// Writes `files` (relative path → text, `/` for subdirectories) as the whole content
/// of `dir`; returns the written paths in path order.
///
/// # Errors
/// [`GenError::OutputDir`] for a target that is a file, a foreign non-empty directory,
/// a bad file name, or busy with another writer; [`GenError::Io`] for file-system
/// failures (the previous content is then intact).
pub fn replace_dir(files: &FileSet, dir: &Path) -> Result<Vec<PathBuf>, GenError> {
    let bad = |rule: String| GenError::OutputDir {
        path: dir.display().to_string(),
        rule,
    };
    for name in files.keys() {
        let p = Path::new(name);
        let ok = !name.is_empty()
            && p.components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !ok {
            return Err(bad(format!("file name {name:?} must be a relative path")));
        }
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stem = dir
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| s != "." && s != "..")
        .ok_or_else(|| bad("must name a directory (not `.`, `..` or `/`)".into()))?;
    fs::create_dir_all(parent).map_err(io_at(parent))?;

    let lock_path = parent.join(format!(".{stem}.lock"));
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io_at(&lock_path))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            return Err(bad(
                "another mase-hw process is writing this directory; wait for it or choose another"
                    .into(),
            ));
        }
        Err(fs::TryLockError::Error(e)) => return Err(io_at(&lock_path)(e)),
    }

    let existing = match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => {
            let mut entries = fs::read_dir(dir).map_err(io_at(dir))?;
            let empty = entries.next().is_none();
            if !empty && !dir.join(MARKER).is_file() {
                return Err(bad(format!(
                    "exists and is not an earlier output (no {MARKER}); refusing to replace it"
                )));
            }
            true
        }
        Ok(_) => return Err(bad("exists and is not a directory".into())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_at(dir)(e)),
    };

    if existing && is_mount_point(dir, parent) {
        return replace_in_place(files, dir);
    }
    let tmp = parent.join(format!(".{stem}.tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    if let Err(e) = write_tree(files, &tmp) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let swapped = if existing {
        let old = parent.join(format!(".{stem}.old-{}", std::process::id()));
        let _ = fs::remove_dir_all(&old);
        match fs::rename(dir, &old) {
            Ok(()) => match fs::rename(&tmp, dir) {
                Ok(()) => {
                    let _ = fs::remove_dir_all(&old);
                    Ok(())
                }
                Err(e) => {
                    let _ = fs::rename(&old, dir);
                    Err(io_at(dir)(e))
                }
            },
            Err(e) => Err(io_at(dir)(e)),
        }
    } else {
        fs::rename(&tmp, dir).map_err(io_at(dir))
    };
    if swapped.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    swapped?;
    drop(lock);
    Ok(files.keys().map(|n| dir.join(n)).collect())
}

/// Whether `dir` lives on another file system than its parent (it cannot be renamed).
fn is_mount_point(dir: &Path, parent: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (fs::metadata(dir), fs::metadata(parent)) {
            (Ok(a), Ok(b)) => a.dev() != b.dev(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, parent);
        false
    }
}

/// Writes every file under `root` (created), on every core.
fn write_tree(files: &FileSet, root: &Path) -> Result<(), GenError> {
    fs::create_dir_all(root).map_err(io_at(root))?;
    for name in files.keys() {
        if let Some(d) = root.join(name).parent() {
            fs::create_dir_all(d).map_err(io_at(d))?;
        }
    }
    // Copying hundreds of megabytes of ROM text into the page cache is CPU work.
    let list: Vec<(&String, &String)> = files.iter().collect();
    list.par_iter()
        .filter_map(|(name, text)| {
            let p = root.join(name);
            fs::write(&p, text).map_err(|e| io_at(&p)(e)).err()
        })
        .collect::<Vec<_>>()
        .into_iter()
        .next()
        .map_or(Ok(()), Err)
}

/// The mount-point case: the new tree is written inside `dir`, then the old entries are
/// removed and the new ones moved up, `filelist.f` last.
fn replace_in_place(files: &FileSet, dir: &Path) -> Result<Vec<PathBuf>, GenError> {
    let tmp_name = format!(".mase-hw.tmp-{}", std::process::id());
    let tmp = dir.join(&tmp_name);
    let _ = fs::remove_dir_all(&tmp);
    if let Err(e) = write_tree(files, &tmp) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let mut old: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io_at(dir))?
        .flatten()
        .filter(|e| e.file_name() != tmp_name.as_str())
        .map(|e| e.path())
        .collect();
    // The marker goes first, so an interrupted replacement is not taken for an output.
    old.sort_by_key(|p| p.file_name() != Some(MARKER.as_ref()));
    for p in old {
        let r = if p.is_dir() && !p.is_symlink() {
            fs::remove_dir_all(&p)
        } else {
            fs::remove_file(&p)
        };
        r.map_err(io_at(&p))?;
    }
    let mut top: Vec<PathBuf> = fs::read_dir(&tmp)
        .map_err(io_at(&tmp))?
        .flatten()
        .map(|e| e.path())
        .collect();
    top.sort_by_key(|p| p.file_name() == Some(MARKER.as_ref()));
    for p in top {
        let to = dir.join(p.file_name().unwrap_or_default());
        fs::rename(&p, &to).map_err(io_at(&to))?;
    }
    fs::remove_dir(&tmp).map_err(io_at(&tmp))?;
    Ok(files.keys().map(|n| dir.join(n)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[(&str, &str)]) -> FileSet {
        names
            .iter()
            .map(|(n, t)| ((*n).to_string(), (*t).to_string()))
            .collect()
    }

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mh-outdir-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn listing(dir: &Path) -> Vec<String> {
        fn walk(root: &Path, d: &Path, out: &mut Vec<String>) {
            for e in fs::read_dir(d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(root, &p, out);
                } else {
                    out.push(p.strip_prefix(root).unwrap().display().to_string());
                }
            }
        }
        let mut v = Vec::new();
        walk(dir, dir, &mut v);
        v.sort();
        v
    }

    #[test]
    fn a_second_write_leaves_no_file_of_the_first() {
        let root = scratch("replace");
        let out = root.join("out");
        replace_dir(
            &set(&[
                ("filelist.f", "a.sv\n"),
                ("rtl/a.sv", "x"),
                ("mem/w.mem", "0"),
            ]),
            &out,
        )
        .unwrap();
        replace_dir(&set(&[("filelist.f", "b.sv\n"), ("rtl/b.sv", "y")]), &out).unwrap();
        assert_eq!(listing(&out), ["filelist.f", "rtl/b.sv"]);
        // Only the lock file is left beside the target.
        let siblings: Vec<String> = fs::read_dir(&root)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let mut siblings = siblings;
        siblings.sort();
        assert_eq!(siblings, [".out.lock", "out"]);
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn a_foreign_directory_is_refused_and_kept() {
        let root = scratch("foreign");
        let out = root.join("home");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        let e = replace_dir(&set(&[("filelist.f", "")]), &out).unwrap_err();
        assert!(e.to_string().contains("not an earlier output"), "{e}");
        assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
        let file = root.join("file");
        fs::write(&file, "x").unwrap();
        assert!(replace_dir(&set(&[("filelist.f", "")]), &file).is_err());
        assert!(replace_dir(&set(&[("../escape", "")]), &root.join("o")).is_err());
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn a_held_lock_refuses_a_second_writer() {
        let root = scratch("lock");
        let out = root.join("out");
        let held = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(root.join(".out.lock"))
            .unwrap();
        held.lock().unwrap();
        let e = replace_dir(&set(&[("filelist.f", "")]), &out).unwrap_err();
        assert!(e.to_string().contains("another mase-hw process"), "{e}");
        assert!(!out.exists());
        drop(held);
        replace_dir(&set(&[("filelist.f", "")]), &out).unwrap();
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn replacing_in_place_keeps_only_the_new_files() {
        let root = scratch("inplace");
        let out = root.join("out");
        replace_dir(&set(&[("filelist.f", "old"), ("old/x.sv", "x")]), &out).unwrap();
        replace_in_place(&set(&[("filelist.f", "new"), ("rtl/y.sv", "y")]), &out).unwrap();
        assert_eq!(listing(&out), ["filelist.f", "rtl/y.sv"]);
        assert_eq!(fs::read_to_string(out.join("filelist.f")).unwrap(), "new");
        let _ = fs::remove_dir_all(&root);
    }
}
