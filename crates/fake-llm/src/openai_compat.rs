//! The OpenAI chat-completions and model-list shapes, spoken by OpenAI itself
//! and imitated by Azure, LM Studio and Ollama's `/v1`.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use crate::body;
use crate::gen::{self, Completion, TOKEN_GAP};
use crate::provider::ApiError;

/// `{"error":{"message","type","param","code"}}`.
pub(crate) fn error_json(
    message: &str,
    kind: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Value {
    json!({"error": {"message": message, "type": kind, "param": param, "code": code}})
}

pub(crate) fn model_object(id: &str, created: i64, owned_by: &str) -> Value {
    json!({"id": id, "object": "model", "created": created, "owned_by": owned_by})
}

pub(crate) fn model_list(data: Vec<Value>) -> Value {
    json!({"object": "list", "data": data})
}

pub(crate) struct ChatRequest {
    pub model: Option<String>,
    pub stream: bool,
    pub include_usage: bool,
    pub max_tokens: Option<i64>,
    pub prompt_chars: usize,
}

impl ChatRequest {
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let v = crate::provider::parse_body(body)?;
        if !v.get("messages").is_some_and(Value::is_array) {
            return Err(ApiError::BadRequest(
                "Missing required parameter: 'messages'.".to_owned(),
            ));
        }
        Ok(ChatRequest {
            model: v
                .get("model")
                .and_then(Value::as_str)
                .filter(|m| !m.is_empty())
                .map(str::to_owned),
            stream: v.get("stream").and_then(Value::as_bool).unwrap_or(false),
            include_usage: v
                .pointer("/stream_options/include_usage")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            // Newer OpenAI models take only max_completion_tokens.
            max_tokens: gen::int_field(&v, "max_completion_tokens")
                .or_else(|| gen::int_field(&v, "max_tokens")),
            prompt_chars: gen::messages_chars(v.get("messages")),
        })
    }
}

/// How one server's dialect differs from OpenAI's own.
pub(crate) struct ChatStyle {
    pub id: String,
    pub model: String,
    pub system_fingerprint: Option<String>,
    /// Azure's content-filter annotations, including its first streamed chunk
    /// that carries no choices at all.
    pub azure_filters: bool,
    /// Fields merged into a non-streamed reply (LM Studio's v0 `stats`).
    pub extra: Option<Map<String, Value>>,
}

fn content_filters() -> Value {
    let safe = json!({"filtered": false, "severity": "safe"});
    json!({"hate": safe, "self_harm": safe, "sexual": safe, "violence": safe})
}

fn usage(c: &Completion, detailed: bool) -> Value {
    let mut u = json!({
        "prompt_tokens": c.prompt_tokens,
        "completion_tokens": c.completion_tokens(),
        "total_tokens": c.total_tokens(),
    });
    if detailed {
        u["prompt_tokens_details"] = json!({"cached_tokens": 0, "audio_tokens": 0});
        u["completion_tokens_details"] = json!({
            "reasoning_tokens": 0, "audio_tokens": 0,
            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0,
        });
    }
    u
}

pub(crate) fn chat(req: &ChatRequest, style: &ChatStyle) -> Response {
    let completion = Completion::new(req.prompt_chars, req.max_tokens);
    let created = chrono::Utc::now().timestamp();
    let finish = if completion.truncated {
        "length"
    } else {
        "stop"
    };
    if req.stream {
        return body::paced(
            stream_chunks(req, style, &completion, created, finish),
            TOKEN_GAP,
            body::SSE,
        );
    }
    let mut choice = json!({
        "index": 0,
        "message": {"role": "assistant", "content": completion.text(), "refusal": null, "annotations": []},
        "logprobs": null,
        "finish_reason": finish,
    });
    if style.azure_filters {
        choice["content_filter_results"] = content_filters();
    }
    let mut reply = json!({
        "id": style.id,
        "object": "chat.completion",
        "created": created,
        "model": style.model,
        "choices": [choice],
        "usage": usage(&completion, true),
        "system_fingerprint": style.system_fingerprint,
    });
    if style.azure_filters {
        reply["prompt_filter_results"] =
            json!([{"prompt_index": 0, "content_filter_results": content_filters()}]);
    }
    if let (Some(extra), Some(obj)) = (&style.extra, reply.as_object_mut()) {
        obj.extend(extra.clone());
    }
    body::json(StatusCode::OK, &reply)
}

fn stream_chunks(
    req: &ChatRequest,
    style: &ChatStyle,
    completion: &Completion,
    created: i64,
    finish: &str,
) -> Vec<String> {
    let chunk = |choices: Value| {
        let mut c = json!({
            "id": style.id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": style.model,
            "system_fingerprint": style.system_fingerprint,
            "choices": choices,
        });
        if req.include_usage {
            c["usage"] = Value::Null;
        }
        c
    };
    let choice = |delta: Value, finish: Option<&str>| {
        let mut ch = json!({"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish});
        if style.azure_filters && finish.is_none() {
            ch["content_filter_results"] = content_filters();
        }
        json!([ch])
    };

    let mut events = Vec::new();
    if style.azure_filters {
        events.push(json!({
            "choices": [], "created": 0, "id": "", "model": "", "object": "",
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": content_filters()}],
        }));
    }
    events.push(chunk(choice(
        json!({"role": "assistant", "content": "", "refusal": null}),
        None,
    )));
    for piece in &completion.pieces {
        events.push(chunk(choice(json!({"content": piece}), None)));
    }
    events.push(chunk(choice(json!({}), Some(finish))));
    if req.include_usage {
        let mut last = chunk(json!([]));
        last["usage"] = usage(completion, false);
        events.push(last);
    }
    let mut out: Vec<String> = events.iter().map(body::sse_data).collect();
    out.push("data: [DONE]\n\n".to_owned());
    out
}
