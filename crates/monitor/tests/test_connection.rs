//! "Test connection": one probe of an unsaved target against the fakes, with a typed key that
//! wins over the stored ones and never shows up in what comes back.

mod common;

use common::{closed_root, Keys, KEY, WRONG_KEY};
use fake_llm::{FakeServer, Fault, Flavor};
use monitor::config::TargetFile;
use monitor::round::test_connection;
use monitor::{Class, Kind, Status};
use std::sync::Arc;

fn openai(base_url: &str) -> TargetFile {
    TargetFile {
        id: "openai".into(),
        name: None,
        kind: Kind::Openai,
        preset: None,
        base_url: Some(base_url.into()),
        api_key_env: Some("TEST_CONNECTION_KEY".into()),
        probe: None,
        model: None,
        models: None,
        api_version: None,
        enabled: None,
        status_page: None,
        status_component: None,
        min_credits: None,
        interval: None,
        timeout: Some(std::time::Duration::from_secs(2)),
        slow_ms: None,
        failure_threshold: None,
        success_threshold: None,
        backoff_max: None,
        confirm_interval: None,
        degraded_after: None,
    }
}

fn stored(key: Option<&str>) -> Arc<Keys> {
    Arc::new(Keys(key.map(str::to_string)))
}

#[tokio::test]
async fn a_good_key_is_healthy_and_a_typed_key_wins_over_the_stored_one() {
    let fake = FakeServer::start(Flavor::Openai).await.unwrap();
    fake.set_api_key(Some(KEY));

    let r = test_connection(openai(&fake.base_url()), stored(Some(KEY)), None)
        .await
        .unwrap();
    assert_eq!((r.status, r.outcome.class), (Status::Healthy, Class::Ok));

    // The stored key is wrong, the typed one right: the typed one is used.
    let r = test_connection(
        openai(&fake.base_url()),
        stored(Some(WRONG_KEY)),
        Some(format!("  {KEY}\n")),
    )
    .await
    .unwrap();
    assert_eq!(r.outcome.class, Class::Ok, "{}", r.outcome.message);
    // An empty typed key means "use what is stored".
    let r = test_connection(
        openai(&fake.base_url()),
        stored(Some(KEY)),
        Some(" ".into()),
    )
    .await
    .unwrap();
    assert_eq!(r.outcome.class, Class::Ok);
    assert_eq!(fake.requests().len(), 3, "one probe each");
}

#[tokio::test]
async fn a_wrong_key_is_auth_and_never_echoed() {
    let fake = FakeServer::start(Flavor::Openai).await.unwrap();
    fake.set_api_key(Some(KEY));
    // The server echoes the key it was sent, as some real ones do.
    fake.set_fault(Fault::BadKeyEcho);
    let r = test_connection(
        openai(&fake.base_url()),
        stored(None),
        Some(WRONG_KEY.into()),
    )
    .await
    .unwrap();
    assert_eq!(
        (r.status, r.outcome.class),
        (Status::Unhealthy, Class::Auth)
    );
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains(WRONG_KEY), "{json}");
    assert!(!json.contains("9876543210"), "{json}");
}

#[tokio::test]
async fn an_unreachable_server_is_connect() {
    let r = test_connection(openai(&closed_root()), stored(None), Some(KEY.into()))
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.outcome.class),
        (Status::Unhealthy, Class::Connect)
    );
    assert!(!serde_json::to_string(&r).unwrap().contains(KEY));
}

#[tokio::test]
async fn an_invalid_target_names_its_key_and_not_the_typed_secret() {
    let mut t = openai("ftp://example.com");
    t.id = "mine".into();
    let err = test_connection(t, stored(None), Some(KEY.into()))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("target \"mine\": base_url:"), "{err}");
    assert!(!err.contains(KEY));

    // A key pasted where the variable name goes is refused without being repeated.
    let mut t = openai("http://127.0.0.1:9");
    t.api_key_env = Some(KEY.into());
    let err = test_connection(t, stored(None), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("api_key_env"), "{err}");
    assert!(!err.contains(KEY), "{err}");
}
