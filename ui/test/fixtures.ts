// Data shaped exactly as crates/server/API.md says, typed by the generated shapes (src/generated/types.ts).
import type {
  HistoryView, Incident, LatencyPoint, MaintenanceBand, Outcome, ProviderIncidentSpan, Segment, SettingsView, StateView, Status, TargetView, TimelineView,
} from "../src/generated/types";

export const NOW = Date.parse("2025-06-01T12:00:00Z");
export const iso = (t: number) => new Date(t).toISOString();
export const MIN = 60_000;
export const HOUR = 60 * MIN;

export function outcome(over: Partial<Outcome> = {}): Outcome {
  return {
    at: iso(NOW - 12_000),
    class: "ok",
    http_status: 200,
    latency_ms: 120,
    message: "200 OK",
    details: {},
    ...over,
  };
}

export function target(id: string, status: Status = "healthy", over: Partial<TargetView> = {}): TargetView {
  return {
    id,
    name: id.replace(/^./, (c) => c.toUpperCase()),
    kind: "ollama",
    enabled: true,
    status,
    since: iso(NOW - 2 * HOUR),
    score: 1,
    consecutive_failures: 0,
    checking: false,
    next_check_at: iso(NOW + 18_000),
    last: outcome(),
    ...over,
  };
}

export function stateView(targets: TargetView[], over: Partial<StateView> = {}): StateView {
  const statuses = targets.map((t) => t.status);
  const overall: Status = statuses.includes("unhealthy")
    ? "unhealthy"
    : statuses.includes("degraded")
      ? "degraded"
      : statuses.includes("unknown") || !statuses.length
        ? "unknown"
        : "healthy";
  return {
    snapshot: { paused: false, overall, targets },
    notifications_paused_until: null,
    data_dir: "/tmp/llm-health",
    config_source: "settings.json",
    version: "0.1.0 (commit 1a2b3c4, built 2026-12-02)",
    offers: null,
    history_problem: null,
    snoozed_until: {},
    ...over,
  };
}

/** `n` buckets over [from, to), every one with `checks` checks and `failuresAt(i)` failures. */
export function latency(from: number, to: number, n: number, p50 = 100, failuresAt = (_i: number) => 0): LatencyPoint[] {
  const w = (to - from) / n;
  return Array.from({ length: n }, (_, i) => ({
    from: iso(from + i * w),
    to: iso(from + (i + 1) * w),
    checks: 10,
    failures: failuresAt(i),
    p50_ms: p50 + i,
    p90_ms: p50 * 2 + i,
  }));
}

export function history(id: string, over: Partial<HistoryView> = {}, from = NOW - 24 * HOUR, to = NOW): HistoryView {
  const segments: Segment[] = [{ from: iso(from), to: iso(to), status: "healthy" }];
  return {
    target: id,
    name: id.replace(/^./, (c) => c.toUpperCase()),
    kind: "ollama",
    from: iso(from),
    to: iso(to),
    uptime_pct: 100,
    checks: 480,
    failures: 0,
    error_rate: 0,
    p50_ms: 110,
    p90_ms: 230,
    p99_ms: 410,
    segments,
    incidents: [],
    latency: latency(from, to, 48),
    ...over,
  };
}

export function timelineView(hs: HistoryView[], from = NOW - 24 * HOUR, to = NOW, maintenance: MaintenanceBand[] = [], provider_incidents: ProviderIncidentSpan[] = []): TimelineView {
  return { from: iso(from), to: iso(to), targets: hs, maintenance, provider_incidents };
}

export function incident(target: string, startMinAgo: number, lastedMin: number | null, over: Partial<Incident> = {}): Incident {
  const start = NOW - startMinAgo * MIN;
  return {
    target,
    started_at: iso(start),
    ended_at: lastedMin === null ? null : iso(start + lastedMin * MIN),
    duration_ms: lastedMin === null ? null : lastedMin * MIN,
    worst: "unhealthy",
    cause: "connect",
    message: "connection refused",
    ...over,
  };
}

export function settingsView(inApp: boolean): SettingsView {
  return {
    config: {
      defaults: { interval: "30s", timeout: "10s" },
      targets: [
        { id: "ollama", kind: "ollama", name: "Ollama", base_url: "http://127.0.0.1:11434", enabled: true },
        { id: "openai", kind: "openai", name: "OpenAI", model: "gpt-4o-mini", probe: "reachable" },
        { id: "groq", kind: "openai_compatible", preset: "groq", api_key_env: "MY_GROQ_KEY" },
      ],
    },
    notifications: inApp
      ? {
          enabled: true, on_down: true, on_recovered: true, on_degraded: false, on_provider_incident: false, quiet_hours: null,
          max_per_target_per_hour: 4, muted: ["groq"], group_window_ms: 3000, offline_window_ms: 30000,
        }
      : null,
    start_at_login: inApp ? false : null,
    keys: inApp
      ? { ollama: "not_needed", openai: "keyring", groq: "missing" }
      : { ollama: "not_needed", openai: "env", groq: "missing" },
    channels: [],
  };
}
