// Everything the last probe learned about a target, in words: what the dashboard expands and
// the target report shows.
import { h } from "../dom";
import { creditsWords, incidentWords, loadWords, reporter, safeUrl } from "../context";
import { CLASS_WORDS, COMPONENT_STATUS_WORDS } from "../domain";
import { bytes, clock, durationWords, ms, pct } from "../format";
import type { Details, ProviderStatus, TargetView } from "../generated/types";

function row(term: string, ...value: (Node | string)[]): HTMLElement[] {
  return [h("dt", null, term), h("dd", null, ...value)];
}

/** The first `max` items; `total` counts what the server listed, kept or not. */
function list(items: string[], max = 12, total = items.length): string {
  const shown = items.slice(0, max).join(", ");
  const more = total - Math.min(items.length, max);
  return more > 0 ? `${shown} and ${more} more` : shown;
}

function headroom(remaining?: number, limit?: number, resetMs?: number): string | null {
  if (remaining === undefined && limit === undefined) return null;
  const reset = resetMs !== undefined ? `, resets in ${durationWords(resetMs)}` : "";
  return `${remaining ?? "?"} of ${limit ?? "?"} left${reset}`;
}

/** The page's watched component and each incident it lists, linked to the page when it gives one. */
function providerRows(p: ProviderStatus): HTMLElement[] {
  const rows: HTMLElement[] = [];
  const who = reporter(p);
  if (p.component || p.component_status) {
    const status = p.component_status ? COMPONENT_STATUS_WORDS[p.component_status] : "not reported";
    rows.push(...row(`${who} status page`, p.component ? `${p.component}: ${status}` : status));
  } else if (p.description) rows.push(...row(`${who} status page`, p.description));
  for (const i of p.incidents) {
    const url = safeUrl(i.url);
    const since = i.started_at ? ` (since ${clock(i.started_at)})` : "";
    const words = incidentWords(i);
    rows.push(...row(`${who} reports`, url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, words) : words, since));
  }
  return rows;
}

function detailRows(d: Details): HTMLElement[] {
  const rows: HTMLElement[] = [];
  if (d.server_version) rows.push(...row("Server version", d.server_version));
  if (d.models?.length) {
    // The probe keeps a bounded list; `models_total` is how many the server listed.
    const total = d.models_total ?? d.models.length;
    rows.push(...row(`Models (${total})`, list(d.models, 12, total)));
  }
  if (d.loaded_models?.length) {
    rows.push(
      ...row(
        "Loaded",
        h(
          "ul",
          { class: "plain" },
          d.loaded_models.map((m) =>
            h(
              "li",
              null,
              m.name,
              m.vram_share !== undefined ? ` — ${Math.round(m.vram_share * 100)}% in VRAM` : "",
              m.size_bytes !== undefined ? ` (${bytes(m.size_bytes)})` : "",
              m.expires_at ? `, unloads at ${clock(m.expires_at)}` : "",
            ),
          ),
        ),
      ),
    );
  }
  const rl = d.rate_limit;
  if (rl) {
    const req = headroom(rl.requests_remaining, rl.requests_limit, rl.requests_reset_ms);
    const tok = headroom(rl.tokens_remaining, rl.tokens_limit, rl.tokens_reset_ms);
    if (req) rows.push(...row("Requests", req));
    if (tok) rows.push(...row("Tokens", tok));
  }
  if (d.retry_after_ms !== undefined) rows.push(...row("Retry after", durationWords(d.retry_after_ms)));
  if (d.ttft_ms !== undefined) rows.push(...row("Time to first token", ms(d.ttft_ms)));
  if (d.tokens_per_second !== undefined) rows.push(...row("Tokens per second", d.tokens_per_second.toFixed(1)));
  if (d.probed_model) rows.push(...row("Probed model", d.probed_model));
  if (d.skipped) rows.push(...row("Not generated", d.skipped));
  const credits = creditsWords(d.credits);
  if (credits) rows.push(...row("Credits", credits));
  const load = loadWords(d.server_load);
  if (load) rows.push(...row("Server load", load));
  if (d.provider_status) rows.push(...providerRows(d.provider_status));
  return rows;
}

/** What one probe learned (models, versions, rate limits…); null when it learned nothing more. */
export function probeDetails(d: Details): HTMLDListElement | null {
  const rows = detailRows(d);
  return rows.length ? h("dl", { class: "details" }, rows) : null;
}

export function targetDetails(t: TargetView, now: number): HTMLDListElement {
  const rows: HTMLElement[] = [];
  if (t.since) rows.push(...row("Since", `${clock(t.since)} (${durationWords(now - Date.parse(t.since))})`));
  rows.push(...row("Health score", t.score === null ? "—" : pct(t.score * 100, 0)));
  const last = t.last;
  if (last) {
    if (last.class !== "ok") {
      const http = last.http_status ? ` (HTTP ${last.http_status})` : "";
      rows.push(...row("Last error", h("strong", null, CLASS_WORDS[last.class]), `: ${last.message}${http}`));
    }
    rows.push(...row("Last latency", ms(last.latency_ms)));
    rows.push(...detailRows(last.details));
  } else rows.push(...row("Last result", "not checked yet"));
  if (t.consecutive_failures > 0) rows.push(...row("Failures in a row", String(t.consecutive_failures)));
  if (t.next_check_at && t.enabled) rows.push(...row("Next check", clock(t.next_check_at)));
  return h("dl", { class: "details" }, rows);
}
