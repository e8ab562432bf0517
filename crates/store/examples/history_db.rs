//! Writes the benchmarks' history data set ending now, for the UI benchmark
//! (`tests/browser/bench.mjs`) to serve with `llm-health serve`:
//! `cargo run --release -p store --example history_db -- OUT.db [TARGETS] [DAYS]`.

#[path = "../benches/data/mod.rs"]
mod data;

use store::Store;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next() else {
        return Err("usage: history_db OUT.db [TARGETS] [DAYS]".into());
    };
    let targets: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(50);
    let days: i64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(7);
    let store = Store::open(std::path::Path::new(&out)).await?.store;
    store.upsert_targets(&data::target_infos(targets)).await?;
    let now = chrono::Utc::now().timestamp_millis();
    let built = data::build(&store, targets, days, now).await;
    store.close().await;
    println!(
        "{out}: {} checks, {} transitions/incidents ({targets} targets × {days} d) in {:.1} s",
        built.checks, built.other, built.build_secs
    );
    Ok(())
}
