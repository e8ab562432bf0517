import { describe, expect, it } from "vitest";
import {
  bandHeadline, causeWords, creditsWords, followProviderBands, incidentWords, loadWords, providerBands, providerHeadline, safeUrl,
} from "../src/context";
import { beatsLabel } from "../src/views/heartbeat";
import type { ProviderIncidentSpan, ProviderStatus } from "../src/generated/types";
import { iso, MIN, NOW, outcome, target } from "./fixtures";

const span = (target: string, over: Partial<ProviderIncidentSpan> = {}): ProviderIncidentSpan => ({
  target, provider: "OpenAI", id: "inc1", name: "Elevated error rates", impact: "minor", status: "investigating",
  started_at: iso(NOW - 30 * MIN), ended_at: null, url: "https://status.openai.com/incidents/inc1", ...over,
});

describe("provider context in words", () => {
  // The same cases as the engine's `context_in_words` (crates/monitor/src/domain.rs).
  it("says what the engine says", () => {
    const page: ProviderStatus = { provider: "OpenAI", component_status: "operational", incidents: [] };
    expect(providerHeadline(page)).toBeNull();
    expect(providerHeadline({ ...page, component_status: "unknown" })).toBeNull();
    expect(providerHeadline({ ...page, component_status: "partial_outage" })).toBe("OpenAI: partial outage");
    const one = { ...page, component_status: "partial_outage" as const, incidents: [{ name: "Elevated error rates", status: "investigating" }] };
    expect(providerHeadline(one)).toBe("OpenAI reports: Elevated error rates — investigating");
    const two = { ...one, provider: undefined, page: "https://status.example.com", incidents: [...one.incidents, { name: "Slow logins" }] };
    expect(providerHeadline(two)).toBe("https://status.example.com reports: Elevated error rates — investigating (+1 more)");
    expect(incidentWords({ name: "Slow logins", status: "" })).toBe("Slow logins");
    expect(creditsWords({ remaining: 2.1, limit: 10, unit: "USD" })).toBe("2.10 USD left of 10.00");
    expect(creditsWords({ unit: "USD" })).toBeNull();
    expect(loadWords({ running: 3, waiting: 0, kv_cache_used: 0.42 })).toBe("3 running, 0 waiting, KV cache 42 %");
    expect(loadWords({})).toBeNull();
  });

  it("says why a target is not healthy, counting a rate limit's reset down", () => {
    const limited = target("groq", "degraded", {
      last: outcome({ at: iso(NOW), class: "rate_limited", http_status: 429, message: "429", details: { retry_after_ms: 20_000 } }),
    });
    expect(causeWords(limited, NOW)).toBe("rate limited — resets in 20 s");
    expect(causeWords(limited, NOW + 15_000)).toBe("rate limited — resets in 5 s");
    expect(causeWords(limited, NOW + 25_000)).toBe("rate limited");
    const budget = target("openai", "degraded", {
      last: outcome({ at: iso(NOW), class: "rate_limited", details: { rate_limit: { requests_remaining: 0, requests_reset_ms: 90_000, tokens_remaining: 5, tokens_reset_ms: 1000 } } }),
    });
    expect(causeWords(budget, NOW)).toBe("rate limited — resets in 1 min");
    const credits = target("openrouter", "degraded", {
      last: outcome({ class: "credits_low", message: "credits low: 2.10 USD left", details: { credits: { remaining: 2.1, unit: "USD" } } }),
    });
    expect(causeWords(credits, NOW)).toBe("credits low: 2.10 USD left");
    const loading = target("llama", "degraded", { last: outcome({ class: "loading", http_status: 503, message: "Loading model" }) });
    expect(causeWords(loading, NOW)).toBe("loading model (HTTP 503)");
    expect(causeWords(target("ok"), NOW)).toBeNull();
    // Recovering: unhealthy still, but the last check went well.
    expect(causeWords(target("back", "unhealthy"), NOW)).toBeNull();
  });

  it("links only web addresses", () => {
    expect(safeUrl("https://status.openai.com/x")).toBe("https://status.openai.com/x");
    expect(safeUrl("javascript:alert(1)")).toBeNull();
    expect(safeUrl("not a url")).toBeNull();
    expect(safeUrl(undefined)).toBeNull();
  });

  it("counts the heartbeat strip in words", () => {
    const beat = (cls: "ok" | "slow" | "connect") => ({ at: iso(NOW), class: cls, status: "healthy" as const, latency_ms: 10 });
    expect(beatsLabel([])).toBe("No checks yet");
    expect(beatsLabel([beat("ok"), beat("slow"), beat("connect")])).toBe(
      "Last 3 checks: 1 healthy, 1 degraded, 1 unhealthy; the latest unhealthy (not running or unreachable)",
    );
  });
});

describe("provider incidents as bands", () => {
  it("makes one band of an incident several targets saw, and two of a name that came back", () => {
    const bands = providerBands([
      span("openai", { ended_at: iso(NOW - 10 * MIN), status: "monitoring" }),
      span("azure", { started_at: iso(NOW - 20 * MIN) }),
      span("openai", { id: undefined, name: "Slow logins", started_at: iso(NOW - 300 * MIN), ended_at: iso(NOW - 290 * MIN) }),
      span("openai", { id: undefined, name: "Slow logins", started_at: iso(NOW - 100 * MIN), ended_at: iso(NOW - 90 * MIN) }),
    ]);
    expect(bands.map((b) => [b.name, b.targets, b.end === Infinity])).toEqual([
      ["Slow logins", ["openai"], false],
      ["Slow logins", ["openai"], false],
      ["Elevated error rates", ["openai", "azure"], true],
    ]);
    expect(bandHeadline(bands[2])).toBe("OpenAI reports: Elevated error rates — investigating");
    expect(providerBands([span("x", { url: "javascript:alert(1)" })])[0].url).toBeNull();
  });

  it("follows live checks: a new incident starts, a dropped one ends, an unread page changes nothing", () => {
    const page = (incidents: ProviderStatus["incidents"], component_status: ProviderStatus["component_status"] = "partial_outage") =>
      outcome({ at: iso(NOW), details: { provider_status: { provider: "OpenAI", component_status, incidents } } });
    const listed = [{ id: "inc1", name: "Elevated error rates", status: "identified", started_at: iso(NOW - 5 * MIN) }];
    let bands = followProviderBands([], "openai", page(listed));
    expect(bands).toHaveLength(1);
    expect(bands[0]).toMatchObject({ start: NOW - 5 * MIN, end: Infinity, targets: ["openai"], status: "identified" });
    bands = followProviderBands(bands, "azure", page(listed));
    expect(bands[0].targets).toEqual(["openai", "azure"]);
    // The same list again is no news: the same bands, so nothing is redrawn.
    expect(followProviderBands(bands, "openai", page(listed))).toBe(bands);
    expect(followProviderBands(bands, "openai", page([], "unknown"))).toBe(bands);
    expect(followProviderBands(bands, "openai", outcome())).toBe(bands);
    const ended = followProviderBands(bands, "openai", page([], "operational"));
    expect(ended[0].end).toBe(NOW);
  });
});
