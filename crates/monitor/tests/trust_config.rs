//! Absurd durations are refused with their bound, line and key; and the scheduler never
//! overflows a deadline even on a config that was never checked.

use fake_llm::{FakeServer, Flavor};
use monitor::config::{Config, ConfigError, ConfigFile};
use monitor::probe::Prober;
use monitor::{Engine, EngineOptions, Event};
use std::time::Duration;

fn refused(text: &str) -> (usize, String, String) {
    match Config::parse(text, "t.toml") {
        Err(ConfigError::Invalid {
            line, key, message, ..
        }) => (line, key, message),
        other => panic!("expected an error for {text:?}, got {other:?}"),
    }
}

const TARGET: &str = "[[targets]]\nid = \"a\"\nkind = \"ollama\"\n";

#[test]
fn absurd_durations_are_refused_with_their_bound() {
    let cases = [
        (
            "[defaults]\ninterval = \"300000000000y\"\n".to_string(),
            (2, "defaults.interval", "must be at most 1 day"),
        ),
        (
            format!("{TARGET}interval = \"25h\"\nbackoff_max = \"2d\"\n"),
            (4, "targets[0].interval", "must be at most 1 day"),
        ),
        (
            format!("{TARGET}timeout = \"100000000h\"\n"),
            (4, "targets[0].timeout", "must be at most 10 min"),
        ),
        (
            format!("{TARGET}timeout = \"1ms\"\n"),
            (4, "targets[0].timeout", "must be at least 100 ms"),
        ),
        (
            "[defaults]\nbackoff_max = \"1000y\"\n".to_string(),
            (2, "defaults.backoff_max", "must be at most 1 day"),
        ),
        (
            format!("{TARGET}slow_ms = 9223372036854775807\n"),
            (4, "targets[0].slow_ms", "must be at most 600000"),
        ),
        (
            format!("{TARGET}interval = \"100ms\"\n"),
            (4, "targets[0].interval", "must be at least 500 ms"),
        ),
    ];
    for (text, (line, key, message)) in cases {
        let got = refused(&text);
        assert_eq!(
            (got.0, got.1.as_str(), got.2.as_str()),
            (line, key, message),
            "{text}"
        );
    }
    // Too large even to be a duration: refused by the parser, with line and key all the same.
    let (line, key, message) = refused(&format!("{TARGET}timeout = \"99999999999999999999y\"\n"));
    assert_eq!((line, key.as_str()), (4, "targets[0].timeout"), "{message}");
}

#[test]
fn the_bounds_themselves_are_accepted() {
    let text = format!(
        "[defaults]\ninterval = \"1day\"\ntimeout = \"10m\"\nbackoff_max = \"24h\"\nslow_ms = 600000\n\n{TARGET}timeout = \"100ms\"\ninterval = \"500ms\"\n"
    );
    Config::parse(&text, "t.toml").unwrap();
}

#[test]
fn a_form_is_held_to_the_same_bounds() {
    let mut file = ConfigFile::parse(TARGET, "t").unwrap();
    file.targets[0].interval = Some(Duration::from_secs(300_000_000_000 * 31_557_600));
    let e = file.validate("settings").unwrap_err();
    assert_eq!(
        e.to_string(),
        "settings: targets[0].interval: must be at most 1 day"
    );
}

/// A config built in code skips the checks: the scheduler still must not overflow `Instant +
/// Duration` (which panics) when it schedules the next probe.
#[tokio::test(start_paused = true)]
async fn an_unchecked_absurd_interval_does_not_overflow_the_scheduler() {
    let fake = FakeServer::start(Flavor::Ollama).await.unwrap();
    let mut config =
        Config::parse(&format!("{TARGET}base_url = \"{}\"\n", fake.url()), "t").unwrap();
    let absurd = Duration::from_secs(300_000_000_000 * 31_557_600);
    config.targets[0].timing.interval = absurd;
    config.targets[0].timing.backoff_max = absurd;
    let engine = Engine::start(
        config,
        Prober::with_env_keys().unwrap(),
        EngineOptions {
            first_check_within: Duration::from_millis(10),
            wake_grace: absurd,
            ..EngineOptions::default()
        },
    );
    let mut rx = engine.subscribe();
    let mut checked = 0;
    while checked < 2 {
        let event = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("the scheduler stopped: it must have panicked")
            .expect("events");
        if let Event::Checked(_) = event {
            checked += 1;
            // The next check is due in ~9.5e18 s: ask for one now.
            engine.check_now(None);
        }
    }
    let next = engine.snapshot().targets[0].next_check_at;
    assert!(next.is_some() || engine.snapshot().targets[0].checking);
    engine.shutdown().await;
}
