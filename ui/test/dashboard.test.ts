import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Store } from "../src/store";
import { dashboard, snoozedLabel } from "../src/views/dashboard";
import { probeDetails } from "../src/views/details";
import { clock } from "../src/format";
import { renderSummary, summaryText } from "../src/views/summary";
import { STATUSES } from "../src/generated/tables";
import { ctx, fakeBackend, settle } from "./fake-backend";
import { history, HOUR, iso, latency, NOW, outcome, stateView, target, timelineView } from "./fixtures";

function mount(n = 50) {
  const targets = Array.from({ length: n }, (_, i) => target(`t${i}`, STATUSES[i % 4]));
  const store = new Store();
  store.setState(stateView(targets));
  store.setSeries(timelineView(targets.map((t) => history(t.id))));
  const root = document.createElement("div");
  document.body.replaceChildren(root);
  const { api } = fakeBackend(true);
  const view = dashboard(root, ctx(api, store));
  store.subscribe((c) => view.update?.(c));
  return { root, store, api };
}

beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ["Date"] });
});
afterEach(() => vi.useRealTimers());

describe("dashboard", () => {
  it("renders 50 targets, each with shape and word for its status", () => {
    const { root } = mount(50);
    const rows = root.querySelectorAll<HTMLTableRowElement>("tr[data-target]");
    expect(rows).toHaveLength(50);
    expect(rows[0].dataset).toMatchObject({ target: "t0", status: "healthy" });
    expect(rows[0].cells[0].textContent).toBe("● healthy ✓");
    expect(rows[1].cells[0].textContent).toBe("▲ degraded !");
    expect(rows[2].cells[0].textContent).toBe("■ unhealthy ×");
    expect(rows[3].cells[0].textContent).toBe("○ unknown –");
    // The detail rows are not targets.
    expect(root.querySelectorAll("tr.detail-row[data-target]")).toHaveLength(0);
    expect(root.querySelectorAll("tr.detail-row")).toHaveLength(50);
  });

  it("shows the sparkline, percentiles, error rate with its trend and when it was checked", () => {
    const store = new Store();
    store.setState(stateView([target("ollama")]));
    const from = NOW - 24 * HOUR;
    store.setSeries(timelineView([history("ollama", {
      error_rate: 0.0125, p50_ms: 110, p90_ms: 230, p99_ms: 12_500,
      latency: latency(from, NOW, 48, 100, (i) => (i >= 24 ? 1 : 0)),
    })]));
    const root = document.createElement("div");
    dashboard(root, ctx(fakeBackend(true).api, store));
    const row = root.querySelector<HTMLTableRowElement>('tr[data-target="ollama"]')!;
    expect(row.querySelector("svg.spark path")!.getAttribute("d")).toMatch(/^M0\.0 /);
    // The 24 buckets with failures are ticks of one path.
    const ticks = row.querySelectorAll("svg.spark .fail");
    expect(ticks).toHaveLength(1);
    expect(ticks[0].getAttribute("d")!.match(/M/g)).toHaveLength(24);
    expect(row.cells[3].textContent).toBe("110 ms · 230 ms · 12.5 s");
    expect(row.cells[4].textContent).toBe("1.3% ↑");
    expect(row.cells[4].querySelector("[aria-label]")!.getAttribute("aria-label")).toContain("rising");
    expect(row.cells[5].textContent).toBe("12 s ago");
  });

  it("expands the details with the keyboard, keeping focus on the button", () => {
    const { root, store } = mount(2);
    const last = outcome({
      class: "rate_limited", http_status: 429, message: "429 Too Many Requests", latency_ms: 800,
      details: {
        models: ["llama3.2:3b", "qwen2.5:7b"],
        loaded_models: [{ name: "llama3.2:3b", vram_share: 0.75, size_bytes: 2 * 1024 ** 3 }],
        rate_limit: { requests_remaining: 12, requests_limit: 500, requests_reset_ms: 30_000 },
        ttft_ms: 240, tokens_per_second: 41.26,
      },
    });
    store.apply({ type: "checked", target: "t0", status: "degraded", score: 0.5, consecutive_failures: 0, outcome: last });
    const button = root.querySelector<HTMLButtonElement>('tr[data-target="t0"] button.expand')!;
    expect(button.getAttribute("aria-expanded")).toBe("false");
    button.focus();
    button.click(); // what Enter or Space does on a focused button
    const again = root.querySelector<HTMLButtonElement>('tr[data-target="t0"] button.expand')!;
    expect(again.getAttribute("aria-expanded")).toBe("true");
    expect(document.activeElement).toBe(again);
    const detail = document.getElementById(again.getAttribute("aria-controls")!)!;
    expect(detail.hidden).toBe(false);
    const text = detail.textContent!;
    expect(text).toContain("Models (2)llama3.2:3b, qwen2.5:7b");
    expect(text).toContain("llama3.2:3b — 75% in VRAM (2.0 GB)");
    expect(text).toContain("12 of 500 left, resets in 30 s");
    expect(text).toContain("Time to first token240 ms");
    expect(text).toContain("Tokens per second41.3");
    expect(text).toContain("Last errorrate limited: 429 Too Many Requests (HTTP 429)");
    expect(text).toContain("Health score50%");
    again.click();
    expect(root.querySelector('tr[data-target="t0"] button.expand')!.getAttribute("aria-expanded")).toBe("false");
  });

  it("counts every model the server listed, not only the ones the probe kept", () => {
    const { root, store } = mount(1);
    const kept = Array.from({ length: 64 }, (_, i) => `model-${i}`);
    const last = outcome({ details: { models: kept, models_total: 45_231 } });
    store.apply({ type: "checked", target: "t0", status: "healthy", score: 1, consecutive_failures: 0, outcome: last });
    root.querySelector<HTMLButtonElement>('tr[data-target="t0"] button.expand')!.click();
    const expand = root.querySelector<HTMLButtonElement>('tr[data-target="t0"] button.expand')!;
    const text = document.getElementById(expand.getAttribute("aria-controls")!)!.textContent!;
    expect(text).toContain("Models (45231)model-0, model-1");
    expect(text).toContain("model-11 and 45219 more");
  });

  it("says how to begin instead of showing an empty table", () => {
    const { root, store } = mount(0);
    expect(root.querySelector<HTMLElement>("#dashboard-table")!.hidden).toBe(true);
    expect(root.querySelector<HTMLElement>("p.empty")!.hidden).toBe(false);
    store.setState(stateView([target("ollama")]));
    expect(root.querySelector<HTMLElement>("#dashboard-table")!.hidden).toBe(false);
    expect(root.querySelector<HTMLElement>("p.empty")!.hidden).toBe(true);
  });

  it("redraws only the row an event is about", () => {
    const { root, store } = mount(3);
    const other = root.querySelector('tr[data-target="t1"]');
    store.apply({ type: "transition", target: "t0", at: iso(NOW), from: "healthy", to: "unhealthy", class: "connect", reason: "refused" });
    expect(root.querySelector<HTMLElement>('tr[data-target="t0"]')!.dataset.status).toBe("unhealthy");
    expect(root.querySelector('tr[data-target="t1"]')).toBe(other);
  });

  it("keeps the keyboard focus where it was when rows are redrawn", () => {
    const { root, store } = mount(3);
    const checkButton = () => root.querySelector<HTMLButtonElement>('button[aria-label="Check T1 now"]')!;
    checkButton().focus();
    // A check of that very target redraws its row.
    store.apply({ type: "checked", target: "t1", status: "healthy", score: 1, consecutive_failures: 0, outcome: outcome({ at: iso(NOW) }) });
    expect(document.activeElement).toBe(checkButton());
    // The history read again redraws every row.
    const link = root.querySelector<HTMLAnchorElement>('tr[data-target="t2"] a')!;
    link.focus();
    store.setSeries(timelineView(["t0", "t1", "t2"].map((id) => history(id))));
    expect(root.querySelector('tr[data-target="t2"] a')).not.toBe(link);
    expect(document.activeElement).toBe(root.querySelector('tr[data-target="t2"] a'));
  });
});

describe("dashboard: snooze", () => {
  function snoozeMount(snoozed: Record<string, string>) {
    const store = new Store();
    store.setState(stateView([target("ollama", "healthy", { name: "Ollama" }), target("openai", "healthy", { name: "OpenAI" })], { snoozed_until: snoozed }));
    const root = document.createElement("div");
    document.body.replaceChildren(root);
    const { api } = fakeBackend(false);
    const view = dashboard(root, ctx(api, store));
    store.subscribe((c) => view.update?.(c));
    return { root, store, api, view };
  }
  const row = (root: HTMLElement, id: string) => root.querySelector<HTMLTableRowElement>(`tr[data-target="${id}"]`)!;
  const buttons = (tr: HTMLElement) => [...tr.querySelectorAll<HTMLButtonElement>("button.snooze")];

  it("says until when a target is snoozed, only while it is", () => {
    const until = iso(NOW + HOUR);
    expect(snoozedLabel({ snoozed_until: { ollama: until } }, "ollama", NOW)).toBe(`snoozed until ${clock(until)}`);
    expect(snoozedLabel({ snoozed_until: { ollama: until } }, "openai", NOW)).toBeNull();
    expect(snoozedLabel({ snoozed_until: { ollama: iso(NOW - 1) } }, "ollama", NOW)).toBeNull();
    expect(snoozedLabel(null, "ollama", NOW)).toBeNull();
  });

  it("offers 1 h and until tomorrow, and sends the minutes", () => {
    const { root, api } = snoozeMount({});
    const [hour, tomorrow] = buttons(row(root, "ollama"));
    expect([hour.textContent, tomorrow.textContent]).toEqual(["Snooze 1 h", "Until tomorrow"]);
    expect(hour.getAttribute("aria-label")).toBe("Snooze Ollama's notices for 1 hour");
    hour.click();
    expect(api.snoozeTarget).toHaveBeenLastCalledWith("ollama", 60);
    tomorrow.click();
    expect(api.snoozeTarget).toHaveBeenLastCalledWith("ollama", 0);
    expect(row(root, "ollama").dataset.snoozed).toBeUndefined();
  });

  it("shows the snooze from the state, ends it, and drops it when the state does or time runs out", () => {
    const until = iso(NOW + 3 * HOUR);
    const { root, api, store, view } = snoozeMount({ openai: until });
    const tr = row(root, "openai");
    expect(tr.dataset.snoozed).toBe("");
    expect(tr.querySelector(".snoozed")!.textContent).toBe(`☾ snoozed until ${clock(until)}`);
    const end = buttons(tr);
    expect(end.map((b) => b.textContent)).toEqual(["End snooze"]);
    end[0].click();
    expect(api.snoozeTarget).toHaveBeenLastCalledWith("openai", null);
    expect(row(root, "ollama").querySelector(".snoozed")).toBeNull();
    // The live state after the command: no snooze.
    store.setState({ ...store.state!, snoozed_until: {} });
    expect(row(root, "openai").querySelector(".snoozed")).toBeNull();
    expect(buttons(row(root, "openai")).map((b) => b.textContent)).toEqual(["Snooze 1 h", "Until tomorrow"]);
    // A snooze running out while the page is open.
    store.setState({ ...store.state!, snoozed_until: { openai: until } });
    view.tick?.(NOW + HOUR);
    expect(row(root, "openai").dataset.snoozed).toBe("");
    vi.setSystemTime(NOW + 3 * HOUR + 1000);
    view.tick?.(NOW + 3 * HOUR + 1000);
    expect(row(root, "openai").dataset.snoozed).toBeUndefined();
  });
});

describe("dashboard: pending checks", () => {
  it("shows a failure below the threshold on the row and the sparkline, unlike degraded", () => {
    const store = new Store();
    store.setState(stateView([target("ollama", "healthy", { name: "Ollama" }), target("groq", "degraded", { name: "Groq" })]));
    store.setSeries(timelineView([history("ollama"), history("groq")]));
    const root = document.createElement("div");
    document.body.replaceChildren(root);
    const view = dashboard(root, ctx(fakeBackend(false).api, store));
    store.subscribe((c) => view.update?.(c));
    const row = (id: string) => root.querySelector<HTMLTableRowElement>(`tr[data-target="${id}"]`)!;
    expect(row("ollama").dataset.pending).toBeUndefined();
    expect(row("groq").dataset.pending).toBeUndefined();
    expect(row("groq").querySelector(".pending, .spark .pending")).toBeNull();

    const failed = outcome({ at: iso(NOW), class: "connect", http_status: null, message: "connection refused" });
    store.apply({ type: "checked", target: "ollama", status: "healthy", score: 0.9, consecutive_failures: 1, outcome: failed });
    const tr = row("ollama");
    expect(tr.dataset).toMatchObject({ status: "healthy", pending: "1" });
    expect(tr.cells[0].textContent).toBe("● healthy ✓1 failed check, confirming…");
    expect(tr.querySelector(".spark circle.pending")).not.toBeNull();
    expect(tr.querySelector(".spark")!.getAttribute("aria-label")).toMatch(/the last check failed, confirming$/);

    store.apply({ type: "checked", target: "ollama", status: "healthy", score: 0.8, consecutive_failures: 2, outcome: failed });
    expect(row("ollama").cells[0].textContent).toContain("2 failed checks, confirming…");
    // Confirmed: the outage itself, no longer pending.
    store.apply({ type: "checked", target: "ollama", status: "unhealthy", score: 0.7, consecutive_failures: 3, outcome: failed });
    expect(row("ollama").dataset.pending).toBeUndefined();
    expect(row("ollama").querySelector(".pending")).toBeNull();
    // A success ends it.
    store.apply({ type: "checked", target: "groq", status: "degraded", score: 1, consecutive_failures: 0, outcome: outcome({ at: iso(NOW) }) });
    expect(row("groq").dataset.pending).toBeUndefined();
  });
});

describe("summary", () => {
  it("counts the healthy and names the rest with since when", () => {
    const s = stateView([
      target("ollama"),
      target("openai", "unhealthy", { name: "OpenAI", since: iso(NOW - 12 * 60_000) }),
      target("groq", "degraded", { name: "Groq", since: iso(NOW - 3 * HOUR) }),
      target("off", "unknown", { enabled: false }),
    ]);
    expect(summaryText(s, NOW)).toMatch(/^1 of 3 healthy\. OpenAI unhealthy since .+ \(12 min\); Groq degraded since .+ \(3 h\)\.$/);
    expect(summaryText(stateView([target("a"), target("b")]), NOW)).toBe("All 2 healthy.");
    expect(summaryText(stateView([]), NOW)).toBe("No endpoints are watched yet.");
  });
});

describe("badges", () => {
  function badges() {
    const summary = document.createElement("p");
    const strip = document.createElement("div");
    document.body.replaceChildren(summary, strip);
    renderSummary(summary, strip, stateView([
      target("ollama", "healthy", { name: "Ollama" }),
      target("openai", "unhealthy", { name: "OpenAI", since: iso(NOW - 5 * 60_000), last: outcome({ class: "auth", message: "401 invalid api key" }) }),
    ]), NOW);
    return strip;
  }

  it("shows a shape per target and a tooltip with name, status, since and last message", () => {
    const strip = badges();
    const b = strip.querySelector<HTMLAnchorElement>('[data-target="openai"]')!;
    expect(b.dataset.status).toBe("unhealthy");
    expect(b.getAttribute("aria-label")).toBe("OpenAI: unhealthy");
    const tip = document.getElementById(b.getAttribute("aria-describedby")!)!;
    expect(tip.getAttribute("role")).toBe("tooltip");
    expect(tip.textContent).toMatch(/^OpenAI■ unhealthy since .+ \(5 min\)401 invalid api key$/);
    expect(strip.querySelector('[data-target="ollama"] [aria-hidden]')!.textContent).toBe("●");
  });

  it("opens the target's report on click and on Enter", async () => {
    const strip = badges();
    location.hash = "#/";
    strip.querySelector<HTMLElement>('[data-target="openai"]')!.click();
    await settle();
    expect(location.hash).toBe("#/target/openai");
    location.hash = "#/";
    strip.querySelector<HTMLElement>('[data-target="ollama"]')!.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(location.hash).toBe("#/target/ollama");
  });

  it("keeps the keyboard focus on a badge when the strip is redrawn", () => {
    const strip = badges();
    strip.querySelector<HTMLElement>('[data-target="openai"]')!.focus();
    const summary = document.querySelector("p")!;
    renderSummary(summary, strip, stateView([
      target("ollama", "unhealthy", { name: "Ollama" }),
      target("openai", "healthy", { name: "OpenAI" }),
    ]), NOW);
    const now = strip.querySelector<HTMLElement>('[data-target="openai"]')!;
    expect(now.dataset.status).toBe("healthy");
    expect(document.activeElement).toBe(now);
  });
});

describe("dashboard: why, the provider's word and the last checks", () => {
  function mountOne(t: ReturnType<typeof target>) {
    const store = new Store();
    store.setState(stateView([t]));
    store.setSeries(timelineView([history(t.id)]));
    const root = document.createElement("div");
    document.body.replaceChildren(root);
    const view = dashboard(root, ctx(fakeBackend(false).api, store));
    store.subscribe((c) => view.update?.(c));
    const row = () => root.querySelector<HTMLTableRowElement>(`tr[data-target="${t.id}"]`)!;
    return { store, view, row };
  }

  it("says why a row is not healthy and counts a rate limit's reset down between checks", () => {
    const limited = outcome({ at: iso(NOW), class: "rate_limited", http_status: 429, message: "429 Too Many Requests", details: { retry_after_ms: 20_000 } });
    const { view, row } = mountOne(target("groq", "degraded", { name: "Groq", last: limited }));
    expect(row().querySelector(".cause")!.textContent).toBe("rate limited — resets in 20 s");
    vi.setSystemTime(NOW + 6_000);
    view.tick?.(NOW + 6_000);
    expect(row().querySelector(".cause")!.textContent).toBe("rate limited — resets in 14 s");
    view.tick?.(NOW + 30_000);
    expect(row().querySelector(".cause")!.textContent).toBe("rate limited");
  });

  it("names low credits, a loading model and the server's load; a healthy row gives no cause", () => {
    const credits = mountOne(target("openrouter", "degraded", {
      last: outcome({ class: "credits_low", message: "credits low: 2.10 USD left", details: { credits: { remaining: 2.1, limit: 10, unit: "USD" } } }),
    }));
    expect(credits.row().querySelector(".cause")!.textContent).toBe("credits low: 2.10 USD left");
    expect(credits.row().querySelector(".headroom")!.textContent).toBe("2.10 USD left of 10.00");
    const llama = mountOne(target("llama", "degraded", { kind: "llamacpp", last: outcome({ class: "loading", http_status: 503, message: "Loading model" }) }));
    expect(llama.row().querySelector(".cause")!.textContent).toBe("loading model (HTTP 503)");
    const vllm = mountOne(target("vllm", "healthy", { kind: "vllm", last: outcome({ details: { server_load: { running: 3, waiting: 1, kv_cache_used: 0.42 } } }) }));
    expect(vllm.row().querySelector(".cause")).toBeNull();
    expect(vllm.row().querySelector(".headroom")!.textContent).toBe("3 running, 1 waiting, KV cache 42 %");
  });

  it("shows what the provider's status page reports, even while our own checks pass, and not our status", () => {
    const page = { provider: "OpenAI", component: "API", component_status: "partial_outage" as const,
      incidents: [{ name: "Elevated error rates", status: "investigating", url: "https://status.openai.com/incidents/1" }] };
    const { store, row } = mountOne(target("openai", "healthy", { name: "OpenAI", kind: "openai", last: outcome({ details: { provider_status: page } }) }));
    expect(row().dataset.status).toBe("healthy");
    expect(row().querySelector(".provider-news")!.textContent).toBe("provider incident: OpenAI reports: Elevated error rates — investigating");
    // The details name the component and link the incident.
    const details = probeDetails({ provider_status: { ...page, incidents: [...page.incidents, { name: "Bad link", url: "javascript:alert(1)" }] }, credits: { remaining: 3, unit: "USD" } })!;
    expect(details.textContent).toContain("OpenAI status pageAPI: partial outage");
    expect(details.textContent).toContain("Credits3.00 USD left");
    const links = [...details.querySelectorAll("a")].map((a) => a.getAttribute("href"));
    expect(links).toEqual(["https://status.openai.com/incidents/1"]);
    // Resolved: the next check's page lists nothing amiss, and the line goes.
    store.apply({ type: "checked", target: "openai", status: "healthy", score: 1, consecutive_failures: 0,
      outcome: outcome({ at: iso(NOW), details: { provider_status: { ...page, component_status: "operational", incidents: [] } } }) });
    expect(row().querySelector(".provider-news")).toBeNull();
  });

  it("draws the last 30 checks with colour, shape and words, and appends live checks", () => {
    const { store, row } = mountOne(target("ollama", "healthy", { name: "Ollama" }));
    expect(row().querySelector(".beats")!.getAttribute("aria-label")).toBe("No checks yet");
    const beat = (i: number, cls: "ok" | "connect" | "slow") => ({ at: iso(NOW - (40 - i) * 30_000), class: cls, status: "healthy" as const, latency_ms: 100 });
    store.setBeats({ ollama: Array.from({ length: 35 }, (_, i) => beat(i, i === 34 ? "slow" : "ok")) });
    const strip = () => [...row().querySelectorAll<HTMLElement>(".beats .beat")];
    const latest = () => strip()[strip().length - 1];
    expect(strip()).toHaveLength(30);
    expect(latest().dataset.status).toBe("degraded");
    expect(latest().textContent).toBe("▲");
    store.apply({ type: "checked", target: "ollama", status: "healthy", score: 0.9, consecutive_failures: 1,
      outcome: outcome({ at: iso(NOW), class: "connect", http_status: null, message: "connection refused" }) });
    expect(strip()).toHaveLength(30);
    expect(latest().dataset.status).toBe("unhealthy");
    expect(latest().textContent).toBe("■");
    expect(latest().title).toMatch(/not running or unreachable, 120 ms$/);
    expect(row().querySelector(".beats")!.getAttribute("aria-label")).toBe(
      "Last 30 checks: 28 healthy, 1 degraded, 1 unhealthy; the latest unhealthy (not running or unreachable)",
    );
    // The history read again after a reconnect keeps a live check it has not written yet.
    store.setBeats({ ollama: [beat(1, "ok")] });
    expect(strip().map((b) => b.dataset.status)).toEqual(["healthy", "unhealthy"]);
  });
});
