//! An inference canary against a cloud API goes without the model list: its own answer says
//! whether the model is there (a 404 is `not_found`, naming the model), and the list is fetched
//! only hourly, right after a `not_found`, or when the target's config or key changes. The
//! outcomes still show the inventory and headroom of the last list. Connections are kept alive
//! between probes. Time is tokio's paused clock: nothing here sleeps.

mod common;

use common::*;
use fake_llm::{FakeServer, Fault};
use monitor::config::Target;
use monitor::probe::{KeySource, Prober, MODEL_LIST_MAX_AGE};
use monitor::{Class, Outcome};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A key source whose key can be changed, as a keyring edit changes it.
struct SwitchKeys(Mutex<String>);

impl KeySource for SwitchKeys {
    fn key_for(&self, _: &Target) -> Option<String> {
        Some(self.0.lock().unwrap().clone())
    }
}

/// The name a fake lists a cloud's model under.
fn listed(cloud: Cloud, model: &'static str) -> &'static str {
    match (cloud, model) {
        (Cloud::Gemini, "gemini-2.5-flash") => "models/gemini-2.5-flash",
        (Cloud::Gemini, "gemini-2.5-pro") => "models/gemini-2.5-pro",
        _ => model,
    }
}

/// A realistic canary interval, shorter than the HTTP pool's idle timeout (60 s).
const STEP: Duration = Duration::from_secs(30);

/// The list path and the canary path of a cloud API's fake.
fn paths_of(cloud: Cloud) -> (&'static str, &'static str) {
    match cloud {
        Cloud::Openai | Cloud::Compatible => ("/v1/models", "/v1/chat/completions"),
        Cloud::Anthropic => ("/v1/models", "/v1/messages"),
        Cloud::Gemini => (
            "/v1beta/models",
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
        ),
        Cloud::Azure => (
            "/openai/models",
            "/openai/deployments/gpt-4o-mini/chat/completions",
        ),
        Cloud::AzureV1 => ("/openai/v1/models", "/openai/v1/chat/completions"),
    }
}

fn canary_target(cloud: Cloud, fake: &FakeServer) -> Target {
    cloud.target(
        &fake.url(),
        &format!("probe = \"inference\"\nmodel = \"{}\"", cloud.model()),
    )
}

/// (list requests, canary requests) the fake has received.
fn counts(cloud: Cloud, fake: &FakeServer) -> (u64, u64) {
    let (list, canary) = paths_of(cloud);
    (fake.hits(list), fake.hits(canary))
}

#[track_caller]
fn assert_ok_with_inventory(what: impl std::fmt::Debug, o: &Outcome, cloud: Cloud) {
    assert_outcome(&what, o, Class::Ok, Some(200), "");
    let d = &o.details;
    assert_eq!(d.probed_model.as_deref(), Some(cloud.model()), "{what:?}");
    assert!(
        d.models.iter().any(|m| m.ends_with(cloud.model())),
        "{what:?}: the last list's inventory is shown: {:?}",
        d.models
    );
    if cloud != Cloud::Gemini {
        assert!(d.rate_limit.is_some(), "{what:?}: headroom");
    }
}

#[tokio::test(start_paused = true)]
async fn cloud_canaries_fetch_the_model_list_once_an_hour_not_every_probe() {
    for cloud in [
        Cloud::Openai,
        Cloud::Anthropic,
        Cloud::Gemini,
        Cloud::AzureV1,
    ] {
        let fake = cloud.fake().await;
        let prober = prober();
        let target = canary_target(cloud, &fake);

        // The first probe has no list yet: list, then canary.
        let o = prober.probe(&target).await;
        assert_ok_with_inventory((cloud, 0), &o, cloud);
        assert_eq!(counts(cloud, &fake), (1, 1), "{cloud:?}");

        // Then an hour of canaries without the list.
        let steps = MODEL_LIST_MAX_AGE.as_secs() / STEP.as_secs() - 1;
        for n in 1..=steps {
            tokio::time::advance(STEP).await;
            let o = prober.probe(&target).await;
            assert_ok_with_inventory((cloud, n), &o, cloud);
            assert_eq!(
                counts(cloud, &fake),
                (1, 1 + n),
                "{cloud:?} after {n} steps"
            );
        }
        // An hour after the list, it is fetched again, once.
        tokio::time::advance(STEP).await;
        let o = prober.probe(&target).await;
        assert_ok_with_inventory(cloud, &o, cloud);
        assert_eq!(counts(cloud, &fake), (2, steps + 2), "{cloud:?}");
        tokio::time::advance(STEP).await;
        prober.probe(&target).await;
        assert_eq!(counts(cloud, &fake), (2, steps + 3), "{cloud:?}");

        // Every request went over the one kept-alive connection.
        assert_eq!(fake.connections(), 1, "{cloud:?}: connections are reused");
    }
}

#[tokio::test(start_paused = true)]
async fn a_canary_answered_404_is_not_found_naming_the_model_then_the_list_is_refreshed() {
    for cloud in [Cloud::Openai, Cloud::Anthropic, Cloud::Gemini] {
        let fake = cloud.fake().await;
        let prober = prober();
        let target = canary_target(cloud, &fake);
        assert_ok_with_inventory(cloud, &prober.probe(&target).await, cloud);
        assert_eq!(counts(cloud, &fake), (1, 1));

        // The model goes away: the canary's own 404 says so, and the list is fetched right
        // after, which proves it gone.
        let other = match cloud {
            Cloud::Gemini => listed(cloud, "gemini-2.5-pro"),
            Cloud::Anthropic => "claude-sonnet-4-5",
            _ => "gpt-4o",
        };
        fake.set_models(&[other]);
        tokio::time::advance(STEP).await;
        let o = prober.probe(&target).await;
        assert_eq!(o.class, Class::NotFound, "{cloud:?}: {o:#?}");
        assert!(
            o.message.contains(cloud.model()),
            "{cloud:?}: names the model: {:?}",
            o.message
        );
        assert_eq!(counts(cloud, &fake), (2, 2), "{cloud:?}: canary, then list");

        // While it stays gone, a probe lists first and sends no canary for a missing model.
        tokio::time::advance(STEP).await;
        let o = prober.probe(&target).await;
        assert_eq!(o.class, Class::NotFound, "{cloud:?}: {o:#?}");
        assert!(o.message.contains(cloud.model()), "{:?}", o.message);
        assert_eq!(counts(cloud, &fake), (3, 2), "{cloud:?}");

        // Back: one probe lists and canaries, the next canaries only.
        fake.set_models(&[listed(cloud, cloud.model()), other]);
        tokio::time::advance(STEP).await;
        assert_ok_with_inventory(cloud, &prober.probe(&target).await, cloud);
        assert_eq!(counts(cloud, &fake), (4, 3), "{cloud:?}");
        tokio::time::advance(STEP).await;
        assert_ok_with_inventory(cloud, &prober.probe(&target).await, cloud);
        assert_eq!(counts(cloud, &fake), (4, 4), "{cloud:?}");
    }
}

/// A 404 the list does not explain (a wrong route, a deployment the list cannot show) is still
/// `not_found` naming the model, with the server's words; the next probe lists again.
#[tokio::test(start_paused = true)]
async fn a_404_the_list_does_not_explain_is_not_found_with_the_servers_words() {
    let cloud = Cloud::Openai;
    let fake = cloud.fake().await;
    let prober = prober();
    let target = canary_target(cloud, &fake);
    prober.probe(&target).await;
    fake.push_faults([Fault::Status(404)]);
    tokio::time::advance(STEP).await;
    let o = prober.probe(&target).await;
    assert_outcome(
        "route 404",
        &o,
        Class::NotFound,
        Some(404),
        "model \"gpt-4o-mini\": HTTP 404: Invalid URL",
    );
    assert_eq!(counts(cloud, &fake), (2, 2), "canary, then list");
    tokio::time::advance(STEP).await;
    assert_ok_with_inventory(cloud, &prober.probe(&target).await, cloud);
    assert_eq!(
        counts(cloud, &fake),
        (3, 3),
        "lists again before the canary"
    );

    // Azure lists base models, not deployments: a missing deployment is the canary's 404.
    let cloud = Cloud::Azure;
    let fake = cloud.fake().await;
    let target = cloud.target(
        &fake.url(),
        "probe = \"inference\"\nmodel = \"no-such-deployment\"",
    );
    let o = prober.probe(&target).await;
    assert_outcome(
        "azure",
        &o,
        Class::NotFound,
        Some(404),
        "model \"no-such-deployment\"",
    );
}

#[tokio::test(start_paused = true)]
async fn a_changed_target_or_key_fetches_the_list_again() {
    let cloud = Cloud::Openai;
    let fake = cloud.fake().await;
    let keys = Arc::new(SwitchKeys(Mutex::new(KEY.to_string())));
    let prober = Prober::new(keys.clone()).unwrap();
    let target = canary_target(cloud, &fake);
    prober.probe(&target).await;
    prober.probe(&target).await;
    assert_eq!(counts(cloud, &fake), (1, 2));

    // Any change to the target's config starts afresh.
    let changed = Target {
        name: "renamed".into(),
        ..target.clone()
    };
    prober.probe(&changed).await;
    assert_eq!(counts(cloud, &fake), (2, 3));
    prober.probe(&changed).await;
    assert_eq!(counts(cloud, &fake), (2, 4));

    // So does another key (checked by its hash on every probe).
    *keys.0.lock().unwrap() = WRONG_KEY.to_string();
    fake.set_api_key(Some(WRONG_KEY));
    let o = prober.probe(&changed).await;
    assert_eq!(o.class, Class::Ok, "{o:#?}");
    assert_eq!(counts(cloud, &fake), (3, 5));
    let sent = fake.requests().pop().unwrap();
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {WRONG_KEY}").as_str()),
        "the new key is sent"
    );

    // `forget` and `refresh_models` drop the kept list.
    prober.forget("t");
    prober.probe(&changed).await;
    assert_eq!(counts(cloud, &fake), (4, 6));
    prober.refresh_models("t");
    prober.probe(&changed).await;
    assert_eq!(counts(cloud, &fake), (5, 7));
    prober.probe(&changed).await;
    assert_eq!(counts(cloud, &fake), (5, 8));
}

/// A self-hosted OpenAI-compatible server may load a model a request names (LocalAI,
/// llama-swap, Ollama's /v1): its canary still checks a fresh list first, every time.
#[tokio::test(start_paused = true)]
async fn a_self_hosted_compatible_server_is_listed_before_every_canary() {
    let cloud = Cloud::Compatible;
    let fake = cloud.fake().await;
    let prober = prober();
    let target = canary_target(cloud, &fake);
    for n in 1..=3 {
        assert_ok_with_inventory(n, &prober.probe(&target).await, cloud);
        assert_eq!(counts(cloud, &fake), (n, n));
        tokio::time::advance(STEP).await;
    }
    fake.set_models(&["gpt-4o"]);
    let o = prober.probe(&target).await;
    assert_eq!(o.class, Class::NotFound, "{o:#?}");
    assert_eq!(
        counts(cloud, &fake),
        (4, 3),
        "no canary for an unlisted model"
    );
}

#[tokio::test(start_paused = true)]
async fn reachable_probes_reuse_one_connection() {
    let cloud = Cloud::Openai;
    let fake = cloud.fake().await;
    let prober: Prober = prober();
    let target = cloud.target(&fake.url(), "");
    for _ in 0..20 {
        let o = prober.probe(&target).await;
        assert_outcome("reachable", &o, Class::Ok, Some(200), "");
        tokio::time::advance(STEP).await;
    }
    assert_eq!((fake.hits("/v1/models"), fake.hits_total()), (20, 20));
    assert_eq!(fake.connections(), 1);
}
