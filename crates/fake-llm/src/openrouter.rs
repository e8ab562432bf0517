//! OpenRouter (`https://openrouter.ai/api/v1`): OpenAI-compatible chat, its own
//! model list, and the key and credit endpoints that show headroom for free.

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
use crate::models::{created_unix, display_name};
use crate::openai_compat::{self, ChatRequest, ChatStyle};
use crate::provider::{
    bearer, bearer_in, check_key, finish, opaque_id, reason, status, ApiError, Ctx, Provider,
};
use crate::state::AppState;

pub(crate) struct OpenRouter;

const INSUFFICIENT: &str =
    "Insufficient credits. Add more using https://openrouter.ai/settings/credits";

/// The account behind the key. `limit: None` is a key without a spending cap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Credits {
    pub limit: Option<f64>,
    pub remaining: Option<f64>,
    pub usage: f64,
    /// The balance has gone negative: generation answers 402.
    pub exhausted: bool,
}

impl Default for Credits {
    fn default() -> Self {
        Credits {
            limit: Some(10.0),
            remaining: Some(2.1),
            usage: 7.9,
            exhausted: false,
        }
    }
}

/// How far below zero an exhausted balance shows.
const OVERDRAWN: f64 = 0.05;

impl Credits {
    fn limit_remaining(&self) -> Option<f64> {
        let limit = self.limit?;
        let remaining = self.remaining.unwrap_or(limit - self.usage);
        Some(if self.exhausted {
            remaining.min(-OVERDRAWN)
        } else {
            remaining
        })
    }

    /// `(total_credits, total_usage)` for the whole account: the cap when there is one,
    /// else what was used plus what remains.
    fn totals(&self) -> (f64, f64) {
        let total = self
            .limit
            .unwrap_or_else(|| self.usage + self.remaining.unwrap_or(10.0));
        let used = if self.exhausted {
            self.usage.max(total + OVERDRAWN)
        } else {
            self.usage
        };
        (total, used)
    }
}

fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn error_value(code: u16, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

fn error_body(err: &ApiError) -> (u16, Value) {
    match err {
        ApiError::MissingKey => (401, error_value(401, "No auth credentials found")),
        // A well-formed key that matches no account.
        ApiError::BadKey { echo: false, .. } => (401, error_value(401, "User not found.")),
        ApiError::BadKey {
            presented,
            echo: true,
        } => (
            401,
            error_value(401, &format!("User not found for key {presented}")),
        ),
        ApiError::RateLimited { retry_after_secs } => {
            let reset_ms = (chrono::Utc::now().timestamp() as u64 + retry_after_secs) * 1000;
            (
                429,
                json!({"error": {
                    "code": 429,
                    "message": "Rate limit exceeded: limit_rpm/openai/gpt-4o-mini",
                    "metadata": {"headers": {
                        "X-RateLimit-Limit": "20",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset": reset_ms.to_string(),
                    }},
                }}),
            )
        }
        ApiError::Quota | ApiError::Status(402) => (402, error_value(402, INSUFFICIENT)),
        ApiError::ModelNotFound(m) => (
            400,
            error_value(400, &format!("{m} is not a valid model ID")),
        ),
        ApiError::BadRequest(msg) => (400, error_value(400, msg)),
        ApiError::NoRoute => (404, error_value(404, "Not Found")),
        ApiError::MethodNotAllowed => (405, error_value(405, reason(405))),
        ApiError::Status(401) => (401, error_value(401, "No auth credentials found")),
        ApiError::Status(408) => (408, error_value(408, "Request timed out")),
        ApiError::Status(502) => (
            502,
            json!({"error": {
                "code": 502,
                "message": "Provider returned error",
                "metadata": {"provider_name": "OpenAI", "raw": "upstream connect error"},
            }}),
        ),
        ApiError::Status(code) => (*code, error_value(*code, reason(*code))),
    }
}

impl Provider for OpenRouter {
    fn routes(&self) -> Router<Arc<AppState>> {
        finish(
            Router::new()
                .route("/api/v1/models", get(models))
                .route("/api/v1/chat/completions", post(chat))
                .route("/api/v1/key", get(key))
                // The older name of the same endpoint.
                .route("/api/v1/auth/key", get(key))
                .route("/api/v1/credits", get(credits)),
        )
    }

    fn presented_key(&self, parts: &Parts) -> Option<String> {
        bearer(parts)
    }

    /// The model list is public; everything else needs the key.
    fn check(&self, parts: &Parts, expected: Option<&str>) -> Result<(), ApiError> {
        if parts.uri.path() == "/api/v1/models" {
            return Ok(());
        }
        check_key(self.presented_key(parts), expected)
    }

    fn error(&self, _ctx: &Ctx, err: &ApiError) -> Response {
        let (code, value) = error_body(err);
        body::json(status(code), &value)
    }
}

/// "openai/gpt-4o-mini" → ("OpenAI", "gpt-4o-mini").
fn vendor(id: &str) -> (String, &str) {
    let (org, model) = id.split_once('/').unwrap_or(("openai", id));
    let name = match org {
        "openai" => "OpenAI".to_owned(),
        "anthropic" => "Anthropic".to_owned(),
        "google" => "Google".to_owned(),
        "meta-llama" => "Meta".to_owned(),
        "deepseek" => "DeepSeek".to_owned(),
        other => display_name(other),
    };
    (name, model)
}

fn model_json(id: &str) -> Value {
    let (vendor, model) = vendor(id);
    let anthropic = id.starts_with("anthropic/");
    let (context, prompt, completion) = if anthropic {
        (200_000, "0.0000008", "0.000004")
    } else {
        (128_000, "0.00000015", "0.0000006")
    };
    json!({
        "id": id,
        "canonical_slug": id,
        "hugging_face_id": "",
        "name": format!("{vendor}: {}", display_name(model)),
        "created": created_unix(model),
        "description": format!("{} by {vendor}.", display_name(model)),
        "context_length": context,
        "architecture": {
            "modality": "text+image->text",
            "input_modalities": ["text", "image"],
            "output_modalities": ["text"],
            "tokenizer": if anthropic { "Claude" } else { "GPT" },
            "instruct_type": null,
        },
        "pricing": {
            "prompt": prompt, "completion": completion, "request": "0", "image": "0",
            "web_search": "0", "internal_reasoning": "0",
        },
        "top_provider": {"context_length": context, "max_completion_tokens": 16_384, "is_moderated": true},
        "per_request_limits": null,
        "supported_parameters": ["max_tokens", "temperature", "top_p", "stop", "tools", "tool_choice", "response_format"],
    })
}

/// OpenRouter's list is `{"data":[...]}` alone, without OpenAI's `"object":"list"`.
async fn models(State(app): State<Arc<AppState>>) -> Response {
    let data: Vec<Value> = app.models().iter().map(|id| model_json(id)).collect();
    body::json(StatusCode::OK, &json!({"data": data}))
}

/// A key as OpenRouter labels it: prefix, three characters, an ellipsis, three more.
fn label(key: Option<&str>) -> String {
    const PREFIX: &str = "sk-or-v1-";
    let Some(key) = key else {
        return "sk-or-v1-abc...xyz".to_owned();
    };
    let (prefix, rest) = match key.strip_prefix(PREFIX) {
        Some(rest) => (PREFIX, rest),
        None => ("", key),
    };
    let chars: Vec<char> = rest.chars().collect();
    if chars.len() < 7 {
        return format!("{prefix}{}", "*".repeat(chars.len()));
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{prefix}{head}...{tail}")
}

async fn key(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let c = app.credits();
    let usage = c.totals().1;
    body::json(
        StatusCode::OK,
        &json!({"data": {
            "label": label(bearer_in(&headers).as_deref()),
            "limit": c.limit,
            "limit_remaining": c.limit_remaining(),
            "limit_reset": null,
            "include_byok_in_limit": false,
            "usage": usage,
            "usage_daily": cents(usage / 20.0),
            "usage_weekly": cents(usage / 4.0),
            "usage_monthly": usage,
            "byok_usage": 0.0,
            "byok_usage_daily": 0.0,
            "byok_usage_weekly": 0.0,
            "byok_usage_monthly": 0.0,
            "is_free_tier": false,
            "is_provisioning_key": false,
            "rate_limit": {"requests": -1, "interval": "10s", "note": "This field is deprecated and safe to ignore."},
        }}),
    )
}

async fn credits(State(app): State<Arc<AppState>>) -> Response {
    let (total_credits, total_usage) = app.credits().totals();
    body::json(
        StatusCode::OK,
        &json!({"data": {"total_credits": total_credits, "total_usage": total_usage}}),
    )
}

async fn chat(State(app): State<Arc<AppState>>, ctx: Ctx, body: Bytes) -> Response {
    let req = match ChatRequest::parse(&body) {
        Ok(req) => req,
        Err(err) => return OpenRouter.error(&ctx, &err),
    };
    let Some(model) = req.model.clone() else {
        return OpenRouter.error(&ctx, &ApiError::BadRequest("No models provided".to_owned()));
    };
    if app.find_model(|m| m == model).is_none() {
        return OpenRouter.error(&ctx, &ApiError::ModelNotFound(model));
    }
    if app.credits().exhausted {
        return OpenRouter.error(&ctx, &ApiError::Quota);
    }
    let mut extra = Map::new();
    extra.insert("provider".into(), json!(vendor(&model).0));
    let style = ChatStyle {
        id: format!(
            "gen-{}-{}",
            chrono::Utc::now().timestamp(),
            opaque_id(ctx.seq, 20)
        ),
        model,
        system_fingerprint: Some("fp_560af6e559".to_owned()),
        azure_filters: false,
        extra: Some(extra),
    };
    openai_compat::chat(&req, &style)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_show_only_the_ends_of_a_key() {
        assert_eq!(
            label(Some(
                "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"
            )),
            "sk-or-v1-0e6...c96"
        );
        assert_eq!(label(None), "sk-or-v1-abc...xyz");
        assert_eq!(label(Some("short")), "*****");
    }

    #[test]
    fn exhausted_goes_below_zero() {
        let c = Credits {
            exhausted: true,
            ..Credits::default()
        };
        assert!(c.limit_remaining().is_some_and(|r| r < 0.0));
        let (total, used) = c.totals();
        assert!(used > total);
        let unlimited = Credits {
            limit: None,
            remaining: None,
            ..Credits::default()
        };
        assert_eq!(unlimited.limit_remaining(), None);
    }
}
