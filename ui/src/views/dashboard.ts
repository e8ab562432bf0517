// Every target in one table: status, latency trend, percentiles, error rate, last check. Rows are
// redrawn one at a time as events arrive; the whole table only when the configuration changes.
import { h, keepingFocus } from "../dom";
import { causeWords, creditsWords, loadWords, providerHeadline, rateLimitWords, resetsAt } from "../context";
import { isPending, pendingWords } from "../domain";
import { agoWords, clock, ms, pct } from "../format";
import { href } from "../router";
import { errorTrend, type Trend } from "../series";
import type { HistoryView, StateView, TargetView } from "../generated/types";
import { targetDetails } from "./details";
import { heartbeat } from "./heartbeat";
import { sparkline } from "./sparkline";
import { statusLabel } from "./status";
import type { Ctx, View } from "./view";

const ARROW: Record<Trend, { sign: string; words: string }> = {
  up: { sign: "↑", words: "rising" },
  down: { sign: "↓", words: "falling" },
  flat: { sign: "→", words: "steady" },
};

function errorCell(hist: HistoryView | undefined): HTMLTableCellElement {
  if (!hist || hist.error_rate === null) return h("td", { class: "num" }, "—");
  const { earlier, later, trend } = errorTrend(hist.latency);
  const a = ARROW[trend];
  const label = `error rate ${pct(hist.error_rate * 100)}, ${a.words} (earlier half ${pct(earlier === null ? null : earlier * 100)}, later half ${pct(later === null ? null : later * 100)})`;
  return h(
    "td",
    { class: "num" },
    h("span", { "aria-label": label, title: label },
      pct(hist.error_rate * 100), " ", h("span", { class: `trend ${trend}`, "aria-hidden": "true" }, a.sign)),
  );
}

function latencyCells(hist: HistoryView | undefined, pending: boolean): HTMLTableCellElement[] {
  return [
    h("td", { class: "spark-cell" }, hist ? sparkline(hist.latency, pending) : "—"),
    h("td", { class: "num pcts" }, hist ? `${ms(hist.p50_ms)} · ${ms(hist.p90_ms)} · ${ms(hist.p99_ms)}` : "—"),
  ];
}

/** "snoozed until 15:00" (with the date when it is not today); null when not snoozed (any more). */
export function snoozedLabel(s: Pick<StateView, "snoozed_until"> | null, id: string, now: number): string | null {
  const until = s?.snoozed_until?.[id];
  return until && Date.parse(until) > now ? `snoozed until ${clock(until)}` : null;
}

/** Snooze 1 h / until tomorrow, or end the snooze: the target's notices, on every channel. */
function snoozeButtons(t: TargetView, snoozed: boolean, snooze: (minutes: number | null) => void): HTMLElement[] {
  const button = (text: string, label: string, minutes: number | null) => {
    const b = h("button", { type: "button", class: "snooze", "aria-label": label }, text);
    b.addEventListener("click", () => snooze(minutes));
    return b;
  };
  return snoozed
    ? [button("End snooze", `End the snooze of ${t.name}`, null)]
    : [button("Snooze 1 h", `Snooze ${t.name}'s notices for 1 hour`, 60),
       button("Until tomorrow", `Snooze ${t.name}'s notices until tomorrow morning`, 0)];
}

/**
 * Under the target's name: why it is not healthy, what its provider's status page reports (context,
 * never the verdict), and the account's and server's headroom when the probe read them.
 */
function contextLines(t: TargetView, now: number): HTMLElement[] {
  const out: HTMLElement[] = [];
  const cause = causeWords(t, now);
  if (cause) {
    const resets = t.last?.class === "rate_limited" ? resetsAt(t.last) : null;
    out.push(h("span", { class: "cause", "data-resets": resets !== null && resets > now ? String(resets) : null }, cause));
  }
  const d = t.last?.details;
  const news = providerHeadline(d?.provider_status);
  if (news) {
    // What the line is comes first: the provider's word, not ours.
    const what = d?.provider_status?.incidents.length ? "provider incident" : "provider status";
    out.push(h("span", { class: "provider-news", title: "What the provider's status page says; our status comes from our own checks" },
      `${what}: ${news}`));
  }
  const extra = [creditsWords(d?.credits), loadWords(d?.server_load)].filter((x): x is string => x !== null);
  if (extra.length) out.push(h("span", { class: "headroom muted" }, extra.join(" · ")));
  return out;
}

export function dashboard(root: HTMLElement, { api, store, run }: Ctx): View {
  const expanded = new Set<string>();
  const rows = new Map<string, [HTMLTableRowElement, HTMLTableRowElement]>();
  const tbody = h("tbody");
  const empty = h(
    "p",
    { class: "empty" },
    "No endpoints are watched yet. Open ",
    h("a", { href: "#/settings" }, "Settings"),
    " to add one or import a config file.",
  );
  const table = h(
    "table",
    { id: "dashboard-table" },
    h("caption", { class: "visually-hidden" }, "Targets; the last 24 hours"),
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        ["Status", "Target", "Latency, 24 h", "p50 · p90 · p99", "Errors", "Checked", "Last 30 checks", ""].map((c) =>
          h("th", { scope: "col" }, c),
        ),
      ),
    ),
    tbody,
  );
  root.replaceChildren(h("h2", { class: "visually-hidden" }, "Dashboard"), table, empty);

  function pair(t: TargetView, i: number, now: number): [HTMLTableRowElement, HTMLTableRowElement] {
    const hist = store.history(t.id);
    const open = expanded.has(t.id);
    const detailId = `details-${i}`;
    const toggle = h(
      "button",
      { type: "button", class: "expand", "aria-expanded": String(open), "aria-controls": detailId },
      h("span", { "aria-hidden": "true" }, open ? "▾ " : "▸ "),
      "Details",
      h("span", { class: "visually-hidden" }, ` of ${t.name}`),
    );
    toggle.addEventListener("click", () => {
      if (expanded.has(t.id)) expanded.delete(t.id);
      else expanded.add(t.id);
      redraw(t.id);
      rows.get(t.id)?.[0].querySelector<HTMLButtonElement>("button.expand")?.focus();
    });
    const check = h("button", { type: "button", "aria-label": `Check ${t.name} now` }, "Check");
    check.addEventListener("click", () => run(api.checkNow(t.id)));
    const pending = isPending(t);
    const snoozed = snoozedLabel(store.state, t.id, now);
    const main = h(
      "tr",
      {
        "data-status": t.status, "data-key": t.id, class: t.enabled ? "" : "disabled",
        "data-pending": pending ? String(t.consecutive_failures) : null, "data-snoozed": snoozed ? "" : null,
      },
      h("td", null, statusLabel(t.status, t.enabled),
        pending ? h("span", { class: "pending", title: "A failed check below the failure threshold: probing again to confirm" }, pendingWords(t.consecutive_failures)) : null),
      h("td", null, h("a", { href: href({ view: "target", id: t.id }) }, t.name), " ", h("small", null, t.kind),
        snoozed ? h("span", { class: "snoozed" }, h("span", { "aria-hidden": "true" }, "☾ "), snoozed) : null,
        ...contextLines(t, now)),
      ...latencyCells(hist, pending),
      errorCell(hist),
      h(
        "td",
        { class: "ago" },
        t.checking
          ? "checking…"
          : t.last
            ? h("time", { "data-ago": t.last.at, datetime: t.last.at }, agoWords(t.last.at, now))
            : "not checked yet",
      ),
      h("td", { class: "beats-cell" }, heartbeat(store.beats.get(t.id) ?? [])),
      h("td", { class: "actions" }, toggle, " ", check, " ",
        ...snoozeButtons(t, snoozed !== null, (minutes) => run(api.snoozeTarget(t.id, minutes))).flatMap((b) => [b, " "])),
    );
    main.dataset.target = t.id;
    const detail = h(
      "tr",
      { class: "detail-row", id: detailId, "data-key": `${t.id} details`, hidden: !open },
      h("td", { colspan: "8" }, open ? targetDetails(t, now) : null),
    );
    return [main, detail];
  }

  function render() {
    const targets = store.state?.snapshot.targets ?? [];
    const now = Date.now();
    rows.clear();
    keepingFocus(tbody, () =>
      tbody.replaceChildren(
        ...targets.flatMap((t, i) => {
          const p = pair(t, i, now);
          rows.set(t.id, p);
          return p;
        }),
      ),
    );
    empty.hidden = targets.length > 0;
    table.hidden = !empty.hidden;
  }

  function redraw(id: string) {
    const targets = store.state?.snapshot.targets ?? [];
    const i = targets.findIndex((t) => t.id === id);
    const old = rows.get(id);
    if (i < 0 || !old) return render();
    const p = pair(targets[i], i, Date.now());
    keepingFocus(tbody, () => {
      old[0].replaceWith(p[0]);
      old[1].replaceWith(p[1]);
    });
    rows.set(id, p);
  }

  /** Targets shown as snoozed: when one's snooze runs out, the rows say so without waiting for the core. */
  let shownSnoozes = "";
  const snoozesAt = (now: number) =>
    (store.state?.snapshot.targets ?? []).filter((t) => snoozedLabel(store.state, t.id, now)).map((t) => t.id).join(" ");

  const renderAll = () => {
    render();
    shownSnoozes = snoozesAt(Date.now());
  };

  renderAll();
  return {
    update: (c) => (c.kind === "target" ? redraw(c.id) : c.kind === "state" ? renderAll() : undefined),
    tick: (now) => {
      if (shownSnoozes && snoozesAt(now) !== shownSnoozes) renderAll();
      // "resets in 20 s" counts down between checks.
      tbody.querySelectorAll<HTMLElement>("[data-resets]").forEach((el) => {
        const text = rateLimitWords(Number(el.dataset.resets), now);
        if (el.textContent !== text) el.textContent = text;
      });
    },
  };
}
