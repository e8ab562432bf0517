use fake_llm::Flavor;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{get, post, send, start};

#[tokio::test]
async fn root_and_version() {
    let s = start(Flavor::Ollama).await;
    let r = get(&s.url(), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text, "Ollama is running");
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let head = send(Method::HEAD, &format!("{}/", s.url()), &[], None).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.text.is_empty());
    let v = get(&format!("{}/api/version", s.url()), &[]).await.json();
    assert_eq!(v, json!({"version": "0.5.1"}));
    assert_eq!(s.base_url(), s.url());
}

#[tokio::test]
async fn tags_lists_installed_models_with_details() {
    let s = start(Flavor::Ollama).await;
    let v = get(&format!("{}/api/tags", s.url()), &[]).await.json();
    let models = v["models"].as_array().unwrap();
    let names: Vec<&str> = models.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["llama3.2:latest", "qwen2.5:7b"]);
    let m = &models[0];
    for key in ["name", "model", "modified_at", "size", "digest"] {
        assert!(!m[key].is_null(), "{key} missing");
    }
    for key in [
        "format",
        "family",
        "families",
        "parameter_size",
        "quantization_level",
    ] {
        assert!(!m["details"][key].is_null(), "details.{key} missing");
    }
    assert_eq!(m["digest"].as_str().unwrap().len(), 64);
    s.set_models(&["phi3:mini"]);
    let v = get(&format!("{}/api/tags", s.url()), &[]).await.json();
    assert_eq!(v["models"][0]["name"], "phi3:mini");
}

#[tokio::test]
async fn ps_shows_resident_models_with_vram_share() {
    let s = start(Flavor::Ollama).await;
    let v = get(&format!("{}/api/ps", s.url()), &[]).await.json();
    assert_eq!(v, json!({"models": []}));
    s.load_model("llama3.2:latest");
    s.load_model("qwen2.5:7b");
    let v = get(&format!("{}/api/ps", s.url()), &[]).await.json();
    let models = v["models"].as_array().unwrap();
    assert_eq!(models.len(), 2);
    let share = |m: &Value| m["size_vram"].as_f64().unwrap() / m["size"].as_f64().unwrap();
    assert_eq!(share(&models[0]), 1.0);
    assert!(
        share(&models[1]) < 1.0,
        "qwen2.5:7b is partly in system RAM"
    );
    let expires = models[0]["expires_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(expires).is_ok(),
        "{expires}"
    );
    assert_eq!(models[0]["context_length"], 4096);
    assert!(
        s.model_loads().is_empty(),
        "harness loads are not request-caused"
    );
    s.unload_model("qwen2.5:7b");
    assert_eq!(s.loaded_models(), ["llama3.2:latest"]);
}

#[tokio::test]
async fn generate_streams_ndjson_by_default() {
    let s = start(Flavor::Ollama).await;
    s.load_model("llama3.2:latest");
    let r = post(
        &format!("{}/api/generate", s.url()),
        &[],
        &json!({"model": "llama3.2", "prompt": "hi"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    let lines: Vec<Value> = r
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() > 2);
    assert!(lines[..lines.len() - 1]
        .iter()
        .all(|l| l["done"] == false && l["response"].is_string()));
    let last = lines.last().unwrap();
    assert_eq!(last["done"], true);
    assert_eq!(last["done_reason"], "stop");
    for key in [
        "total_duration",
        "load_duration",
        "prompt_eval_count",
        "prompt_eval_duration",
        "eval_count",
        "eval_duration",
    ] {
        assert!(last[key].as_u64().is_some(), "{key} missing");
    }
    assert_eq!(last["eval_count"].as_u64().unwrap(), lines.len() as u64 - 1);
    assert!(
        last["load_duration"].as_u64().unwrap() < 100_000_000,
        "warm load is short"
    );
    assert!(s.model_loads().is_empty());
}

#[tokio::test]
async fn generate_non_streaming_with_token_limit() {
    let s = start(Flavor::Ollama).await;
    s.load_model("qwen2.5:7b");
    let v = post(
        &format!("{}/api/generate", s.url()),
        &[],
        &json!({"model": "qwen2.5:7b", "prompt": "hi", "stream": false, "options": {"num_predict": 1}}),
    )
    .await
    .json();
    assert_eq!(v["done"], true);
    assert_eq!(v["done_reason"], "length");
    assert_eq!(v["eval_count"], 1);
    assert_eq!(v["response"], "Hello");
}

#[tokio::test]
async fn generate_against_unloaded_model_loads_it() {
    let s = start(Flavor::Ollama).await;
    let v = post(
        &format!("{}/api/generate", s.url()),
        &[],
        &json!({"model": "qwen2.5:7b", "prompt": "hi", "stream": false}),
    )
    .await
    .json();
    assert!(
        v["load_duration"].as_u64().unwrap() > 1_000_000_000,
        "cold load is long"
    );
    assert_eq!(s.model_loads(), ["qwen2.5:7b"]);
    assert_eq!(s.loaded_models(), ["qwen2.5:7b"]);
    // Ollama keeps several models resident: a second cold model loads beside it.
    post(&format!("{}/api/chat", s.url()), &[], &json!({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}], "stream": false})).await;
    assert_eq!(s.model_loads(), ["qwen2.5:7b", "llama3.2:latest"]);
    assert_eq!(s.loaded_models().len(), 2);
}

#[tokio::test]
async fn runner_options_that_differ_reload_the_model() {
    let s = start(Flavor::Ollama).await;
    s.load_model("llama3.2:latest");
    let url = format!("{}/api/generate", s.url());
    // Default values are not a change.
    post(&url, &[], &json!({"model": "llama3.2", "prompt": "hi", "stream": false, "options": {"num_ctx": 4096, "num_predict": 1}})).await;
    assert!(s.model_loads().is_empty());
    post(&url, &[], &json!({"model": "llama3.2", "prompt": "hi", "stream": false, "options": {"num_ctx": 8192}})).await;
    assert_eq!(s.model_loads(), ["llama3.2:latest"]);
    let ps = get(&format!("{}/api/ps", s.url()), &[]).await.json();
    assert_eq!(ps["models"][0]["context_length"], 8192);
    // Back to defaults is another reload, as in Ollama.
    post(
        &url,
        &[],
        &json!({"model": "llama3.2", "prompt": "hi", "stream": false}),
    )
    .await;
    assert_eq!(s.model_loads().len(), 2);
}

#[tokio::test]
async fn keep_alive_zero_unloads() {
    let s = start(Flavor::Ollama).await;
    s.load_model("llama3.2:latest");
    s.load_model("qwen2.5:7b");
    let url = format!("{}/api/generate", s.url());
    let v = post(&url, &[], &json!({"model": "llama3.2", "keep_alive": 0}))
        .await
        .json();
    assert_eq!(v["done_reason"], "unload");
    assert_eq!(s.loaded_models(), ["qwen2.5:7b"]);
    post(
        &url,
        &[],
        &json!({"model": "qwen2.5:7b", "prompt": "hi", "stream": false, "keep_alive": "0s"}),
    )
    .await;
    assert!(s.loaded_models().is_empty());
    // An empty prompt loads.
    let v = post(&url, &[], &json!({"model": "llama3.2"})).await.json();
    assert_eq!(v["done_reason"], "load");
    assert_eq!(s.model_loads(), ["llama3.2:latest"]);
    let bad = post(
        &url,
        &[],
        &json!({"model": "llama3.2", "keep_alive": "soon"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_model_and_path() {
    let s = start(Flavor::Ollama).await;
    let r = post(
        &format!("{}/api/generate", s.url()),
        &[],
        &json!({"model": "x", "prompt": "hi"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.json(),
        json!({"error": "model \"x\" not found, try pulling it first"})
    );
    let r = get(&format!("{}/api/nothing", s.url()), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.text, "404 page not found");
    assert!(s.model_loads().is_empty());
}

#[tokio::test]
async fn openai_compatible_endpoints_load_too() {
    let s = start(Flavor::Ollama).await;
    let v = get(
        &format!("{}/v1/models", s.url()),
        &[("authorization", "Bearer anything")],
    )
    .await
    .json();
    assert_eq!(v["object"], "list");
    assert_eq!(v["data"][0]["id"], "llama3.2:latest");
    assert_eq!(v["data"][0]["owned_by"], "library");
    let r = post(
        &format!("{}/v1/chat/completions", s.url()),
        &[("authorization", "Bearer ollama")],
        &json!({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["choices"][0]["message"]["content"], "Hello");
    assert_eq!(v["choices"][0]["finish_reason"], "length");
    assert_eq!(s.model_loads(), ["llama3.2:latest"]);
    let r = post(
        &format!("{}/v1/chat/completions", s.url()),
        &[],
        &json!({"model": "nope", "messages": []}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["type"], "not_found_error");
}
