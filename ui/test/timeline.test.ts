import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Store } from "../src/store";
import { timelinePage } from "../src/views/timeline";
import type { FakeContext } from "./setup";
import { ctx, fakeBackend } from "./fake-backend";
import type { MaintenanceBand, ProviderIncidentSpan } from "../src/generated/types";
import { history, HOUR, incident, iso, NOW, outcome, timelineView } from "./fixtures";

const FROM = NOW - 24 * HOUR;

function mount(maintenance: MaintenanceBand[] = [], provider: ProviderIncidentSpan[] = []) {
  const ollama = history("ollama", {
    segments: [
      { from: iso(FROM), to: iso(NOW - 2 * HOUR), status: "healthy" },
      { from: iso(NOW - 2 * HOUR), to: iso(NOW - HOUR), status: "unhealthy" },
      { from: iso(NOW - HOUR), to: iso(NOW), status: "healthy" },
    ],
    incidents: [incident("ollama", 120, 60, { cause: "server_error", message: "500 Internal Server Error" })],
  });
  const openai = history("openai", { name: "OpenAI" });
  const fake = fakeBackend(false, { timeline: timelineView([ollama, openai], FROM, NOW, maintenance, provider) });
  const root = document.createElement("div");
  document.body.replaceChildren(root);
  const store = new Store();
  const view = timelinePage(root, ctx(fake.api, store));
  store.subscribe((c) => view.update?.(c));
  const canvas = root.querySelector<HTMLCanvasElement>("#timeline canvas")!;
  return { fake, root, canvas, store, view };
}

const key = (el: Element, k: string) => el.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true }));
const span = (c: HTMLCanvasElement) => [Date.parse(c.dataset.from!), Date.parse(c.dataset.to!)];

beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ["setTimeout", "clearTimeout", "requestAnimationFrame", "cancelAnimationFrame", "Date"] });
  window.__llmHealthPerf = { frames: [] };
});
afterEach(() => vi.useRealTimers());

describe("timeline view", () => {
  it("draws every target in one frame and records how long the frame took", async () => {
    const { fake, canvas } = mount();
    expect(fake.api.timeline).toHaveBeenCalledWith({ range: "24h" });
    await vi.advanceTimersByTimeAsync(20);
    expect(canvas.tabIndex).toBe(0);
    expect(Number(canvas.dataset.frameMs)).toBeGreaterThanOrEqual(0);
    expect(window.__llmHealthPerf!.frames.length).toBe(1);
    const ctx = canvas.getContext("2d") as unknown as FakeContext;
    // Names, uptime of the visible range, and a hatched band for the outage.
    const texts = ctx.calls.filter((c) => c.name === "fillText").map((c) => c.args[0]);
    expect(texts).toContain("Ollama");
    expect(texts).toContain("OpenAI");
    expect(texts).toContain("95.83%");
    expect(texts).toContain("100.00%");
  });

  it("zooms, pans, resets and jumps with the keyboard", async () => {
    const { canvas } = mount();
    await vi.advanceTimersByTimeAsync(20);
    canvas.focus();
    key(canvas, "+");
    expect(span(canvas)).toEqual([FROM + 6 * HOUR, NOW - 6 * HOUR]);
    key(canvas, "ArrowRight");
    expect(span(canvas)).toEqual([FROM + 8.4 * HOUR, NOW - 3.6 * HOUR]);
    key(canvas, "End");
    expect(span(canvas)).toEqual([NOW - 12 * HOUR, NOW]);
    key(canvas, "Home");
    expect(span(canvas)).toEqual([FROM, FROM + 12 * HOUR]);
    key(canvas, "0");
    expect(span(canvas)).toEqual([FROM, NOW]);
    key(canvas, "-");
    expect(span(canvas)).toEqual([FROM, NOW]);
  });

  it("recomputes the visible uptime and the text alternative as the view changes", async () => {
    const { canvas, root } = mount();
    await vi.advanceTimersByTimeAsync(300);
    const text = () => root.querySelector("#timeline-text")!.textContent!;
    expect(text()).toContain("Ollama: 95.83% up");
    expect(text()).toContain("server error from");
    expect(text()).toContain("lasted 1 h");
    expect(text()).toContain("OpenAI: 100.00% up, no incidents");
    expect(root.querySelector("#timeline-uptime")!.textContent).toMatch(/97\.92%$/);
    for (let i = 0; i < 3; i++) key(canvas, "+");
    key(canvas, "End"); // the last 3 hours: 1 of them down
    await vi.advanceTimersByTimeAsync(300);
    expect(span(canvas)).toEqual([NOW - 3 * HOUR, NOW]);
    expect(text()).toContain("Ollama: 66.67% up");
  });

  it("asks for finer latency when zoomed into a narrow slice", async () => {
    const { canvas, fake } = mount();
    await vi.advanceTimersByTimeAsync(20);
    key(canvas, "+");
    key(canvas, "+");
    await vi.advanceTimersByTimeAsync(299);
    expect(fake.api.timeline).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.api.timeline).toHaveBeenCalledTimes(2);
    expect(fake.api.timeline).toHaveBeenLastCalledWith({ from: iso(FROM + 6 * HOUR), to: iso(NOW - 6 * HOUR), buckets: 240 });
  });

  it("annotates incident markers on keyboard focus", async () => {
    const { canvas, root } = mount();
    await vi.advanceTimersByTimeAsync(20);
    key(canvas, "n");
    const tip = root.querySelector<HTMLElement>(".tl-tip")!;
    expect(tip.hidden).toBe(false);
    expect(tip.textContent).toMatch(/^Ollama: server error from .+, lasted 1 h, worst unhealthy$/);
    canvas.dispatchEvent(new FocusEvent("blur"));
    expect(tip.hidden).toBe(true);
  });

  it("changes range with the range buttons", async () => {
    const { root, fake } = mount();
    const b = root.querySelector<HTMLButtonElement>('[data-range="7d"]')!;
    b.click();
    expect(fake.api.timeline).toHaveBeenLastCalledWith({ range: "7d" });
    expect(b.getAttribute("aria-pressed")).toBe("true");
    expect(root.querySelector('[data-range="24h"]')!.getAttribute("aria-pressed")).toBe("false");
  });

  it("follows live transitions at the right edge", async () => {
    const { canvas, store } = mount();
    await vi.advanceTimersByTimeAsync(20);
    vi.setSystemTime(NOW + 60_000);
    store.apply({ type: "transition", target: "openai", at: iso(NOW + 60_000), from: "healthy", to: "unhealthy", class: "auth", reason: "401" });
    expect(span(canvas)).toEqual([FROM + 60_000, NOW + 60_000]);
  });

  it("draws maintenance across the rows it covers and snoozes differently, with words for both", async () => {
    const { canvas, root } = mount([
      { targets: null, name: "nightly update", start: iso(NOW - 10 * HOUR), end: iso(NOW - 4 * HOUR), snooze: false },
      { targets: ["openai"], name: null, start: iso(NOW - 30 * 60_000), end: iso(NOW + 30 * 60_000), snooze: true },
    ]);
    await vi.advanceTimersByTimeAsync(300);
    expect(canvas.dataset.bands).toBe("2");
    const g = canvas.getContext("2d") as unknown as FakeContext;
    const rects = g.calls.filter((c) => c.name === "fillRect").map((c) => c.args as number[]);
    // The window: both rows (22 … 22 + 2 × 40), from 10 h to 4 h before the end of the plot.
    const plotW = 800 - 180 - 12;
    const x = (t: number) => 180 + ((t - FROM) / (NOW - FROM)) * plotW;
    expect(rects).toContainEqual([x(NOW - 10 * HOUR), 22, x(NOW - 4 * HOUR) - x(NOW - 10 * HOUR), 80]);
    // The snooze: only OpenAI's row, clipped at now.
    expect(rects).toContainEqual([x(NOW - 30 * 60_000), 62, 180 + plotW - x(NOW - 30 * 60_000), 40]);
    // Maintenance is striped with solid edges; a snooze has dashed edges.
    expect(g.calls.filter((c) => c.name === "setLineDash").map((c) => c.args[0])).toContainEqual([3, 3]);
    const texts = g.calls.filter((c) => c.name === "fillText").map((c) => c.args[0]);
    expect(texts).toContain("nightly update");
    const items = [...root.querySelectorAll<HTMLElement>("#timeline-maintenance li")];
    expect(items.map((li) => li.dataset.snooze)).toEqual(["false", "true"]);
    expect(items[0].textContent).toMatch(/^Maintenance “nightly update”: .+ – .+, every target$/);
    expect(items[1].textContent).toMatch(/^Snoozed: .+ – .+, OpenAI$/);
    expect(root.querySelector(".legend")!.textContent).toContain("maintenance");
    expect(root.querySelector(".legend")!.textContent).toContain("snoozed");
    // Pointing at the window tells its name and times.
    canvas.dispatchEvent(new MouseEvent("pointermove", { clientX: x(NOW - 5 * HOUR), clientY: 30 }));
    const tip = root.querySelector<HTMLElement>(".tl-tip")!;
    expect(tip.hidden).toBe(false);
    expect(tip.textContent).toBe(items[0].textContent);
  });

  it("draws what a provider's status page reported as a context band on the rows that saw it, and follows live checks", async () => {
    const reported = (target: string): ProviderIncidentSpan => ({
      target, provider: "OpenAI", id: "inc1", name: "Elevated error rates", impact: "minor", status: "investigating",
      started_at: iso(NOW - 3 * HOUR), ended_at: null, url: "https://status.openai.com/incidents/inc1",
    });
    const { canvas, root, store } = mount([], [reported("openai"), { ...reported("ollama"), url: "javascript:alert(1)" }]);
    await vi.advanceTimersByTimeAsync(300);
    // One incident seen by both rows: one band across them, outlined (dotted), named.
    expect(canvas.dataset.bands).toBe("1");
    const g = canvas.getContext("2d") as unknown as FakeContext;
    const plotW = 800 - 180 - 12;
    const x = (t: number) => 180 + ((t - FROM) / (NOW - FROM)) * plotW;
    expect(g.calls.filter((c) => c.name === "strokeRect").map((c) => c.args[1])).toContainEqual(22.5);
    expect(g.calls.filter((c) => c.name === "setLineDash").map((c) => c.args[0])).toContainEqual([1, 2]);
    const texts = g.calls.filter((c) => c.name === "fillText").map((c) => c.args[0]);
    // Named as far as the band is wide (3 h of 24 h here), the whole sentence in the list below.
    expect(texts).toContain("OpenAI rep…");
    const item = () => root.querySelector<HTMLElement>("#timeline-maintenance li.provider")!;
    expect(item().dataset.ongoing).toBe("true");
    expect(item().textContent).toMatch(/^OpenAI reports: Elevated error rates — investigating: from .+, ongoing, Ollama, OpenAI status page$/);
    // The first span's link; the other's `javascript:` is never one.
    expect(item().querySelector("a")!.getAttribute("href")).toBe("https://status.openai.com/incidents/inc1");
    expect(root.querySelector(".legend")!.textContent).toContain("provider reports");
    canvas.dispatchEvent(new MouseEvent("pointermove", { clientX: x(NOW - HOUR), clientY: 30 }));
    expect(root.querySelector<HTMLElement>(".tl-tip")!.textContent).toMatch(/^OpenAI reports: Elevated error rates — investigating: from /);

    // The page no longer lists it: the band ends at that check.
    vi.setSystemTime(NOW + 60_000);
    store.apply({ type: "checked", target: "openai", status: "healthy", score: 1, consecutive_failures: 0,
      outcome: outcome({ at: iso(NOW + 60_000), details: { provider_status: { provider: "OpenAI", component_status: "operational", incidents: [] } } }) });
    await vi.advanceTimersByTimeAsync(300);
    expect(item().dataset.ongoing).toBe("false");
    expect(item().textContent).toMatch(/^OpenAI reports: Elevated error rates — investigating: .+ – .+, Ollama, OpenAI/);
  });
});
