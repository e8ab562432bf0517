import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Store } from "../src/store";
import { incidents } from "../src/views/incidents";
import { ctx, fakeBackend, settle } from "./fake-backend";
import { incident, NOW, stateView, target } from "./fixtures";

const all = [
  incident("openai", 10, null, { cause: "auth", message: "401 invalid api key" }),
  incident("ollama", 90, 5, { cause: "connect" }),
  incident("ollama", 600, 42, { cause: "timeout", worst: "degraded", message: "timed out after 10 s" }),
];

async function mount() {
  const fake = fakeBackend(false, {
    incidents: (a: { target: string | null }) => all.filter((i) => !a.target || i.target === a.target),
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
});
