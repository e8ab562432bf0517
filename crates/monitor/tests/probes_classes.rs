//! Every outcome class, produced by a fake server's scripted fault, for every cloud API where the
//! fake can produce it, and for the local servers where it applies.

mod common;

use common::*;
use fake_llm::{FakeServer, Fault, Flavor};
use futures_util::future::join_all;
use monitor::Class;
use std::future::Future;
use std::time::Duration;

/// Runs `check` for every cloud API at once.
async fn each_cloud<F: Future<Output = ()>>(check: impl Fn(Cloud) -> F) {
    join_all(Cloud::ALL.map(check)).await;
}

/// One fault, one probe per cloud API, the class and status each must give.
async fn fault_gives(
    fault: Fault,
    extra: &str,
    class: Class,
    status: impl Fn(Cloud) -> Option<u16>,
    message_part: &str,
) {
    each_cloud(|cloud| {
        let (fault, status) = (fault.clone(), status(cloud));
        async move {
            let (o, _fake) = probe_cloud(cloud, vec![fault.clone()], extra).await;
            assert_outcome((cloud, fault), &o, class, status, message_part);
        }
    })
    .await;
}

/// A bare status from every cloud API: its class, with the status in outcome and message.
async fn status_gives(code: u16, class: Class) {
    let message = format!("HTTP {code}");
    fault_gives(Fault::Status(code), "", class, |_| Some(code), &message).await;
}

/// One fault on Ollama and LM Studio, the class and status both must give.
async fn local_fault_gives(
    fault: Fault,
    extra: &str,
    class: Class,
    status: Option<u16>,
    message_part: &str,
) {
    for (flavor, kind) in LOCAL {
        let fake = FakeServer::start(flavor).await.unwrap();
        fake.set_fault(fault.clone());
        let (o, elapsed) = timed_probe(&prober(), &target(kind, &fake.url(), extra)).await;
        assert_outcome((kind, &fault), &o, class, status, message_part);
        assert!(
            elapsed < Duration::from_millis(1_500),
            "{kind}: {elapsed:?}"
        );
    }
}

const SHORT_TIMEOUT: &str = "timeout = \"500ms\"";

/// A probe bounded at 500 ms must end within a generous margin of it.
#[track_caller]
fn assert_bounded(what: impl std::fmt::Debug, elapsed: Duration, latency_ms: u64) {
    assert!(latency_ms >= 500, "{what:?}: {latency_ms} ms");
    assert!(
        elapsed < Duration::from_millis(1_100),
        "{what:?}: {elapsed:?}"
    );
}

#[tokio::test]
async fn slow_answers_are_slow_not_ok() {
    each_cloud(|cloud| async move {
        let (o, _fake) = probe_cloud(
            cloud,
            vec![Fault::Latency(Duration::from_millis(250))],
            "slow_ms = 100",
        )
        .await;
        assert_outcome(cloud, &o, Class::Slow, Some(200), "slow above 100 ms");
        assert!(o.latency_ms >= 250, "{o:#?}");
        assert!(!o.details.models.is_empty(), "a slow answer still reports");
    })
    .await;
}

/// With a 500 ms timeout, `fault` makes every cloud probe time out, and the probe ends on time.
async fn cloud_times_out(fault: Fault) {
    each_cloud(|cloud| {
        let fault = fault.clone();
        async move {
            let fake = cloud.fake().await;
            fake.set_fault(fault.clone());
            let t = cloud.target(&fake.url(), SHORT_TIMEOUT);
            let (o, elapsed) = timed_probe(&prober(), &t).await;
            let what = (cloud, fault);
            assert_outcome(
                &what,
                &o,
                Class::Timeout,
                None,
                "no complete answer within 500ms",
            );
            assert_bounded(&what, elapsed, o.latency_ms);
        }
    })
    .await;
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    cloud_times_out(Fault::Hang).await;
}

/// Headers at once, then a byte at a time forever: the timeout bounds the body too.
#[tokio::test]
async fn a_body_that_never_ends_times_out() {
    cloud_times_out(Fault::SlowBody {
        every: Duration::from_millis(50),
    })
    .await;
}

#[tokio::test]
async fn nothing_listening_is_connect() {
    each_cloud(|cloud| async move {
        let o = prober().probe(&cloud.target(&closed_root(), "")).await;
        assert_outcome(cloud, &o, Class::Connect, None, "connection refused");
    })
    .await;
}

#[tokio::test]
async fn a_dropped_connection_is_connect() {
    each_cloud(|cloud| async move {
        let (o, fake) = probe_cloud(cloud, vec![Fault::Drop], "").await;
        assert_outcome(cloud, &o, Class::Connect, None, "connection dropped");
        assert_eq!(fake.requests().len(), 1, "{cloud:?}: not retried");
    })
    .await;
}

/// `https://` against a plain-HTTP server: the handshake fails, and nothing is sent in clear.
#[tokio::test]
async fn https_to_a_plain_server_is_tls() {
    each_cloud(|cloud| async move {
        let fake = cloud.fake().await;
        let root = fake.url().replace("http://", "https://");
        let o = prober().probe(&cloud.target(&root, "")).await;
        assert_outcome(cloud, &o, Class::Tls, None, "TLS failed");
        assert!(fake.requests().is_empty(), "{cloud:?}");
    })
    .await;
}

#[tokio::test]
async fn a_wrong_key_is_auth() {
    each_cloud(|cloud| async move {
        let fake = cloud.fake().await;
        let o = prober_with(Some(WRONG_KEY))
            .probe(&cloud.target(&fake.url(), ""))
            .await;
        assert_outcome(cloud, &o, Class::Auth, Some(cloud.bad_key_status()), "");
        assert_no_key_fragment(cloud, &o.message, WRONG_KEY);
        let (header, value) = cloud.key_header(WRONG_KEY);
        assert_eq!(fake.requests()[0].header(header), Some(value.as_str()));
    })
    .await;
}

#[tokio::test]
async fn forbidden_is_auth() {
    status_gives(403, Class::Auth).await;
}

/// Out of credit: OpenAI/Azure 429 `insufficient_quota`, Anthropic 400 "credit balance", Gemini
/// 429 on a per-day quota. Not a transient rate limit: retrying does not help.
#[tokio::test]
async fn exhausted_credit_is_quota() {
    fault_gives(
        Fault::InsufficientQuota,
        "",
        Class::Quota,
        |cloud| Some(if cloud == Cloud::Anthropic { 400 } else { 429 }),
        "",
    )
    .await;
    status_gives(402, Class::Quota).await;
}

#[tokio::test]
async fn rate_limits_carry_retry_after() {
    each_cloud(|cloud| async move {
        let fault = Fault::RateLimited {
            retry_after_secs: 7,
        };
        let (o, _fake) = probe_cloud(cloud, vec![fault], "").await;
        assert_outcome(cloud, &o, Class::RateLimited, Some(429), "HTTP 429");
        assert_eq!(o.details.retry_after_ms, Some(7_000), "{cloud:?}");
        // The headroom headers of the 429 say nothing is left.
        if cloud != Cloud::Gemini {
            let rl = o.details.rate_limit.clone().expect("headroom on the 429");
            assert_eq!(rl.requests_remaining, Some(0), "{cloud:?}");
        }
    })
    .await;
    // A bare 429 has no Retry-After: none is invented.
    each_cloud(|cloud| async move {
        let (o, _fake) = probe_cloud(cloud, vec![Fault::Status(429)], "").await;
        assert_outcome(cloud, &o, Class::RateLimited, Some(429), "");
        assert_eq!(o.details.retry_after_ms, None, "{cloud:?}");
    })
    .await;
}

#[tokio::test]
async fn overload_is_overloaded() {
    let (o, _fake) = probe_cloud(Cloud::Anthropic, vec![Fault::Status(529)], "").await;
    assert_outcome(
        "anthropic 529",
        &o,
        Class::Overloaded,
        Some(529),
        "Overloaded",
    );
    status_gives(503, Class::Overloaded).await;
}

#[tokio::test]
async fn internal_errors_are_server_error() {
    status_gives(500, Class::ServerError).await;
    status_gives(502, Class::ServerError).await;
}

#[tokio::test]
async fn gateway_timeouts_are_timeout() {
    status_gives(504, Class::Timeout).await;
}

#[tokio::test]
async fn a_missing_model_or_route_is_not_found() {
    status_gives(404, Class::NotFound).await;
    each_cloud(|cloud| async move {
        let (o, _fake) = probe_cloud(cloud, vec![], "model = \"no-such-model\"").await;
        if matches!(cloud, Cloud::Azure | Cloud::AzureV1) {
            // Azure lists base models, not the deployments requests name: the list cannot
            // prove a deployment absent, so a reachable probe does not judge it.
            assert_outcome(cloud, &o, Class::Ok, Some(200), "");
        } else {
            assert_outcome(cloud, &o, Class::NotFound, None, "\"no-such-model\"");
        }
    })
    .await;
}

/// An Azure deployment that does not exist shows at inference: 404 DeploymentNotFound.
#[tokio::test]
async fn a_missing_azure_deployment_is_not_found_at_inference() {
    for cloud in [Cloud::Azure, Cloud::AzureV1] {
        let extra = "probe = \"inference\"\nmodel = \"no-such-deployment\"";
        let (o, fake) = probe_cloud(cloud, vec![], extra).await;
        assert_outcome(cloud, &o, Class::NotFound, Some(404), "deployment");
        assert_eq!(fake.requests().len(), 2);
    }
}

#[tokio::test]
async fn html_labelled_json_is_bad_response() {
    fault_gives(
        Fault::Garbage,
        "",
        Class::BadResponse,
        |_| Some(200),
        "not JSON",
    )
    .await;
}

#[tokio::test]
async fn an_oversize_body_is_bad_response() {
    let huge = Fault::HugeBody(17 * 1024 * 1024);
    let limit = "larger than 16 MiB";
    fault_gives(huge, "", Class::BadResponse, |_| Some(200), limit).await;
}

/// A redirect to another server (here: another port) is not followed, so the key in a custom
/// header (x-api-key, api-key, x-goog-api-key) never reaches it.
#[tokio::test]
async fn a_redirect_elsewhere_is_not_followed() {
    each_cloud(|cloud| async move {
        let elsewhere = cloud.fake().await;
        let (o, _fake) = probe_cloud(cloud, vec![Fault::Redirect(elsewhere.url())], "").await;
        assert_outcome(cloud, &o, Class::BadResponse, Some(302), "not followed");
        assert!(
            elsewhere.requests().is_empty(),
            "{cloud:?} followed the redirect: {:#?}",
            elsewhere.requests()
        );
    })
    .await;
}

/// A redirect within the same server (a moved path) is still followed.
#[tokio::test]
async fn a_redirect_within_the_server_is_followed() {
    each_cloud(|cloud| async move {
        let fake = cloud.fake().await;
        let t = cloud.target(&fake.url(), "");
        // The same request again, by its full URL: the fake answers it normally the second time.
        let probe_path = match cloud {
            Cloud::Openai | Cloud::Compatible => "/v1/models",
            Cloud::Anthropic => "/v1/models?limit=1000",
            Cloud::Gemini => "/v1beta/models?pageSize=1000",
            Cloud::Azure => "/openai/models?api-version=2024-10-21",
            Cloud::AzureV1 => "/openai/v1/models",
        };
        fake.push_faults([Fault::Redirect(format!("{}{probe_path}", fake.url()))]);
        let o = prober().probe(&t).await;
        assert_outcome(cloud, &o, Class::Ok, Some(200), "");
        assert_eq!(fake.requests().len(), 2, "{cloud:?}");
    })
    .await;
}

#[tokio::test]
async fn local_servers_not_running_are_connect() {
    for kind in ["ollama", "lmstudio"] {
        let o = prober().probe(&target(kind, &closed_root(), "")).await;
        assert_outcome(kind, &o, Class::Connect, None, "connection refused");
    }
    local_fault_gives(Fault::Drop, "", Class::Connect, None, "connection dropped").await;
}

#[tokio::test]
async fn local_servers_that_hang_time_out() {
    local_fault_gives(
        Fault::Hang,
        SHORT_TIMEOUT,
        Class::Timeout,
        None,
        "within 500ms",
    )
    .await;
    let trickle = Fault::SlowBody {
        every: Duration::from_millis(50),
    };
    local_fault_gives(trickle, SHORT_TIMEOUT, Class::Timeout, None, "within 500ms").await;
}

#[tokio::test]
async fn local_servers_answering_garbage_are_bad_response() {
    local_fault_gives(
        Fault::Garbage,
        "",
        Class::BadResponse,
        Some(200),
        "not JSON",
    )
    .await;
    let huge = Fault::HugeBody(17 * 1024 * 1024);
    local_fault_gives(
        huge,
        "",
        Class::BadResponse,
        Some(200),
        "larger than 16 MiB",
    )
    .await;
}

#[tokio::test]
async fn local_server_errors_and_auth() {
    local_fault_gives(
        Fault::Status(500),
        "",
        Class::ServerError,
        Some(500),
        "HTTP 500",
    )
    .await;
    // Ollama's model list does not name the configured model.
    let fake = FakeServer::start(Flavor::Ollama).await.unwrap();
    let o = prober()
        .probe(&target("ollama", &fake.url(), "model = \"mistral\""))
        .await;
    assert_outcome("ollama", &o, Class::NotFound, None, "\"mistral\"");
    // LM Studio with an API token required, and none configured.
    let fake = FakeServer::start(Flavor::Lmstudio).await.unwrap();
    fake.set_api_key(Some(KEY));
    let o = prober_with(None)
        .probe(&target("lmstudio", &fake.url(), ""))
        .await;
    assert_outcome("lmstudio", &o, Class::Auth, Some(401), "token is required");
}
