// The shapes of crates/server/API.md, written once. Field names are the wire's (snake_case).

export type Status = "healthy" | "degraded" | "unhealthy" | "unknown";
export type Range = "1h" | "6h" | "24h" | "7d" | "30d";
export type Kind = "ollama" | "lmstudio" | "openai" | "anthropic" | "gemini" | "openai_compatible";
export type Preset = "groq" | "mistral" | "openrouter" | "deepseek" | "together" | "azure";
export type ProbeLevel = "reachable" | "inference";
export type KeyOrigin = "keyring" | "env" | "missing" | "not_needed";
export type Class =
  | "ok" | "slow" | "timeout" | "connect" | "tls" | "auth" | "quota"
  | "rate_limited" | "overloaded" | "server_error" | "not_found" | "bad_response";

export interface LoadedModel {
  name: string;
  size_bytes?: number;
  vram_bytes?: number;
  vram_share?: number;
  expires_at?: string;
  context_length?: number;
}

export interface RateLimit {
  requests_limit?: number;
  requests_remaining?: number;
  requests_reset_ms?: number;
  tokens_limit?: number;
  tokens_remaining?: number;
  tokens_reset_ms?: number;
}

export interface Details {
  server_version?: string;
  models?: string[];
  loaded_models?: LoadedModel[];
  rate_limit?: RateLimit;
  retry_after_ms?: number;
  ttft_ms?: number;
  tokens_per_second?: number;
  tokens?: { input: number; output: number };
  probed_model?: string;
  skipped?: string;
}

export interface Outcome {
  at: string;
  class: Class;
  http_status: number | null;
  latency_ms: number;
  message: string;
  details: Details;
}

export interface TargetView {
  id: string;
  name: string;
  kind: Kind;
  enabled: boolean;
  status: Status;
  since: string | null;
  score: number | null;
  consecutive_failures: number;
  checking: boolean;
  next_check_at: string | null;
  last: Outcome | null;
}

export interface Snapshot {
  paused: boolean;
  overall: Status;
  targets: TargetView[];
}

/** Timing keys as the TOML file writes them: durations are strings like "30s" or "1m 30s". */
export interface TimingFile {
  interval?: string;
  timeout?: string;
  slow_ms?: number;
  failure_threshold?: number;
  success_threshold?: number;
  backoff_max?: string;
}

export interface TargetFile extends TimingFile {
  id: string;
  name?: string;
  kind: Kind;
  preset?: Preset;
  base_url?: string;
  api_key_env?: string;
  probe?: ProbeLevel;
  model?: string;
  api_version?: string;
  enabled?: boolean;
}

export interface ConfigFile {
  engine?: { max_concurrent_probes: number };
  defaults?: TimingFile;
  targets: TargetFile[];
}

export interface Offer {
  target: TargetFile;
  found: boolean;
  note: string;
}

export interface StateView {
  snapshot: Snapshot;
  notifications_paused_until: string | null;
  data_dir: string;
  config_source: string;
  offers: Offer[] | null;
}

export interface QuietHours {
  start: string;
  end: string;
}

export interface NotifyPrefs {
  enabled: boolean;
  on_down: boolean;
  on_recovered: boolean;
  on_degraded: boolean;
  quiet_hours: QuietHours | null;
  max_per_target_per_hour: number;
  muted: string[];
  group_window_ms?: number;
  offline_window_ms?: number;
}

export interface SettingsView {
  config: ConfigFile;
  /** `null` in a browser (`llm-health serve`): notifications exist only in the app. */
  notifications: NotifyPrefs | null;
  start_at_login: boolean | null;
  keys: Record<string, KeyOrigin>;
}

export interface TestResult {
  status: Status;
  outcome: Outcome;
}

export interface Segment {
  from: string;
  to: string;
  status: Status;
}

export interface Incident {
  target: string;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  worst: Status;
  cause: Class;
  message: string;
}

export interface LatencyPoint {
  from: string;
  to: string;
  checks: number;
  failures: number;
  p50_ms: number | null;
  p90_ms: number | null;
}

export interface HistoryView {
  target: string;
  name: string;
  kind: Kind;
  from: string;
  to: string;
  uptime_pct: number | null;
  checks: number;
  failures: number;
  error_rate: number | null;
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  segments: Segment[];
  incidents: Incident[];
  latency: LatencyPoint[];
}

export interface TimelineView {
  from: string;
  to: string;
  targets: HistoryView[];
}

export interface Check {
  target: string;
  outcome: Outcome;
  status: Status;
  score: number;
}

export interface Transition {
  target: string;
  at: string;
  from: Status;
  to: Status;
  class: Class;
  reason: string;
}

/** One engine event: `monitor` on the SSE stream, `monitor-event` in the app. */
export type MonitorEvent =
  | ({ type: "checked" } & Check)
  | ({ type: "transition" } & Transition)
  | ({ type: "incident" } & Incident)
  | { type: "slept"; from: string; to: string };

export interface RangeArgs {
  range?: Range;
  from?: string;
  to?: string;
  buckets?: number;
}
