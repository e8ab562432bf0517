//! Queues, replacing the dispatcher, and stopping.

use std::time::Duration;

use crate::support::*;
use channels::Dispatcher;
use fake_llm::{Fault, Shape};
use monitor::config::ChannelKind;

#[tokio::test]
async fn dropping_the_dispatcher_lets_queued_notices_finish() {
    let hook = receiver(Shape::Webhook).await;
    hook.fail_next(1, 502);
    let d = dispatcher(&[channel("hook", ChannelKind::Webhook, &hook.url())]);
    send(&d, &ollama_down());
    send(&d, &ollama_recovered());
    // A config change: the old dispatcher goes, a new one takes over.
    drop(d);
    let next = dispatcher(&[channel("hook", ChannelKind::Webhook, &hook.url())]);
    send(&next, &ollama_down());
    let got = hook.wait_for(4, WAIT).await;
    let mut seen: Vec<String> = events(&got).into_iter().map(|(e, _)| e).collect();
    // The old one's retry and its second notice, and the new one's, in some order between
    // the two; each dispatcher's own in order.
    seen.sort();
    assert_eq!(seen, ["down", "down", "down", "recovered"]);
}

#[tokio::test]
async fn a_full_queue_drops_the_oldest_and_says_so() {
    let (logs, _guard) = capture_logs();
    let hook = receiver(Shape::Webhook).await;
    let mut options = fast();
    options.queue_capacity = 1;
    let d = Dispatcher::with_options(
        &[channel("hook", ChannelKind::Webhook, &hook.url())],
        no_keyring(),
        options,
    )
    .unwrap();
    // On this single-threaded runtime the channel's task cannot run between these calls, so
    // the queue of one holds the last notice only.
    send(&d, &ollama_down());
    send(&d, &ollama_recovered());
    send(
        &d,
        &alert(
            alerts::AlertKind::Down,
            vec![item("openai", "OpenAI", alerts::Change::Down)],
        ),
    );
    let got = hook.wait_for(1, WAIT).await;
    assert_eq!(
        events(&got),
        [("down".to_string(), "OpenAI is down".to_string())]
    );
    let text = logs.text();
    assert_eq!(
        text.matches("dropped its oldest notice").count(),
        2,
        "{text}"
    );
    assert!(text.contains("channel=\"hook\"") || text.contains("channel=hook"));
    d.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn shutdown_waits_for_deliveries_within_the_grace() {
    let hook = receiver(Shape::Webhook).await;
    hook.push_faults([Fault::Latency(Duration::from_millis(200))]);
    let d = dispatcher(&[channel("hook", ChannelKind::Webhook, &hook.url())]);
    send(&d, &ollama_down());
    send(&d, &ollama_recovered());
    d.shutdown(Duration::from_secs(5)).await;
    // Both were delivered before shutdown returned.
    assert_eq!(hook.requests().len(), 2);
}

#[test]
fn a_dispatcher_needs_a_runtime() {
    let made = Dispatcher::new(&[], no_keyring());
    assert!(matches!(made, Err(channels::SetupError::NoRuntime)));
}
