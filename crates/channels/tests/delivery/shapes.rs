//! What each kind of channel puts on the wire.

use crate::support::*;
use alerts::{AlertKind, Change};
use fake_llm::Shape;
use monitor::config::ChannelKind;
use serde_json::json;

#[tokio::test]
async fn a_webhook_gets_the_notice_as_json_per_contract() {
    let hook = receiver(Shape::Webhook).await;
    let d = dispatcher(&[channel(
        "hook",
        ChannelKind::Webhook,
        &format!("{}/hook", hook.url()),
    )]);
    send(&d, &ollama_down());
    let got = hook.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/hook");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.json().unwrap(),
        json!({
            "event": "down", "title": "Ollama is down",
            "body": "Not running or unreachable (since 18:14)",
            "at": "2026-12-01T18:14:30Z",
            "targets": [{"id": "local-ollama", "name": "Ollama", "kind": "ollama",
                         "status": "unhealthy", "previous": "healthy", "class": "connect",
                         "cause": "not running or unreachable",
                         "since": "2026-12-01T18:14:27Z"}]
        })
    );
}

#[tokio::test]
async fn a_grouped_notice_lists_every_target_and_mixed_ones_split() {
    let hook = receiver(Shape::Webhook).await;
    let d = dispatcher(&[channel("hook", ChannelKind::Webhook, &hook.url())]);
    send(
        &d,
        &alert(
            AlertKind::Mixed,
            vec![
                item("local-ollama", "Ollama", Change::Down),
                item("openai", "OpenAI", Change::Down),
                item("gemini", "Gemini", Change::Recovered),
            ],
        ),
    );
    let got = hook.wait_for(2, WAIT).await;
    assert_eq!(
        events(&got),
        [
            ("down".into(), "2 down".into()),
            ("recovered".into(), "Gemini recovered".into())
        ]
    );
    let down = got[0].json().unwrap();
    let ids: Vec<&str> = down["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["local-ollama", "openai"]);
    assert_eq!(down["targets"][1]["kind"], "openai");
}

#[tokio::test]
async fn ntfy_gets_title_priority_tags_and_the_token() {
    let ntfy = receiver(Shape::Ntfy).await;
    ntfy.require_token(Some("tk_channels_test_token"));
    std::env::set_var("CHANNELS_TEST_NTFY_TOKEN", "tk_channels_test_token");
    let mut topic = channel(
        "phone",
        ChannelKind::Ntfy,
        &format!("{}/llm-alerts", ntfy.url()),
    );
    topic.token_env = Some("CHANNELS_TEST_NTFY_TOKEN".into());
    let d = dispatcher(&[topic]);
    send(&d, &ollama_down());
    send(&d, &ollama_recovered());
    let got = ntfy.wait_for(2, WAIT).await;
    assert_eq!(got.len(), 2);
    let (down, up) = (&got[0], &got[1]);
    assert_eq!(down.method, "POST");
    assert_eq!(down.path, "/llm-alerts");
    assert_eq!(down.header("title"), Some("Ollama is down"));
    assert_eq!(down.header("priority"), Some("5"));
    assert_eq!(down.header("tags"), Some("rotating_light"));
    assert_eq!(
        down.header("authorization"),
        Some("Bearer tk_channels_test_token")
    );
    assert_eq!(down.body, "Not running or unreachable (since 18:14)");
    assert_eq!(up.header("title"), Some("Ollama recovered"));
    assert_eq!(up.header("priority"), Some("3"));
    assert_eq!(up.header("tags"), Some("white_check_mark"));
    assert_eq!(up.body, "Was down for 4 min");
}

#[tokio::test]
async fn ntfy_without_a_token_sends_no_authorization() {
    let ntfy = receiver(Shape::Ntfy).await;
    let mut topic = channel("phone", ChannelKind::Ntfy, &format!("{}/t", ntfy.url()));
    topic.token_env = Some("CHANNELS_TEST_UNSET_TOKEN".into());
    let d = dispatcher(&[topic]);
    send(&d, &ollama_down());
    let got = ntfy.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("authorization"), None);
}

#[tokio::test]
async fn slack_and_discord_get_their_message_shapes() {
    let slack = receiver(Shape::Slack).await;
    let discord = receiver(Shape::Discord).await;
    let d = dispatcher(&[
        channel(
            "slack",
            ChannelKind::Slack,
            &format!("{}/services/T0/B0/x", slack.url()),
        ),
        channel(
            "discord",
            ChannelKind::Discord,
            &format!("{}/api/webhooks/1/x", discord.url()),
        ),
    ]);
    send(&d, &ollama_down());
    // A second notice marks the end: were the first answer (Slack's "ok", Discord's 204) taken
    // for a failure, a retry of the first would come before it.
    send(&d, &ollama_recovered());
    let s = slack.wait_for(2, WAIT).await;
    let c = discord.wait_for(2, WAIT).await;
    assert_eq!(s.len(), 2);
    assert_eq!(c.len(), 2);
    assert_eq!(s[0].header("content-type"), Some("application/json"));
    assert_eq!(
        s[0].json().unwrap(),
        json!({"text": "*Ollama is down*\nNot running or unreachable (since 18:14)"})
    );
    assert_eq!(
        s[1].json().unwrap()["text"],
        "*Ollama recovered*\nWas down for 4 min"
    );
    let first = c[0].json().unwrap();
    assert_eq!(
        first["content"],
        "**Ollama is down**\nNot running or unreachable (since 18:14)"
    );
    assert_eq!(first["allowed_mentions"], json!({"parse": []}));
    assert_eq!(
        c[1].json().unwrap()["content"],
        "**Ollama recovered**\nWas down for 4 min"
    );
}

#[tokio::test]
async fn a_long_discord_message_is_cut_to_2000_characters() {
    let discord = receiver(Shape::Discord).await;
    let d = dispatcher(&[channel("discord", ChannelKind::Discord, &discord.url())]);
    let many = (0..200)
        .map(|i| {
            item(
                &format!("t{i}"),
                &format!("Target number {i}"),
                Change::Down,
            )
        })
        .collect();
    send(&d, &alert(AlertKind::Down, many));
    send(&d, &ollama_recovered());
    let got = discord.wait_for(2, WAIT).await;
    assert_eq!(got.len(), 2, "the long one was taken, not retried");
    let content = got[0].json().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(content.chars().count(), 2000);
    assert!(content.ends_with('…'));
}
