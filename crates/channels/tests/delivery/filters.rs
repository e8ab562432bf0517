//! Event and target filters, and the default set without `degraded`.

use crate::support::*;
use alerts::{AlertKind, Change};
use channels::{Notice, Outgoing};
use fake_llm::{Receiver, Shape};
use monitor::config::{ChannelKind, NoticeEvent};

/// Sends a `test` notice about no target to every channel: once it arrives, everything sent to
/// that channel before it has arrived too (each channel delivers in order).
fn marker(d: &channels::Dispatcher) {
    d.send(&[Outgoing {
        notice: Notice::test("marker", now()),
        also_needs: None,
    }]);
}

async fn until_marker(r: &Receiver) -> Vec<(String, String)> {
    for n in 1..=20 {
        let got = r.wait_for(n, WAIT).await;
        let seen = events(&got);
        if seen.last().is_some_and(|(event, _)| event == "test") {
            return seen[..seen.len() - 1].to_vec();
        }
        assert!(got.len() >= n, "no marker yet: {seen:?}");
    }
    panic!("no marker");
}

#[tokio::test]
async fn channels_get_only_the_events_and_targets_they_ask_for() {
    let all = receiver(Shape::Webhook).await;
    let degraded_only = receiver(Shape::Webhook).await;
    let openai_only = receiver(Shape::Webhook).await;
    let openai_degraded = receiver(Shape::Webhook).await;

    let default = channel("default", ChannelKind::Webhook, &all.url());
    let mut b = channel("degraded", ChannelKind::Webhook, &degraded_only.url());
    b.events = set(&[NoticeEvent::Degraded, NoticeEvent::Test]);
    let mut c = channel("openai", ChannelKind::Webhook, &openai_only.url());
    c.targets = Some(["openai".to_string()].into());
    let mut e = channel(
        "openai-degraded",
        ChannelKind::Webhook,
        &openai_degraded.url(),
    );
    e.targets = Some(["openai".to_string()].into());
    e.events = set(&[
        NoticeEvent::Recovered,
        NoticeEvent::Degraded,
        NoticeEvent::Test,
    ]);
    let d = dispatcher(&[default, b, c, e]);

    send(
        &d,
        &alert(
            AlertKind::Mixed,
            vec![
                item("local-ollama", "Ollama", Change::Down),
                item("openai", "OpenAI", Change::Down),
            ],
        ),
    );
    send(
        &d,
        &alert(
            AlertKind::Degraded,
            vec![item("gemini", "Gemini", Change::Degraded)],
        ),
    );
    send(
        &d,
        &alert(
            AlertKind::Degraded,
            vec![item("openai", "OpenAI", Change::Degraded)],
        ),
    );
    send(
        &d,
        &alert(
            AlertKind::BackToNormal,
            vec![item("openai", "OpenAI", Change::BackToNormal)],
        ),
    );
    marker(&d);

    let s = |e: &str, t: &str| (e.to_string(), t.to_string());
    // The default set: every event but degraded, so no back-to-normal either.
    assert_eq!(until_marker(&all).await, [s("down", "2 down")]);
    // Degraded only: no back to normal, which is a recovery.
    assert_eq!(
        until_marker(&degraded_only).await,
        [
            s("degraded", "Gemini is degraded"),
            s("degraded", "OpenAI is degraded")
        ]
    );
    // The grouped down, cut to OpenAI.
    assert_eq!(
        until_marker(&openai_only).await,
        [s("down", "OpenAI is down")]
    );
    // Degraded and recovered: the back to normal comes as a recovery.
    assert_eq!(
        until_marker(&openai_degraded).await,
        [
            s("degraded", "OpenAI is degraded"),
            s("recovered", "OpenAI is back to normal")
        ]
    );
}

#[tokio::test]
async fn a_disabled_channel_sends_nothing_but_can_be_tested() {
    let hook = receiver(Shape::Webhook).await;
    let mut off = channel("off", ChannelKind::Webhook, &hook.url());
    off.enabled = false;
    let d = dispatcher(&[off]);
    assert!(d.is_idle());
    send(&d, &ollama_down());
    d.test("off").await.unwrap();
    let got = hook.wait_for(1, WAIT).await;
    assert_eq!(events(&got)[0].0, "test");
    // A disabled channel has no queue (`is_idle`): the down was never taken.
    assert_eq!(got.len(), 1);
}
