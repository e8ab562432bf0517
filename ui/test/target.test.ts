// One target's report: its head follows the target's events without losing the keyboard.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Store } from "../src/store";
import { targetReport } from "../src/views/target";
import { ctx, fakeBackend, settle } from "./fake-backend";
import { history, iso, NOW, outcome, stateView, target } from "./fixtures";

beforeEach(() => vi.useFakeTimers({ now: NOW, toFake: ["Date"] }));
afterEach(() => vi.useRealTimers());

describe("target report", () => {
  it("keeps the focus on Check now while the check it started redraws the head", async () => {
    const fake = fakeBackend(false, { history: history("ollama", { name: "Ollama" }) });
    const store = new Store();
    store.setState(stateView([target("ollama", "healthy", { name: "Ollama" })]));
    const root = document.createElement("div");
    document.body.replaceChildren(root);
    const view = targetReport(root, ctx(fake.api, store), "ollama");
    store.subscribe((c) => view.update?.(c));
    await settle();
    const checkNow = () => [...root.querySelectorAll("button")].find((b) => b.textContent === "Check now")!;
    checkNow().focus();
    checkNow().click();
    expect(fake.api.checkNow).toHaveBeenCalledWith("ollama");
    store.apply({ type: "transition", target: "ollama", at: iso(NOW), from: "healthy", to: "degraded", class: "slow", reason: "slow" });
    store.apply({ type: "checked", target: "ollama", status: "degraded", score: 0.5, consecutive_failures: 0, outcome: outcome({ at: iso(NOW), class: "slow" }) });
    expect(root.querySelector<HTMLElement>(".report-status")!.dataset.status).toBe("degraded");
    expect(document.activeElement).toBe(checkNow());
    view.destroy?.();
  });
});
