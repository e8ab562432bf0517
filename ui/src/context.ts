// What a row says beside its status: why it is not healthy, what the provider's status page
// reports, what is left on the account and how loaded the server is. The sentences are the
// engine's (crates/monitor/src/domain.rs: `ProviderStatus::headline`, `Credits::words`,
// `ServerLoad::words`), said the same way in the tray, the notices and `check`; test/context.test.ts
// holds the same cases as the Rust test `context_in_words`, so the two cannot drift apart.
import { CLASS_WORDS, COMPONENT_STATUS_WORDS, SOFT_FAILURES } from "./generated/tables";
import type { Beat, Class, Credits, Outcome, ProviderIncident, ProviderIncidentSpan, ProviderStatus, ServerLoad, Status, TargetView } from "./generated/types";
import { durationWords } from "./format";

/** "Elevated error rates — investigating". */
export function incidentWords(i: Pick<ProviderIncident, "name" | "status">): string {
  return i.status ? `${i.name} — ${i.status}` : i.name;
}

/** Who reports, for "OpenAI reports: …": the provider, else the page, else "the provider". */
export function reporter(p: Pick<ProviderStatus, "provider" | "page">): string {
  return p.provider ?? p.page ?? "the provider";
}

/**
 * The page's news in one line, or null when it reports nothing amiss: the first incident
 * ("OpenAI reports: Elevated error rates — investigating (+1 more)"), else a component that is
 * not operational ("OpenAI: partial outage").
 */
export function providerHeadline(p: ProviderStatus | undefined): string | null {
  if (!p) return null;
  const [first, ...rest] = p.incidents;
  if (first) return `${reporter(p)} reports: ${incidentWords(first)}${rest.length ? ` (+${rest.length} more)` : ""}`;
  const c = p.component_status;
  return c && c !== "operational" && c !== "unknown" ? `${reporter(p)}: ${COMPONENT_STATUS_WORDS[c]}` : null;
}

/** "2.10 USD left of 10.00", when the remaining amount is known. */
export function creditsWords(c: Credits | undefined): string | null {
  if (!c || c.remaining === undefined) return null;
  const left = `${c.remaining.toFixed(2)} ${c.unit} left`;
  return c.limit !== undefined ? `${left} of ${c.limit.toFixed(2)}` : left;
}

/** "3 running, 1 waiting, KV cache 42 %", of what is known. */
export function loadWords(l: ServerLoad | undefined): string | null {
  if (!l) return null;
  const parts: string[] = [];
  if (l.running !== undefined) parts.push(`${l.running} running`);
  if (l.waiting !== undefined) parts.push(`${l.waiting} waiting`);
  if (l.kv_cache_used !== undefined) parts.push(`KV cache ${(l.kv_cache_used * 100).toFixed(0)} %`);
  return parts.length ? parts.join(", ") : null;
}

/**
 * When a rate limit lifts, as a time: the server's Retry-After, else the sooner of the request
 * and token budgets that ran out. Counted from the check that read it.
 */
export function resetsAt(o: Outcome): number | null {
  const d = o.details;
  const rl = d.rate_limit;
  const spent = [
    rl?.requests_remaining === 0 ? rl.requests_reset_ms : undefined,
    rl?.tokens_remaining === 0 ? rl.tokens_reset_ms : undefined,
  ].filter((x): x is number => x !== undefined);
  const after = d.retry_after_ms ?? (spent.length ? Math.min(...spent) : undefined);
  return after === undefined ? null : Date.parse(o.at) + after;
}

/** "rate limited — resets in 20 s"; "rate limited" once the time has passed or is not known. */
export function rateLimitWords(resets: number | null, now: number): string {
  return resets !== null && resets > now ? `${CLASS_WORDS.rate_limited} — resets in ${durationWords(resets - now)}` : CLASS_WORDS.rate_limited;
}

/**
 * Why a target is not healthy, from its last check, in a few words: "rate limited — resets in
 * 20 s", "credits low: 2.10 USD left", "loading model", "cannot connect (HTTP 503)". Null when it is
 * healthy, not checked yet, or its last check went well (it is recovering).
 */
export function causeWords(t: Pick<TargetView, "status" | "last">, now: number): string | null {
  const o = t.last;
  if (!o || o.class === "ok" || t.status === "healthy" || t.status === "unknown") return null;
  switch (o.class) {
    case "rate_limited":
      return rateLimitWords(resetsAt(o), now);
    case "credits_low":
      // The probe's own sentence names the amount ("credits low: 2.10 USD left").
      return o.message || CLASS_WORDS.credits_low;
    default:
      return o.http_status ? `${CLASS_WORDS[o.class]} (HTTP ${o.http_status})` : CLASS_WORDS[o.class];
  }
}

/** How one check went, as a status: what the heartbeat strip colours and shapes. */
export function beatStatus(c: Class): Status {
  if (c === "ok") return "healthy";
  return SOFT_FAILURES.includes(c) ? "degraded" : "unhealthy";
}

/** What the heartbeat strip keeps of a live check. */
export function beatOf(o: Outcome, status: Status): Beat {
  return { at: o.at, class: o.class, status, latency_ms: o.latency_ms };
}

/**
 * One provider incident on the timeline and in the incidents list: the spans of every target that
 * shares the page and saw it, as one.
 */
export interface ProviderBand {
  key: string;
  provider: string;
  name: string;
  status: string | null;
  impact: string | null;
  url: string | null;
  start: number;
  /** Infinity while the page still lists it. */
  end: number;
  targets: string[];
}

/**
 * The same incident on one page, whichever target saw it: the page's id for it, else its name
 * (the history's spans of one incident start when each target first saw it, so not the start).
 */
export function providerKey(provider: string, i: Pick<ProviderIncident, "id" | "name">): string {
  return `${provider}\n${i.id ?? i.name}`;
}

/** Who the history names as the reporter: the provider, else the page (crates/store). */
function pageOf(p: ProviderStatus): string {
  return p.provider ?? p.page ?? "";
}

/** Only a web address is linked: a status page that names `javascript:` gets no link. */
export function safeUrl(url: string | undefined | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
  } catch {
    return null;
  }
}

/**
 * The history's spans, one band per incident across the targets that saw it, oldest first. Spans
 * of one key that do not overlap are two incidents that happened to share a name.
 */
export function providerBands(spans: ProviderIncidentSpan[]): ProviderBand[] {
  const out: ProviderBand[] = [];
  const sorted = [...spans].sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at));
  for (const s of sorted) {
    const key = providerKey(s.provider, s);
    const start = Date.parse(s.started_at);
    const end = s.ended_at === null ? Infinity : Date.parse(s.ended_at);
    const had = out.find((b) => b.key === key && start <= b.end);
    if (had) {
      if (!had.targets.includes(s.target)) had.targets.push(s.target);
      // The latest word on it: the span that ends last (or is still open).
      if (end >= had.end) had.status = s.status ?? had.status;
      had.end = Math.max(had.end, end);
      continue;
    }
    out.push({
      key, provider: s.provider, name: s.name, status: s.status ?? null, impact: s.impact ?? null,
      url: safeUrl(s.url), start, end, targets: [s.target],
    });
  }
  return out;
}

/**
 * Follows a live check as the history does: an incident its page lists that no open band holds
 * starts one (or joins the target to it), and an open band of that page that the page no longer
 * lists ends at the check. A check that did not read the page changes nothing, nor does a page
 * that could not be read (unknown, no incidents). Pure; `bands` itself when nothing changed.
 */
export function followProviderBands(bands: ProviderBand[], target: string, o: Outcome): ProviderBand[] {
  const p = o.details.provider_status;
  if (!p || (p.component_status === "unknown" && !p.incidents.length)) return bands;
  const provider = pageOf(p);
  const at = Date.parse(o.at);
  const listed = new Map(p.incidents.map((i) => [providerKey(provider, i), i]));
  let changed = false;
  const out = bands.map((b) => {
    if (b.provider !== provider || b.end !== Infinity) return b;
    const now = listed.get(b.key);
    if (now) {
      listed.delete(b.key);
      const status = now.status ?? b.status;
      if (b.targets.includes(target) && status === b.status) return b;
      changed = true;
      const targets = b.targets.includes(target) ? b.targets : [...b.targets, target];
      return { ...b, targets, status };
    }
    if (!b.targets.includes(target)) return b;
    changed = true;
    return { ...b, end: at };
  });
  // The same bands when nothing changed, so a caller redraws only on news: every check of a
  // target on a page carries the page, and almost every one repeats the last.
  if (!changed && listed.size === 0) return bands;
  for (const [key, i] of listed) {
    const start = i.started_at ? Math.min(Date.parse(i.started_at), at) : at;
    out.push({
      key, provider, name: i.name, status: i.status ?? null, impact: i.impact ?? null, url: safeUrl(i.url),
      start, end: Infinity, targets: [target],
    });
  }
  return out;
}

/** "OpenAI reports: Elevated error rates — investigating". */
export function bandHeadline(b: Pick<ProviderBand, "provider" | "name" | "status">): string {
  return `${b.provider || "the provider"} reports: ${incidentWords({ name: b.name, status: b.status ?? undefined })}`;
}
