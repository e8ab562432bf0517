//! Opening files: data survives a reopen; a damaged file is set aside with its bytes, reported,
//! and replaced by a working database.

mod common;

use common::*;
use monitor::{Class, Status};
use std::path::Path;
use store::Store;

async fn assert_works(store: &Store) {
    store
        .write(&[check("a", T0, Class::Ok, 12, Status::Healthy)])
        .await
        .unwrap();
    let rows = store.checks(Some("a"), ts(T0), ts(T0 + 1)).await.unwrap();
    assert_eq!(rows.len(), 1);
}

fn side(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    s.into()
}

#[tokio::test]
async fn creates_parent_dirs_and_keeps_data_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep/er/history.db");
    let opened = Store::open(&path).await.unwrap();
    assert_eq!(opened.set_aside, None);
    assert_works(&opened.store).await;
    opened.store.close().await;

    let opened = Store::open(&path).await.unwrap();
    assert_eq!(opened.set_aside, None);
    let rows = opened
        .store
        .checks(None, ts(0), ts(T0 + DAY))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    // WAL is a property of the file: visible to any connection.
    assert_eq!(journal_mode_of(&path).await, "wal");
}

/// Reads the journal mode through a separate plain connection.
async fn journal_mode_of(path: &Path) -> String {
    use sqlx::ConnectOptions;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .connect()
        .await
        .unwrap();
    sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn garbage_file_is_set_aside_with_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let garbage: Vec<u8> = (0..10_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    std::fs::write(side(&path, "-wal"), b"not a wal either").unwrap();

    let opened = Store::open(&path).await.unwrap();
    let aside = opened.set_aside.clone().expect("set aside");
    let reason = opened.reason.clone().unwrap();
    assert!(reason.contains("not a database"), "{reason}");
    let name = aside.file_name().unwrap().to_string_lossy().to_string();
    assert!(name.starts_with("history.db.damaged-"), "{name}");
    assert_eq!(std::fs::read(&aside).unwrap(), garbage);
    assert_eq!(
        std::fs::read(side(&aside, "-wal")).unwrap(),
        b"not a wal either"
    );
    assert_works(&opened.store).await;
}

#[tokio::test]
async fn truncated_database_is_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    {
        let opened = Store::open(&path).await.unwrap();
        let d = generate(3, 3, 2);
        write_all(&opened.store, &d.events).await;
        opened.store.close().await;
    }
    // Closing the last connection checkpoints the WAL into the main file.
    assert!(
        !side(&path, "-wal").exists() || std::fs::metadata(side(&path, "-wal")).unwrap().len() == 0
    );
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len > 100_000, "{len}");
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(len / 2).unwrap();
    drop(file);
    let truncated = std::fs::read(&path).unwrap();

    let opened = Store::open(&path).await.unwrap();
    let aside = opened.set_aside.clone().expect("set aside");
    assert_eq!(std::fs::read(&aside).unwrap(), truncated);
    let reason = opened.reason.clone().unwrap();
    assert!(
        reason.contains("malformed") || reason.contains("integrity"),
        "{reason}"
    );
    // The new database is empty and works.
    assert!(opened
        .store
        .checks(None, ts(0), ts(T0 * 2))
        .await
        .unwrap()
        .is_empty());
    assert_works(&opened.store).await;
}

#[tokio::test]
async fn database_from_a_newer_version_is_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    {
        let opened = Store::open(&path).await.unwrap();
        assert_works(&opened.store).await;
        opened.store.close().await;
    }
    {
        use sqlx::ConnectOptions;
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .connect()
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (99999999999999, 'from the future', 1, x'00', 0)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let opened = Store::open(&path).await.unwrap();
    let aside = opened.set_aside.clone().expect("set aside");
    assert!(opened.reason.unwrap().contains("newer version"));
    assert!(aside.exists());
    assert_works(&opened.store).await;
}

#[tokio::test]
async fn an_empty_file_is_just_a_new_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    std::fs::write(&path, b"").unwrap();
    let opened = Store::open(&path).await.unwrap();
    assert_eq!(opened.set_aside, None);
    assert_works(&opened.store).await;
}

#[tokio::test]
async fn a_directory_in_the_way_is_an_error_that_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    std::fs::create_dir(&path).unwrap();
    let err = Store::open(&path).await.unwrap_err();
    assert!(err.to_string().contains("history.db"), "{err}");
    // Not damage: nothing was moved.
    assert!(path.is_dir());
}

#[tokio::test]
async fn scribbled_pages_are_caught_by_the_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    {
        let opened = Store::open(&path).await.unwrap();
        let d = generate(5, 3, 1);
        write_all(&opened.store, &d.events).await;
        opened.store.close().await;
    }
    // Keep the header and schema page, scribble over the data pages.
    let mut bytes = std::fs::read(&path).unwrap();
    for (i, b) in bytes.iter_mut().enumerate().skip(3 * 4096) {
        *b = (i * 31 % 256) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();

    let opened = Store::open(&path).await.unwrap();
    let aside = opened.set_aside.clone().expect("set aside");
    eprintln!("reason: {:?}", opened.reason);
    assert_eq!(std::fs::read(&aside).unwrap(), bytes);
    assert_works(&opened.store).await;
}

/// Ends a run the way every front end does: the recorder's writer drains and stops.
async fn clean_run(path: &Path) -> bool {
    let (store, _notes) = Store::open_for_run(path).await.unwrap();
    let checked = store.integrity_checked_at_open();
    store
        .write(&[check("a", T0, Class::Ok, 12, Status::Healthy)])
        .await
        .unwrap();
    let recorder = store::Recorder::new(store.clone());
    recorder.finish().await.unwrap();
    store.close().await;
    checked
}

#[tokio::test]
async fn after_a_clean_stop_opening_skips_the_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    // A new file: nothing says how it was left, so it is checked (instantly).
    assert!(clean_run(&path).await);
    // Its last run stopped cleanly: no full read, for a run or for a reader.
    assert!(!clean_run(&path).await);
    let reader = Store::open(&path).await.unwrap();
    assert!(!reader.integrity_checked);
    assert!(!reader.store.integrity_checked_at_open());
    assert_eq!(reader.set_aside, None);
    reader.store.close().await;
    drop(reader);
    // A reader's open leaves the record alone.
    assert!(!clean_run(&path).await);
}

#[tokio::test]
async fn after_an_unclean_stop_the_integrity_check_runs_and_catches_damage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    clean_run(&path).await;
    // A run that never stops its writer (killed, crashed): the record of the clean stop is gone
    // as soon as it opened the file.
    {
        let (store, _) = Store::open_for_run(&path).await.unwrap();
        assert!(!store.integrity_checked_at_open());
        let d = generate(5, 3, 1);
        write_all(&store, &d.events).await;
        store.close().await;
    }
    let reader = Store::open(&path).await.unwrap();
    assert!(
        reader.integrity_checked,
        "a file left by an unclean stop is checked"
    );
    reader.store.close().await;
    drop(reader);

    // The same, with pages scribbled over after the crash: set aside, and said so.
    let mut bytes = std::fs::read(&path).unwrap();
    for (i, b) in bytes.iter_mut().enumerate().skip(3 * 4096) {
        *b = (i * 31 % 256) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();
    let (store, notes) = Store::open_for_run(&path).await.unwrap();
    let damage = notes.damage.expect("damage reported");
    assert!(damage.contains("damaged"), "{damage}");
    assert_works(&store).await;
}

#[tokio::test]
async fn a_file_cut_short_is_set_aside_even_after_a_clean_stop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    {
        let (store, _) = Store::open_for_run(&path).await.unwrap();
        let d = generate(3, 3, 2);
        write_all(&store, &d.events).await;
        store::Recorder::new(store.clone()).finish().await.unwrap();
        store.close().await;
    }
    // The pools' connections close on their own threads: make sure everything is in the main
    // file before cutting it.
    {
        use sqlx::{ConnectOptions, Connection};
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .connect()
            .await
            .unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    let wal = std::fs::metadata(side(&path, "-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "everything is in the main file");
    let len = std::fs::metadata(&path).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(len / 2).unwrap();
    drop(file);
    let opened = Store::open(&path).await.unwrap();
    assert!(opened.set_aside.is_some(), "{:?}", opened.reason);
    let reason = opened.reason.clone().unwrap();
    assert!(reason.contains("cut off"), "{reason}");
    assert_works(&opened.store).await;
}
