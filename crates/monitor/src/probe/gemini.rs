//! Gemini: the model list with the key in `x-goog-api-key` (never `?key=`, which ends up in
//! error messages); the canary streams `streamGenerateContent` with one output token.

use super::classify::{self, Failure};
use super::http::Line;
use super::openai::Canary;
use super::{require_listed, Ctx, Success};
use crate::domain::{Class, Details, ProbeLevel, TokenUse};
use serde_json::{json, Value};

pub(crate) async fn probe(ctx: &Ctx<'_>) -> Result<Success, Failure> {
    let reply = ctx
        .http
        .send_ok(ctx.kind(), ctx.get("v1beta/models?pageSize=1000"))
        .await?;
    let json = reply.json()?;
    let models: Vec<String> = json
        .get("models")
        .and_then(Value::as_array)
        .ok_or_else(|| Failure::bad_response("model list has no `models` array"))?
        .iter()
        .filter_map(|m| m.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    if json.get("nextPageToken").and_then(Value::as_str).is_none() {
        require_listed(ctx.target, &models)?;
    }
    let mut success = Success {
        http_status: Some(reply.status),
        details: Details {
            models,
            ..Details::default()
        },
        note: None,
    };
    if ctx.level() == ProbeLevel::Inference {
        let model = ctx.target.model.clone().ok_or_else(|| {
            Failure::new(
                Class::NotFound,
                "inference probe needs `model` in the config",
            )
        })?;
        canary(ctx, &model).await?.merge_into(&mut success);
    }
    Ok(success)
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
    let streamed = ctx
        .http
        .stream_lines(ctx.kind(), ctx.post_json(&path, &body), |line| {
            let Some(data) = line.strip_prefix("data:").map(str::trim) else {
                return Ok(Line::Nothing);
            };
            let chunk: Value = serde_json::from_str(data)
                .map_err(|e| Failure::bad_response(format!("stream chunk is not JSON ({e})")))?;
            if chunk.get("error").is_some() {
                return Err(classify::stream_error(ctx.kind(), &chunk));
            }
            chunks += 1;
            if let Some(usage) = chunk.get("usageMetadata") {
                let n = |k: &str| usage.get(k).and_then(Value::as_u64).unwrap_or(0);
                tokens = Some(TokenUse {
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
