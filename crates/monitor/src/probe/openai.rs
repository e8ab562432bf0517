//! OpenAI and every OpenAI-compatible server (Groq, Mistral, OpenRouter, DeepSeek, Together,
//! Azure OpenAI, llama.cpp, vLLM …): zero-token model list, optional 1-token streamed canary.

use super::classify::{self, Failure};
use super::http::Line;
use super::wire::{self, Filled, First, Num, Obj, Objects, Present, Text};
use super::{cloud_probe, Canary, Ctx, Listing, Success};
use crate::config::Preset;
use crate::domain::{Kind, TokenUse};
use chrono::Utc;
use serde_json::Value;
use std::borrow::Cow;

pub(crate) async fn probe(ctx: &Ctx<'_>) -> Result<Success, Failure> {
    let routes = Routes::of(ctx);
    let routes = &routes;
    cloud_probe(
        ctx,
        || list(ctx, routes),
        |model| async move {
            // OpenAI's newer models reject `max_tokens`; compatible servers mostly know only it.
            let token_field = if ctx.kind() == Kind::Openai {
                TokenField::MaxCompletionTokens
            } else {
                TokenField::MaxTokens
            };
            chat_canary(ctx, &routes.chat(&model), &model, token_field).await
        },
    )
    .await
}

async fn list(ctx: &Ctx<'_>, routes: &Routes) -> Result<Listing, Failure> {
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
    Ok(Listing {
        reply,
        models,
        // Azure lists base models, not the deployments that requests name.
        complete: !routes.azure,
    })
}

/// Where the list and chat endpoints are. Azure's classic routes name the deployment in the
/// path and need `api-version`; its `/openai/v1` routes look like OpenAI's.
struct Routes {
    models: Cow<'static, str>,
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
                models: format!("openai/models?api-version={version}").into(),
                azure_classic: Some(version),
                azure,
            }
        } else {
            Routes {
                models: Cow::Borrowed("models"),
                azure_classic: None,
                azure,
            }
        }
    }

    fn chat(&self, model: &str) -> Cow<'static, str> {
        match &self.azure_classic {
            Some(version) => format!(
                "openai/deployments/{}/chat/completions?api-version={version}",
                url_segment(model)
            )
            .into(),
            None => Cow::Borrowed("chat/completions"),
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

/// Which field asks for one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenField {
    MaxTokens,
    MaxCompletionTokens,
}

#[derive(serde::Serialize)]
struct Message {
    role: &'static str,
    content: &'static str,
}

#[derive(serde::Serialize)]
struct StreamOptions {
    include_usage: bool,
}

/// The canary's request, serialized straight to bytes.
#[derive(serde::Serialize)]
struct ChatBody<'a> {
    model: &'a str,
    messages: [Message; 1],
    stream: bool,
    stream_options: StreamOptions,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
}

/// The canary of a server that serves only the models it was started with (llama.cpp, vLLM):
/// on the configured model, else the first it lists; nothing it is asked can make it load.
pub(crate) async fn canary_on_served(ctx: &Ctx<'_>, success: &mut Success) -> Result<(), Failure> {
    if ctx.level() != crate::domain::ProbeLevel::Inference {
        return Ok(());
    }
    let model = ctx
        .target
        .model
        .clone()
        .or_else(|| success.details.models.first().cloned())
        .unwrap_or_default();
    chat_canary(ctx, "v1/chat/completions", &model, TokenField::MaxTokens)
        .await?
        .merge_into(success);
    Ok(())
}

/// A streamed chat completion asking for one token, with usage reported at the end.
pub(crate) async fn chat_canary(
    ctx: &Ctx<'_>,
    path: &str,
    model: &str,
    token_field: TokenField,
) -> Result<Canary, Failure> {
    let one = |field| (token_field == field).then_some(1);
    let body = ChatBody {
        model,
        messages: [Message {
            role: "user",
            content: "Reply with OK.",
        }],
        stream: true,
        stream_options: StreamOptions {
            include_usage: true,
        },
        max_tokens: one(TokenField::MaxTokens),
        max_completion_tokens: one(TokenField::MaxCompletionTokens),
    };
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
    let Obj(chunk) = serde_json::from_str::<Obj<Chunk>>(data)
        .map_err(|e| Failure::bad_response(format!("stream chunk is not JSON ({e})")))?;
    // Not an object: no field of a chunk, as `Value::get` saw it.
    let Some(chunk) = chunk else {
        return Ok(Line::Nothing);
    };
    if chunk.error.0 {
        // The rare error chunk is read whole, for every field its classification looks at.
        let chunk: Value = serde_json::from_str(data)
            .map_err(|e| Failure::bad_response(format!("stream chunk is not JSON ({e})")))?;
        return Err(classify::stream_error(kind, &chunk));
    }
    if let Some(usage) = chunk.usage.0 {
        *tokens = Some(TokenUse {
            input: usage.prompt_tokens.0.unwrap_or(0),
            output: usage.completion_tokens.0.unwrap_or(0),
        });
    }
    let delta = chunk.choices.0.and_then(|c| c.0).and_then(|c| c.delta.0);
    match delta {
        Some(d) if d.content.0 || d.reasoning_content.0 || d.reasoning.0 => Ok(Line::Token),
        _ => Ok(Line::Nothing),
    }
}

/// One chunk of a streamed chat completion: only what `stream_line` reads.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Chunk {
    error: Present,
    usage: Obj<Usage>,
    /// Only the first choice counts (`/choices/0`).
    choices: First<Obj<Choice>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Choice {
    delta: Obj<Delta>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Delta {
    content: Filled,
    reasoning_content: Filled,
    reasoning: Filled,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Usage {
    prompt_tokens: Num,
    completion_tokens: Num,
}
