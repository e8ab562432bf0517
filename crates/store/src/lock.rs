//! One writer per history file, across processes.
//!
//! `watch`, `serve` and the app all default to a history file, and two of them on the same file
//! would record every check twice, and the second one's unclean-stop cleanup would end the first
//! one's live statuses. So a monitor takes an exclusive advisory lock (flock on Unix, LockFileEx
//! on Windows) on `<db>.lock` before it touches the database, and keeps it for its whole run. The
//! kernel drops the lock when the process dies, however it dies, so a crash never leaves the file
//! locked. The lock is on a sidecar rather than the database because SQLite takes POSIX locks on
//! the database itself, and closing any other descriptor of that file would drop SQLite's locks.
//!
//! The sidecar also says who holds it (pid, command, since), so a refused monitor can name it.
//! Readers (`history`, `status`, `export`, the app's window) never take it.

use crate::StoreError;
use chrono::{DateTime, Local, Utc};
use fs4::{FileExt, TryLockError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Who holds a history file's writer lock, as it wrote it into the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    pub pid: u32,
    /// Program and subcommand only (`llm-health watch`): the rest of a command line may hold a
    /// token, and the lock file is readable by anyone who can read the directory.
    pub command: String,
    pub since: DateTime<Utc>,
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = self.since.with_timezone(&Local);
        let since = if local.date_naive() == Local::now().date_naive() {
            local.format("%H:%M").to_string()
        } else {
            local.format("%Y-%m-%d %H:%M").to_string()
        };
        write!(f, "pid {}, `{}`, since {since}", self.pid, self.command)
    }
}

/// The held lock; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub(crate) struct WriterLock {
    file: File,
    path: PathBuf,
}

/// `<db>.lock`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_os_string();
    s.push(".lock");
    PathBuf::from(s)
}

impl WriterLock {
    /// Takes the writer lock of the database at `db`, or says who has it.
    pub(crate) fn acquire(db: &Path) -> Result<WriterLock, StoreError> {
        let path = lock_path(db);
        let io = |source| StoreError::Lock {
            path: path.clone(),
            source,
        };
        // Not truncated on open: until we hold the lock, what it says belongs to the holder.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::Busy {
                    db: db.to_path_buf(),
                    holder: read_holder(&mut file),
                })
            }
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        let me = LockHolder {
            pid: std::process::id(),
            command: command_name(),
            since: Utc::now(),
        };
        let text = serde_json::to_string(&me).unwrap_or_default();
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.write_all(b"\n").map_err(io)?;
        file.flush().map_err(io)?;
        Ok(WriterLock { file, path })
    }

    /// Whether the lock file at its path is still the one this lock holds (someone may have
    /// deleted the directory under a running monitor).
    pub(crate) fn still_in_place(&self) -> bool {
        match (
            crate::recover::FileId::of_path(&self.path),
            crate::recover::FileId::of_file(&self.file),
        ) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }
}

/// Whether some other process (or another open of this process) holds `db`'s writer lock. Used
/// before a reader would set a damaged file aside: never rename a file a monitor is writing.
pub(crate) fn holder_if_locked(db: &Path) -> Option<Option<LockHolder>> {
    let mut file = File::open(lock_path(db)).ok()?;
    match FileExt::try_lock_shared(&file) {
        Ok(()) => {
            let _ = FileExt::unlock(&file);
            None
        }
        Err(TryLockError::WouldBlock) => Some(read_holder(&mut file)),
        Err(TryLockError::Error(_)) => None,
    }
}

fn read_holder(file: &mut File) -> Option<LockHolder> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(text.trim()).ok()
}

/// `llm-health watch`: the program's file name and its first argument if that is a subcommand.
fn command_name() -> String {
    let mut args = std::env::args_os();
    let program = args
        .next()
        .map(PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "unknown".into());
    match args.next().map(|a| a.to_string_lossy().into_owned()) {
        Some(sub) if !sub.starts_with('-') && sub.len() <= 32 => format!("{program} {sub}"),
        _ => program,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_file_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("history.db");
        let first = WriterLock::acquire(&db).unwrap();
        let err = WriterLock::acquire(&db).unwrap_err();
        let StoreError::Busy { holder, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(holder.as_ref().map(|h| h.pid), Some(std::process::id()));
        assert!(err
            .to_string()
            .contains(&format!("pid {}", std::process::id())));
        assert!(holder_if_locked(&db).is_some());
        drop(first);
        assert!(holder_if_locked(&db).is_none());
        WriterLock::acquire(&db).unwrap();
    }
}
