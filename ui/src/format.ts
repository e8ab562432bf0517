// Numbers and times in words, one way everywhere: durations read the engine's own unit table
// (crates/monitor/src/words.rs, generated into generated/tables.ts).
import { DURATION_UNITS } from "./generated/tables";

/**
 * "12 s", "4 min", "2 h 5 min", "3 d 4 h": the size of a stretch, not its exact length. The
 * largest unit that fits, then the next smaller one as that unit's `next` says.
 */
export function durationWords(ms: number): string {
  const s = Math.floor(Math.max(0, ms) / 1000);
  const found = DURATION_UNITS.findIndex((u) => s >= u.seconds);
  const i = found < 0 ? DURATION_UNITS.length - 1 : found;
  const unit = DURATION_UNITS[i];
  const words = `${Math.floor(s / unit.seconds)} ${unit.word}`;
  const smaller = DURATION_UNITS[i + 1];
  if (!smaller) return words;
  const rest = Math.floor((s % unit.seconds) / smaller.seconds);
  const more = unit.next === "always" || (unit.next === "unless_zero" && rest !== 0);
  return more ? `${words} ${rest} ${smaller.word}` : words;
}

export function agoWords(at: string | null, now: number): string {
  return at ? `${durationWords(now - Date.parse(at))} ago` : "never";
}

export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  return v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
}

export function pct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined ? "—" : `${v.toFixed(digits)}%`;
}

export function bytes(v: number | undefined): string {
  if (v === undefined) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let x = v;
  while (x >= 1024 && i < units.length - 1) (x /= 1024), i++;
  return `${x.toFixed(i ? 1 : 0)} ${units[i]}`;
}

// Made once: `toLocaleTimeString` with options builds a new formatter on every call (about
// 0.1 ms), and the dashboard writes 1,500 check times (the heartbeat strips' titles) per render.
const TIME = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit" });
const DATE_TIME = new Intl.DateTimeFormat([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

export function clock(at: string | number): string {
  const d = new Date(at);
  const sameDay = new Date().toDateString() === d.toDateString();
  return (sameDay ? TIME : DATE_TIME).format(d);
}

/** A span of time: the date on both ends when they fall on different days, never "11:08 – 11:08". */
export function clockRange(from: string | number, to: string | number): string {
  const a = new Date(from);
  const b = new Date(to);
  return a.toDateString() === b.toDateString() ? `${clock(from)} – ${clock(to)}` : `${DATE_TIME.format(a)} – ${DATE_TIME.format(b)}`;
}

/**
 * Refreshes every "… ago" under `root` (elements carrying `data-ago` = an RFC 3339 time), so a
 * once-a-second tick costs a text update per visible time and nothing else.
 */
export function tickAgo(root: ParentNode, now: number): void {
  root.querySelectorAll<HTMLElement>("[data-ago]").forEach((el) => {
    const text = agoWords(el.dataset.ago || null, now);
    if (el.textContent !== text) el.textContent = text;
  });
}
