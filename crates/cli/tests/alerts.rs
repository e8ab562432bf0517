//! `llm-health watch` telling `[[alerts]]` what happens, end to end: real fake servers stopped
//! and started again, a real webhook receiver that fails its first request (so the notice is
//! retried) and a real ntfy-shaped one, and a target in a maintenance window.

mod common;

use common::{llm_health, text};
use fake_llm::{FakeServer, Flavor, Receiver, Shape};
use serde_json::Value;
use std::time::Duration;

const NTFY_TOKEN: &str = "tk_ntfy_secret_token_123";

async fn ollama() -> FakeServer {
    FakeServer::start(Flavor::Ollama).await.expect("fake")
}

/// Waits until every fake answered a few checks.
async fn until_checked(fakes: &[&FakeServer]) {
    for _ in 0..500 {
        if fakes.iter().all(|f| f.requests().len() >= 4) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the targets were never checked");
}

fn notices(hook: &Receiver) -> Vec<Value> {
    hook.requests()
        .iter()
        .map(|r| serde_json::from_str(&r.body).expect("a JSON notice"))
        .collect()
}

fn ids(notice: &Value) -> Vec<&str> {
    notice["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| t["id"].as_str().expect("id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_tells_the_webhook_and_ntfy_grouped_retried_and_not_during_maintenance() {
    let (a, b, quiet) = (ollama().await, ollama().await, ollama().await);
    let (a_addr, b_addr) = (a.addr(), b.addr());
    let hook = Receiver::start(Shape::Webhook).await.expect("receiver");
    hook.fail_next(1, 500);
    let ntfy = Receiver::start(Shape::Ntfy).await.expect("receiver");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    let now = chrono::Utc::now();
    std::fs::write(
        &config,
        format!(
            "[defaults]\ninterval = \"1s\"\n\n\
             [[targets]]\nid = \"a\"\nname = \"Server A\"\nkind = \"ollama\"\nbase_url = \"{}\"\n\n\
             [[targets]]\nid = \"b\"\nname = \"Server B\"\nkind = \"ollama\"\nbase_url = \"{}\"\n\n\
             [[targets]]\nid = \"quiet\"\nkind = \"ollama\"\nbase_url = \"{}\"\n\n\
             [[alerts]]\nkind = \"webhook\"\nurl = \"{}/hook\"\n\n\
             [[alerts]]\nkind = \"ntfy\"\nurl_env = \"TOPIC_URL\"\ntoken_env = \"NTFY_TOKEN\"\n\
             events = [\"down\"]\n\n\
             [[maintenance]]\ntargets = [\"quiet\"]\nstart = \"{}\"\nend = \"{}\"\n",
            a.url(),
            b.url(),
            quiet.url(),
            hook.url(),
            (now - chrono::Duration::minutes(1)).to_rfc3339(),
            (now + chrono::Duration::hours(1)).to_rfc3339(),
        ),
    )
    .expect("config");
    let watching = llm_health(dir.path())
        .args(["watch", "--plain", "--duration", "40s", "--config"])
        .arg(&config)
        .arg("--db")
        .arg(dir.path().join("h.db"))
        .env("TOPIC_URL", format!("{}/llm-alerts", ntfy.url()))
        .env("NTFY_TOKEN", NTFY_TOKEN)
        .output();
    let script = async {
        until_checked(&[&a, &b, &quiet]).await;
        // Past the grouping window of the first checks, so the downs make a group of their own.
        tokio::time::sleep(Duration::from_secs(4)).await;
        // Both servers go at the same moment, and the one in maintenance too.
        tokio::join!(a.shutdown(), b.shutdown(), quiet.shutdown());
        // The first delivery fails (500) and is retried.
        hook.wait_for(2, Duration::from_secs(20)).await;
        let back_a = FakeServer::start_on(Flavor::Ollama, a_addr)
            .await
            .expect("A again");
        let back_b = FakeServer::start_on(Flavor::Ollama, b_addr)
            .await
            .expect("B again");
        hook.wait_for(3, Duration::from_secs(20)).await;
        (back_a, back_b)
    };
    let (out, _servers) = tokio::join!(watching, script);
    let out = out.expect("watch ran");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");

    let got = notices(&hook);
    assert_eq!(got.len(), 3, "{got:#?}");
    // The failed try and its retry carry the same notice: one down for both servers at once.
    assert_eq!(got[0], got[1]);
    assert_eq!(got[1]["event"], "down");
    assert_eq!(ids(&got[1]), ["a", "b"]);
    assert_eq!(got[1]["title"], "2 down");
    assert_eq!(got[2]["event"], "recovered");
    assert_eq!(ids(&got[2]), ["a", "b"]);
    for notice in &got {
        assert!(
            !ids(notice).contains(&"quiet"),
            "told during maintenance: {notice}"
        );
    }

    // ntfy asked for downs only: one message, with its headers and the token.
    let messages = ntfy.requests();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let m = &messages[0];
    assert_eq!(m.method, "POST");
    assert_eq!(m.path, "/llm-alerts");
    assert_eq!(m.header("title"), Some("2 down"));
    assert_eq!(m.header("priority"), Some("5"));
    assert!(m.header("tags").is_some_and(|t| !t.is_empty()));
    assert_eq!(
        m.header("authorization"),
        Some(format!("Bearer {NTFY_TOKEN}").as_str())
    );
    assert!(
        m.body.contains("Server A") && m.body.contains("Server B"),
        "{}",
        m.body
    );
    // No secret in what watch printed.
    assert!(!stdout.contains(NTFY_TOKEN) && !stderr.contains(NTFY_TOKEN));
}
