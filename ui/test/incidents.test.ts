import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Store } from "../src/store";
import { incidents } from "../src/views/incidents";
import { ctx, fakeBackend, settle } from "./fake-backend";
import { incident, iso, MIN, NOW, outcome, stateView, target } from "./fixtures";
import type { ProviderIncidentSpan } from "../src/generated/types";

const reported = (target: string, over: Partial<ProviderIncidentSpan> = {}): ProviderIncidentSpan => ({
  target, provider: "OpenAI", id: "inc1", name: "Elevated error rates", impact: "minor", status: "investigating",
  started_at: iso(NOW - 30 * MIN), ended_at: null, url: "https://status.openai.com/incidents/inc1", ...over,
});

const all = [
  incident("openai", 10, null, { cause: "auth", message: "401 invalid api key" }),
  incident("ollama", 90, 5, { cause: "connect" }),
  incident("ollama", 600, 42, { cause: "timeout", worst: "degraded", message: "timed out after 10 s" }),
];

async function mount(spans: ProviderIncidentSpan[] = []) {
  const fake = fakeBackend(false, {
    incidents: (a: { target: string | null }) => all.filter((i) => !a.target || i.target === a.target),
    providerIncidents: (a: { target: string | null }) => spans.filter((s) => !a.target || s.target === a.target),
  });
  const store = new Store();
  store.setState(stateView([target("ollama", "healthy", { name: "Ollama" }), target("openai", "unhealthy", { name: "OpenAI" })]));
  const root = document.createElement("div");
  document.body.replaceChildren(root);
  const view = incidents(root, ctx(fake.api, store));
  store.subscribe((c) => view.update?.(c));
  await settle();
  return { fake, root, store };
}

beforeEach(() => vi.useFakeTimers({ now: NOW, toFake: ["Date"] }));
afterEach(() => vi.useRealTimers());

const items = (root: HTMLElement) => [...root.querySelectorAll<HTMLLIElement>("#incidents-list li[data-target]")];

describe("incidents", () => {
  it("lists each incident with target, cause in words, start and duration or ongoing", async () => {
    const { fake, root } = await mount();
    expect(fake.api.incidents).toHaveBeenCalledWith({ target: null, range: "30d" });
    const li = items(root);
    expect(li.map((x) => x.dataset.target)).toEqual(["openai", "ollama", "ollama"]);
    expect(li[0].textContent).toMatch(/^■ unhealthy × OpenAI: API key rejected \(401 invalid api key\)from .+ · ongoing, 10 min so far$/);
    expect(li[1].textContent).toMatch(/Ollama: not running or unreachable .* · 5 min$/);
    expect(li[2].textContent).toMatch(/^▲ degraded ! Ollama: timing out/);
    expect(li[2].textContent).toMatch(/ · 42 min$/);
  });

  it("filters by target", async () => {
    const { fake, root } = await mount();
    const select = root.querySelector<HTMLSelectElement>("#incident-filter")!;
    expect([...select.options].map((o) => o.textContent)).toEqual(["All targets", "Ollama", "OpenAI"]);
    select.value = "ollama";
    select.dispatchEvent(new Event("change"));
    await settle();
    expect(fake.api.incidents).toHaveBeenLastCalledWith({ target: "ollama", range: "30d" });
    expect(items(root).map((x) => x.dataset.target)).toEqual(["ollama", "ollama"]);
    expect(root.querySelector("[role=status]")!.textContent).toBe("2 incidents");
  });

  it("takes live incident events: a closed one replaces its open self", async () => {
    const { root, store } = await mount();
    const open = all[0];
    store.apply({ type: "incident", ...open, ended_at: new Date(Date.parse(open.started_at) + 120_000).toISOString(), duration_ms: 120_000 });
    const li = items(root);
    expect(li).toHaveLength(3);
    expect(li[0].textContent).toMatch(/ · 2 min$/);
    expect(li[0].dataset.ongoing).toBe("false");
    // The redraw kept the keyboard on the link it was on.
    items(root)[1].querySelector("a")!.focus();
    store.apply({ type: "incident", ...all[1], message: "connection refused again" });
    expect(document.activeElement).toBe(items(root)[1].querySelector("a"));
  });

  it("interleaves what providers reported, once per incident however many targets saw it, marked as theirs", async () => {
    const { fake, root, store } = await mount([
      reported("openai"),
      reported("ollama", { started_at: iso(NOW - 25 * MIN) }),
      reported("openai", { id: "old", name: "Slow logins", status: "resolved", started_at: iso(NOW - 200 * MIN), ended_at: iso(NOW - 170 * MIN), url: "javascript:alert(1)" }),
    ]);
    expect(fake.api.providerIncidents).toHaveBeenCalledWith({ target: null, range: "30d" });
    const list = [...root.querySelectorAll<HTMLLIElement>("#incidents-list li")];
    expect(list.map((li) => li.classList.contains("provider"))).toEqual([false, true, false, true, false]);
    expect(list[1].textContent).toMatch(/^◇ OpenAI reports: Elevated error rates — investigating \(minor impact; OpenAI, Ollama\)from .+ · ongoing, 30 min so far$/);
    expect(list[1].querySelector("a")!.getAttribute("href")).toBe("https://status.openai.com/incidents/inc1");
    expect(list[3].textContent).toMatch(/Slow logins — resolved .* · 30 min$/);
    expect(list[3].querySelector("a")).toBeNull();
    expect(root.querySelector("[role=status]")!.textContent).toBe("3 incidents, 2 reported by providers");

    // A live check whose page no longer lists it ends it.
    store.apply({ type: "checked", target: "openai", status: "healthy", score: 1, consecutive_failures: 0,
      outcome: outcome({ at: iso(NOW), details: { provider_status: { provider: "OpenAI", component_status: "operational", incidents: [] } } }) });
    const first = root.querySelector<HTMLLIElement>("#incidents-list li.provider")!;
    expect(first.dataset.ongoing).toBe("false");
    expect(first.textContent).toMatch(/ · 30 min$/);
  });
});
