// A stand-in for `llm-health serve` with made-up data, for working on the UI without the Rust
// side: `npm run build && node dev/mock-server.mjs [targets] [port]`, then open the printed URL.
// It speaks the API of crates/server/API.md (no token or Host checks) and sends a live event
// every second. MOCK_FLAP=1 makes every target flap every few minutes (a heavy timeline).
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";

const N = Number(process.argv[2] ?? 20);
const PORT = Number(process.argv[3] ?? 7879);
const DIST = new URL("../dist/", import.meta.url).pathname;
const DAY = 86_400_000;
const RANGES = { "1h": 3_600_000, "6h": 6 * 3_600_000, "24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY };
const KINDS = ["ollama", "lmstudio", "openai", "anthropic", "gemini", "openai_compatible"];
const CAUSES = ["connect", "timeout", "server_error", "auth", "rate_limited", "slow"];

let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const iso = (t) => new Date(t).toISOString();
const start = Date.now() - 30 * DAY;

const targets = Array.from({ length: N }, (_, i) => {
  const kind = KINDS[i % KINDS.length];
  const segs = [];
  for (let t = start; t < Date.now(); ) {
    const bad = rand() < 0.3;
    const len = process.env.MOCK_FLAP
      ? 30_000 + rand() * 600_000
      : bad ? 60_000 + rand() * 3_600_000 : 600_000 + rand() * 2 * DAY;
    const status = bad ? (rand() < 0.5 ? "unhealthy" : "degraded") : rand() < 0.03 ? "unknown" : "healthy";
    segs.push({ from: t, to: Math.min(t + len, Date.now()), status, cause: CAUSES[Math.floor(rand() * CAUSES.length)] });
    t += len;
  }
  return { id: `t${i}`, name: `${kind} ${i}`, kind, base: 80 + rand() * 600, segs };
});

function view(t) {
  const last = t.segs[t.segs.length - 1];
  return {
    id: t.id, name: t.name, kind: t.kind, enabled: true, status: last.status, since: iso(last.from),
    score: last.status === "healthy" ? 1 : 0.4, consecutive_failures: last.status === "unhealthy" ? 3 : 0,
    checking: false, next_check_at: iso(Date.now() + 30_000),
    last: outcome(t, Date.now() - rand() * 30_000, last.status),
  };
}

function outcome(t, at, status) {
  const cls = status === "unhealthy" ? "connect" : status === "degraded" ? "slow" : "ok";
  return {
    at: iso(at), class: cls, http_status: cls === "connect" ? null : 200,
    latency_ms: Math.round(t.base * (0.5 + rand())), message: cls === "connect" ? "connection refused" : "200 OK",
    details: t.kind === "ollama"
      ? { server_version: "0.9.0", models: ["llama3.2:3b", "qwen2.5:7b"], loaded_models: [{ name: "llama3.2:3b", vram_share: 1, size_bytes: 3e9 }] }
      : { rate_limit: { requests_limit: 500, requests_remaining: 420, requests_reset_ms: 12_000 } },
  };
}

function history(t, a) {
  const to = a.to ? Date.parse(a.to) : Date.now();
  const from = a.from ? Date.parse(a.from) : to - RANGES[a.range ?? "24h"];
  const n = Math.min(Number(a.buckets ?? 120), 1000);
  const segments = t.segs.filter((s) => s.to > from && s.from < to)
    .map((s) => ({ from: iso(Math.max(s.from, from)), to: iso(Math.min(s.to, to)), status: s.status }));
  const incidents = t.segs.filter((s) => s.status !== "healthy" && s.status !== "unknown" && s.to > from && s.from < to)
    .map((s) => ({ target: t.id, started_at: iso(s.from), ended_at: s.to >= Date.now() ? null : iso(s.to),
      duration_ms: s.to >= Date.now() ? null : Math.round(s.to - s.from), worst: s.status, cause: s.cause, message: "made up" }))
    .reverse();
  const w = (to - from) / n;
  const latency = Array.from({ length: n }, (_, i) => {
    const f = rand() < 0.05 ? 1 : 0;
    const p50 = Math.round(t.base * (0.8 + 0.4 * Math.sin(i / 7) + rand() * 0.2));
    return { from: iso(from + i * w), to: iso(from + (i + 1) * w), checks: 10, failures: f, p50_ms: p50, p90_ms: Math.round(p50 * 1.8) };
  });
  let up = 0, known = 0;
  for (const s of segments) {
    const len = Date.parse(s.to) - Date.parse(s.from);
    if (s.status === "unknown") continue;
    known += len;
    if (s.status !== "unhealthy") up += len;
  }
  const failures = latency.reduce((x, p) => x + p.failures, 0);
  return {
    target: t.id, name: t.name, kind: t.kind, from: iso(from), to: iso(to), uptime_pct: known ? (up * 100) / known : null,
    checks: n * 10, failures, error_rate: failures / (n * 10), p50_ms: Math.round(t.base), p90_ms: Math.round(t.base * 1.8),
    p99_ms: Math.round(t.base * 3), segments, incidents, latency,
  };
}

const state = () => ({ snapshot: { paused: false, overall: "degraded", targets: targets.map(view) },
  notifications_paused_until: null, data_dir: "/tmp", config_source: "mock", version: "0.1.0 (mock)", offers: null, history_problem: null });

const commands = {
  get_state: state,
  get_settings: () => ({ config: { targets: targets.map((t) => ({ id: t.id, name: t.name, kind: t.kind, ...(t.kind === "openai_compatible" ? { preset: "groq" } : {}) })) },
    notifications: null, start_at_login: null,
    keys: Object.fromEntries(targets.map((t) => [t.id, t.kind === "ollama" ? "not_needed" : t.id === "t2" ? "missing" : "env"])) }),
  export_toml: () => targets.map((t) => `[[targets]]\nid = "${t.id}"\nkind = "${t.kind}"\n`).join("\n"),
  history: (a) => history(targets.find((t) => t.id === a.target), a),
  timeline: (a) => {
    const hs = targets.map((t) => history(t, a));
    return { from: hs[0]?.from, to: hs[0]?.to, targets: hs };
  },
  incidents: (a) => targets.filter((t) => !a.target || t.id === a.target).flatMap((t) => history(t, { range: a.range ?? "30d" }).incidents)
    .sort((x, y) => Date.parse(y.started_at) - Date.parse(x.started_at)).slice(0, a.limit ?? 500),
  test_target: () => ({ status: "unhealthy", outcome: { at: iso(Date.now()), class: "auth", http_status: 401, latency_ms: 87, message: "401 invalid api key", details: {} } }),
  import_toml: (a) => { if (!a.textToml.includes("[[targets]]")) throw new Error("imported config:1: targets: missing field `targets`"); return null; },
};

const clients = new Set();
setInterval(() => {
  const t = targets[Math.floor(rand() * targets.length)];
  const v = view(t);
  const ev = { type: "checked", target: t.id, status: v.status, score: v.score, consecutive_failures: v.consecutive_failures,
    outcome: outcome(t, Date.now(), v.status) };
  for (const c of clients) c.write(`event: monitor\ndata: ${JSON.stringify(ev)}\n\n`);
}, 1000);

createServer(async (req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/api/events") {
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    res.write(`event: state\ndata: ${JSON.stringify(state())}\n\n`);
    clients.add(res);
    req.on("close", () => clients.delete(res));
    return;
  }
  if (url.pathname.startsWith("/api/")) {
    let body = "";
    for await (const chunk of req) body += chunk;
    const args = req.method === "POST" ? JSON.parse(body || "{}") : Object.fromEntries(url.searchParams);
    const f = commands[url.pathname.slice(5)];
    let status = 200;
    let out;
    try {
      out = f ? (f(args) ?? null) : null;
    } catch (e) {
      status = 400;
      out = { error: e.message };
    }
    res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(out));
    return;
  }
  const path = join(DIST, url.pathname === "/" ? "index.html" : url.pathname);
  try {
    const type = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" }[extname(path)] ?? "application/octet-stream";
    const file = await readFile(path);
    res.writeHead(200, { "Content-Type": type }).end(file);
  } catch {
    res.writeHead(404).end();
  }
}).listen(PORT, "127.0.0.1", () => console.log(`http://127.0.0.1:${PORT}/#token=mock`));
