//! `[[alerts]]` and `[[maintenance]]` as the issue's contract writes them, and the errors for
//! every way they can be written wrong: each names its line and key, and none repeats a secret.

use monitor::config::{ChannelKind, Config, ConfigError, Destination, NoticeEvent, Schedule};

const TARGETS: &str = r#"
[[targets]]
id = "openai"
kind = "openai"

[[targets]]
id = "local-ollama"
kind = "ollama"
"#;

fn parse(extra: &str) -> Result<Config, ConfigError> {
    Config::parse(&format!("{TARGETS}{extra}"), "llm-health.toml")
}

/// The error's text and its line within `extra` (the targets above take 8 lines).
fn error(extra: &str) -> (String, usize) {
    match parse(extra) {
        Err(e @ ConfigError::Invalid { line, .. }) => (e.to_string(), line.saturating_sub(8)),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn the_contract_parses() {
    let config = parse(
        r#"
[[alerts]]
kind = "webhook"
url = "http://127.0.0.1:9000/hook"
events = ["down", "recovered"]
targets = ["openai", "local-ollama"]

[[alerts]]
kind = "ntfy"
url_env = "NTFY_TOPIC_URL"
token_env = "NTFY_TOKEN"

[[alerts]]
id = "pager"
kind = "command"
command = ["/usr/local/bin/on-llm-alert", "--flag"]

[[maintenance]]
targets = ["local-ollama"]
start = "2026-12-24T22:00:00+01:00"
end = "2026-12-25T06:00:00+01:00"

[[maintenance]]
days = ["sat", "sun"]
from = "01:00"
to = "03:00"
timezone = "Europe/Berlin"
"#,
    )
    .unwrap();
    let [hook, ntfy, pager] = config.alerts.as_slice() else {
        panic!("{:?}", config.alerts)
    };
    assert_eq!(hook.id, "alert-1");
    assert_eq!(hook.kind, ChannelKind::Webhook);
    assert_eq!(
        hook.events,
        [NoticeEvent::Down, NoticeEvent::Recovered].into()
    );
    assert!(hook.covers_target("openai") && !hook.covers_target("other"));
    match &hook.destination {
        Destination::Url(url) => {
            assert_eq!(url.expose().as_str(), "http://127.0.0.1:9000/hook");
            assert_eq!(url.to_string(), "http://127.0.0.1/…");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        ntfy.destination,
        Destination::UrlEnv("NTFY_TOPIC_URL".into())
    );
    assert_eq!(ntfy.events, NoticeEvent::default_set());
    assert!(ntfy.covers_target("anything"));
    assert_eq!(pager.id, "pager");
    assert_eq!(
        pager.destination,
        Destination::Command(vec!["/usr/local/bin/on-llm-alert".into(), "--flag".into()])
    );
    let [once, weekly] = config.maintenance.as_slice() else {
        panic!("{:?}", config.maintenance)
    };
    assert!(once.covers_target("local-ollama") && !once.covers_target("openai"));
    assert_eq!(
        once.schedule,
        Schedule::Once {
            start: "2026-12-24T21:00:00Z".parse().unwrap(),
            end: "2026-12-25T05:00:00Z".parse().unwrap(),
        }
    );
    assert!(weekly.covers_target("openai"));
    // Sunday 2026-12-06 01:30 in Berlin is 00:30 UTC.
    assert!(weekly
        .window_at("2026-12-06T00:30:00Z".parse().unwrap())
        .is_some());
}

#[test]
fn every_mistake_names_its_line_and_key() {
    let cases: &[(&str, &str, usize)] = &[
        (
            "[[alerts]]\nkind = \"pager\"\nurl = \"http://x/\"\n",
            "alerts[0].kind: unknown variant `pager`",
            2,
        ),
        (
            "[[alerts]]\nkind = \"webhook\"\n",
            "alerts[0].kind: a webhook channel needs `url = \"https://…\"` or `url_env = \"VARIABLE\"`",
            2,
        ),
        (
            "[[alerts]]\nkind = \"slack\"\nurl = \"http://a/\"\nurl_env = \"A\"\n",
            "alerts[0].url: give `url` or `url_env`, not both",
            3,
        ),
        (
            "[[alerts]]\nkind = \"webhook\"\nurl = \"http://a/\"\nevents = [\"down\", \"exploded\"]\n",
            "alerts[0].events[1]: unknown variant `exploded`",
            4,
        ),
        (
            "[[alerts]]\nkind = \"webhook\"\nurl = \"http://a/\"\ntargets = [\"nope\"]\n",
            "alerts[0].targets: names \"nope\", which is not a configured target id",
            4,
        ),
        (
            "[[alerts]]\nkind = \"command\"\n",
            "alerts[0].command: kind = \"command\" needs `command = [\"/path/to/program\", …]`",
            1,
        ),
        (
            "[[alerts]]\nkind = \"webhook\"\nurl = \"http://a/\"\ncommand = [\"x\"]\n",
            "alerts[0].command: applies only to kind = \"command\", not \"webhook\"",
            4,
        ),
        (
            "[[alerts]]\nkind = \"webhook\"\nurl = \"http://a/\"\nevents = []\n",
            "alerts[0].events: is empty",
            4,
        ),
        (
            "[[maintenance]]\nstart = \"2026-12-25T06:00:00+01:00\"\nend = \"2026-12-24T22:00:00+01:00\"\n",
            "maintenance[0].end: must be after start",
            3,
        ),
        (
            "[[maintenance]]\nstart = \"2026-12-25T06:00:00+01:00\"\n",
            "maintenance[0].end: a one-off window needs both start and end",
            1,
        ),
        (
            "[[maintenance]]\ndays = [\"sat\"]\nfrom = \"25:00\"\nto = \"03:00\"\n",
            "maintenance[0].from: \"25:00\" is not a time of day",
            3,
        ),
        (
            "[[maintenance]]\ndays = [\"caturday\"]\nfrom = \"01:00\"\nto = \"03:00\"\n",
            "maintenance[0].days[0]: unknown variant `caturday`",
            2,
        ),
        (
            "[[maintenance]]\ndays = [\"sat\"]\nfrom = \"01:00\"\nto = \"03:00\"\ntimezone = \"Mars/Olympus\"\n",
            "maintenance[0].timezone: \"Mars/Olympus\" is not a time zone",
            5,
        ),
        (
            "[[maintenance]]\ntargets = [\"openai\"]\n",
            "maintenance[0].start: needs start + end (one-off), or days + from + to (weekly)",
            1,
        ),
    ];
    for (extra, expected, line) in cases {
        let (text, at) = error(extra);
        assert!(
            text.contains(expected),
            "{extra:?}\n  gave: {text}\n  want: {expected}"
        );
        assert_eq!(at, *line, "{extra:?}: {text}");
    }
}

#[test]
fn a_secret_url_is_never_repeated() {
    for extra in [
        "[[alerts]]\nkind = \"slack\"\nurl = \"hooks.slack.com/services/T0/B0/SECRETPART\"\n",
        "[[alerts]]\nkind = \"discord\"\nurl = \"ftp://discord.com/api/webhooks/1/SECRETPART\"\n",
        "[[alerts]]\nkind = \"webhook\"\nurl_env = \"https://x/SECRETPART\"\n",
    ] {
        let (text, _) = error(extra);
        assert!(!text.contains("SECRETPART"), "{text}");
    }
}

#[test]
fn masked_urls_round_trip_and_are_never_saved_as_urls() {
    let text = format!(
        "{TARGETS}\n[[alerts]]\nkind = \"slack\"\nurl = \"https://hooks.slack.com/services/A/SECRET1\"\n\n\
         [[alerts]]\nkind = \"discord\"\nurl = \"https://discord.com/api/webhooks/2/SECRET2\"\n"
    );
    let current = monitor::config::ConfigFile::parse(&text, "t").unwrap();
    let masked = current.masked();
    assert!(!format!("{masked:?}").contains("SECRET"));
    // Saved back as seen: the URLs come back.
    let mut same = masked.clone();
    same.restore_secrets(&current);
    assert_eq!(same, current);
    // The first channel removed: the second, without an id, is still known by kind and host.
    let mut fewer = masked.clone();
    fewer.alerts.remove(0);
    fewer.restore_secrets(&current);
    assert_eq!(fewer.alerts[0], current.alerts[1]);
    // A masked URL nothing hides is refused, never saved as the URL to send to.
    let mut stray = masked;
    stray.alerts.remove(0);
    let e = stray.validate("settings").unwrap_err().to_string();
    assert!(e.contains("alerts[0].url: is the masked form"), "{e}");
}
