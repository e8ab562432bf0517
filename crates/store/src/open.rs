//! Opening the database: WAL, migrations, and setting a damaged file aside instead of failing or,
//! worse, overwriting someone's history.

use crate::recover::FileId;
use crate::{Opened, Pools, Shared, Store, StoreError};
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Readers are short queries; a few cover the UI, the HTTP API and an export at once.
pub(crate) const READ_CONNECTIONS: u32 = 4;

/// Long enough to outlast a maintenance transaction, short enough to surface a stuck lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

enum Failure {
    /// The file is not a usable database of ours: set it aside.
    Damaged(String),
    /// Anything else (permissions, disk full): the user has to act, the file stays untouched.
    Fatal(StoreError),
}

/// Connection settings; the pools add `journal_mode = WAL` (a no-op once the file is in WAL).
fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        // In WAL mode NORMAL cannot corrupt the database; a power cut loses at most the last
        // commits, which for a monitor's history is the right trade for far fewer fsyncs.
        .synchronous(SqliteSynchronous::Normal)
        // Statement journals (a multi-row insert inside a batch's transaction needs one) and
        // sorts stay in memory instead of spilling to temporary files: no durability is at
        // stake, they only ever serve one statement.
        .pragma("temp_store", "MEMORY")
        // A checkpoint copies every page written since the last one back into the file: the
        // index pages every batch touches are copied once per 16 MB of WAL instead of once per
        // 4 MB (SQLite's default), which took a third of a busy writer's commit time. The
        // WAL is cut back to that size after a checkpoint.
        .pragma("wal_autocheckpoint", "4000")
        .pragma("journal_size_limit", "16777216")
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        .disable_statement_logging()
}

impl Store {
    /// Opens (creating it and its parent directories if needed) the database at `path`.
    ///
    /// A damaged file — not a database, malformed, failing `PRAGMA quick_check` (run only when
    /// the last run did not stop cleanly, see `IntegrityCheck`), or carrying
    /// schema migrations this version does not know (written by a newer version) — is renamed to
    /// `<name>.damaged-<UTC timestamp>` together with its `-wal`/`-shm` files, a fresh database is
    /// created in its place, and [`Opened::set_aside`] says where the old one went. Errors that
    /// are not damage (permissions, a full disk) leave the file alone and are returned.
    pub async fn open(path: &Path) -> Result<Opened, StoreError> {
        Store::open_with(path, None).await
    }

    /// [`Store::open`], for a run when `lock` is the file's writer lock: the store keeps it.
    pub(crate) async fn open_with(
        path: &Path,
        lock: Option<crate::lock::WriterLock>,
    ) -> Result<Opened, StoreError> {
        let opened = open_pools(path, lock.is_some()).await?;
        let location = path.display().to_string();
        let shared = Shared {
            path: Some(path.to_path_buf()),
            lock: std::sync::Mutex::new(lock),
            file: std::sync::Mutex::new(FileId::of_path(path)),
            health: Default::default(),
            integrity_checked: opened.integrity_checked,
            rids: Default::default(),
            provider_seen: Default::default(),
        };
        Ok(Opened {
            store: Store::new(opened.pools, &location, shared),
            set_aside: opened.set_aside,
            reason: opened.reason,
            integrity_checked: opened.integrity_checked,
        })
    }

    /// A real SQLite database in memory, for tests. Gone when the last clone is dropped.
    pub async fn open_memory() -> Result<Store, StoreError> {
        let location = ":memory:";
        let open_err = |source| StoreError::Open {
            path: location.to_string(),
            source,
        };
        let opts = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(open_err)?
            .foreign_keys(true)
            .disable_statement_logging();
        // One connection that never expires: an in-memory database lives exactly as long as its
        // connections, and a single connection also makes it its own "one writer".
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts)
            .await
            .map_err(open_err)?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate {
                path: location.to_string(),
                source,
            })?;
        Ok(Store::new(
            Pools {
                write: pool.clone(),
                read: pool,
            },
            location,
            Shared::default(),
        ))
    }
}

/// What [`open_pools`] found and opened.
pub(crate) struct OpenedPools {
    pub pools: Pools,
    pub set_aside: Option<PathBuf>,
    pub reason: Option<String>,
    /// `PRAGMA quick_check` ran on the file that is open now (see [`IntegrityCheck`]).
    pub integrity_checked: bool,
}

/// Opens the file's pools, setting a damaged file aside first (see [`Store::open`]). `is_writer`:
/// the caller holds the writer lock; without it a damaged file is set aside only if no monitor
/// holds the lock, since renaming the file under a running monitor would lose its history.
pub(crate) async fn open_pools(path: &Path, is_writer: bool) -> Result<OpenedPools, StoreError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    match open_file(path, is_writer).await {
        Ok((pools, integrity_checked)) => Ok(OpenedPools {
            pools,
            set_aside: None,
            reason: None,
            integrity_checked,
        }),
        Err(Failure::Fatal(e)) => Err(e),
        Err(Failure::Damaged(reason)) => {
            if !is_writer {
                if let Some(holder) = crate::lock::holder_if_locked(path) {
                    return Err(StoreError::Corrupt {
                        path: path.display().to_string(),
                        what: format!(
                            "{reason}; not set aside because a monitor is writing it ({})",
                            holder.map_or_else(|| "unknown process".into(), |h| h.to_string())
                        ),
                    });
                }
            }
            let aside = set_aside(path, &reason)?;
            tracing::warn!(
                path = %path.display(),
                aside = %aside.display(),
                %reason,
                "history database was damaged; moved it aside and started a new one"
            );
            match open_file(path, is_writer).await {
                Ok((pools, integrity_checked)) => Ok(OpenedPools {
                    pools,
                    set_aside: Some(aside),
                    reason: Some(reason),
                    integrity_checked,
                }),
                Err(Failure::Fatal(e)) => Err(e),
                Err(Failure::Damaged(again)) => Err(StoreError::Corrupt {
                    path: path.display().to_string(),
                    what: format!("a freshly created database is unusable too: {again}"),
                }),
            }
        }
    }
}

/// Opens the file's pools; also says whether `quick_check` ran.
async fn open_file(path: &Path, is_writer: bool) -> Result<(Pools, bool), Failure> {
    let location = path.display().to_string();
    if let Some(reason) = foreign_header(path).or_else(|| short_file(path)) {
        return Err(Failure::Damaged(reason));
    }
    // Vet the file on one plain connection first: it is closed for certain (`close().await`) before
    // anything is renamed, whereas a connection that fails inside a pool is closed later on its
    // worker thread — and SQLite closing a WAL database deletes `<path>-wal` by name, which by
    // then could be the fresh database's.
    let mut conn = options(path)
        .connect()
        .await
        .map_err(|e| classify(e, &location))?;
    let check = IntegrityCheck::decide(&mut conn, path, is_writer).await?;
    let vetted = check_and_migrate(&mut conn, &location, check, is_writer).await;
    let closed = conn.close().await;
    vetted?;
    closed.map_err(|e| classify(e, &location))?;

    let pool = |max| {
        SqlitePoolOptions::new()
            .max_connections(max)
            .connect_with(options(path).journal_mode(SqliteJournalMode::Wal))
    };
    let write = pool(1).await.map_err(|e| classify(e, &location))?;
    let read = match pool(READ_CONNECTIONS).await {
        Ok(read) => read,
        Err(e) => {
            write.close().await;
            return Err(classify(e, &location));
        }
    };
    Ok((Pools { write, read }, check == IntegrityCheck::Full))
}

/// A non-empty file that does not start with SQLite's magic string is no database at all: say so
/// without letting SQLite open it (and possibly touch a `-wal` beside it).
fn foreign_header(path: &Path) -> Option<String> {
    use std::io::Read;
    const MAGIC: &[u8; 16] = b"SQLite format 3\0";
    let mut file = std::fs::File::open(path).ok()?;
    let mut head = [0u8; 16];
    let n = file.read(&mut head).ok()?;
    if n == 0 || head[..n] == MAGIC[..n] && n == MAGIC.len() {
        return None;
    }
    Some("not a database: the file does not start with the SQLite header".to_string())
}

/// Whether opening reads the whole file with `PRAGMA quick_check`. It takes about 5 s per GB,
/// so it runs only when the file may have been left damaged: its last writer did not stop
/// cleanly (the clean stop is recorded in `meta`, see `unclean.rs`, and a run's writer removes
/// that record when it opens the file), or nothing says (a file of an older version, or of
/// unknown origin). A reader opening a file that a running monitor writes skips it: that monitor
/// checked the file when it opened it. Damage found otherwise (a header that is not SQLite's, a
/// file shorter than its header says, SQLite reporting a malformed page while reading the
/// schema, the migrations or the record) still sets the file aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IntegrityCheck {
    Full,
    Skip,
}

impl IntegrityCheck {
    async fn decide(
        conn: &mut SqliteConnection,
        path: &Path,
        is_writer: bool,
    ) -> Result<IntegrityCheck, Failure> {
        let clean: Result<Option<i64>, sqlx::Error> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = ?1")
                .bind(crate::unclean::CLEAN_STOP)
                .fetch_optional(&mut *conn)
                .await;
        match clean {
            Ok(Some(_)) => Ok(IntegrityCheck::Skip),
            Err(e) if damage(&e).is_some() => Err(classify(e, &path.display().to_string())),
            // No record of a clean stop, or no `meta` table to hold one (a new file): check,
            // unless a running monitor did.
            Ok(None) | Err(_) => {
                let watched = !is_writer && crate::lock::holder_if_locked(path).is_some();
                Ok(if watched {
                    IntegrityCheck::Skip
                } else {
                    IntegrityCheck::Full
                })
            }
        }
    }
}

/// A database file shorter than the page count its header vouches for: cut off (a partial copy,
/// a full disk while restoring). Only trusted without a WAL beside it, since a checkpoint in
/// progress may grow the file after writing its first page.
fn short_file(path: &Path) -> Option<String> {
    use std::io::Read;
    let wal = with_suffix(path, "-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return None;
    }
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let mut head = [0u8; 100];
    file.read_exact(&mut head).ok()?;
    let be32 = |at: usize| u32::from_be_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    let page_size = match u16::from_be_bytes([head[16], head[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    // The in-header size is valid only while the change counter matches "version valid for".
    let (pages, counter, valid_for) = (be32(28), be32(24), be32(92));
    if pages == 0 || counter != valid_for {
        return None;
    }
    let expected = u64::from(pages) * page_size;
    (len < expected).then(|| {
        format!("malformed: the file is {len} bytes but its header says {expected}: it was cut off")
    })
}

async fn check_and_migrate(
    conn: &mut SqliteConnection,
    location: &str,
    check: IntegrityCheck,
    is_writer: bool,
) -> Result<(), Failure> {
    if check == IntegrityCheck::Full {
        let rows: Vec<String> = sqlx::query_scalar("PRAGMA quick_check")
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| classify(e, location))?;
        if rows.len() != 1 || rows[0] != "ok" {
            let first = rows.first().map(String::as_str).unwrap_or("no answer");
            return Err(Failure::Damaged(format!("integrity check failed: {first}")));
        }
    }
    // WAL before the schema exists, so the file is created in the mode it will always use.
    sqlx::query("PRAGMA journal_mode = WAL")
        .execute(&mut *conn)
        .await
        .map_err(|e| classify(e, location))?;
    // `run_direct`, sqlx's own way around `run`'s `Acquire` bound, whose future is not `Send`
    // for every lifetime: the writer's spawned task opens files too (`recover.rs`).
    MIGRATOR.run_direct(&mut *conn).await.map_err(|e| match e {
        MigrateError::VersionMissing(v) => Failure::Damaged(format!(
            "it has schema migration {v}, which this version does not know: written by a newer version"
        )),
        MigrateError::VersionMismatch(v) => Failure::Damaged(format!(
            "its schema migration {v} differs from this version's"
        )),
        MigrateError::Dirty(v) => {
            Failure::Damaged(format!("schema migration {v} was left half applied"))
        }
        MigrateError::Execute(ref inner) | MigrateError::ExecuteMigration(ref inner, _)
            if damage(inner).is_some() =>
        {
            Failure::Damaged(damage(inner).unwrap_or_default())
        }
        source => Failure::Fatal(StoreError::Migrate {
            path: location.to_string(),
            source,
        }),
    })?;
    if is_writer {
        // From here until this run's writer stops cleanly, the file counts as in use: if the
        // run ends any other way, the next open checks it.
        sqlx::query("DELETE FROM meta WHERE key = ?1")
            .bind(crate::unclean::CLEAN_STOP)
            .execute(&mut *conn)
            .await
            .map_err(|e| classify(e, location))?;
    }
    Ok(())
}

fn classify(e: sqlx::Error, location: &str) -> Failure {
    match damage(&e) {
        Some(reason) => Failure::Damaged(reason),
        None => Failure::Fatal(StoreError::Open {
            path: location.to_string(),
            source: e,
        }),
    }
}

/// SQLite's own verdict that the file is not a sound database (as opposed to, say, EACCES).
fn damage(e: &sqlx::Error) -> Option<String> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    let code: i32 = db.code()?.parse().ok()?;
    // Extended codes carry the primary code in the low byte.
    match code & 0xff {
        libsqlite_codes::CORRUPT => Some(format!("malformed: {}", db.message())),
        libsqlite_codes::NOTADB => Some(format!("not a database: {}", db.message())),
        _ => None,
    }
}

mod libsqlite_codes {
    pub const CORRUPT: i32 = 11;
    pub const NOTADB: i32 = 26;
}

/// Renames the database and its WAL/shared-memory files to `<name>.damaged-<timestamp>[-wal|-shm]`,
/// so SQLite can still open the set-aside copy with its WAL for a rescue.
fn set_aside(path: &Path, reason: &str) -> Result<PathBuf, StoreError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let mut aside = with_suffix(path, &format!(".damaged-{stamp}"));
    let mut n = 1;
    while aside.exists() {
        n += 1;
        aside = with_suffix(path, &format!(".damaged-{stamp}-{n}"));
    }
    let fail = |from: &Path, to: &Path, source| StoreError::SetAside {
        path: from.to_path_buf(),
        aside: to.to_path_buf(),
        reason: reason.to_string(),
        source,
    };
    std::fs::rename(path, &aside).map_err(|e| fail(path, &aside, e))?;
    for side in ["-wal", "-shm"] {
        let from = with_suffix(path, side);
        let to = with_suffix(&aside, side);
        match std::fs::rename(&from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // A stale WAL left beside the new database would be read as its journal.
            Err(e) => return Err(fail(&from, &to, e)),
        }
    }
    Ok(aside)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}
