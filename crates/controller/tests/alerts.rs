//! The core's alerts end to end, headless as `serve` runs it: a real fake server goes down and
//! comes back, and the notices reach a real webhook receiver; "Send test notice"; snoozes; the
//! maintenance bands of the timeline; and channel URLs that never leave the core.

use controller::command::{ChannelIdArgs, SaveSettingsArgs, SnoozeArgs};
use controller::{Command, CoreError, Handle, Options, Settings, Shell, TomlFile};
use fake_llm::{FakeServer, Flavor, Receiver, Shape};
use monitor::config::ConfigFile;
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;

async fn core(config: &str, dir: &std::path::Path) -> Handle {
    let config_path = dir.join("config.toml");
    std::fs::write(&config_path, config).expect("written");
    let file = TomlFile::new(&config_path);
    let settings = Settings::with_config(file.read().expect("valid").expect("there"));
    let (store, _) = store::Store::open_for_run(&dir.join("history.db"))
        .await
        .expect("history");
    controller::start(
        Options {
            store,
            settings,
            data_dir: dir.to_path_buf(),
            config_source: config_path.display().to_string(),
            first_run: false,
        },
        Shell::headless(file),
    )
    .handle
}

async fn json(core: &Handle, command: Command) -> Value {
    serde_json::from_str(&core.run(command).await.expect("answered")).expect("JSON")
}

/// The notices the receiver got, as (event, target ids).
fn events(hook: &Receiver) -> Vec<(String, Vec<String>)> {
    hook.requests()
        .iter()
        .map(|r| {
            let v: Value = serde_json::from_str(&r.body).expect("a JSON notice");
            let ids = v["targets"]
                .as_array()
                .expect("targets")
                .iter()
                .map(|t| t["id"].as_str().expect("id").to_string())
                .collect();
            (v["event"].as_str().expect("event").to_string(), ids)
        })
        .collect()
}

async fn until_healthy(core: &Handle, id: &str) {
    for _ in 0..600 {
        let state = json(core, Command::GetState(Default::default())).await;
        let healthy = state["snapshot"]["targets"]
            .as_array()
            .is_some_and(|ts| ts.iter().any(|t| t["id"] == id && t["status"] == "healthy"));
        if healthy {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{id} never became healthy");
}

async fn wait_for_events(hook: &Receiver, n: usize) -> Vec<(String, Vec<String>)> {
    hook.wait_for(n, Duration::from_secs(30)).await;
    events(hook)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_and_its_recovery_reach_the_webhook() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ollama = FakeServer::start(Flavor::Ollama).await.expect("fake");
    let addr: SocketAddr = ollama.addr();
    let hook = Receiver::start(Shape::Webhook).await.expect("receiver");
    let core = core(
        &format!(
            "[defaults]\ninterval = \"1s\"\n\n[[targets]]\nid = \"local-ollama\"\nkind = \"ollama\"\n\
             base_url = \"{}\"\n\n[[alerts]]\nkind = \"webhook\"\nurl = \"{}/hook\"\n",
            ollama.url(),
            hook.url()
        ),
        dir.path(),
    )
    .await;
    // Healthy first (however long this machine takes to get there); then the server goes.
    until_healthy(&core, "local-ollama").await;
    // Past the grouping window of the first check, so the down is told against "healthy".
    tokio::time::sleep(Duration::from_secs(4)).await;
    ollama.shutdown().await;
    let got = wait_for_events(&hook, 1).await;
    assert_eq!(
        got,
        [("down".to_string(), vec!["local-ollama".to_string()])]
    );
    let notice: Value = serde_json::from_str(&hook.requests()[0].body).expect("JSON");
    assert_eq!(notice["title"], "Ollama is down");
    assert_eq!(notice["targets"][0]["class"], "connect");
    assert_eq!(notice["targets"][0]["previous"], "healthy");

    let _back = FakeServer::start_on(Flavor::Ollama, addr)
        .await
        .expect("fake again");
    let got = wait_for_events(&hook, 2).await;
    assert_eq!(
        got[1],
        ("recovered".to_string(), vec!["local-ollama".to_string()])
    );
    core.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_notice_says_whether_it_arrived() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hook = Receiver::start(Shape::Webhook).await.expect("receiver");
    let core = core(
        &format!(
            "[[targets]]\nid = \"o\"\nkind = \"ollama\"\nbase_url = \"http://127.0.0.1:9\"\nenabled = false\n\n\
             [[alerts]]\nid = \"hook\"\nkind = \"webhook\"\nurl = \"{}/hook/SECRET-PATH\"\n\n\
             [[alerts]]\nid = \"nowhere\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/SECRET-PATH\"\n",
            hook.url()
        ),
        dir.path(),
    )
    .await;
    let test = |id: &str| Command::TestAlertChannel(ChannelIdArgs { id: id.into() });
    core.run(test("hook")).await.expect("delivered");
    assert_eq!(events(&hook), [("test".to_string(), Vec::new())]);

    let err = core
        .run(test("nowhere"))
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, CoreError::NotDelivered(_)), "{err:?}");
    assert!(!err.to_string().contains("SECRET"), "{err}");
    let err = core
        .run(test("missing"))
        .await
        .expect_err("no such channel");
    assert!(matches!(err, CoreError::NoSuchChannel(_)), "{err:?}");

    // The page sees the channels, never their URLs; saving what it saw keeps them.
    let settings = json(&core, Command::GetSettings(Default::default())).await;
    let text = settings.to_string();
    assert!(!text.contains("SECRET"), "{text}");
    assert_eq!(settings["channels"][0]["destination"], "http://127.0.0.1/…");
    let config: ConfigFile = serde_json::from_value(settings["config"].clone()).expect("a config");
    core.run(Command::SaveSettings(SaveSettingsArgs {
        config,
        notifications: None,
        start_at_login: None,
    }))
    .await
    .expect("saved");
    let exported = core
        .run(Command::ExportToml(Default::default()))
        .await
        .expect("exported");
    assert!(!exported.contains("SECRET"), "{exported}");
    let on_disk = std::fs::read_to_string(dir.path().join("config.toml")).expect("file");
    assert!(on_disk.contains("/hook/SECRET-PATH"), "{on_disk}");
    core.run(test("hook")).await.expect("still delivered");
    core.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snoozes_and_maintenance_show_in_the_state_and_the_timeline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let core = core(
        "[[targets]]\nid = \"o\"\nkind = \"ollama\"\nbase_url = \"http://127.0.0.1:9\"\nenabled = false\n\n\
         [[maintenance]]\nname = \"nightly\"\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\n\
         from = \"00:00\"\nto = \"23:59\"\ntimezone = \"UTC\"\n",
        dir.path(),
    )
    .await;
    let snooze = |minutes| {
        Command::SnoozeTarget(SnoozeArgs {
            id: "o".into(),
            minutes,
        })
    };
    core.run(snooze(Some(60))).await.expect("snoozed");
    let state = json(&core, Command::GetState(Default::default())).await;
    let until: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(state["snoozed_until"]["o"].clone()).expect("a time");
    let left = until - chrono::Utc::now();
    assert!(left > chrono::Duration::minutes(59) && left <= chrono::Duration::minutes(60));

    let timeline = json(
        &core,
        Command::Timeline(store::WindowArgs {
            range: Some("24h".into()),
            ..Default::default()
        }),
    )
    .await;
    let bands = timeline["maintenance"].as_array().expect("bands");
    assert!(
        bands
            .iter()
            .any(|b| b["snooze"] == true && b["targets"][0] == "o"),
        "{bands:?}"
    );
    assert!(
        bands
            .iter()
            .any(|b| b["name"] == "nightly" && b["targets"].is_null()),
        "{bands:?}"
    );

    core.run(snooze(None)).await.expect("ended");
    let state = json(&core, Command::GetState(Default::default())).await;
    assert_eq!(state["snoozed_until"], serde_json::json!({}));
    let err = core
        .run(Command::SnoozeTarget(SnoozeArgs {
            id: "nope".into(),
            minutes: Some(60),
        }))
        .await
        .expect_err("no such target");
    assert!(matches!(err, CoreError::NoSuchTarget(_)), "{err:?}");
    core.stop().await;
}
