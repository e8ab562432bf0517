//! Ollama (`http://127.0.0.1:11434`): the native API and its OpenAI-compatible
//! `/v1`, with the model residency that makes careless probes expensive.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use chrono::{SecondsFormat, TimeDelta, Utc};
use serde_json::{json, Map, Value};

use crate::body;
use crate::gen::{self, Completion, LOAD_DELAY, TOKEN_GAP};
use crate::models::{digest, LocalModel};
use crate::openai_compat::{self, error_json, model_list, model_object, ChatRequest, ChatStyle};
use crate::provider::{bearer, finish, parse_body, reason, status, ApiError, Ctx, Provider};
use crate::state::{AppState, KeepAlive, Residency, RunnerOptions};

pub(crate) struct Ollama;

const JSON_UTF8: &str = "application/json; charset=utf-8";
const DEFAULT_KEEP_ALIVE: KeepAlive = KeepAlive::For(TimeDelta::minutes(5));
/// Install time reported by `/api/tags`; any fixed moment will do.
const MODIFIED_AT: &str = "2025-01-14T10:22:07.123456789+01:00";

/// Options whose change needs a new runner process.
const RUNNER_KEYS: [&str; 5] = ["num_ctx", "num_batch", "num_thread", "use_mmap", "num_gpu"];

/// Ollama's defaults; `use_mmap` has none ("auto"), so any explicit value differs.
fn runner_default(key: &str) -> Value {
    match key {
        "num_ctx" => json!(crate::state::DEFAULT_CONTEXT),
        "num_batch" => json!(512),
        "num_thread" => json!(0),
        "num_gpu" => json!(-1),
        _ => Value::Null,
    }
}

/// The runner settings a request asks for, compared against the loaded
/// runner's: like Ollama, a request without options wants the defaults,
/// so it too reloads a model that was loaded with custom ones.
fn runner_options(options: Option<&Value>) -> RunnerOptions {
    let mut out = RunnerOptions::default();
    for key in RUNNER_KEYS {
        if let Some(v) = options.and_then(|o| o.get(key)).filter(|v| !v.is_null()) {
            if *v != runner_default(key) {
                out.0.insert(key, v.clone());
            }
        }
    }
    out
}

/// `keep_alive` as Ollama reads it: seconds as a number, or a Go duration
/// string; negative means forever. `Ok(None)`: not given.
fn keep_alive(v: Option<&Value>) -> Result<Option<f64>, ApiError> {
    let invalid = |s: &str| ApiError::BadRequest(format!("time: invalid duration \"{s}\""));
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => s
            .parse::<f64>()
            .ok()
            .or_else(|| go_duration_secs(s))
            .map(Some)
            .ok_or_else(|| invalid(s)),
        Some(other) => Err(invalid(&other.to_string())),
    }
}

fn go_duration_secs(s: &str) -> Option<f64> {
    let (negative, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += n * unit;
        rest = &rest[unit_end..];
    }
    Some(if negative { -total } else { total })
}

fn residency_for(secs: Option<f64>) -> KeepAlive {
    match secs {
        None => DEFAULT_KEEP_ALIVE,
        Some(s) if s < 0.0 => KeepAlive::Forever,
        Some(s) => TimeDelta::try_milliseconds((s * 1000.0) as i64)
            .map_or(KeepAlive::Forever, KeepAlive::For),
    }
}

/// Status and message in Ollama's own words.
fn error_text(err: &ApiError) -> (u16, String) {
    match err {
        ApiError::MissingKey | ApiError::BadKey { echo: false, .. } => (401, "unauthorized".into()),
        ApiError::BadKey {
            presented,
            echo: true,
        } => (
            401,
            format!("unauthorized: invalid api key \"{presented}\""),
        ),
        ApiError::RateLimited { .. } => (429, "too many requests, please try again later".into()),
        ApiError::Quota => (
            429,
            "you've reached your usage limit, please upgrade to continue".into(),
        ),
        ApiError::ModelNotFound(m) => (
            404,
            format!("model \"{m}\" not found, try pulling it first"),
        ),
        ApiError::BadRequest(msg) => (400, msg.clone()),
        ApiError::NoRoute | ApiError::MethodNotAllowed => (404, "404 page not found".into()),
        ApiError::Status(code) => {
            let msg = match code {
                404 => "404 page not found".to_owned(),
                500 => "llama runner process has terminated: exit status 2".to_owned(),
                503 => {
                    "server busy, please try again.  maximum pending requests exceeded".to_owned()
                }
                c => reason(*c).to_ascii_lowercase(),
            };
            (*code, msg)
        }
    }
}

impl Provider for Ollama {
    fn routes(&self) -> Router<Arc<AppState>> {
        finish(
            Router::new()
                .route("/", get(root))
                .route("/api/version", get(version))
                .route("/api/tags", get(tags))
                .route("/api/ps", get(ps))
                .route("/api/generate", post(generate))
                .route("/api/chat", post(chat))
                .route("/v1/models", get(v1_models))
                .route("/v1/models/{*id}", get(v1_model))
                .route("/v1/chat/completions", post(v1_chat)),
        )
    }

    /// Ollama has no auth of its own; a key is what a reverse proxy in front
    /// of it would check.
    fn presented_key(&self, parts: &Parts) -> Option<String> {
        bearer(parts)
    }

    fn error(&self, ctx: &Ctx, err: &ApiError) -> Response {
        let (code, message) = error_text(err);
        // Unknown paths fall through to gin's plain-text 404.
        if matches!(
            err,
            ApiError::NoRoute | ApiError::MethodNotAllowed | ApiError::Status(404)
        ) {
            return (status(code), [(CONTENT_TYPE, "text/plain")], message).into_response();
        }
        if ctx.path.starts_with("/v1/") {
            let kind = match code {
                400 => "invalid_request_error",
                404 => "not_found_error",
                _ => "api_error",
            };
            return body::json(status(code), &error_json(&message, kind, None, None));
        }
        body::json_typed(status(code), JSON_UTF8, &json!({"error": message}))
    }
}

fn ok(value: &Value) -> Response {
    body::json_typed(StatusCode::OK, JSON_UTF8, value)
}

async fn root() -> Response {
    (
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Ollama is running",
    )
        .into_response()
}

async fn version() -> Response {
    ok(&json!({"version": "0.5.1"}))
}

fn details(meta: &LocalModel) -> Value {
    json!({
        "parent_model": "",
        "format": "gguf",
        "family": meta.family,
        "families": [meta.family],
        "parameter_size": meta.params_string(),
        "quantization_level": meta.quant,
    })
}

async fn tags(State(app): State<Arc<AppState>>) -> Response {
    let models: Vec<Value> = app
        .models()
        .iter()
        .map(|name| {
            let meta = LocalModel::of(name);
            json!({
                "name": name,
                "model": name,
                "modified_at": MODIFIED_AT,
                "size": meta.size,
                "digest": digest(name),
                "details": details(&meta),
            })
        })
        .collect();
    ok(&json!({"models": models}))
}

async fn ps(State(app): State<Arc<AppState>>) -> Response {
    let models: Vec<Value> = app
        .residents()
        .iter()
        .map(|r| {
            let meta = LocalModel::of(&r.name);
            let context_length = r.options.context_length();
            // The KV cache for the context comes on top of the weights.
            let size = meta.size + context_length * 112 * 1024;
            json!({
                "name": r.name,
                "model": r.name,
                "size": size,
                "digest": digest(&r.name),
                "details": details(&meta),
                "expires_at": r.expires_at.to_rfc3339_opts(SecondsFormat::Nanos, false),
                "size_vram": (size as f64 * meta.vram_share()) as u64,
                "context_length": context_length,
            })
        })
        .collect();
    ok(&json!({"models": models}))
}

/// `llama3.2` names the same model as `llama3.2:latest`.
fn installed(app: &AppState, requested: &str) -> Option<String> {
    app.find_model(|m| m == requested || m.strip_suffix(":latest") == Some(requested))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Api {
    Generate,
    Chat,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// One NDJSON object: a piece of `response` (generate) or of `message` (chat).
fn piece(api: Api, model: &str, text: &str, done: bool) -> Value {
    let mut obj = json!({"model": model, "created_at": now(), "done": done});
    match api {
        Api::Generate => obj["response"] = json!(text),
        Api::Chat => obj["message"] = json!({"role": "assistant", "content": text}),
    }
    obj
}

fn timings(c: &Completion, residency: Residency) -> Map<String, Value> {
    // A cold load takes seconds on real hardware; reporting it is what lets a
    // monitor notice that a request caused one.
    let load: u64 = if residency == Residency::Warm {
        11_204_467
    } else {
        2_803_468_129
    };
    let prompt_eval = c.prompt_tokens * 1_312_500;
    let eval = c.completion_tokens() * 16_666_666;
    let mut m = Map::new();
    m.insert(
        "total_duration".into(),
        json!(load + prompt_eval + eval + 1_734_218),
    );
    m.insert("load_duration".into(), json!(load));
    m.insert("prompt_eval_count".into(), json!(c.prompt_tokens));
    m.insert("prompt_eval_duration".into(), json!(prompt_eval));
    m.insert("eval_count".into(), json!(c.completion_tokens()));
    m.insert("eval_duration".into(), json!(eval));
    m
}

async fn generate(State(app): State<Arc<AppState>>, ctx: Ctx, body: Bytes) -> Response {
    run(&app, &ctx, &body, Api::Generate).await
}

async fn chat(State(app): State<Arc<AppState>>, ctx: Ctx, body: Bytes) -> Response {
    run(&app, &ctx, &body, Api::Chat).await
}

async fn run(app: &AppState, ctx: &Ctx, body: &[u8], api: Api) -> Response {
    let fail = |err: ApiError| Ollama.error(ctx, &err);
    let req = match parse_body(body) {
        Ok(v) => v,
        Err(err) => return fail(err),
    };
    let Some(model) = req
        .get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
    else {
        return fail(ApiError::BadRequest("model is required".into()));
    };
    let Some(name) = installed(app, model) else {
        return fail(ApiError::ModelNotFound(model.to_owned()));
    };
    let keep = match keep_alive(req.get("keep_alive")) {
        Ok(k) => k,
        Err(err) => return fail(err),
    };
    let unload_after = keep == Some(0.0);
    let prompt_chars = match api {
        Api::Generate => req
            .get("prompt")
            .and_then(Value::as_str)
            .map_or(0, |p| p.chars().count()),
        Api::Chat => gen::messages_chars(req.get("messages")),
    };
    let empty = match api {
        Api::Generate => prompt_chars == 0,
        Api::Chat => req
            .get("messages")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty),
    };
    let stream = req.get("stream").and_then(Value::as_bool).unwrap_or(true);

    // An empty request with keep_alive 0 is Ollama's documented way to unload.
    if empty && unload_after {
        app.unload(&name);
        let mut done = piece(api, model, "", true);
        done["done_reason"] = json!("unload");
        return ok(&done);
    }

    let residency = app.ensure_loaded(
        &name,
        runner_options(req.get("options")),
        residency_for(keep),
        false,
    );
    if residency != Residency::Warm {
        tokio::time::sleep(LOAD_DELAY).await;
    }
    // An empty request only loads the model, which is its documented purpose.
    if empty {
        let mut done = piece(api, model, "", true);
        done["done_reason"] = json!("load");
        return ok(&done);
    }
    if unload_after {
        app.unload(&name);
    }

    let max = req.pointer("/options/num_predict").and_then(Value::as_i64);
    let completion = Completion::new(prompt_chars, max);
    let done_reason = if completion.truncated {
        "length"
    } else {
        "stop"
    };
    let finish = |text: &str| {
        let mut last = piece(api, model, text, true);
        last["done_reason"] = json!(done_reason);
        if api == Api::Generate {
            last["context"] = json!((0..completion.total_tokens())
                .map(|i| 128_000 + i)
                .collect::<Vec<_>>());
        }
        if let Some(obj) = last.as_object_mut() {
            obj.extend(timings(&completion, residency));
        }
        last
    };
    if !stream {
        return ok(&finish(&completion.text()));
    }
    let mut lines: Vec<String> = completion
        .pieces
        .iter()
        .map(|p| format!("{}\n", piece(api, model, p, false)))
        .collect();
    lines.push(format!("{}\n", finish("")));
    body::paced(lines, TOKEN_GAP, body::NDJSON)
}

fn owner(name: &str) -> &str {
    name.rsplit_once('/')
        .map_or("library", |(ns, _)| ns.rsplit('/').next().unwrap_or(ns))
}

async fn v1_models(State(app): State<Arc<AppState>>) -> Response {
    let created = chrono::DateTime::parse_from_rfc3339(MODIFIED_AT).map_or(0, |d| d.timestamp());
    let data = app
        .models()
        .iter()
        .map(|n| model_object(n, created, owner(n)))
        .collect();
    body::json(StatusCode::OK, &model_list(data))
}

async fn v1_model(State(app): State<Arc<AppState>>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let created = chrono::DateTime::parse_from_rfc3339(MODIFIED_AT).map_or(0, |d| d.timestamp());
    match installed(&app, &id) {
        Some(name) => body::json(StatusCode::OK, &model_object(&name, created, owner(&name))),
        None => Ollama.error(&ctx, &ApiError::ModelNotFound(id)),
    }
}

async fn v1_chat(State(app): State<Arc<AppState>>, ctx: Ctx, body: Bytes) -> Response {
    let req = match ChatRequest::parse(&body) {
        Ok(req) => req,
        Err(err) => return Ollama.error(&ctx, &err),
    };
    let Some(model) = req.model.clone() else {
        return Ollama.error(&ctx, &ApiError::BadRequest("model is required".into()));
    };
    let Some(name) = installed(&app, &model) else {
        return Ollama.error(&ctx, &ApiError::ModelNotFound(model));
    };
    // The compatibility layer passes no runner options: it wants the defaults.
    let residency = app.ensure_loaded(&name, RunnerOptions::default(), DEFAULT_KEEP_ALIVE, false);
    if residency != Residency::Warm {
        tokio::time::sleep(LOAD_DELAY).await;
    }
    let style = ChatStyle {
        id: format!("chatcmpl-{}", ctx.seq % 1000),
        model,
        system_fingerprint: Some("fp_ollama".to_owned()),
        azure_filters: false,
        extra: None,
    };
    openai_compat::chat(&req, &style)
}
