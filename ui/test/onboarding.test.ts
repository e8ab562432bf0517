import { describe, expect, it } from "vitest";
import { Store } from "../src/store";
import { onboarding } from "../src/views/onboarding";
import type { Offer } from "../src/generated/types";
import { ctx, fakeBackend, settle } from "./fake-backend";
import { stateView } from "./fixtures";

const offers: Offer[] = [
  { target: { id: "ollama", kind: "ollama", name: "Ollama", base_url: "http://127.0.0.1:11434" }, found: true, note: "answering at 127.0.0.1:11434" },
  { target: { id: "lmstudio", kind: "lmstudio", name: "LM Studio" }, found: false, note: "not running (port 1234 closed)" },
  { target: { id: "openai", kind: "openai", name: "OpenAI" }, found: true, note: "OPENAI_API_KEY is set" },
];

function mount() {
  const fake = fakeBackend(true);
  const section = document.createElement("section");
  section.id = "onboarding";
  section.hidden = true;
  document.body.replaceChildren(section);
  const view = onboarding(section, ctx(fake.api, new Store()));
  return { fake, section, view };
}

describe("onboarding", () => {
  it("offers what was found, pre-checked, and adds only the chosen", async () => {
    const { fake, section, view } = mount();
    view.update(stateView([], { offers }));
    expect(section.hidden).toBe(false);
    const li = [...section.querySelectorAll("#offers li")];
    expect(li.map((x) => x.textContent)).toEqual([
      " Ollama — answering at 127.0.0.1:11434",
      " LM Studio — not running (port 1234 closed)",
      " OpenAI — OPENAI_API_KEY is set",
    ]);
    expect(li.map((x) => x.querySelector("input")!.checked)).toEqual([true, false, true]);
    li[2].querySelector("input")!.checked = false;
    // A state push in between keeps the user's ticks.
    view.update(stateView([], { offers: structuredClone(offers) }));
    expect(section.querySelectorAll("#offers input:checked")).toHaveLength(1);
    section.querySelector<HTMLButtonElement>("#offers-add")!.click();
    await settle();
    expect(fake.api.answerOffers).toHaveBeenCalledWith([offers[0].target]);
    expect(section.textContent).toContain("Added 1.");
  });

  it("declines with an empty answer and hides once answered", async () => {
    const { fake, section, view } = mount();
    view.update(stateView([], { offers }));
    section.querySelector<HTMLButtonElement>("#offers-skip")!.click();
    expect(fake.api.answerOffers).toHaveBeenCalledWith([]);
    view.update(stateView([], { offers: null }));
    expect(section.hidden).toBe(true);
  });
});
