// The latency of the last buckets as a small SVG line: p50 drawn, buckets with failures marked,
// and a ring at the live end while a failed check is being confirmed (pending).
import { svg } from "../dom";
import { ms } from "../format";
import type { LatencyPoint } from "../generated/types";

const W = 120;
const H = 24;

export function sparklinePath(points: LatencyPoint[], w = W, h = H): string {
  const max = Math.max(1, ...points.map((p) => p.p50_ms ?? 0));
  const step = points.length > 1 ? w / (points.length - 1) : 0;
  let d = "";
  let pen = false;
  points.forEach((p, i) => {
    if (p.p50_ms === null) {
      pen = false;
      return;
    }
    const x = (i * step).toFixed(1);
    const y = (h - 2 - (p.p50_ms / max) * (h - 4)).toFixed(1);
    d += `${pen ? "L" : "M"}${x} ${y}`;
    pen = true;
  });
  return d;
}

export function sparkline(points: LatencyPoint[], pending = false): SVGElement {
  const known = points.filter((p) => p.p50_ms !== null);
  const first = known[0]?.p50_ms ?? null;
  const last = known[known.length - 1]?.p50_ms ?? null;
  const step = points.length > 1 ? W / (points.length - 1) : 0;
  // All the failure ticks as one path, not an element each: a dashboard of 50 rows × 48 buckets
  // would otherwise build up to 2,400 elements per render.
  const ticks = points.map((p, i) => (p.failures > 0 ? `M${(i * step - 1).toFixed(1)} ${H - 3}h2v3h-2z` : "")).join("");
  const marks = ticks ? [svg("path", { d: ticks, class: "fail" })] : [];
  if (pending) marks.push(svg("circle", { cx: W - 3, cy: 3.5, r: 2.5, class: "pending" }));
  return svg(
    "svg",
    {
      class: "spark",
      viewBox: `0 0 ${W} ${H}`,
      width: W,
      height: H,
      role: "img",
      "aria-label": (known.length ? `median latency from ${ms(first)} to ${ms(last)}` : "no latency measured") +
        (pending ? "; the last check failed, confirming" : ""),
    },
    svg("path", { d: sparklinePath(points), class: "line" }),
    ...marks,
  );
}
