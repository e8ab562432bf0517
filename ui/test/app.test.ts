// The page as a whole: one state read, then events; the "… ago" ticker runs only while visible.
/// <reference types="vite/client" />
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import indexHtml from "../index.html?raw";
import { start } from "../src/app";
import { fakeBackend, type Replies } from "./fake-backend";
import { history as historyView, iso, NOW, outcome, settingsView, stateView, target, timelineView } from "./fixtures";

const body = indexHtml.match(/<body>([\s\S]*)<\/body>/)![1];

function boot(inApp = false, timeline: Replies["timeline"] = timelineView([historyView("ollama")]), route = "/#/") {
  document.body.innerHTML = body.replace(/<script[\s\S]*?<\/script>/, "");
  history.replaceState(null, "", route);
  const state = stateView([target("ollama", "healthy", { name: "Ollama", last: outcome({ at: iso(NOW - 12_000) }) })]);
  const fake = fakeBackend(inApp, {
    getState: state,
    timeline,
    history: historyView("ollama"),
    getSettings: settingsView(inApp),
    checkNow: new Error("This change needs the access token. Open the address that `llm-health serve` printed."),
  });
  start(fake.api);
  return fake;
}

const ago = () => document.querySelector('tr[data-target="ollama"] time')?.textContent;

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
  Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
});
afterEach(() => vi.useRealTimers());

describe("the page", () => {
  it("closes the app's window to the tray on Ctrl+W, and leaves a browser tab alone", async () => {
    const press = () => window.dispatchEvent(new KeyboardEvent("keydown", { key: "w", ctrlKey: true, cancelable: true }));
    const tab = boot(false);
    await vi.advanceTimersByTimeAsync(0);
    press();
    expect(tab.api.hideWindow).not.toHaveBeenCalled();
    const app = boot(true);
    await vi.advanceTimersByTimeAsync(0);
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "w" }));
    expect(app.api.hideWindow).not.toHaveBeenCalled();
    press();
    expect(app.api.hideWindow).toHaveBeenCalledTimes(1);
  });

  it("reads the state once and keeps 'checked … ago' current while visible", async () => {
    const fake = boot();
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.api.getState).toHaveBeenCalledTimes(1);
    expect(fake.api.timeline).toHaveBeenCalledWith({ range: "24h", buckets: 48 });
    expect(ago()).toBe("12 s ago");
    await vi.advanceTimersByTimeAsync(3000);
    expect(ago()).toBe("15 s ago");
    // Hidden: no ticking at all.
    fake.visible(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(ago()).toBe("15 s ago");
    expect(vi.getTimerCount()).toBe(0);
    fake.visible(true);
    expect(ago()).toBe("20 s ago");
    // A live check updates the row; no state read follows.
    fake.emit({ type: "checked", target: "ollama", status: "healthy", score: 1, consecutive_failures: 0, outcome: outcome({ at: iso(Date.now()) }) });
    expect(ago()).toBe("0 s ago");
    await vi.advanceTimersByTimeAsync(2000);
    expect(ago()).toBe("2 s ago");
    expect(fake.api.getState).toHaveBeenCalledTimes(1);
    expect(document.getElementById("summary")!.textContent).toBe("All 1 healthy.");
  });

  it("draws the dashboard once with the first reads, not once for each", async () => {
    const drawn: Element[] = [];
    new MutationObserver((records) => {
      for (const r of records) r.addedNodes.forEach((n) => n instanceof Element && n.matches("tr[data-target]") && drawn.push(n));
    }).observe(document.body, { childList: true, subtree: true });
    boot();
    await vi.advanceTimersByTimeAsync(0);
    const row = document.querySelector('tr[data-target="ollama"]')!;
    // State, 24-hour history and heartbeat strips, all in the one drawing.
    expect(row.querySelector("svg.spark")).not.toBeNull();
    expect(row.querySelector(".beats")).not.toBeNull();
    expect(drawn).toHaveLength(1);
  });

  it("draws the rows without the history when it is slow to come", async () => {
    boot(false, (() => new Promise(() => {})) as never);
    await vi.advanceTimersByTimeAsync(0);
    expect(document.querySelector('tr[data-target="ollama"]')).toBeNull();
    await vi.advanceTimersByTimeAsync(300);
    const row = document.querySelector('tr[data-target="ollama"]')!;
    expect(row).not.toBeNull();
    expect(row.querySelector("svg.spark")).toBeNull();
  });

  it("on another page, shows the state at once, without waiting for the dashboard's history", async () => {
    boot(false, (() => new Promise(() => {})) as never, "/#/incidents");
    await vi.advanceTimersByTimeAsync(0);
    expect(document.getElementById("summary")!.textContent).toBe("All 1 healthy.");
  });

  it("says when the history cannot be written, until it can again", async () => {
    const fake = boot();
    await vi.advanceTimersByTimeAsync(0);
    const shown = () => document.getElementById("history-problem")!;
    expect(shown().hidden).toBe(true);
    const state = stateView([target("ollama", "healthy", { name: "Ollama" })]);
    const problem = "history cannot be written since 2026-12-01 22:01 UTC (database or disk is full); 12 events are kept in memory and retried";
    fake.pushState({ ...state, history_problem: problem });
    expect(shown().hidden).toBe(false);
    expect(shown().textContent).toBe(`History: ${problem}`);
    fake.pushState({ ...state, history_problem: null });
    expect(shown().hidden).toBe(true);
  });

  it("shows the connection and reads the history again after a reconnect", async () => {
    const fake = boot();
    await vi.advanceTimersByTimeAsync(0);
    const conn = document.getElementById("conn")!;
    fake.connect("live");
    expect(conn.dataset.state).toBe("live");
    expect(fake.api.timeline).toHaveBeenCalledTimes(1);
    fake.connect("reconnecting");
    expect(conn.dataset.state).toBe("reconnecting");
    expect(conn.textContent).toContain("Reconnecting");
    fake.connect("live");
    expect(fake.api.timeline).toHaveBeenCalledTimes(2);
  });

  it("reads the 24-hour history again once a minute while checks come in, for the percentiles", async () => {
    // The page opened before anything was checked; then checks arrive.
    const reads = [
      timelineView([historyView("ollama", { checks: 0, p50_ms: null, p90_ms: null, p99_ms: null })]),
      timelineView([historyView("ollama", { p50_ms: 120, p90_ms: 250, p99_ms: 400 })]),
    ];
    const fake = boot(false, () => reads.shift() ?? reads[0]);
    const pcts = () => document.querySelector('tr[data-target="ollama"] .pcts')?.textContent;
    await vi.advanceTimersByTimeAsync(0);
    expect(pcts()).toBe("— · — · —");
    // Nothing checked: nothing to read again, however long the page stays open.
    await vi.advanceTimersByTimeAsync(120_000);
    expect(fake.api.timeline).toHaveBeenCalledTimes(1);
    fake.emit({ type: "checked", target: "ollama", status: "healthy", score: 1, consecutive_failures: 0, outcome: outcome({ at: iso(Date.now()) }) });
    await vi.advanceTimersByTimeAsync(1000);
    expect(fake.api.timeline).toHaveBeenCalledTimes(2);
    expect(pcts()).toBe("120 ms · 250 ms · 400 ms");
    // More checks: at most one read a minute, and none while the page is hidden.
    fake.emit({ type: "checked", target: "ollama", status: "healthy", score: 1, consecutive_failures: 0, outcome: outcome({ at: iso(Date.now()) }) });
    await vi.advanceTimersByTimeAsync(58_000);
    expect(fake.api.timeline).toHaveBeenCalledTimes(2);
    fake.visible(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.api.timeline).toHaveBeenCalledTimes(2);
    fake.visible(true);
    expect(fake.api.timeline).toHaveBeenCalledTimes(3);
  });

  it("starts the keyboard at the new page's content after a badge or link led there", async () => {
    boot();
    await vi.advanceTimersByTimeAsync(0);
    const badge = document.querySelector<HTMLAnchorElement>('#badges [data-target="ollama"]')!;
    badge.focus();
    badge.click();
    await vi.advanceTimersByTimeAsync(10);
    expect(location.hash).toBe("#/target/ollama");
    expect(document.activeElement).toBe(document.getElementById("main"));
  });

  it("reads the history once when the app's window is shown again after a minute of checks", async () => {
    const fake = boot(true);
    await vi.advanceTimersByTimeAsync(0);
    fake.visible(false);
    fake.emit({ type: "checked", target: "ollama", status: "healthy", score: 1, consecutive_failures: 0, outcome: outcome({ at: iso(Date.now()) }) });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(fake.api.timeline).toHaveBeenCalledTimes(1);
    fake.visible(true);
    expect(fake.api.timeline).toHaveBeenCalledTimes(2);
  });

  it("says why a change was refused", async () => {
    boot();
    document.getElementById("check-now")!.click();
    await vi.advanceTimersByTimeAsync(0);
    expect(document.getElementById("app-message")!.textContent).toContain("access token");
  });

  it("opens the view the app's tray asks for", async () => {
    const fake = boot(true);
    await vi.advanceTimersByTimeAsync(0);
    fake.visible(true, "target/ollama");
    expect(location.hash).toBe("#/target/ollama");
    await vi.advanceTimersByTimeAsync(10);
    expect(document.querySelector("nav a[aria-current]")).toBeNull();
    expect(document.querySelector("#view h2")!.textContent).toBe("Ollama ollama");
    expect(document.querySelector("#timeline canvas")).not.toBeNull();
    fake.visible(true, "settings");
    await vi.advanceTimersByTimeAsync(10);
    expect(document.getElementById("show-settings")!.getAttribute("aria-current")).toBe("page");
  });
});
