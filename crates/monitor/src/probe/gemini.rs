//! Gemini: the model list with the key in `x-goog-api-key` (never `?key=`, which ends up in
//! error messages); the canary streams `streamGenerateContent` with one output token.

use super::classify::{self, Failure};
use super::http::Line;
use super::wire::{self, Objects, Text};
use super::{cloud_probe, Canary, Ctx, Listing, Success};
use crate::domain::{Kind, TokenUse};
use serde_json::{json, Value};

pub(crate) async fn probe(ctx: &Ctx<'_>) -> Result<Success, Failure> {
    cloud_probe(
        ctx,
        || list(ctx),
        |model| async move { canary(ctx, &model).await },
    )
    .await
}

async fn list(ctx: &Ctx<'_>) -> Result<Listing, Failure> {
    let reply = ctx
        .http
        .send_ok(ctx.kind(), ctx.get("v1beta/models?pageSize=1000"))
        .await?;
    let (models, complete) = model_list(&reply.body).map_err(|message| Failure {
        http_status: Some(reply.status),
        ..Failure::bad_response(message)
    })?;
    Ok(Listing {
        reply,
        models,
        complete,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Name {
    name: Text,
}

#[derive(serde::Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ModelList {
    models: Objects<Name>,
    next_page_token: Text,
}

/// `{"models":[{"name"}], "nextPageToken"}`: the names, and whether the list is whole.
pub(crate) fn model_list(body: &[u8]) -> Result<(Vec<String>, bool), String> {
    let list = wire::parse_bytes::<ModelList>(body)?;
    let models = list
        .models
        .items()
        .ok_or("model list has no `models` array")?
        .into_iter()
        .filter_map(|m| m.name.0)
        .collect();
    Ok((models, list.next_page_token.0.is_none()))
}

async fn canary(ctx: &Ctx<'_>, model: &str) -> Result<Canary, Failure> {
    let name = model.strip_prefix("models/").unwrap_or(model);
    let path = format!("v1beta/models/{name}:streamGenerateContent?alt=sse");
    let body = json!({
        "contents": [{"role": "user", "parts": [{"text": "Reply with OK."}]}],
        "generationConfig": {"maxOutputTokens": 1},
    });
    let mut tokens = None;
    let mut chunks = 0u32;
    let kind = ctx.kind();
    let streamed = ctx
        .http
        .stream_lines(kind, ctx.post_json(&path, &body), |line| {
            stream_line(kind, line, &mut chunks, &mut tokens)
        })
        .await?;
    // Gemini's stream simply ends; it is complete when it carried at least one chunk.
    if chunks == 0 {
        return Err(Failure {
            http_status: Some(streamed.status),
            ..Failure::bad_response("stream ended without any chunk")
        });
    }
    Ok(Canary {
        http_status: streamed.status,
        ttft_ms: streamed.ttft.map(|d| d.as_millis() as u64),
        tokens,
        model: model.to_string(),
        headers_rate_limit: classify::rate_limit(&streamed.headers, chrono::Utc::now()),
        ..Canary::default()
    })
}

/// One line of `streamGenerateContent?alt=sse`: chunks are counted (the stream has no end
/// marker) and usage kept as it arrives.
pub(crate) fn stream_line(
    kind: Kind,
    line: &str,
    chunks: &mut u32,
    tokens: &mut Option<TokenUse>,
) -> Result<Line, Failure> {
    let Some(data) = line.strip_prefix("data:").map(str::trim) else {
        return Ok(Line::Nothing);
    };
    let chunk: Value = serde_json::from_str(data)
        .map_err(|e| Failure::bad_response(format!("stream chunk is not JSON ({e})")))?;
    if chunk.get("error").is_some() {
        return Err(classify::stream_error(kind, &chunk));
    }
    *chunks = chunks.saturating_add(1);
    if let Some(usage) = chunk.get("usageMetadata") {
        let n = |k: &str| usage.get(k).and_then(Value::as_u64).unwrap_or(0);
        *tokens = Some(TokenUse {
            input: n("promptTokenCount"),
            output: n("candidatesTokenCount"),
        });
    }
    let text = chunk
        .pointer("/candidates/0/content/parts")
        .and_then(Value::as_array)
        .is_some_and(|parts| {
            parts.iter().any(|p| {
                p.get("text")
                    .and_then(Value::as_str)
                    .is_some_and(|t| !t.is_empty())
            })
        });
    Ok(if text { Line::Token } else { Line::Nothing })
}
