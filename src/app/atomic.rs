//! Output files that appear whole or not at all: each is written under a fresh temporary name
//! in its folder (created exclusively, so no existing file or symlink there is written
//! through) and renamed over its final name, which replaces a symlink there instead of
//! following it. A run killed meanwhile leaves a `.partial-*` file, never a truncated file
//! under a final name.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The temporary name `path` is written under: `.partial-<pid>-<file name>` beside it (the
/// extension kept, as the PNG encoder chooses its format by it).
pub fn temporary_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".partial-{}-{name}", std::process::id()))
}

fn failed(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Output(format!("writing {} failed: {e}", path.display()))
}

/// Creates `path`'s temporary file exclusively, lets `fill` write it (by path), makes it
/// durable and renames it into place. On failure the temporary file is removed.
pub fn write_via_temporary(path: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let temp = temporary_name(path);
    let _ = std::fs::remove_file(&temp);
    let result = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .map_err(|e| failed(path, e))
        .and_then(|_| fill(&temp))
        .and_then(|()| {
            let file = std::fs::File::open(&temp).map_err(|e| failed(path, e))?;
            file.sync_all().map_err(|e| failed(path, e))?;
            std::fs::rename(&temp, path).map_err(|e| failed(path, e))
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Writes `bytes` to `path` through a temporary file ([`write_via_temporary`]).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    write_via_temporary(path, |temp| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(temp)
            .map_err(|e| failed(path, e))?;
        f.write_all(bytes).map_err(|e| failed(path, e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_at_the_final_name_is_replaced_not_followed() {
        let dir = std::env::temp_dir().join(format!("spikegpu-atomic-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("elsewhere.txt");
        std::fs::write(&target, b"keep me").unwrap();
        let link = dir.join("summary.json");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_file(&link, b"{}").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
        assert_eq!(std::fs::read(&link).unwrap(), b"{}");
        assert!(!std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        let leftovers = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".partial")
            })
            .count();
        assert_eq!(leftovers, 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
