//! A channel's URL and token are secrets: in no error and no log line.

use std::sync::Arc;
use std::time::Duration;

use crate::support::*;
use channels::DeliveryError;
use fake_llm::{Fault, Shape};
use monitor::config::{ChannelKind, Destination};

const PATH_SECRET: &str = "SECRETPATH7f3a9";
const QUERY_SECRET: &str = "QUERYSECRET51c2";
const TOKEN: &str = "tk_SECRETTOKEN88e1";

fn assert_clean(text: &str) {
    for secret in [PATH_SECRET, QUERY_SECRET, TOKEN, "SECRET"] {
        assert!(!text.contains(secret), "{secret} in: {text}");
    }
}

#[tokio::test]
async fn no_url_or_token_in_errors_or_logs() {
    let (logs, _guard) = capture_logs();
    std::env::set_var("CHANNELS_TEST_SECRET_TOKEN", TOKEN);
    let refused = format!(
        "http://127.0.0.1:{}/hooks/{PATH_SECRET}?token={QUERY_SECRET}",
        closed_port()
    );
    let echo = receiver(Shape::Ntfy).await;
    // Answers 401 with the token it was given in its body.
    echo.set_fault(Fault::BadKeyEcho);
    let hung = receiver(Shape::Webhook).await;
    hung.set_fault(Fault::Hang);
    let missing = receiver(Shape::Slack).await;
    missing.set_fault(Fault::Status(404));

    let mut ntfy = channel(
        "ntfy",
        ChannelKind::Ntfy,
        &format!("{}/{PATH_SECRET}", echo.url()),
    );
    ntfy.token_env = Some("CHANNELS_TEST_SECRET_TOKEN".into());
    let mut options = fast();
    options.test_timeout = Duration::from_millis(500);
    let d = channels::Dispatcher::with_options(
        &[
            channel("refused", ChannelKind::Webhook, &refused),
            ntfy,
            channel(
                "hung",
                ChannelKind::Discord,
                &format!("{}/api/webhooks/{PATH_SECRET}", hung.url()),
            ),
            channel(
                "missing",
                ChannelKind::Slack,
                &format!("{}/services/{PATH_SECRET}", missing.url()),
            ),
        ],
        no_keyring(),
        options,
    )
    .unwrap();

    let mut errors = Vec::new();
    for id in ["refused", "ntfy", "hung", "missing"] {
        let e = d.test(id).await.unwrap_err();
        errors.push((id, e));
    }
    assert!(
        matches!(errors[0].1, DeliveryError::Connect(_)),
        "{:?}",
        errors[0]
    );
    assert_eq!(
        errors[1].1,
        DeliveryError::Status {
            status: 401,
            retry_after: None
        }
    );
    assert_eq!(
        errors[2].1,
        DeliveryError::Timeout(Duration::from_millis(500))
    );
    assert_eq!(
        errors[3].1,
        DeliveryError::Status {
            status: 404,
            retry_after: None
        }
    );
    for (_, e) in &errors {
        assert_clean(&e.to_string());
        assert_clean(&format!("{e:?}"));
    }

    // The queued way too: refused with retries, each try logged.
    send(&d, &ollama_down());
    let deadline = std::time::Instant::now() + WAIT;
    while logs.text().matches("channel=\"refused\"").count() < 3
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let text = logs.text();
    assert!(text.contains("will retry"), "{text}");
    assert!(text.contains("could not connect"), "{text}");
    assert_clean(&text);
}

#[tokio::test]
async fn urls_from_variables_and_the_keyring_are_read_at_delivery() {
    let hook = receiver(Shape::Webhook).await;
    let from_env = monitor::config::AlertChannel {
        destination: Destination::UrlEnv("CHANNELS_TEST_HOOK_URL".into()),
        ..channel("env", ChannelKind::Webhook, "http://unused.invalid")
    };
    let from_keyring = monitor::config::AlertChannel {
        destination: Destination::Keyring,
        ..channel("kept", ChannelKind::Webhook, "http://unused.invalid")
    };
    let nothing_kept = monitor::config::AlertChannel {
        destination: Destination::Keyring,
        ..channel("lost", ChannelKind::Webhook, "http://unused.invalid")
    };
    let url = format!("{}/kept/{PATH_SECRET}", hook.url());
    let keyring: channels::KeyringUrl =
        Arc::new(move |id: &str| (id == "kept").then(|| url.clone()));
    let d = channels::Dispatcher::with_options(
        &[from_env, from_keyring, nothing_kept],
        keyring,
        fast(),
    )
    .unwrap();

    let unset = d.test("env").await.unwrap_err();
    assert_eq!(
        unset.to_string(),
        "the environment variable CHANNELS_TEST_HOOK_URL that should hold the URL is not set"
    );
    std::env::set_var("CHANNELS_TEST_HOOK_URL", format!("not a url {PATH_SECRET}"));
    let bad = d.test("env").await.unwrap_err();
    assert!(matches!(bad, DeliveryError::BadUrl(_)), "{bad:?}");
    assert_clean(&bad.to_string());
    std::env::set_var("CHANNELS_TEST_HOOK_URL", format!("{}/env", hook.url()));
    d.test("env").await.unwrap();

    d.test("kept").await.unwrap();
    assert_eq!(d.test("lost").await, Err(DeliveryError::NoKeyringUrl));
    assert_eq!(
        d.test("nope").await,
        Err(DeliveryError::UnknownChannel("nope".into()))
    );

    let got = hook.wait_for(2, WAIT).await;
    let paths: Vec<&str> = got.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/env", &format!("/kept/{PATH_SECRET}")]);
    assert_eq!(events(&got)[0].0, "test");
}
