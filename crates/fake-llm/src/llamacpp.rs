//! llama.cpp's `llama-server` (`http://127.0.0.1:8080`): one model, loaded at
//! start-up and served whatever a request names, so no request ever loads one.
//! While it loads, every endpoint (`/health` included) answers 503 "Loading model",
//! which a monitor must read as "loading", not "down".

use std::sync::Arc;

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::body;
use crate::gen::Completion;
use crate::models::LocalModel;
use crate::openai_compat::{self, ChatRequest, ChatStyle};
use crate::provider::{
    bearer, check_key, finish, header_key, opaque_id, reason, set_header, status, ApiError, Ctx,
    Headroom, Provider,
};
use crate::state::AppState;

pub(crate) struct LlamaCpp;

pub(crate) const DEFAULT_ALIAS: &str = "qwen2.5-7b-instruct-q4_k_m";
const BUILD_INFO: &str = "b6123-abcdef0";
const N_CTX: u64 = 4096;

/// llama-server lets these through without `--api-key`, so that health checks
/// need no secret.
const PUBLIC: [&str; 4] = ["/health", "/v1/health", "/models", "/v1/models"];

const CHAT_TEMPLATE: &str = "{%- for message in messages %}{{- '<|im_start|>' + message.role + \
'\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- \
'<|im_start|>assistant\\n' }}{%- endif %}";

fn error_value(code: u16, message: &str) -> Value {
    json!({"error": {"code": code, "message": message, "type": kind(code)}})
}

/// llama-server's error types, which follow the status.
fn kind(code: u16) -> &'static str {
    match code {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        501 => "not_supported_error",
        // The only 503 it sends is "Loading model"; 429 is as transient.
        429 | 503 => "unavailable_error",
        c if c >= 500 => "server_error",
        _ => "invalid_request_error",
    }
}

fn error_body(err: &ApiError) -> (u16, Value) {
    match err {
        ApiError::MissingKey => (401, error_value(401, "Invalid API Key")),
        ApiError::BadKey { presented, echo } => {
            let message = if *echo {
                format!("Invalid API Key: {presented}")
            } else {
                "Invalid API Key".to_owned()
            };
            (401, error_value(401, &message))
        }
        ApiError::RateLimited { .. } | ApiError::Quota => (429, error_value(429, reason(429))),
        ApiError::ModelNotFound(m) => (404, error_value(404, &format!("model '{m}' not found"))),
        ApiError::BadRequest(msg) => (400, error_value(400, msg)),
        // cpp-httplib has no handler for the path or the method alike.
        ApiError::NoRoute | ApiError::MethodNotAllowed => (404, error_value(404, "File Not Found")),
        ApiError::Status(503) => (503, error_value(503, "Loading model")),
        ApiError::Status(code) => (*code, error_value(*code, reason(*code))),
    }
}

impl Provider for LlamaCpp {
    fn routes(&self) -> Router<Arc<AppState>> {
        finish(
            Router::new()
                .route("/health", get(health))
                .route("/v1/health", get(health))
                .route("/props", get(props))
                .route("/models", get(models))
                .route("/v1/models", get(models))
                .route("/slots", get(slots))
                .route("/metrics", get(metrics))
                .route("/chat/completions", post(chat))
                .route("/v1/chat/completions", post(chat)),
        )
    }

    fn presented_key(&self, parts: &Parts) -> Option<String> {
        bearer(parts).or_else(|| header_key(parts, "x-api-key"))
    }

    fn check(&self, parts: &Parts, expected: Option<&str>) -> Result<(), ApiError> {
        if PUBLIC.contains(&parts.uri.path()) {
            return Ok(());
        }
        check_key(self.presented_key(parts), expected)
    }

    fn gate(&self, app: &AppState) -> Option<ApiError> {
        app.loading().then_some(ApiError::Status(503))
    }

    fn error(&self, _ctx: &Ctx, err: &ApiError) -> Response {
        let (code, value) = error_body(err);
        reply(status(code), &value)
    }

    fn decorate(&self, _ctx: &Ctx, headers: &mut HeaderMap, _headroom: Headroom) {
        set_header(headers, "server", "llama.cpp");
    }
}

fn reply(code: StatusCode, value: &Value) -> Response {
    body::json_typed(code, "application/json; charset=utf-8", value)
}

/// The one model's name: `--alias`, which `set_models` sets.
fn alias(app: &AppState) -> String {
    app.models()
        .into_iter()
        .next()
        .unwrap_or_else(|| DEFAULT_ALIAS.to_owned())
}

/// `(n_params, size, n_ctx_train)` as the GGUF header gives them.
fn gguf_meta(alias: &str) -> (u64, u64, u64) {
    if alias == DEFAULT_ALIAS {
        return (7_615_616_512, 4_683_073_504, 32_768);
    }
    let m = LocalModel::of(alias);
    ((m.params * 1e9) as u64, m.size, m.max_context)
}

async fn health() -> Response {
    reply(StatusCode::OK, &json!({"status": "ok"}))
}

async fn props(State(app): State<Arc<AppState>>) -> Response {
    let alias = alias(&app);
    reply(
        StatusCode::OK,
        &json!({
            "default_generation_settings": {
                "id": 0,
                "id_task": -1,
                "n_ctx": N_CTX,
                "speculative": false,
                "is_processing": false,
                "params": {
                    "n_predict": -1,
                    "seed": 4_294_967_295u64,
                    "temperature": 0.8,
                    "dynatemp_range": 0.0,
                    "top_k": 40,
                    "top_p": 0.95,
                    "min_p": 0.05,
                    "typical_p": 1.0,
                    "repeat_last_n": 64,
                    "repeat_penalty": 1.0,
                    "presence_penalty": 0.0,
                    "frequency_penalty": 0.0,
                    "mirostat": 0,
                    "stream": true,
                    "n_probs": 0,
                    "samplers": ["penalties", "dry", "top_k", "typ_p", "top_p", "min_p", "xtc", "temperature"],
                },
                "prompt": "",
                "next_token": {"has_next_token": true, "has_new_line": false, "n_remain": -1, "n_decoded": 0},
            },
            "total_slots": 1,
            "model_alias": alias,
            "model_path": format!("/models/{alias}.gguf"),
            "modalities": {"vision": false, "audio": false},
            "chat_template": CHAT_TEMPLATE,
            "bos_token": "<|endoftext|>",
            "eos_token": "<|im_end|>",
            "build_info": BUILD_INFO,
        }),
    )
}

async fn models(State(app): State<Arc<AppState>>) -> Response {
    let alias = alias(&app);
    let (n_params, size, n_ctx_train) = gguf_meta(&alias);
    reply(
        StatusCode::OK,
        &json!({
            // Newer llama-server adds an Ollama-style list for clients that speak that.
            "models": [{
                "name": alias,
                "model": alias,
                "modified_at": "",
                "size": "",
                "digest": "",
                "type": "model",
                "description": "",
                "tags": [""],
                "capabilities": ["completion"],
                "parameters": "",
                "details": {
                    "parent_model": "", "format": "gguf", "family": "", "families": [""],
                    "parameter_size": "", "quantization_level": "",
                },
            }],
            "object": "list",
            "data": [{
                "id": alias,
                "object": "model",
                "created": chrono::Utc::now().timestamp(),
                "owned_by": "llamacpp",
                "meta": {
                    "vocab_type": 2,
                    "n_vocab": 152_064,
                    "n_ctx_train": n_ctx_train,
                    "n_embd": 3584,
                    "n_params": n_params,
                    "size": size,
                },
            }],
        }),
    )
}

async fn slots() -> Response {
    reply(
        StatusCode::NOT_IMPLEMENTED,
        &error_value(
            501,
            "This server does not support slots endpoint. Start it with `--slots`",
        ),
    )
}

async fn metrics() -> Response {
    reply(
        StatusCode::NOT_IMPLEMENTED,
        &error_value(
            501,
            "This server does not support metrics endpoint. Start it with `--metrics`",
        ),
    )
}

async fn chat(State(app): State<Arc<AppState>>, ctx: Ctx, body: Bytes) -> Response {
    let req = match ChatRequest::parse(&body) {
        Ok(req) => req,
        Err(err) => return LlamaCpp.error(&ctx, &err),
    };
    // Whatever is named, the loaded model answers; the name is echoed back.
    let model = req.model.clone().unwrap_or_else(|| alias(&app));
    let extra = (!req.stream).then(|| timings(&req));
    let style = ChatStyle {
        id: format!("chatcmpl-{}", opaque_id(ctx.seq, 32)),
        model,
        system_fingerprint: Some(BUILD_INFO.to_owned()),
        azure_filters: false,
        extra,
    };
    openai_compat::chat(&req, &style)
}

/// llama-server measures its own speed and says so in every non-streamed reply.
fn timings(req: &ChatRequest) -> Map<String, Value> {
    let c = Completion::new(req.prompt_chars, req.max_tokens);
    let (prompt_ms, predicted_ms) = (
        c.prompt_tokens as f64 * 0.9,
        c.completion_tokens() as f64 * 18.5,
    );
    let mut m = Map::new();
    m.insert(
        "timings".into(),
        json!({
            "prompt_n": c.prompt_tokens,
            "prompt_ms": prompt_ms,
            "prompt_per_token_ms": 0.9,
            "prompt_per_second": 1000.0 / 0.9,
            "predicted_n": c.completion_tokens(),
            "predicted_ms": predicted_ms,
            "predicted_per_token_ms": 18.5,
            "predicted_per_second": 1000.0 / 18.5,
        }),
    );
    m
}
