//! vLLM's OpenAI-compatible server (`http://127.0.0.1:8000`): `/health` with an
//! empty body, `/v1` like OpenAI, and Prometheus `/metrics` that tell how busy
//! it is without sending it any work.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::body;
use crate::openai_compat::{self, model_list, ChatRequest, ChatStyle};
use crate::provider::{
    bearer, check_key, finish, opaque_id, reason, set_header, status, ApiError, Ctx, Headroom,
    Provider,
};
use crate::state::AppState;

pub(crate) struct Vllm;

const MAX_MODEL_LEN: u64 = 32_768;
const METRICS_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What `/metrics` reports about the engine's queue and KV cache.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ServerLoad {
    pub running: u64,
    pub waiting: u64,
    /// A fraction from 0 to 1, whatever the metric's `_perc` suggests.
    pub kv_cache: f64,
}

impl Default for ServerLoad {
    fn default() -> Self {
        ServerLoad {
            running: 3,
            waiting: 0,
            kv_cache: 0.42,
        }
    }
}

/// `{"object":"error",...}`: vLLM's own error shape, not OpenAI's `{"error":{...}}`.
fn error_value(code: u16, message: &str, kind: &str) -> Value {
    json!({"object": "error", "message": message, "type": kind, "param": null, "code": code})
}

/// "Internal Server Error" → "InternalServerError", "Not Found" → "NotFoundError",
/// as vLLM names its error types after the status.
fn kind(code: u16) -> String {
    let name: String = reason(code).split([' ', '-']).collect();
    if name.ends_with("Error") {
        name
    } else {
        format!("{name}Error")
    }
}

fn not_found(model: &str) -> Value {
    error_value(
        404,
        &format!("The model `{model}` does not exist."),
        "NotFoundError",
    )
}

fn error_body(err: &ApiError) -> (u16, Value) {
    match err {
        // The `--api-key` middleware answers before the OpenAI layer, in its own words.
        ApiError::MissingKey | ApiError::BadKey { echo: false, .. } => {
            (401, json!({"error": "Unauthorized"}))
        }
        ApiError::BadKey {
            presented,
            echo: true,
        } => (401, json!({"error": format!("Unauthorized: {presented}")})),
        ApiError::RateLimited { .. } | ApiError::Quota => {
            (429, error_value(429, reason(429), &kind(429)))
        }
        ApiError::ModelNotFound(m) => (404, not_found(m)),
        ApiError::BadRequest(msg) => (400, error_value(400, msg, "BadRequestError")),
        // FastAPI's own answers for what no route matches.
        ApiError::NoRoute => (404, json!({"detail": "Not Found"})),
        ApiError::MethodNotAllowed => (405, json!({"detail": "Method Not Allowed"})),
        ApiError::Status(code) => (*code, error_value(*code, reason(*code), &kind(*code))),
    }
}

impl Provider for Vllm {
    fn routes(&self) -> Router<Arc<AppState>> {
        finish(
            Router::new()
                .route("/health", get(health))
                .route("/ping", get(health))
                .route("/version", get(version))
                .route("/metrics", get(metrics))
                .route("/v1/models", get(models))
                .route("/v1/chat/completions", post(chat)),
        )
    }

    fn presented_key(&self, parts: &Parts) -> Option<String> {
        bearer(parts)
    }

    /// `--api-key` guards `/v1` only: health and metrics stay open.
    fn check(&self, parts: &Parts, expected: Option<&str>) -> Result<(), ApiError> {
        if !parts.uri.path().starts_with("/v1") {
            return Ok(());
        }
        check_key(self.presented_key(parts), expected)
    }

    fn error(&self, _ctx: &Ctx, err: &ApiError) -> Response {
        let (code, value) = error_body(err);
        body::json(status(code), &value)
    }

    fn decorate(&self, _ctx: &Ctx, headers: &mut HeaderMap, _headroom: Headroom) {
        set_header(headers, "server", "uvicorn");
    }
}

async fn health() -> Response {
    StatusCode::OK.into_response()
}

async fn version() -> Response {
    body::json(StatusCode::OK, &json!({"version": "0.10.1"}))
}

async fn models(State(app): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let created = chrono::Utc::now().timestamp();
    let data = app
        .models()
        .iter()
        .enumerate()
        .map(|(i, id)| {
            json!({
                "id": id,
                "object": "model",
                "created": created,
                "owned_by": "vllm",
                "root": id,
                "parent": null,
                "max_model_len": MAX_MODEL_LEN,
                "permission": [{
                    "id": format!("modelperm-{}", opaque_id(ctx.seq * 16 + i as u64, 32).to_ascii_lowercase()),
                    "object": "model_permission",
                    "created": created,
                    "allow_create_engine": false,
                    "allow_sampling": true,
                    "allow_logprobs": true,
                    "allow_search_indices": false,
                    "allow_view": true,
                    "allow_fine_tuning": false,
                    "organization": "*",
                    "group": null,
                    "is_blocking": false,
                }],
            })
        })
        .collect();
    body::json(StatusCode::OK, &model_list(data))
}

async fn metrics(State(app): State<Arc<AppState>>) -> Response {
    let text = exposition(&app.models(), app.server_load(), app.legacy_metrics());
    (StatusCode::OK, [(CONTENT_TYPE, METRICS_TYPE)], text).into_response()
}

/// A label value as the exposition format escapes it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Python's `repr` of a float, which is how prometheus_client writes samples.
fn num(x: f64) -> String {
    format!("{x:?}")
}

/// The `/metrics` text. The legacy (V0) engine has no `engine` label, calls the
/// KV-cache gauge `gpu_cache_usage_perc` and has a CPU one beside it; the metrics a
/// monitor does not want are there so that it has to pick out the right ones.
fn exposition(models: &[String], load: ServerLoad, legacy: bool) -> String {
    let labels: Vec<String> = models
        .iter()
        .map(|m| {
            if legacy {
                format!("model_name=\"{}\"", escape(m))
            } else {
                format!("engine=\"0\",model_name=\"{}\"", escape(m))
            }
        })
        .collect();
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: &dyn Fn(&str) -> String| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for l in &labels {
            out.push_str(&samples(l));
        }
    };

    let mut head = String::new();
    let _ = writeln!(
        head,
        "# HELP python_gc_objects_collected_total Objects collected during gc\n\
         # TYPE python_gc_objects_collected_total counter\n\
         python_gc_objects_collected_total{{generation=\"0\"}} 11873.0\n\
         python_gc_objects_collected_total{{generation=\"1\"}} 2304.0\n\
         python_gc_objects_collected_total{{generation=\"2\"}} 412.0\n\
         # HELP process_resident_memory_bytes Resident memory size in bytes.\n\
         # TYPE process_resident_memory_bytes gauge\n\
         process_resident_memory_bytes 2.147483648e+09"
    );

    family(
        "vllm:num_requests_running",
        "gauge",
        "Number of requests in model execution batches.",
        &|l| {
            format!(
                "vllm:num_requests_running{{{l}}} {}\n",
                num(load.running as f64)
            )
        },
    );
    family(
        "vllm:num_requests_waiting",
        "gauge",
        "Number of requests waiting to be processed.",
        &|l| {
            format!(
                "vllm:num_requests_waiting{{{l}}} {}\n",
                num(load.waiting as f64)
            )
        },
    );
    if legacy {
        family(
            "vllm:num_requests_swapped",
            "gauge",
            "Number of requests swapped to CPU.",
            &|l| format!("vllm:num_requests_swapped{{{l}}} 0.0\n"),
        );
        family(
            "vllm:gpu_cache_usage_perc",
            "gauge",
            "GPU KV-cache usage. 1 means 100 percent usage.",
            &|l| format!("vllm:gpu_cache_usage_perc{{{l}}} {}\n", num(load.kv_cache)),
        );
        family(
            "vllm:cpu_cache_usage_perc",
            "gauge",
            "CPU KV-cache usage. 1 means 100 percent usage.",
            &|l| format!("vllm:cpu_cache_usage_perc{{{l}}} 0.0\n"),
        );
    } else {
        family(
            "vllm:kv_cache_usage_perc",
            "gauge",
            "KV-cache usage. 1 means 100 percent usage.",
            &|l| format!("vllm:kv_cache_usage_perc{{{l}}} {}\n", num(load.kv_cache)),
        );
    }
    family(
        "vllm:prompt_tokens_total",
        "counter",
        "Number of prefill tokens processed.",
        &|l| {
            format!(
                "vllm:prompt_tokens_total{{{l}}} 184211.0\nvllm:prompt_tokens_created{{{l}}} 1.7549088e+09\n"
            )
        },
    );
    family(
        "vllm:generation_tokens_total",
        "counter",
        "Number of generation tokens processed.",
        &|l| format!("vllm:generation_tokens_total{{{l}}} 52007.0\n"),
    );
    family(
        "vllm:e2e_request_latency_seconds",
        "histogram",
        "Histogram of e2e request latency in seconds.",
        &|l| {
            const BUCKETS: [(&str, u64); 9] = [
                ("0.3", 12),
                ("0.5", 40),
                ("0.8", 97),
                ("1.0", 130),
                ("1.5", 171),
                ("2.0", 188),
                ("5.0", 199),
                ("10.0", 201),
                ("+Inf", 201),
            ];
            let mut s = String::new();
            for (le, n) in BUCKETS {
                let _ = writeln!(
                    s,
                    "vllm:e2e_request_latency_seconds_bucket{{{l},le=\"{le}\"}} {}",
                    num(n as f64)
                );
            }
            let _ = writeln!(s, "vllm:e2e_request_latency_seconds_count{{{l}}} 201.0");
            let _ = writeln!(s, "vllm:e2e_request_latency_seconds_sum{{{l}}} 183.61");
            s
        },
    );
    head + &out
}

async fn chat(State(app): State<Arc<AppState>>, ctx: Ctx, body: Bytes) -> Response {
    let req = match ChatRequest::parse(&body) {
        Ok(req) => req,
        Err(err) => return Vllm.error(&ctx, &err),
    };
    // Without a model vLLM uses the (first) one it serves.
    let model = match &req.model {
        Some(m) => match app.find_model(|x| x == m) {
            Some(found) => found,
            None => return Vllm.error(&ctx, &ApiError::ModelNotFound(m.clone())),
        },
        None => match app.models().into_iter().next() {
            Some(first) => first,
            None => return Vllm.error(&ctx, &ApiError::ModelNotFound(String::new())),
        },
    };
    let mut extra = Map::new();
    extra.insert("prompt_logprobs".into(), Value::Null);
    extra.insert("kv_transfer_params".into(), Value::Null);
    let style = ChatStyle {
        id: format!("chatcmpl-{}", opaque_id(ctx.seq, 32).to_ascii_lowercase()),
        model,
        system_fingerprint: None,
        azure_filters: false,
        extra: Some(extra),
    };
    openai_compat::chat(&req, &style)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_follow_the_engine_version() {
        let models = ["m\"1".to_owned()];
        let text = exposition(&models, ServerLoad::default(), false);
        assert!(
            text.contains("vllm:num_requests_running{engine=\"0\",model_name=\"m\\\"1\"} 3.0\n")
        );
        assert!(
            text.contains("vllm:kv_cache_usage_perc{engine=\"0\",model_name=\"m\\\"1\"} 0.42\n")
        );
        assert!(!text.contains("gpu_cache_usage_perc"));
        let legacy = exposition(&models, ServerLoad::default(), true);
        assert!(legacy.contains("vllm:gpu_cache_usage_perc{model_name=\"m\\\"1\"} 0.42\n"));
        assert!(!legacy.contains("kv_cache_usage_perc"));
        assert_eq!(kind(500), "InternalServerError");
        assert_eq!(kind(404), "NotFoundError");
    }
}
