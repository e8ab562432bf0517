//! vLLM's OpenAI-compatible server: liveness from `/health` (200, empty body), the served
//! models from `/v1/models`, and its load from the Prometheus `/metrics` (requests running and
//! waiting, KV-cache use); a canary on a served model. vLLM serves the models it was started
//! with and loads nothing on request.

use super::classify::Failure;
use super::openai::{canary_on_served, model_ids};
use super::{require_listed, Ctx, Success};
use crate::domain::{Details, ServerLoad};

pub(crate) async fn probe(ctx: &Ctx<'_>) -> Result<Success, Failure> {
    ctx.http.send_ok(ctx.kind(), ctx.get("health")).await?;
    let listed = ctx.http.send_ok(ctx.kind(), ctx.get("v1/models")).await?;
    let models = model_ids(&listed.body)
        .map_err(|message| Failure {
            http_status: Some(listed.status),
            ..Failure::bad_response(message)
        })?
        .ok_or_else(|| Failure {
            http_status: Some(listed.status),
            ..Failure::bad_response("/v1/models has no `data` array: not a vLLM server?")
        })?;
    require_listed(ctx.target, &models)?;
    // The load is context: a server without `/metrics` (or behind a proxy hiding it) still
    // answers its API.
    let server_load = match ctx.http.send(ctx.get("metrics")).await {
        Ok(reply) if (200..300).contains(&reply.status) => {
            server_load(&String::from_utf8_lossy(&reply.body))
        }
        _ => None,
    };
    let mut success = Success {
        http_status: Some(listed.status),
        details: Details {
            models,
            server_load,
            ..Details::default()
        },
        ..Success::default()
    };
    canary_on_served(ctx, &mut success).await?;
    Ok(success)
}

/// Requests running and waiting (summed over the served models) and KV-cache use (the fullest
/// model's), from Prometheus text. vLLM renamed `gpu_cache_usage_perc` to `kv_cache_usage_perc`;
/// both are a fraction of 1, whatever the name says. `None` when neither count is there.
pub(crate) fn server_load(text: &str) -> Option<ServerLoad> {
    let mut running: Option<f64> = None;
    let mut waiting: Option<f64> = None;
    let mut kv: Option<f64> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = sample(line) else {
            continue;
        };
        let add = |slot: &mut Option<f64>| *slot = Some(slot.unwrap_or(0.0) + value);
        match name {
            "vllm:num_requests_running" => add(&mut running),
            "vllm:num_requests_waiting" => add(&mut waiting),
            "vllm:kv_cache_usage_perc" | "vllm:gpu_cache_usage_perc" => {
                kv = Some(kv.map_or(value, |k: f64| k.max(value)));
            }
            _ => {}
        }
    }
    if running.is_none() && waiting.is_none() && kv.is_none() {
        return None;
    }
    let count = |v: Option<f64>| v.map(|v| v.max(0.0).round() as u64);
    Some(ServerLoad {
        running: count(running),
        waiting: count(waiting),
        kv_cache_used: kv.map(|k| k.clamp(0.0, 1.0)),
    })
}

/// One sample line: `name{labels} value [timestamp]`, the value a finite number.
fn sample(line: &str) -> Option<(&str, f64)> {
    let (name, rest) = match line.find(['{', ' ', '\t']) {
        Some(i) if line.as_bytes()[i] == b'{' => {
            // Label values may hold spaces and braces inside quotes; the set ends at the
            // last closing brace.
            let end = line.rfind('}')?;
            (&line[..i], &line[end + 1..])
        }
        Some(i) => (&line[..i], &line[i..]),
        None => return None,
    };
    let value: f64 = rest.split_whitespace().next()?.parse().ok()?;
    value.is_finite().then_some((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_is_read_from_either_metric_name() {
        let text = r#"
# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="a"} 2.0
vllm:num_requests_running{engine="0",model_name="b"} 1.0
vllm:num_requests_waiting{engine="0",model_name="a"} 0.0
vllm:kv_cache_usage_perc{engine="0",model_name="a"} 0.42
vllm:kv_cache_usage_perc{engine="0",model_name="b"} 0.1
vllm:e2e_request_latency_seconds_bucket{le="0.3",model_name="a"} 12.0
"#;
        let load = server_load(text).unwrap();
        assert_eq!(load.running, Some(3));
        assert_eq!(load.waiting, Some(0));
        assert_eq!(load.kv_cache_used, Some(0.42));
        let legacy =
            server_load("vllm:gpu_cache_usage_perc{model_name=\"x y}\"} 0.5 1700000000\n").unwrap();
        assert_eq!(legacy.kv_cache_used, Some(0.5));
        assert_eq!(legacy.running, None);
    }

    #[test]
    fn text_without_the_metrics_is_no_load() {
        assert_eq!(server_load("process_resident_memory_bytes 1.2e9\n"), None);
        assert_eq!(server_load("<html>not metrics</html>"), None);
        assert_eq!(server_load("vllm:num_requests_running NaN\n"), None);
    }
}
