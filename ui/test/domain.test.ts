// The nouns read from the engine's generated tables: fallbacks, hard failures, local kinds, worst.
import { describe, expect, it } from "vitest";
import { defaultsFor, isHardFailure, isLocal, keyEnvOf, STATUS, STATUSES, worst } from "../src/domain";
import { HARD_FAILURES, KINDS, SOFT_FAILURES } from "../src/generated/tables";
import type { Class } from "../src/generated/types";

describe("domain", () => {
  it("falls back to the kind's, or the preset's, base URL and key variable", () => {
    expect(defaultsFor({ kind: "ollama" })).toEqual({ baseUrl: "http://127.0.0.1:11434", keyEnv: null });
    expect(defaultsFor({ kind: "openai" })).toEqual({ baseUrl: "https://api.openai.com/v1", keyEnv: "OPENAI_API_KEY" });
    expect(defaultsFor({ kind: "openai_compatible", preset: "groq" })).toEqual({
      baseUrl: "https://api.groq.com/openai/v1", keyEnv: "GROQ_API_KEY",
    });
    expect(defaultsFor({ kind: "openai_compatible", preset: "azure" })).toEqual({ baseUrl: null, keyEnv: "AZURE_OPENAI_API_KEY" });
    expect(defaultsFor({ kind: "openai_compatible" })).toEqual({ baseUrl: null, keyEnv: null });
    // A preset means something only for openai_compatible.
    expect(defaultsFor({ kind: "anthropic", preset: "groq" }).keyEnv).toBe("ANTHROPIC_API_KEY");
    expect(keyEnvOf({ id: "g", kind: "openai_compatible", preset: "groq", api_key_env: "MY_KEY" })).toBe("MY_KEY");
    expect(keyEnvOf({ id: "g", kind: "openai_compatible", preset: "groq" })).toBe("GROQ_API_KEY");
  });

  it("counts as hard exactly the engine's hard failures", () => {
    for (const c of HARD_FAILURES) expect(isHardFailure(c)).toBe(true);
    for (const c of [...SOFT_FAILURES, "ok"] as Class[]) expect(isHardFailure(c)).toBe(false);
  });

  it("knows the local kinds from the kind table", () => {
    expect(KINDS.filter((k) => isLocal(k.kind)).map((k) => k.kind)).toEqual(["ollama", "lmstudio", "llamacpp", "vllm"]);
  });

  it("has a shape, sign and word for every status, and takes the worst", () => {
    expect(STATUSES.map((s) => STATUS[s].shape)).toEqual(["●", "▲", "■", "○"]);
    expect(worst([])).toBe("unknown");
    expect(worst(["healthy", "unknown"])).toBe("unknown");
    expect(worst(["healthy", "degraded", "unknown"])).toBe("degraded");
    expect(worst(["degraded", "unhealthy", "healthy"])).toBe("unhealthy");
  });
});
