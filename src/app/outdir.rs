//! The folder `spikegpu run` writes into. A lock file keeps a second run out while one writes;
//! a manifest lists every file a run writes, each name appended before its file is written,
//! so that even after a crash the next run knows exactly which files were this program's.
//!
//! Policy: a new or empty folder is used as it is; a folder holding an earlier run's outputs
//! (its manifest) has those files removed, and only those, before the new run starts, so
//! outputs of two runs are never mixed; any other non-empty folder is refused unless the user
//! passes `--overwrite`, which writes beside the files there and removes none of them.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result, invalid};

/// The lock file: `pid`, `host` and `started` (Unix seconds) of the run that holds the folder.
pub const LOCK: &str = ".spikegpu.lock";
/// The manifest: its first line, then one file name per line.
pub const MANIFEST: &str = "spikegpu-manifest.txt";
const MANIFEST_HEADER: &str = "spikegpu output manifest v1";

/// An output folder held by this process (the lock is released on drop).
pub struct OutputDir {
    dir: PathBuf,
    manifest: std::fs::File,
    files: Vec<PathBuf>,
}

fn io_failed(what: &Path, e: std::io::Error) -> Error {
    Error::Output(format!("{}: {e}", what.display()))
}

impl OutputDir {
    /// Takes `dir` for a new run: creates it, takes the lock, clears an earlier run's files
    /// and starts a new manifest (see the module's policy).
    pub fn create(dir: &Path, overwrite: bool) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::Output(format!(
                "output directory {} is not writable: it cannot be created ({e})",
                dir.display()
            ))
        })?;
        take_lock(dir)?;
        let prepared = clear_earlier_run(dir, overwrite).and_then(|()| {
            let path = dir.join(MANIFEST);
            let mut manifest = std::fs::OpenOptions::new()
                .append(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| io_failed(&path, e))?;
            writeln!(manifest, "{MANIFEST_HEADER}").map_err(|e| io_failed(&path, e))?;
            Ok(manifest)
        });
        match prepared {
            Ok(manifest) => Ok(OutputDir {
                dir: dir.to_path_buf(),
                manifest,
                files: Vec::new(),
            }),
            Err(e) => {
                release_lock(dir);
                Err(e)
            }
        }
    }

    /// Takes `dir` back to continue its run (`spikegpu resume`): takes the lock and keeps
    /// the manifest and every file, appending to the manifest. A folder without a manifest is
    /// not a spikegpu output and is refused.
    pub fn reopen(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST);
        if !std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
            return Err(invalid(
                "DIR",
                dir.display(),
                "must be the output folder of a spikegpu run",
            ));
        }
        take_lock(dir)?;
        let opened = earlier_manifest(&path).and_then(|listed| {
            let listed = listed.ok_or_else(|| {
                invalid(
                    "DIR",
                    dir.display(),
                    &format!("must be the output folder of a spikegpu run (it has no {MANIFEST})"),
                )
            })?;
            let manifest = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .map_err(|e| io_failed(&path, e))?;
            Ok((listed, manifest))
        });
        match opened {
            Ok((listed, manifest)) => Ok(OutputDir {
                dir: dir.to_path_buf(),
                manifest,
                files: listed.iter().map(|n| dir.join(n)).collect(),
            }),
            Err(e) => {
                release_lock(dir);
                Err(e)
            }
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The path of output file `name`, listed in the manifest (and made durable there) before
    /// the caller writes it.
    pub fn file(&mut self, name: &str) -> Result<PathBuf> {
        debug_assert!(is_plain_name(name), "output names are plain file names");
        let path = self.dir.join(name);
        if self.files.contains(&path) {
            return Ok(path);
        }
        let manifest = self.dir.join(MANIFEST);
        writeln!(self.manifest, "{name}").map_err(|e| io_failed(&manifest, e))?;
        self.manifest.sync_data().map_err(|e| io_failed(&manifest, e))?;
        self.files.push(path.clone());
        Ok(path)
    }

    /// Every file listed so far, in order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Every file listed so far that exists now.
    pub fn existing_files(&self) -> Vec<PathBuf> {
        self.files.iter().filter(|f| f.exists()).cloned().collect()
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        release_lock(&self.dir);
    }
}

/// A name that stays inside the folder: no separators, not `.` or `..`, not empty.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// Creates the lock file exclusively; a lock left by a process that no longer runs (on this
/// host) is taken over, a live one refuses with the holder named.
fn take_lock(dir: &Path) -> Result<()> {
    let path = dir.join(LOCK);
    for _ in 0..2 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                let started = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let text = format!("pid={}\nhost={}\nstarted={started}\n", std::process::id(), host());
                return f.write_all(text.as_bytes()).map_err(|e| io_failed(&path, e));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = LockHolder::read(&path);
                if holder.as_ref().is_some_and(LockHolder::is_gone) {
                    log::warn!(
                        "{}: removing the lock of pid {} that no longer runs",
                        dir.display(),
                        holder.map_or(0, |h| h.pid)
                    );
                    std::fs::remove_file(&path).map_err(|e| io_failed(&path, e))?;
                    continue;
                }
                let who = holder.map_or_else(
                    || format!("{} exists and is not a spikegpu lock", path.display()),
                    |h| {
                        format!(
                            "pid {} on {}, started at {} (Unix time)",
                            h.pid, h.host, h.started
                        )
                    },
                );
                return Err(invalid(
                    "--out",
                    dir.display(),
                    &format!(
                        "is in use by another spikegpu run ({who}); wait for it to end or choose another folder"
                    ),
                ));
            }
            Err(e) => {
                return Err(Error::Output(format!(
                    "output directory {} is not writable: {e}",
                    dir.display()
                )));
            }
        }
    }
    Err(Error::Output(format!(
        "{}: the lock changed hands twice; try again",
        path.display()
    )))
}

/// Removes the lock if this process holds it.
fn release_lock(dir: &Path) {
    let path = dir.join(LOCK);
    if LockHolder::read(&path).is_some_and(|h| h.pid == std::process::id() && h.host == host()) {
        let _ = std::fs::remove_file(path);
    }
}

/// This machine's name (a lock from another host is never taken over).
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// What a lock file says.
struct LockHolder {
    pid: u32,
    host: String,
    started: u64,
}

impl LockHolder {
    /// The holder named in a regular lock file (not through a symlink), if it is one.
    fn read(path: &Path) -> Option<LockHolder> {
        if !std::fs::symlink_metadata(path).ok()?.is_file() {
            return None;
        }
        let text = std::fs::read_to_string(path).ok()?;
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
                .map(str::to_string)
        };
        Some(LockHolder {
            pid: field("pid")?.parse().ok()?,
            host: field("host")?,
            started: field("started").and_then(|s| s.parse().ok()).unwrap_or(0),
        })
    }

    /// Whether the holder ran on this host and has ended.
    fn is_gone(&self) -> bool {
        self.host == host() && !process_exists(self.pid)
    }
}

#[cfg(unix)]
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    let exists = alive || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    // A zombie (ended, not yet reaped: the ranks of a killed mpirun for a while) holds nothing.
    exists && !is_zombie(pid)
}

/// Whether process `pid` has ended and waits to be reaped (state `Z` in `/proc/<pid>/stat`).
#[cfg(unix)]
fn is_zombie(pid: libc::pid_t) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name, which is in parentheses and may hold spaces.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| state == "Z")
}

#[cfg(not(unix))]
fn process_exists(_pid: u32) -> bool {
    true
}

/// Applies the policy to a folder this process has locked: removes the files an earlier
/// run's manifest lists (links themselves, never their targets) and its temporary files, or
/// refuses a non-empty folder without a manifest unless `overwrite`.
fn clear_earlier_run(dir: &Path, overwrite: bool) -> Result<()> {
    let manifest = dir.join(MANIFEST);
    let listed = earlier_manifest(&manifest)?;
    let entries: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| io_failed(dir, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != LOCK)
        .collect();
    let Some(listed) = listed else {
        if entries.is_empty() || overwrite {
            return Ok(());
        }
        let mut shown: Vec<&str> = entries.iter().take(5).map(String::as_str).collect();
        shown.sort_unstable();
        return Err(invalid(
            "--out",
            dir.display(),
            &format!(
                "must be a new or empty folder, or one holding an earlier spikegpu run ({MANIFEST}); it holds {} other entries ({}{}): choose another folder, or pass --overwrite to write beside them (none is removed)",
                entries.len(),
                shown.join(", "),
                if entries.len() > shown.len() { ", ..." } else { "" }
            ),
        ));
    };
    let temporaries = entries.iter().filter(|n| n.starts_with(".partial-"));
    for name in listed.iter().chain(temporaries).chain([&MANIFEST.to_string()]) {
        let path = dir.join(name);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if !m.is_dir() => std::fs::remove_file(&path).map_err(|e| io_failed(&path, e))?,
            _ => {}
        }
    }
    log::info!(
        "{}: removed the {} files of the earlier run",
        dir.display(),
        listed.len()
    );
    Ok(())
}

/// The file names an earlier run's manifest lists (`None` when there is no manifest). A
/// manifest that is not one (a symlink, another format, names leaving the folder) refuses.
fn earlier_manifest(path: &Path) -> Result<Option<Vec<String>>> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_failed(path, e)),
    };
    let foreign = || {
        Error::Output(format!(
            "{} is not a spikegpu manifest; remove it or choose another folder",
            path.display()
        ))
    };
    if !meta.is_file() || meta.len() > 16 << 20 {
        return Err(foreign());
    }
    let text = std::fs::read_to_string(path).map_err(|_| foreign())?;
    let mut lines = text.lines();
    if lines.next() != Some(MANIFEST_HEADER) {
        return Err(foreign());
    }
    let names: Vec<String> = lines.filter(|l| !l.is_empty()).map(str::to_string).collect();
    if !names.iter().all(|n| is_plain_name(n)) {
        return Err(foreign());
    }
    Ok(Some(names))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("spikegpu-outdir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_second_holder_is_refused_naming_the_first_and_the_lock_goes_with_the_first() {
        let dir = scratch("lock");
        let first = OutputDir::create(&dir, false).unwrap();
        let second = OutputDir::create(&dir, false).err().expect("refused");
        assert!(second.is_input_error());
        assert!(
            second
                .to_string()
                .contains(&format!("pid {}", std::process::id())),
            "{second}"
        );
        drop(first);
        assert!(!dir.join(LOCK).exists());
        OutputDir::create(&dir, false).expect("free again");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_stale_lock_of_an_ended_process_is_taken_over() {
        let dir = scratch("stale");
        std::fs::create_dir_all(&dir).unwrap();
        // No process has pid 2^31 - 2 (above pid_max on Linux).
        let text = format!("pid=2147483646\nhost={}\nstarted=0\n", host());
        std::fs::write(dir.join(LOCK), text).unwrap();
        OutputDir::create(&dir, false).expect("the stale lock is taken over");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_the_earlier_runs_listed_files_are_removed_and_links_are_not_followed() {
        let dir = scratch("policy");
        let outside = scratch("policy-target");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("precious"), b"keep").unwrap();
        {
            let mut run = OutputDir::create(&dir, false).unwrap();
            std::fs::write(run.file("a.npy").unwrap(), b"a").unwrap();
            let link = run.file("b.npy").unwrap();
            #[cfg(unix)]
            std::os::unix::fs::symlink(outside.join("precious"), &link).unwrap();
        }
        std::fs::write(dir.join("notes.txt"), b"mine").unwrap();
        let run = OutputDir::create(&dir, false).expect("an earlier run's folder is reused");
        assert!(!dir.join("a.npy").exists() && std::fs::symlink_metadata(dir.join("b.npy")).is_err());
        assert_eq!(std::fs::read(outside.join("precious")).unwrap(), b"keep");
        assert!(
            dir.join("notes.txt").exists(),
            "a file the manifest does not list stays"
        );
        drop(run);
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&outside).unwrap();
    }

    #[test]
    fn a_foreign_non_empty_folder_is_refused_unless_overwrite() {
        let dir = scratch("foreign");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("data.csv"), b"x").unwrap();
        let e = OutputDir::create(&dir, false).err().expect("refused");
        assert!(e.is_input_error() && e.to_string().contains("data.csv"), "{e}");
        assert!(!dir.join(LOCK).exists(), "a refusal releases the lock");
        OutputDir::create(&dir, true).expect("--overwrite writes beside");
        assert!(dir.join("data.csv").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
