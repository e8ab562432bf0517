// The product's nouns as the UI shows them, named once (mirrors crates/monitor: domain.rs and
// config.rs). Color is never the only cue: every status also has a shape, a sign and a word,
// the same as the tray icon.
import type { Class, Kind, Preset, Status, TargetFile } from "./types";

export const STATUSES: Status[] = ["healthy", "degraded", "unhealthy", "unknown"];

export const STATUS: Record<Status, { shape: string; sign: string; word: string }> = {
  healthy: { shape: "●", sign: "✓", word: "healthy" },
  degraded: { shape: "▲", sign: "!", word: "degraded" },
  unhealthy: { shape: "■", sign: "×", word: "unhealthy" },
  unknown: { shape: "○", sign: "–", word: "unknown" },
};

/** "Worst of" order, as the engine's `Status::badness`. */
export const BADNESS: Record<Status, number> = { healthy: 0, unknown: 1, degraded: 2, unhealthy: 3 };

/** The engine's overall status: the worst one; unknown when nothing is known. */
export function worst(statuses: Iterable<Status>): Status {
  let w: Status | null = null;
  for (const s of statuses) if (w === null || BADNESS[s] > BADNESS[w]) w = s;
  return w ?? "unknown";
}

export const CLASS_WORDS: Record<Class, string> = {
  ok: "working",
  slow: "responding slowly",
  timeout: "timing out",
  connect: "not running or unreachable",
  tls: "TLS handshake failed",
  auth: "API key rejected",
  quota: "quota exhausted",
  rate_limited: "rate limited",
  overloaded: "overloaded",
  server_error: "server error",
  not_found: "model or endpoint not found",
  bad_response: "unexpected response",
};

/** Hard failures count toward the failure threshold (and the store's `failures`). */
export function isHardFailure(c: Class): boolean {
  return c !== "ok" && c !== "slow" && c !== "rate_limited";
}

export const KINDS: { kind: Kind; label: string; baseUrl: string | null; keyEnv: string | null }[] = [
  { kind: "ollama", label: "Ollama", baseUrl: "http://127.0.0.1:11434", keyEnv: null },
  { kind: "lmstudio", label: "LM Studio", baseUrl: "http://127.0.0.1:1234", keyEnv: "LM_API_TOKEN" },
  { kind: "openai", label: "OpenAI", baseUrl: "https://api.openai.com/v1", keyEnv: "OPENAI_API_KEY" },
  { kind: "anthropic", label: "Anthropic", baseUrl: "https://api.anthropic.com", keyEnv: "ANTHROPIC_API_KEY" },
  { kind: "gemini", label: "Gemini", baseUrl: "https://generativelanguage.googleapis.com", keyEnv: "GEMINI_API_KEY" },
  { kind: "openai_compatible", label: "OpenAI-compatible", baseUrl: null, keyEnv: null },
];

export const PRESETS: { preset: Preset; label: string; baseUrl: string | null; keyEnv: string }[] = [
  { preset: "groq", label: "Groq", baseUrl: "https://api.groq.com/openai/v1", keyEnv: "GROQ_API_KEY" },
  { preset: "mistral", label: "Mistral", baseUrl: "https://api.mistral.ai/v1", keyEnv: "MISTRAL_API_KEY" },
  { preset: "openrouter", label: "OpenRouter", baseUrl: "https://openrouter.ai/api/v1", keyEnv: "OPENROUTER_API_KEY" },
  { preset: "deepseek", label: "DeepSeek", baseUrl: "https://api.deepseek.com", keyEnv: "DEEPSEEK_API_KEY" },
  { preset: "together", label: "Together", baseUrl: "https://api.together.xyz/v1", keyEnv: "TOGETHER_API_KEY" },
  { preset: "azure", label: "Azure OpenAI", baseUrl: null, keyEnv: "AZURE_OPENAI_API_KEY" },
];

export function isLocal(kind: Kind): boolean {
  return kind === "ollama" || kind === "lmstudio";
}

/** What the engine falls back to when a target leaves base_url / api_key_env out. */
export function defaultsFor(t: Pick<TargetFile, "kind" | "preset">): { baseUrl: string | null; keyEnv: string | null } {
  const preset = t.kind === "openai_compatible" ? PRESETS.find((p) => p.preset === t.preset) : undefined;
  const kind = KINDS.find((k) => k.kind === t.kind);
  return { baseUrl: preset?.baseUrl ?? kind?.baseUrl ?? null, keyEnv: preset?.keyEnv ?? kind?.keyEnv ?? null };
}

/** The environment variable the server reads a target's key from. */
export function keyEnvOf(t: TargetFile): string | null {
  return t.api_key_env ?? defaultsFor(t).keyEnv;
}
