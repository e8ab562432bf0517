// The last checks of a target as a strip of marks, oldest left, the way Uptime Kuma users read
// status: each mark has the colour and the shape of how its check went (● ▲ ■), so it reads
// without colour too, and the strip as a whole says its counts in words.
import { h } from "../dom";
import { beatStatus } from "../context";
import { CLASS_WORDS, STATUS } from "../domain";
import { clock, ms } from "../format";
import type { Beat, Status } from "../generated/types";

/** "Last 30 checks: 28 healthy, 2 unhealthy; the latest unhealthy (cannot connect)". */
export function beatsLabel(beats: Beat[]): string {
  if (!beats.length) return "No checks yet";
  const counts = new Map<Status, number>();
  for (const b of beats) counts.set(beatStatus(b.class), (counts.get(beatStatus(b.class)) ?? 0) + 1);
  const parts = (["healthy", "degraded", "unhealthy"] as const)
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${STATUS[s].word}`);
  const last = beats[beats.length - 1];
  const lastStatus = beatStatus(last.class);
  const why = last.class === "ok" ? "" : ` (${CLASS_WORDS[last.class]})`;
  return `Last ${beats.length} check${beats.length === 1 ? "" : "s"}: ${parts.join(", ")}; the latest ${STATUS[lastStatus].word}${why}`;
}

export function heartbeat(beats: Beat[]): HTMLElement {
  return h(
    "span",
    { class: "beats", role: "img", "aria-label": beatsLabel(beats), "data-beats": String(beats.length) },
    beats.map((b) => {
      const status = beatStatus(b.class);
      const what = b.class === "ok" ? STATUS[status].word : CLASS_WORDS[b.class];
      return h("span", { class: "beat", "data-status": status, title: `${clock(b.at)}: ${what}, ${ms(b.latency_ms)}` }, STATUS[status].shape);
    }),
  );
}
