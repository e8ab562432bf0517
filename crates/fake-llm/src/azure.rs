//! Azure OpenAI (`https://{resource}.openai.azure.com`): deployments instead
//! of models in the URL, an `api-key` header and `api-version` query.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::body;
use crate::models::created_unix;
use crate::openai_compat::{self, ChatRequest, ChatStyle};
use crate::provider::{
    finish, header_key, opaque_id, reason, request_uuid, set_header, status, ApiError, Ctx,
    Headroom, Provider,
};
use crate::state::AppState;

pub(crate) struct Azure;

const ACCESS_DENIED: &str = "Access denied due to invalid subscription key or wrong API endpoint. \
Make sure to provide a valid key for an active subscription and use a correct regional API \
endpoint for your resource.";

fn rate_limited(secs: u64) -> String {
    format!(
        "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version \
         2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please \
         retry after {secs} seconds. Please go here: https://aka.ms/oai/quotaincrease if you would \
         like to further increase the default rate limit."
    )
}

fn error_body(err: &ApiError) -> (u16, String, String) {
    let e = |code: u16, c: &str, m: &str| (code, c.to_owned(), m.to_owned());
    match err {
        ApiError::MissingKey | ApiError::BadKey { echo: false, .. } => e(401, "401", ACCESS_DENIED),
        ApiError::BadKey { presented, echo: true } => e(
            401,
            "401",
            &format!(
                "Access denied due to invalid subscription key '{presented}' or wrong API \
                 endpoint. Make sure to provide a valid key for an active subscription and use a \
                 correct regional API endpoint for your resource."
            ),
        ),
        ApiError::RateLimited { retry_after_secs } => e(429, "429", &rate_limited(*retry_after_secs)),
        ApiError::Quota => e(
            429,
            "insufficient_quota",
            "You exceeded your current quota, please check your plan and billing details.",
        ),
        ApiError::ModelNotFound(_) => e(
            404,
            "DeploymentNotFound",
            "The API deployment for this resource does not exist. If you created the deployment \
             within the last 5 minutes, please wait a moment and try again.",
        ),
        ApiError::BadRequest(msg) => e(400, "BadRequest", msg),
        ApiError::NoRoute | ApiError::MethodNotAllowed => e(404, "404", "Resource not found"),
        ApiError::Status(code) => match code {
            401 => e(401, "401", ACCESS_DENIED),
            403 => e(403, "403", "Access denied due to Virtual Network/Firewall rules."),
            404 => e(404, "404", "Resource not found"),
            429 => e(429, "429", &rate_limited(20)),
            500 => e(
                500,
                "InternalServerError",
                "The server had an error while processing your request. Sorry about that!",
            ),
            503 => e(
                503,
                "ServiceUnavailable",
                "The service is temporarily unable to process your request. Please try again later.",
            ),
            c => e(*c, &c.to_string(), reason(*c)),
        },
    }
}

impl Provider for Azure {
    fn routes(&self) -> Router<Arc<AppState>> {
        finish(
            Router::new()
                .route("/openai/models", get(list_versioned))
                .route("/openai/v1/models", get(list))
                .route(
                    "/openai/deployments/{deployment}/chat/completions",
                    post(chat_deployment),
                )
                .route("/openai/v1/chat/completions", post(chat_v1)),
        )
    }

    fn presented_key(&self, parts: &Parts) -> Option<String> {
        header_key(parts, "api-key")
    }

    fn error(&self, _ctx: &Ctx, err: &ApiError) -> Response {
        let (code, inner_code, message) = error_body(err);
        let mut resp = body::json(
            status(code),
            &json!({"error": {"code": inner_code, "message": message}}),
        );
        if let ApiError::RateLimited { retry_after_secs } = err {
            set_header(
                resp.headers_mut(),
                "retry-after-ms",
                (retry_after_secs.saturating_mul(1000)).to_string(),
            );
        }
        resp
    }

    fn decorate(&self, ctx: &Ctx, headers: &mut HeaderMap, headroom: Headroom) {
        let id = request_uuid(ctx.seq);
        set_header(headers, "apim-request-id", &id);
        set_header(headers, "x-request-id", &id);
        set_header(headers, "x-ms-region", "East US");
        set_header(headers, "x-ratelimit-limit-requests", "100");
        set_header(headers, "x-ratelimit-limit-tokens", "100000");
        let (requests, tokens) = if headroom.exhausted {
            ("0", "0")
        } else {
            ("99", "99950")
        };
        set_header(headers, "x-ratelimit-remaining-requests", requests);
        set_header(headers, "x-ratelimit-remaining-tokens", tokens);
    }
}

fn model_json(id: &str) -> Value {
    json!({
        "status": "succeeded",
        "capabilities": {
            "fine_tune": false, "inference": true, "completion": false,
            "chat_completion": true, "embeddings": false,
        },
        "lifecycle_status": "generally-available",
        "deprecation": {"inference": 1_798_761_600},
        "id": id,
        "created_at": created_unix(id),
        "object": "model",
    })
}

/// The dated data-plane API answers 404 without an `api-version`.
fn missing_version(ctx: &Ctx) -> Option<Response> {
    match ctx.query_param("api-version") {
        Some(v) if !v.is_empty() => None,
        _ => Some(Azure.error(ctx, &ApiError::NoRoute)),
    }
}

async fn list_versioned(state: State<Arc<AppState>>, ctx: Ctx) -> Response {
    match missing_version(&ctx) {
        Some(resp) => resp,
        None => list(state).await,
    }
}

async fn list(State(app): State<Arc<AppState>>) -> Response {
    let data: Vec<Value> = app.models().iter().map(|id| model_json(id)).collect();
    body::json(StatusCode::OK, &json!({"data": data, "object": "list"}))
}

async fn chat_deployment(
    State(app): State<Arc<AppState>>,
    ctx: Ctx,
    Path(deployment): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(resp) = missing_version(&ctx) {
        return resp;
    }
    chat(&app, &ctx, Some(deployment), &body)
}

async fn chat_v1(State(app): State<Arc<AppState>>, ctx: Ctx, body: Bytes) -> Response {
    chat(&app, &ctx, None, &body)
}

/// The deployment comes from the path on the dated API and from `model` on v1.
fn chat(app: &AppState, ctx: &Ctx, deployment: Option<String>, body: &[u8]) -> Response {
    let req = match ChatRequest::parse(body) {
        Ok(req) => req,
        Err(err) => return Azure.error(ctx, &err),
    };
    let Some(deployment) = deployment.or_else(|| req.model.clone()) else {
        return Azure.error(ctx, &ApiError::BadRequest("model is required".to_owned()));
    };
    if app.find_model(|m| m == deployment).is_none() {
        return Azure.error(ctx, &ApiError::ModelNotFound(deployment));
    }
    let style = ChatStyle {
        id: format!("chatcmpl-{}", opaque_id(ctx.seq, 29)),
        model: deployment,
        system_fingerprint: Some("fp_ded0d14823".to_owned()),
        azure_filters: true,
        extra: None,
    };
    openai_compat::chat(&req, &style)
}
