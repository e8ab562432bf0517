//! DeepSeek (`https://api.deepseek.com`): OpenAI-compatible at the root and under
//! `/v1`, and `/user/balance`, whose amounts are strings.

use std::sync::Arc;

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::body;
use crate::openai_compat::{self, model_list, ChatRequest, ChatStyle};
use crate::provider::{bearer, finish, reason, request_uuid, status, ApiError, Ctx, Provider};
use crate::state::AppState;

pub(crate) struct DeepSeek;

/// What `/user/balance` reports; generation needs `available`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Balance {
    pub available: bool,
    /// Currency and total balance, all of it topped up (none granted).
    pub infos: Vec<(String, f64)>,
}

impl Default for Balance {
    fn default() -> Self {
        Balance {
            available: true,
            infos: vec![("USD".to_owned(), 2.10)],
        }
    }
}

/// DeepSeek's `code` is a category, not the status.
fn error_value(message: &str, kind: &str) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": "invalid_request_error"}})
}

fn insufficient() -> Value {
    error_value("Insufficient Balance", "unknown_error")
}

fn last4(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

fn error_body(err: &ApiError) -> (u16, Value) {
    match err {
        ApiError::MissingKey => (
            401,
            error_value(
                "Authentication Fails (auth header format should be Bearer sk-...)",
                "authentication_error",
            ),
        ),
        ApiError::BadKey { presented, echo } => {
            let shown = if *echo {
                presented.clone()
            } else {
                format!("****{}", last4(presented))
            };
            (
                401,
                error_value(
                    &format!("Authentication Fails, Your api key: {shown} is invalid"),
                    "authentication_error",
                ),
            )
        }
        ApiError::RateLimited { .. } | ApiError::Status(429) => {
            (429, error_value("Rate Limit Reached", "rate_limit_error"))
        }
        ApiError::Quota | ApiError::Status(402) => (402, insufficient()),
        ApiError::ModelNotFound(_) => {
            (400, error_value("Model Not Exist", "invalid_request_error"))
        }
        ApiError::BadRequest(msg) => (400, error_value(msg, "invalid_request_error")),
        ApiError::NoRoute => (404, error_value("Not Found", "invalid_request_error")),
        ApiError::MethodNotAllowed => (405, error_value(reason(405), "invalid_request_error")),
        ApiError::Status(401) => (
            401,
            error_value(
                "Authentication Fails, Your api key: ****abcd is invalid",
                "authentication_error",
            ),
        ),
        ApiError::Status(422) => (
            422,
            error_value("Invalid Parameters", "invalid_request_error"),
        ),
        ApiError::Status(500) => (500, error_value("Server Error", "server_error")),
        ApiError::Status(503) => (503, error_value("Server Overloaded", "server_error")),
        ApiError::Status(code) if *code >= 500 => {
            (*code, error_value(reason(*code), "server_error"))
        }
        ApiError::Status(code) => (*code, error_value(reason(*code), "invalid_request_error")),
    }
}

impl Provider for DeepSeek {
    fn routes(&self) -> Router<Arc<AppState>> {
        finish(
            Router::new()
                .route("/models", get(models))
                .route("/v1/models", get(models))
                .route("/chat/completions", post(chat))
                .route("/v1/chat/completions", post(chat))
                .route("/user/balance", get(balance)),
        )
    }

    fn presented_key(&self, parts: &Parts) -> Option<String> {
        bearer(parts)
    }

    fn error(&self, _ctx: &Ctx, err: &ApiError) -> Response {
        let (code, value) = error_body(err);
        body::json(status(code), &value)
    }
}

/// DeepSeek's model objects carry no `created`.
async fn models(State(app): State<Arc<AppState>>) -> Response {
    let data = app
        .models()
        .iter()
        .map(|id| json!({"id": id, "object": "model", "owned_by": "deepseek"}))
        .collect();
    body::json(StatusCode::OK, &model_list(data))
}

async fn balance(State(app): State<Arc<AppState>>) -> Response {
    let b = app.balance();
    let infos: Vec<Value> = b
        .infos
        .iter()
        .map(|(currency, total)| {
            json!({
                "currency": currency,
                "total_balance": format!("{total:.2}"),
                "granted_balance": "0.00",
                "topped_up_balance": format!("{total:.2}"),
            })
        })
        .collect();
    body::json(
        StatusCode::OK,
        &json!({"is_available": b.available, "balance_infos": infos}),
    )
}

async fn chat(State(app): State<Arc<AppState>>, ctx: Ctx, body: Bytes) -> Response {
    let req = match ChatRequest::parse(&body) {
        Ok(req) => req,
        Err(err) => return DeepSeek.error(&ctx, &err),
    };
    let model = match &req.model {
        Some(m) => match app.find_model(|x| x == m) {
            Some(found) => found,
            None => return DeepSeek.error(&ctx, &ApiError::ModelNotFound(m.clone())),
        },
        None => return DeepSeek.error(&ctx, &ApiError::ModelNotFound(String::new())),
    };
    if !app.balance().available {
        return DeepSeek.error(&ctx, &ApiError::Quota);
    }
    let style = ChatStyle {
        id: request_uuid(ctx.seq),
        model,
        system_fingerprint: Some("fp_8802369eaa_prod0623_fp8_kvcache".to_owned()),
        azure_filters: false,
        extra: None,
    };
    openai_compat::chat(&req, &style)
}
