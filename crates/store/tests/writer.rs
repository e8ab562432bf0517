//! The background writer: batching, flushing on delay and on close, reads while it writes.

mod common;

use common::*;
use monitor::{Class, Status};
use std::time::Duration;
use store::{Store, WriterConfig};
use tokio::sync::mpsc;

#[tokio::test]
async fn batches_and_flushes_everything_on_close() {
    let store = Store::open_memory().await.unwrap();
    let (tx, rx) = mpsc::channel(4096);
    let writer = store.spawn_writer(rx);
    for i in 0..2000 {
        tx.send(check("a", T0 + i * SEC, Class::Ok, 10, Status::Healthy))
            .await
            .unwrap();
    }
    drop(tx);
    let stats = writer.finish().await.unwrap();
    assert_eq!(stats.events, 2000);
    assert_eq!(stats.dropped, 0);
    // At most 512 per batch.
    assert!(stats.batches >= 4, "{stats:?}");
    let rows = store.checks(Some("a"), ts(0), ts(T0 * 2)).await.unwrap();
    assert_eq!(rows.len(), 2000);
    assert!(rows.windows(2).all(|w| w[0].at < w[1].at));
}

#[tokio::test]
async fn flushes_after_the_delay_without_closing() {
    let store = Store::open_memory().await.unwrap();
    let (tx, rx) = mpsc::channel(16);
    let writer = store.spawn_writer(rx);
    for i in 0..3 {
        tx.send(check("a", T0 + i, Class::Ok, 10, Status::Healthy))
            .await
            .unwrap();
    }
    let mut seen = 0;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        seen = store.checks(None, ts(0), ts(T0 * 2)).await.unwrap().len();
        if seen == 3 {
            break;
        }
    }
    assert_eq!(
        seen, 3,
        "batch not flushed within 2 s while the channel is open"
    );
    drop(tx);
    let stats = writer.finish().await.unwrap();
    assert_eq!((stats.events, stats.batches), (3, 1));
}

#[tokio::test]
async fn runs_maintenance_on_its_own() {
    let store = Store::open_memory().await.unwrap();
    let (tx, rx) = mpsc::channel(16);
    let writer = store.spawn_writer_with(
        rx,
        WriterConfig {
            maintenance_every: Duration::from_millis(100),
            ..WriterConfig::default()
        },
    );
    // A day-old check: its hour is complete, so maintenance rolls it up.
    let old = chrono::Utc::now().timestamp_millis() - DAY;
    tx.send(check("a", old, Class::Ok, 10, Status::Healthy))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(tx);
    let stats = writer.finish().await.unwrap();
    assert!(stats.maintenance_runs >= 2, "{stats:?}");
    // The first run saw the check: nothing is left to roll for that hour.
    let r = store
        .maintain(chrono::Utc::now(), &store::Retention::default())
        .await
        .unwrap();
    assert_eq!(r.rollups_written, 0);
    let h = store
        .history("a", ts(old - 10 * DAY), ts(old + 5 * DAY))
        .await
        .unwrap();
    assert_eq!(h.checks, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reads_while_writing_a_file_database() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("h.db")).await.unwrap().store;
    let (tx, rx) = mpsc::channel(1024);
    let writer = store.spawn_writer(rx);

    let n_targets = 5;
    let per_target = 2000i64;
    let producer = tokio::spawn(async move {
        for i in 0..per_target {
            for t in 0..n_targets {
                let ev = check(
                    &format!("t{t}"),
                    T0 + i * 10 * SEC,
                    Class::Ok,
                    20,
                    Status::Healthy,
                );
                tx.send(ev).await.unwrap();
            }
            if i % 200 == 0 {
                tokio::task::yield_now().await;
            }
        }
    });

    let mut readers = Vec::new();
    for r in 0..3 {
        let store = store.clone();
        readers.push(tokio::spawn(async move {
            let mut reads = 0u32;
            let mut last = 0u64;
            loop {
                let snap = store.snapshot().await.unwrap();
                if let Some(t) = snap.iter().find(|s| s.target == format!("t{r}")) {
                    let h = store
                        .history(&t.target, ts(T0), ts(T0 + 30 * DAY))
                        .await
                        .unwrap();
                    // Writes are atomic batches: counts only grow.
                    assert!(h.checks >= last);
                    last = h.checks;
                }
                reads += 1;
                if last == per_target as u64 {
                    return reads;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }

    producer.await.unwrap();
    let stats = writer.finish().await.unwrap();
    assert_eq!(stats.events, (n_targets * per_target) as u64);
    for r in readers {
        let reads = tokio::time::timeout(Duration::from_secs(30), r)
            .await
            .unwrap()
            .unwrap();
        assert!(reads > 1);
    }
}
