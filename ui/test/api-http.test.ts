// The browser transport against a stand-in for `llm-health serve`: fetch and EventSource are the
// remote server here, so only these tests stub them.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createBackend, NEEDS_TOKEN, type Connection } from "../src/api";
import type { MonitorEvent, StateView } from "../src/generated/types";
import { iso, NOW, outcome, stateView, target } from "./fixtures";

class FakeEventSource {
  static last: FakeEventSource | null = null;
  readyState = 0;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  listeners: Record<string, ((e: { data: string }) => void)[]> = {};
  closed = false;
  constructor(public url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(type: string, f: (e: { data: string }) => void) {
    (this.listeners[type] ??= []).push(f);
  }
  close() {
    this.closed = true;
  }
  emit(type: string, data: unknown) {
    this.listeners[type]?.forEach((f) => f({ data: JSON.stringify(data) }));
  }
}

type Call = { url: string; init: RequestInit };
function fakeFetch(reply: (c: Call) => { status: number; body: unknown }) {
  const calls: Call[] = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const r = reply({ url, init });
    return new Response(r.body === undefined ? "" : JSON.stringify(r.body), { status: r.status });
  });
  return calls;
}

beforeEach(() => {
  sessionStorage.clear();
  history.replaceState(null, "", "/");
  vi.stubGlobal("EventSource", FakeEventSource);
});
afterEach(() => {
  FakeEventSource.last = null;
});

describe("HTTP transport", () => {
  it("takes the token from the address, cleans the address and sends it as a bearer token", async () => {
    history.replaceState(null, "", "/#token=c0ffee42");
    const calls = fakeFetch(() => ({ status: 200, body: null }));
    const api = createBackend();
    expect(api.inApp).toBe(false);
    expect(location.hash).toBe("#/");
    expect(location.href).not.toContain("c0ffee42");
    expect(sessionStorage.getItem("llm-health-token")).toBe("c0ffee42");
    await api.checkNow("ollama");
    expect(calls[0].url).toBe("/api/check_now");
    expect(calls[0].init.method).toBe("POST");
    const headers = calls[0].init.headers as Record<string, string>;
    expect(headers.Authorization).toBe("Bearer c0ffee42");
    expect(headers["Content-Type"]).toBe("application/json");
    expect(JSON.parse(calls[0].init.body as string)).toEqual({ target: "ollama" });
  });

  it("keeps the token for the tab after a reload, and sends none when there is none", async () => {
    const calls = fakeFetch(() => ({ status: 200, body: "x = 1" }));
    await createBackend().exportToml();
    expect((calls[0].init.headers as Record<string, string>).Authorization).toBeUndefined();
    sessionStorage.setItem("llm-health-token", "feed");
    expect(await createBackend().exportToml()).toBe("x = 1");
    expect((calls[1].init.headers as Record<string, string>).Authorization).toBe("Bearer feed");
  });

  it("passes camelCase args as the JSON body", async () => {
    const calls = fakeFetch(() => ({ status: 200, body: null }));
    const api = createBackend();
    await api.importToml("[[targets]]");
    await api.saveSettings({ targets: [] }, null, null);
    await api.history("ollama", { range: "7d" });
    expect(calls.map((c) => [c.url, JSON.parse(c.init.body as string)])).toEqual([
      ["/api/import_toml", { textToml: "[[targets]]" }],
      ["/api/save_settings", { config: { targets: [] }, notifications: null, startAtLogin: null }],
      ["/api/history", { target: "ollama", range: "7d" }],
    ]);
  });

  it("surfaces the server's error sentence, and on 401 says how to get the token", async () => {
    fakeFetch(({ url }) =>
      url.endsWith("import_toml")
        ? { status: 400, body: { error: "imported config:3: targets[0].kind: unknown variant `olama`" } }
        : { status: 401, body: { error: "This change needs the access token." } },
    );
    const api = createBackend();
    await expect(api.importToml("x")).rejects.toThrow("imported config:3: targets[0].kind: unknown variant `olama`");
    const err = await api.removeTarget("ollama").catch((e: Error) => e);
    expect((err as Error).message).toContain(NEEDS_TOKEN);
    expect((err as Error).message).toContain("llm-health serve");
  });

  it("dispatches monitor and state events and shows the connection", () => {
    const api = createBackend();
    const events: MonitorEvent[] = [];
    const states: StateView[] = [];
    const conn: Connection[] = [];
    api.onConnection((c) => conn.push(c));
    api.onMonitor((e) => events.push(e));
    api.onState((s) => states.push(s));
    const es = FakeEventSource.last!;
    expect(es.url).toBe("/api/events");
    es.readyState = 1;
    es.onopen!();
    const checked: MonitorEvent = {
      type: "checked", target: "ollama", status: "healthy", score: 1, consecutive_failures: 0, outcome: outcome({ at: iso(NOW) }),
    };
    es.emit("monitor", checked);
    es.emit("state", stateView([target("ollama")]));
    expect(events).toEqual([checked]);
    expect(states[0].snapshot.targets[0].id).toBe("ollama");
    es.readyState = 0;
    es.onerror!();
    es.readyState = 1;
    es.onopen!();
    expect(conn).toEqual(["reconnecting", "live", "reconnecting", "live"]);
  });

  it("reopens the stream after the server closed it for good", () => {
    vi.useFakeTimers();
    try {
      const api = createBackend();
      const conn: Connection[] = [];
      api.onConnection((c) => conn.push(c));
      const first = FakeEventSource.last!;
      first.readyState = 2;
      first.onerror!();
      expect(first.closed).toBe(true);
      vi.advanceTimersByTime(1000);
      const second = FakeEventSource.last!;
      expect(second).not.toBe(first);
      second.onopen!();
      expect(conn).toEqual(["reconnecting", "live"]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("reports page visibility from the document", () => {
    const api = createBackend();
    const seen: boolean[] = [];
    api.onVisibility((v) => seen.push(v));
    Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
    Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
    expect(seen).toEqual([false, true]);
  });
});
