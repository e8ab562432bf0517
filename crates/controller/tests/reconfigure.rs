//! Saving settings reconfigures the running engine in place, through the real core and SQLite
//! history: a target added is readable as soon as the reply arrives, and the targets that did
//! not change are neither probed again nor shown as unknown for a moment.

use controller::command::{HistoryArgs, SaveSettingsArgs, TargetIdArgs, UpsertTargetArgs};
use controller::{Command, Handle, Options, Settings, Shell, TomlFile};
use fake_llm::{FakeServer, Flavor};
use monitor::config::{ConfigFile, TargetFile};
use serde_json::Value;
use std::time::Duration;

fn target(id: &str, url: &str) -> TargetFile {
    ConfigFile::parse(
        &format!("[[targets]]\nid = \"{id}\"\nkind = \"ollama\"\nbase_url = \"{url}\"\n"),
        "t",
    )
    .expect("valid")
    .targets
    .remove(0)
}

async fn core(config: ConfigFile, dir: &std::path::Path) -> Handle {
    let config_path = dir.join("config.toml");
    let (store, _) = store::Store::open_for_run(&dir.join("history.db"))
        .await
        .expect("history");
    controller::start(
        Options {
            store,
            settings: Settings::with_config(config),
            data_dir: dir.to_path_buf(),
            config_source: config_path.display().to_string(),
            first_run: false,
        },
        Shell::headless(TomlFile::new(&config_path)),
    )
    .handle
}

async fn json(core: &Handle, command: Command) -> Value {
    serde_json::from_str(&core.run(command).await.expect("answered")).expect("JSON")
}

fn status_of(state: &Value, id: &str) -> Option<String> {
    state["snapshot"]["targets"]
        .as_array()?
        .iter()
        .find(|t| t["id"] == id)
        .map(|t| t["status"].as_str().unwrap_or("").to_string())
}

async fn until_healthy(core: &Handle, id: &str) {
    for _ in 0..400 {
        let state = json(core, Command::GetState(Default::default())).await;
        let checking = state["snapshot"]["targets"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["id"] == id))
            .is_some_and(|t| t["checking"] == true);
        if status_of(&state, id).as_deref() == Some("healthy") && !checking {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{id} never became healthy");
}

/// The statuses of the target's history over the last hour, in order, without the unknown
/// before its first check; once the history writer has written any.
async fn statuses(core: &Handle, id: &str) -> Vec<String> {
    for _ in 0..200 {
        let statuses = written_statuses(core, id).await;
        if !statuses.is_empty() {
            return statuses;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Vec::new()
}

async fn written_statuses(core: &Handle, id: &str) -> Vec<String> {
    let history = json(
        core,
        Command::History(HistoryArgs {
            target: id.into(),
            range: Some("1h".into()),
            from: None,
            to: None,
            buckets: None,
        }),
    )
    .await;
    let mut statuses: Vec<String> = history["segments"]
        .as_array()
        .unwrap_or_else(|| panic!("no segments: {history}"))
        .iter()
        .map(|s| s["status"].as_str().unwrap_or("").to_string())
        .skip_while(|s| s == "unknown")
        .collect();
    statuses.dedup();
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saves_leave_unchanged_targets_undisturbed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (
        FakeServer::start(Flavor::Ollama).await.expect("fake"),
        FakeServer::start(Flavor::Ollama).await.expect("fake"),
    );
    // Checked every 30 s: a restarted engine would probe it again within 2 s of a save.
    let mut config = ConfigFile::parse("[defaults]\ninterval = \"30s\"\n", "t").expect("valid");
    config.targets.push(target("a", &a.base_url()));
    let core = core(config, dir.path()).await;
    until_healthy(&core, "a").await;
    let probes_of_a = a.requests().len();

    core.run(Command::UpsertTarget(UpsertTargetArgs {
        target: target("b", &b.base_url()),
    }))
    .await
    .expect("added");
    // Readable as soon as the reply arrives.
    let state = json(&core, Command::GetState(Default::default())).await;
    assert!(status_of(&state, "b").is_some(), "{state}");
    assert_eq!(status_of(&state, "a").as_deref(), Some("healthy"));
    json(
        &core,
        Command::History(HistoryArgs {
            target: "b".into(),
            range: Some("1h".into()),
            from: None,
            to: None,
            buckets: None,
        }),
    )
    .await;
    until_healthy(&core, "b").await;

    // A change of everything around the targets: an alert channel and a maintenance window.
    let settings = json(&core, Command::GetSettings(Default::default())).await;
    let mut next: ConfigFile =
        serde_json::from_value(settings["config"].clone()).expect("the config as it was sent");
    let extra = ConfigFile::parse(
        "[[alerts]]\nid = \"hook\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/hook\"\n\n\
         [[maintenance]]\nstart = \"2030-01-01T00:00:00Z\"\nend = \"2030-01-01T01:00:00Z\"\n",
        "t",
    )
    .expect("valid");
    next.alerts = extra.alerts;
    next.maintenance = extra.maintenance;
    core.run(Command::SaveSettings(SaveSettingsArgs {
        config: next,
        notifications: None,
        start_at_login: None,
    }))
    .await
    .expect("saved");

    assert_eq!(statuses(&core, "b").await, ["healthy"]);
    core.run(Command::RemoveTarget(TargetIdArgs { id: "b".into() }))
        .await
        .expect("removed");
    let state = json(&core, Command::GetState(Default::default())).await;
    assert!(status_of(&state, "b").is_none(), "{state}");

    // Three saves later, "a" was not probed again and its history has no gap.
    assert_eq!(a.requests().len(), probes_of_a, "{:?}", a.requests());
    assert_eq!(statuses(&core, "a").await, ["healthy"]);
    core.stop().await;
}
