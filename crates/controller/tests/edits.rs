//! Edits from the page, sent at once, all land: the owner runs each read-change-write whole
//! before the next (the app used to read, change, then swap, and lost one of two quick toggles).

use controller::command::{SetEnabledArgs, UpsertTargetArgs};
use controller::{Command, Options, Settings, Shell, TomlFile};
use monitor::config::{ConfigFile, TargetFile};
use serde_json::Value;

fn target(id: &str) -> TargetFile {
    TargetFile {
        base_url: Some("http://127.0.0.1:9".into()),
        enabled: Some(false),
        ..ConfigFile::parse(
            &format!("[[targets]]\nid = \"{id}\"\nkind = \"ollama\"\n"),
            "t",
        )
        .expect("valid")
        .targets
        .remove(0)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_edits_all_land() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = dir.path().join("config.toml");
    let ids: Vec<String> = (0..8).map(|i| format!("t{i}")).collect();
    let config = ConfigFile {
        targets: ids.iter().map(|id| target(id)).collect(),
        ..ConfigFile::default()
    };
    let (store, _) = store::Store::open_for_run(&dir.path().join("history.db"))
        .await
        .expect("history");
    let core = controller::start(
        Options {
            store,
            settings: Settings::with_config(config),
            data_dir: dir.path().to_path_buf(),
            config_source: config_path.display().to_string(),
            first_run: false,
        },
        Shell::headless(TomlFile::new(&config_path)),
    )
    .handle;

    // Every target turned on, and two new ones added, all at the same moment.
    let mut edits = Vec::new();
    for id in &ids {
        let core = core.clone();
        let command = Command::SetTargetEnabled(SetEnabledArgs {
            id: id.clone(),
            enabled: true,
        });
        edits.push(tokio::spawn(async move { core.run(command).await }));
    }
    for id in ["new-a", "new-b"] {
        let core = core.clone();
        let command = Command::UpsertTarget(UpsertTargetArgs { target: target(id) });
        edits.push(tokio::spawn(async move { core.run(command).await }));
    }
    for edit in edits {
        edit.await.expect("joined").expect("the edit is accepted");
    }

    let settings: Value = serde_json::from_str(
        &core
            .run(Command::GetSettings(Default::default()))
            .await
            .expect("settings"),
    )
    .expect("JSON");
    let targets = settings["config"]["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 10, "{settings}");
    for t in targets.iter().take(8) {
        assert!(t.get("enabled").is_none(), "still off: {t}");
    }
    let saved = TomlFile::new(&config_path)
        .read()
        .expect("valid")
        .expect("written");
    assert_eq!(saved.targets.len(), 10);
    assert!(saved.targets.iter().take(8).all(|t| t.enabled.is_none()));
    core.stop().await;
}
