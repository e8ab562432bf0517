// Generated from the Rust types by crates/controller/src/typescript.rs: do not edit.
// After changing a Rust type, run `UPDATE_GENERATED=1 cargo test -p controller generated`.
import type { Class, ComponentStatus, DurationUnit, Kind, Preset, Range, Status, TimingFile } from "./types";

/** Every status, in the order the engine lists them. */
export const STATUSES: readonly Status[] = [
  "healthy",
  "degraded",
  "unhealthy",
  "unknown"
];

/** "Worst of" order, as the engine's `Status::badness`: the overall status is the worst. */
export const BADNESS: Readonly<Record<Status, number>> = {
  "degraded": 2,
  "healthy": 0,
  "unhealthy": 3,
  "unknown": 1
};

/** Each class in plain words, as notifications and the tray say it. */
export const CLASS_WORDS: Readonly<Record<Class, string>> = {
  "auth": "API key rejected",
  "bad_response": "unexpected response",
  "connect": "not running or unreachable",
  "credits_low": "credits low",
  "loading": "loading model",
  "not_found": "model or endpoint not found",
  "ok": "working",
  "overloaded": "overloaded",
  "quota": "quota exhausted",
  "rate_limited": "rate limited",
  "server_error": "server error",
  "slow": "responding slowly",
  "timeout": "timing out",
  "tls": "TLS handshake failed"
};

/** Each status page component status in words, as the tray and notices say it. */
export const COMPONENT_STATUS_WORDS: Readonly<Record<ComponentStatus, string>> = {
  "degraded_performance": "degraded performance",
  "major_outage": "major outage",
  "operational": "operational",
  "partial_outage": "partial outage",
  "under_maintenance": "under maintenance",
  "unknown": "unknown"
};

/** Hard failures count toward the failure threshold (and the history's `failures`). */
export const HARD_FAILURES: readonly Class[] = [
  "timeout",
  "connect",
  "tls",
  "auth",
  "quota",
  "overloaded",
  "server_error",
  "not_found",
  "bad_response"
];

/** Soft classes make a target degraded, never unhealthy. */
export const SOFT_FAILURES: readonly Class[] = [
  "slow",
  "rate_limited",
  "loading",
  "credits_low"
];

/** Provider kinds with what a target of that kind falls back to. */
export const KINDS: readonly { kind: Kind; label: string; local: boolean; baseUrl: string | null; keyEnv: string | null }[] = [
  {
    "baseUrl": "http://127.0.0.1:11434",
    "keyEnv": null,
    "kind": "ollama",
    "label": "Ollama",
    "local": true
  },
  {
    "baseUrl": "http://127.0.0.1:1234",
    "keyEnv": "LM_API_TOKEN",
    "kind": "lmstudio",
    "label": "LM Studio",
    "local": true
  },
  {
    "baseUrl": "https://api.openai.com/v1",
    "keyEnv": "OPENAI_API_KEY",
    "kind": "openai",
    "label": "OpenAI",
    "local": false
  },
  {
    "baseUrl": "https://api.anthropic.com",
    "keyEnv": "ANTHROPIC_API_KEY",
    "kind": "anthropic",
    "label": "Anthropic",
    "local": false
  },
  {
    "baseUrl": "https://generativelanguage.googleapis.com",
    "keyEnv": "GEMINI_API_KEY",
    "kind": "gemini",
    "label": "Gemini",
    "local": false
  },
  {
    "baseUrl": null,
    "keyEnv": null,
    "kind": "openai_compatible",
    "label": "OpenAI-compatible",
    "local": false
  },
  {
    "baseUrl": "http://127.0.0.1:8080",
    "keyEnv": null,
    "kind": "llamacpp",
    "label": "llama.cpp",
    "local": true
  },
  {
    "baseUrl": "http://127.0.0.1:8000",
    "keyEnv": null,
    "kind": "vllm",
    "label": "vLLM",
    "local": true
  }
];

/** Presets of `openai_compatible` with their defaults (Azure has no shared endpoint). */
export const PRESETS: readonly { preset: Preset; label: string; baseUrl: string | null; keyEnv: string | null; local: boolean }[] = [
  {
    "baseUrl": "https://api.groq.com/openai/v1",
    "keyEnv": "GROQ_API_KEY",
    "label": "Groq",
    "local": false,
    "preset": "groq"
  },
  {
    "baseUrl": "https://api.mistral.ai/v1",
    "keyEnv": "MISTRAL_API_KEY",
    "label": "Mistral",
    "local": false,
    "preset": "mistral"
  },
  {
    "baseUrl": "https://openrouter.ai/api/v1",
    "keyEnv": "OPENROUTER_API_KEY",
    "label": "OpenRouter",
    "local": false,
    "preset": "openrouter"
  },
  {
    "baseUrl": "https://api.deepseek.com",
    "keyEnv": "DEEPSEEK_API_KEY",
    "label": "DeepSeek",
    "local": false,
    "preset": "deepseek"
  },
  {
    "baseUrl": "https://api.together.xyz/v1",
    "keyEnv": "TOGETHER_API_KEY",
    "label": "Together",
    "local": false,
    "preset": "together"
  },
  {
    "baseUrl": null,
    "keyEnv": "AZURE_OPENAI_API_KEY",
    "label": "Azure OpenAI",
    "local": false,
    "preset": "azure"
  },
  {
    "baseUrl": "http://127.0.0.1:1337/v1",
    "keyEnv": null,
    "label": "Jan",
    "local": true,
    "preset": "jan"
  },
  {
    "baseUrl": "http://127.0.0.1:8080/v1",
    "keyEnv": null,
    "label": "LocalAI",
    "local": true,
    "preset": "localai"
  },
  {
    "baseUrl": "http://127.0.0.1:5001/v1",
    "keyEnv": null,
    "label": "KoboldCpp",
    "local": true,
    "preset": "koboldcpp"
  },
  {
    "baseUrl": "http://127.0.0.1:5000/v1",
    "keyEnv": null,
    "label": "text-generation-webui",
    "local": true,
    "preset": "text_generation_webui"
  }
];

/** What every target inherits unless the config or the target sets its own. */
export const ENGINE_DEFAULTS: Required<TimingFile> = {
  "backoff_max": "5m",
  "confirm_interval": "5s",
  "degraded_after": 3,
  "failure_threshold": 2,
  "interval": "30s",
  "slow_ms": 3000,
  "success_threshold": 2,
  "timeout": "10s"
};

/** The ranges of the history, shortest first. */
export const RANGES: readonly Range[] = [
  "1h",
  "6h",
  "24h",
  "7d",
  "30d"
];

/** Each range of the history and its length in milliseconds. */
export const RANGE_MS: Readonly<Record<Range, number>> = {
  "1h": 3600000,
  "24h": 86400000,
  "30d": 2592000000,
  "6h": 21600000,
  "7d": 604800000
};

/** Units of duration words, largest first (crates/monitor/src/words.rs). */
export const DURATION_UNITS: readonly DurationUnit[] = [
  {
    "next": "always",
    "seconds": 86400,
    "word": "d"
  },
  {
    "next": "unless_zero",
    "seconds": 3600,
    "word": "h"
  },
  {
    "next": "never",
    "seconds": 60,
    "word": "min"
  },
  {
    "next": "never",
    "seconds": 1,
    "word": "s"
  }
];
