//! OpenAI and every OpenAI-compatible server (Groq, Mistral, OpenRouter, DeepSeek, Together,
//! Azure OpenAI, llama.cpp, vLLM …): zero-token model list, optional 1-token streamed canary.

use super::classify::{self, Failure};
use super::http::Line;
use super::wire::{self, Objects, Text};
use super::{cloud_probe, Canary, Ctx, Listing, Success};
use crate::config::Preset;
use crate::domain::{Kind, TokenUse};
use chrono::Utc;
use serde_json::{json, Value};

pub(crate) async fn probe(ctx: &Ctx<'_>) -> Result<Success, Failure> {
    let routes = Routes::of(ctx);
    let reply = ctx
        .http
        .send_ok(ctx.kind(), ctx.get(&routes.models))
        .await?;
    let models = model_ids(&reply.body)
        .map_err(|message| Failure {
            http_status: Some(reply.status),
            ..Failure::bad_response(message)
        })?
        .ok_or_else(|| Failure {
            http_status: Some(reply.status),
            ..Failure::bad_response("model list has no `data` array")
        })?;
    let listing = Listing {
        reply,
        models,
        // Azure lists base models, not the deployments that requests name.
        complete: !routes.azure,
    };
    cloud_probe(ctx, listing, |model| async move {
        // OpenAI's newer models reject `max_tokens`; compatible servers mostly know only it.
        let token_field = if ctx.kind() == Kind::Openai {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        chat_canary(ctx, &routes.chat(&model), &model, token_field).await
    })
    .await
}

/// Where the list and chat endpoints are. Azure's classic routes name the deployment in the
/// path and need `api-version`; its `/openai/v1` routes look like OpenAI's.
struct Routes {
    models: String,
    azure_classic: Option<String>,
    azure: bool,
}

impl Routes {
    fn of(ctx: &Ctx<'_>) -> Routes {
        let azure = ctx.target.preset == Some(Preset::Azure);
        let v1_style = ctx
            .target
            .base_url
            .path()
            .trim_end_matches('/')
            .ends_with("/v1");
        if azure && !v1_style {
            let version = ctx.target.api_version.clone().unwrap_or_default();
            Routes {
                models: format!("openai/models?api-version={version}"),
                azure_classic: Some(version),
                azure,
            }
        } else {
            Routes {
                models: "models".into(),
                azure_classic: None,
                azure,
            }
        }
    }

    fn chat(&self, model: &str) -> String {
        match &self.azure_classic {
            Some(version) => format!(
                "openai/deployments/{}/chat/completions?api-version={version}",
                url_segment(model)
            ),
            None => "chat/completions".into(),
        }
    }
}

fn url_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct Id {
    pub id: Text,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ModelList {
    data: Objects<Id>,
}

/// `{"data":[{"id":..}]}`, or a bare array of the same objects (Together). `Err` when the body
/// is not JSON, `Ok(None)` when it has no list.
pub(crate) fn model_ids(body: &[u8]) -> Result<Option<Vec<String>>, String> {
    let list = if wire::is_array(body) {
        wire::parse_any::<Objects<Id>>(body)?
    } else {
        wire::parse_bytes::<ModelList>(body)?.data
    };
    Ok(list
        .items()
        .map(|ids| ids.into_iter().filter_map(|m| m.id.0).collect()))
}

/// A streamed chat completion asking for one token, with usage reported at the end.
pub(crate) async fn chat_canary(
    ctx: &Ctx<'_>,
    path: &str,
    model: &str,
    token_field: &str,
) -> Result<Canary, Failure> {
    let mut body = json!({
        "model": model,
        "messages": [{"role": "user", "content": "Reply with OK."}],
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    body[token_field] = json!(1);
    let mut tokens = None;
    let kind = ctx.kind();
    let streamed = ctx
        .http
        .stream_lines(kind, ctx.post_json(path, &body), |line| {
            stream_line(kind, line, &mut tokens)
        })
        .await?;
    if !streamed.completed && streamed.ttft.is_none() {
        return Err(Failure {
            http_status: Some(streamed.status),
            ..Failure::bad_response("stream ended before any token")
        });
    }
    Ok(Canary {
        http_status: streamed.status,
        ttft_ms: streamed.ttft.map(|d| d.as_millis() as u64),
        tokens,
        tokens_per_second: None,
        model: model.to_string(),
        headers_rate_limit: classify::rate_limit(&streamed.headers, Utc::now()),
        note: (!streamed.completed).then(|| "stream was cut before its end".to_string()),
    })
}

/// One line of a streamed chat completion (SSE): whether it carried a token, ended the stream or
/// reported an error; usage, when the line has it, goes to `tokens`.
pub(crate) fn stream_line(
    kind: Kind,
    line: &str,
    tokens: &mut Option<TokenUse>,
) -> Result<Line, Failure> {
    let Some(data) = line.strip_prefix("data:").map(str::trim) else {
        return Ok(Line::Nothing);
    };
    if data == "[DONE]" {
        return Ok(Line::Done);
    }
    let chunk: Value = serde_json::from_str(data)
        .map_err(|e| Failure::bad_response(format!("stream chunk is not JSON ({e})")))?;
    if chunk.get("error").is_some() {
        return Err(classify::stream_error(kind, &chunk));
    }
    if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
        let n = |k: &str| usage.get(k).and_then(Value::as_u64).unwrap_or(0);
        *tokens = Some(TokenUse {
            input: n("prompt_tokens"),
            output: n("completion_tokens"),
        });
    }
    let delta = chunk.pointer("/choices/0/delta");
    let has_text = |k: &str| {
        delta
            .and_then(|d| d.get(k))
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    if has_text("content") || has_text("reasoning_content") || has_text("reasoning") {
        Ok(Line::Token)
    } else {
        Ok(Line::Nothing)
    }
}
