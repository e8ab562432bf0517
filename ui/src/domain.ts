// The product's nouns as the UI shows them. The lists themselves (statuses, badness, classes in
// words, hard failures, kinds, presets) are the engine's, generated into generated/tables.ts;
// what is only presentation lives here. Color is never the only cue: every status also has a
// shape, a sign and a word, the same as the tray icon.
import { BADNESS, CLASS_WORDS, COMPONENT_STATUS_WORDS, HARD_FAILURES, KINDS, PRESETS, STATUSES } from "./generated/tables";
import type { Class, Kind, Status, TargetFile, TargetView } from "./generated/types";

export { BADNESS, CLASS_WORDS, COMPONENT_STATUS_WORDS, KINDS, PRESETS, STATUSES };

export const STATUS: Record<Status, { shape: string; sign: string; word: string }> = {
  healthy: { shape: "●", sign: "✓", word: "healthy" },
  degraded: { shape: "▲", sign: "!", word: "degraded" },
  unhealthy: { shape: "■", sign: "×", word: "unhealthy" },
  unknown: { shape: "○", sign: "–", word: "unknown" },
};

/** The engine's overall status: the worst one; unknown when nothing is known. */
export function worst(statuses: Iterable<Status>): Status {
  let w: Status | null = null;
  for (const s of statuses) if (w === null || BADNESS[s] > BADNESS[w]) w = s;
  return w ?? "unknown";
}

/** Hard failures count toward the failure threshold (and the store's `failures`). */
export function isHardFailure(c: Class): boolean {
  return HARD_FAILURES.includes(c);
}

/** A server on this machine (no network between), as the engine's kinds say. */
export function isLocal(kind: Kind): boolean {
  return KINDS.find((k) => k.kind === kind)?.local ?? false;
}

type Fallbacks = Pick<(typeof KINDS)[number], "baseUrl" | "keyEnv">;

/** What the engine falls back to when a target leaves base_url / api_key_env out. */
export function defaultsFor(t: Pick<TargetFile, "kind" | "preset">): Fallbacks {
  const preset = t.kind === "openai_compatible" ? PRESETS.find((p) => p.preset === t.preset) : undefined;
  const kind = KINDS.find((k) => k.kind === t.kind);
  return { baseUrl: preset?.baseUrl ?? kind?.baseUrl ?? null, keyEnv: preset?.keyEnv ?? kind?.keyEnv ?? null };
}

/** The environment variable the server reads a target's key from. */
export function keyEnvOf(t: TargetFile): string | null {
  return t.api_key_env ?? defaultsFor(t).keyEnv;
}

/**
 * A *pending* target: hard failures below its failure threshold, being confirmed, that changed
 * no status (yet). The engine counts them (`consecutive_failures`, without those in the grace
 * after a wake-up); once unhealthy, they are the outage itself, not pending.
 */
export function isPending(t: Pick<TargetView, "status" | "consecutive_failures">): boolean {
  return t.consecutive_failures > 0 && t.status !== "unhealthy";
}

/** "1 failed check, confirming…" */
export function pendingWords(failures: number): string {
  return `${failures} failed check${failures === 1 ? "" : "s"}, confirming…`;
}
