//! Failed deliveries: retried with backoff, `Retry-After` obeyed, order kept, and one channel's
//! trouble never holds up another.

use std::time::{Duration, Instant};

use crate::support::*;
use fake_llm::{Fault, Shape};
use monitor::config::ChannelKind;

#[tokio::test]
async fn a_failed_delivery_is_retried_and_arrives_once_in_order() {
    let (logs, _guard) = capture_logs();
    let hook = receiver(Shape::Webhook).await;
    hook.fail_next(2, 500);
    let d = dispatcher(&[channel("hook", ChannelKind::Webhook, &hook.url())]);
    send(&d, &ollama_down());
    send(&d, &ollama_recovered());
    let got = hook.wait_for(4, WAIT).await;
    let seen: Vec<String> = events(&got).into_iter().map(|(e, _)| e).collect();
    // Two refused tries, the one that worked, then the next notice.
    assert_eq!(seen, ["down", "down", "down", "recovered"]);
    // The backoff waited between tries.
    assert!(got[1].at - got[0].at >= Duration::from_millis(45));
    assert!(got[2].at - got[1].at >= Duration::from_millis(95));
    let text = logs.text();
    assert_eq!(text.matches("will retry").count(), 2, "{text}");
    assert!(
        text.contains("channel=\"hook\"") || text.contains("channel=hook"),
        "{text}"
    );
    assert!(
        text.contains("kind=\"webhook\"") || text.contains("kind=webhook"),
        "{text}"
    );
    assert!(text.contains("HTTP 500"), "{text}");
}

#[tokio::test]
async fn a_rate_limited_delivery_waits_as_long_as_asked() {
    let hook = receiver(Shape::Discord).await;
    hook.push_faults([Fault::RateLimited {
        retry_after_secs: 1,
    }]);
    let d = dispatcher(&[channel("discord", ChannelKind::Discord, &hook.url())]);
    send(&d, &ollama_down());
    let got = hook.wait_for(2, WAIT).await;
    assert_eq!(got.len(), 2);
    let waited = got[1].at - got[0].at;
    // The backoff alone would have been 50 ms.
    assert!(waited >= Duration::from_millis(950), "{waited:?}");
    assert!(waited < Duration::from_secs(4), "{waited:?}");
}

#[tokio::test]
async fn a_refused_notice_is_not_retried() {
    let (logs, _guard) = capture_logs();
    let hook = receiver(Shape::Webhook).await;
    hook.fail_next(1, 404);
    let d = dispatcher(&[channel("hook", ChannelKind::Webhook, &hook.url())]);
    send(&d, &ollama_down());
    send(&d, &ollama_recovered());
    let got = hook.wait_for(2, WAIT).await;
    let seen: Vec<String> = events(&got).into_iter().map(|(e, _)| e).collect();
    assert_eq!(seen, ["down", "recovered"], "the 404 was final");
    assert!(logs.text().contains("giving up"), "{}", logs.text());
}

#[tokio::test]
async fn retries_stop_after_the_last_try() {
    let hook = receiver(Shape::Webhook).await;
    hook.fail_next(5, 503);
    let d = dispatcher(&[channel("hook", ChannelKind::Webhook, &hook.url())]);
    send(&d, &ollama_down());
    send(&d, &ollama_recovered());
    let got = hook.wait_for(6, WAIT).await;
    let seen: Vec<String> = events(&got).into_iter().map(|(e, _)| e).collect();
    // Five tries (the options' four waits), all refused, then the next notice.
    assert_eq!(seen, ["down", "down", "down", "down", "down", "recovered"]);
}

#[tokio::test]
async fn a_hung_channel_does_not_delay_another() {
    let hung = receiver(Shape::Webhook).await;
    hung.set_fault(Fault::Hang);
    let quick = receiver(Shape::Webhook).await;
    let mut options = fast();
    options.http_timeout = Duration::from_secs(30);
    let d = channels::Dispatcher::with_options(
        &[
            channel("hung", ChannelKind::Webhook, &hung.url()),
            channel("quick", ChannelKind::Webhook, &quick.url()),
        ],
        no_keyring(),
        options,
    )
    .unwrap();
    let started = Instant::now();
    send(&d, &ollama_down());
    send(&d, &ollama_recovered());
    let got = quick.wait_for(2, WAIT).await;
    assert_eq!(got.len(), 2);
    assert!(started.elapsed() < Duration::from_secs(5));
    // The hung one has its first request open, and nothing more.
    assert_eq!(hung.wait_for(1, WAIT).await.len(), 1);
    // Stopping does not wait for it beyond the grace.
    let stopping = Instant::now();
    d.shutdown(Duration::from_millis(100)).await;
    assert!(stopping.elapsed() < Duration::from_secs(2));
}
