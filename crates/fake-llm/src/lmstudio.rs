//! LM Studio (`http://127.0.0.1:1234`): OpenAI-compatible `/v1`, its REST
//! API (`/api/v0`, `/api/v1`), and just-in-time loading with auto-evict.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use chrono::TimeDelta;
use serde_json::{json, Map, Value};

use crate::body;
use crate::gen::{Completion, LOAD_DELAY};
use crate::models::{display_name, LocalModel};
use crate::openai_compat::{self, error_json, ChatRequest, ChatStyle};
use crate::provider::{
    bearer, finish, opaque_id, reason, set_header, status, ApiError, Ctx, Headroom, Provider,
};
use crate::state::{AppState, KeepAlive, Residency, RunnerOptions, DEFAULT_CONTEXT};

pub(crate) struct LmStudio;

const PUBLISHER: &str = "lmstudio-community";
/// JIT-loaded models are unloaded after an hour idle by default.
const JIT_TTL: KeepAlive = KeepAlive::For(TimeDelta::hours(1));

const AUTH_DOCS: &str = "Learn more at: https://lmstudio.ai/docs/developer/core/authentication.";

fn auth_error(message: String) -> Value {
    json!({"error": {"type": "invalid_request", "code": "invalid_api_key", "message": message}})
}

fn error_body(ctx: &Ctx, err: &ApiError) -> (u16, Value) {
    match err {
        ApiError::MissingKey => (
            401,
            auth_error(format!(
                "An LM Studio API token is required to make requests to this server, but none \
                 was provided using the Authorization header using the 'Bearer' scheme (i.e., \
                 'Authorization: Bearer $LM_API_TOKEN'). {AUTH_DOCS}"
            )),
        ),
        ApiError::BadKey { presented, echo } => {
            let shown = if *echo {
                format!(" \"{presented}\"")
            } else {
                String::new()
            };
            (
                401,
                auth_error(format!(
                    "The provided LM Studio API token{shown} is invalid. {AUTH_DOCS}"
                )),
            )
        }
        ApiError::RateLimited { .. } | ApiError::Quota => (
            429,
            error_json(
                "Too many requests, please try again later.",
                "rate_limit_error",
                None,
                None,
            ),
        ),
        ApiError::ModelNotFound(m) => (400, invalid_model(m, &[])),
        ApiError::BadRequest(msg) => (400, error_json(msg, "invalid_request_error", None, None)),
        // LM Studio really answers unknown endpoints with a 200.
        ApiError::NoRoute | ApiError::MethodNotAllowed => (
            200,
            json!({"error": format!("Unexpected endpoint or method. ({} {})", ctx.method, ctx.path)}),
        ),
        ApiError::Status(code) => {
            let v = match code {
                404 => error_json(
                    "Model not found.",
                    "invalid_request_error",
                    Some("model"),
                    Some("model_not_found"),
                ),
                500 => error_json(
                    "The model has crashed without additional information. (Exit code: null)",
                    "server_error",
                    None,
                    None,
                ),
                c if *c >= 500 => error_json(reason(*c), "server_error", None, None),
                c => error_json(reason(*c), "invalid_request_error", None, None),
            };
            (*code, v)
        }
    }
}

fn invalid_model(model: &str, installed: &[String]) -> Value {
    let examples = if installed.is_empty() {
        String::new()
    } else {
        format!(" (e.g., {})", installed.join(", "))
    };
    error_json(
        &format!("Invalid model identifier \"{model}\". Please specify a valid downloaded model{examples}."),
        "invalid_request_error",
        Some("model"),
        Some("model_not_found"),
    )
}

impl Provider for LmStudio {
    fn routes(&self) -> Router<Arc<AppState>> {
        finish(
            Router::new()
                .route("/v1/models", get(v1_models))
                .route("/v1/chat/completions", post(chat_v1))
                .route("/api/v0/models", get(v0_models))
                .route("/api/v0/models/{*id}", get(v0_model))
                .route("/api/v0/chat/completions", post(chat_v0))
                .route("/api/v1/models", get(rest_v1_models)),
        )
    }

    fn presented_key(&self, parts: &Parts) -> Option<String> {
        bearer(parts)
    }

    fn error(&self, ctx: &Ctx, err: &ApiError) -> Response {
        let (code, value) = error_body(ctx, err);
        reply(status(code), &value)
    }

    fn decorate(&self, _ctx: &Ctx, headers: &mut HeaderMap, _headroom: Headroom) {
        set_header(headers, "x-powered-by", "Express");
    }
}

fn reply(code: StatusCode, value: &Value) -> Response {
    body::json_typed(code, "application/json; charset=utf-8", value)
}

fn ok(value: &Value) -> Response {
    reply(StatusCode::OK, value)
}

async fn v1_models(State(app): State<Arc<AppState>>) -> Response {
    // With JIT loading on, every downloaded model is listed, loaded or not.
    let data: Vec<Value> = app
        .models()
        .iter()
        .map(|id| json!({"id": id, "object": "model", "owned_by": "organization_owner"}))
        .collect();
    ok(&json!({"data": data, "object": "list"}))
}

fn v0_json(app: &AppState, id: &str) -> Value {
    let meta = LocalModel::of(id);
    let loaded = app.is_loaded(id);
    let mut v = json!({
        "id": id,
        "object": "model",
        "type": "llm",
        "publisher": PUBLISHER,
        "arch": meta.family,
        "compatibility_type": "gguf",
        "quantization": meta.quant,
        "state": if loaded { "loaded" } else { "not-loaded" },
        "max_context_length": meta.max_context,
    });
    if loaded {
        v["loaded_context_length"] = json!(DEFAULT_CONTEXT);
    }
    v
}

async fn v0_models(State(app): State<Arc<AppState>>) -> Response {
    let data: Vec<Value> = app.models().iter().map(|id| v0_json(&app, id)).collect();
    ok(&json!({"object": "list", "data": data}))
}

async fn v0_model(State(app): State<Arc<AppState>>, ctx: Ctx, Path(id): Path<String>) -> Response {
    match app.find_model(|m| m == id) {
        Some(found) => ok(&v0_json(&app, &found)),
        None => LmStudio.error(&ctx, &ApiError::Status(404)),
    }
}

async fn rest_v1_models(State(app): State<Arc<AppState>>) -> Response {
    let models: Vec<Value> = app
        .models()
        .iter()
        .map(|key| {
            let meta = LocalModel::of(key);
            let instances: Vec<Value> = if app.is_loaded(key) {
                vec![json!({"id": key, "config": {
                    "context_length": DEFAULT_CONTEXT,
                    "eval_batch_size": 512,
                    "parallel": 4,
                    "flash_attention": true,
                    "offload_kv_cache_to_gpu": true,
                }})]
            } else {
                Vec::new()
            };
            json!({
                "type": "llm",
                "publisher": PUBLISHER,
                "key": key,
                "display_name": display_name(key),
                "architecture": meta.family,
                "quantization": {"name": meta.quant, "bits_per_weight": meta.bits_per_weight},
                "size_bytes": meta.size,
                "params_string": meta.params_string(),
                "loaded_instances": instances,
                "max_context_length": meta.max_context,
                "format": "gguf",
                "capabilities": {"vision": false, "trained_for_tool_use": true},
                "description": null,
            })
        })
        .collect();
    ok(&json!({"models": models}))
}

async fn chat_v1(State(app): State<Arc<AppState>>, ctx: Ctx, body: Bytes) -> Response {
    chat(&app, &ctx, &body, false).await
}

async fn chat_v0(State(app): State<Arc<AppState>>, ctx: Ctx, body: Bytes) -> Response {
    chat(&app, &ctx, &body, true).await
}

async fn chat(app: &AppState, ctx: &Ctx, body: &[u8], v0: bool) -> Response {
    let req = match ChatRequest::parse(body) {
        Ok(req) => req,
        Err(err) => return LmStudio.error(ctx, &err),
    };
    let name = match &req.model {
        Some(m) => match app.find_model(|x| x == m) {
            Some(name) => name,
            None => return reply(StatusCode::BAD_REQUEST, &invalid_model(m, &app.models())),
        },
        // Without a model LM Studio uses whatever is loaded.
        None => match app.loaded_models().into_iter().next() {
            Some(name) => name,
            None => {
                return reply(
                    StatusCode::BAD_REQUEST,
                    &error_json(
                        "No models loaded. Please load a model in the developer page or use the 'lms load' command.",
                        "invalid_request_error",
                        Some("model"),
                        None,
                    ),
                )
            }
        },
    };
    // JIT loading with auto-evict: the requested model replaces what was loaded.
    let residency = app.ensure_loaded(&name, RunnerOptions::default(), JIT_TTL, true);
    if residency != Residency::Warm {
        tokio::time::sleep(LOAD_DELAY).await;
    }
    let extra = (v0 && !req.stream).then(|| v0_stats(&req, &name, residency));
    let style = ChatStyle {
        id: format!("chatcmpl-{}", opaque_id(ctx.seq, 21).to_ascii_lowercase()),
        model: name.clone(),
        system_fingerprint: Some(name),
        azure_filters: false,
        extra,
    };
    openai_compat::chat(&req, &style)
}

/// The REST API's extras: throughput and time to first token, measured by
/// the server itself.
fn v0_stats(req: &ChatRequest, name: &str, residency: Residency) -> Map<String, Value> {
    let c = Completion::new(req.prompt_chars, req.max_tokens);
    let tokens_per_second = 51.437;
    let ttft = if residency == Residency::Warm {
        0.111
    } else {
        2.914
    };
    let meta = LocalModel::of(name);
    let mut m = Map::new();
    m.insert(
        "stats".into(),
        json!({
            "tokens_per_second": tokens_per_second,
            "time_to_first_token": ttft,
            "generation_time": c.completion_tokens() as f64 / tokens_per_second,
            "stop_reason": if c.truncated { "maxPredictedTokensReached" } else { "eosFound" },
        }),
    );
    m.insert(
        "model_info".into(),
        json!({"arch": meta.family, "quant": meta.quant, "format": "gguf", "context_length": DEFAULT_CONTEXT}),
    );
    m.insert(
        "runtime".into(),
        json!({"name": "llama.cpp-linux-x86_64-avx2", "version": "1.28.0", "supported_formats": ["gguf"]}),
    );
    m
}
