// The status timeline on a canvas: one row per target with its status band (hatched when
// unhealthy, dotted when degraded), incident markers, and latency (p50, p90 faint) on the same
// time axis; maintenance windows (striped), snoozes (tinted, dashed edges) and what providers'
// status pages reported (outlined, dotted edges) behind the rows they cover. Zoom and pan by wheel, pinch, drag and keys; the arithmetic is in timeline-math.ts.
import { followProviderBands, providerBands, type ProviderBand } from "../context";
import { h } from "../dom";
import { CLASS_WORDS, STATUS, STATUSES } from "../domain";
import { clock, clockRange, durationWords, pct } from "../format";
import { applyTargetEvent, type Change } from "../store";
import { upsertIncident } from "../state";
import type { HistoryView, Incident, Range, RangeArgs, Status, TimelineView } from "../generated/types";
import {
  applyKey, bandRects, bandRuns, hitBand, hitMarker, parseBands, providerAsBand, type Band, type BandRect, keyAction, overallUptime, panBy, parseSegments, type Marker, type Plot,
  type Seg, type Span, ticks, visibleUptime, wheelAction, xToTime, zoomAt, timeToX,
} from "./timeline-math";
import type { Ctx, View } from "./view";

import { RANGE_MS, RANGES } from "../generated/tables";

export { RANGES };

interface Lat {
  from: number;
  to: number;
  p50: number | null;
  p90: number | null;
}
interface Row {
  id: string;
  name: string;
  segs: Seg[];
  /** Oldest first, times parsed once: N and P step through them in time order. */
  incidents: { incident: Incident; start: number; end: number }[];
  lat: Lat[];
}

declare global {
  interface Window {
    /** Draw time of each timeline frame in ms, for the browser benchmark. */
    __llmHealthPerf?: { frames: number[] };
  }
}

const LABEL_W = 180;
const AXIS_H = 22;
const PAD_R = 12;
/** Incidents per target the text alternative spells out. */
const TOLD = 20;
/** Finer latency is asked for once the view is this much narrower than what was loaded. */
const REFINE_RATIO = 3;

const parseLat = (h: HistoryView): Lat[] =>
  h.latency.map((p) => ({ from: Date.parse(p.from), to: Date.parse(p.to), p50: p.p50_ms, p90: p.p90_ms }));

function toRow(h: HistoryView): Row {
  const incidents = h.incidents
    .map((incident) => ({
      incident,
      start: Date.parse(incident.started_at),
      end: incident.ended_at ? Date.parse(incident.ended_at) : Date.parse(h.to),
    }))
    .sort((a, b) => a.start - b.start);
  return { id: h.target, name: h.name, segs: parseSegments(h.segments), incidents, lat: parseLat(h) };
}

/** A marker: pointing down at `y + 1`, `r` wide on each side. */
function triangle(g: CanvasRenderingContext2D, x: number, y: number, r: number) {
  g.moveTo(x - r, y - r - 1);
  g.lineTo(x + r, y - r - 1);
  g.lineTo(x, y + 1);
  g.closePath();
}

type Colors = Record<Status | "fg" | "muted" | "line" | "bg" | "accent" | "provider", string>;

function readColors(el: Element): Colors {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    healthy: v("--ok", "#1a7f3c"), degraded: v("--warn", "#d4a72c"), unhealthy: v("--bad", "#a40e26"),
    unknown: v("--unknown", "#c4c9cf"), fg: v("--fg", "#1f2328"), muted: v("--muted", "#59636e"),
    line: v("--line", "#d1d9e0"), bg: v("--bg", "#ffffff"), accent: v("--accent", "#0969da"),
    provider: v("--provider", "#9a6700"),
  };
}

/**
 * Texture so the status reads without color: hatching when unhealthy, dots when degraded; wide
 * faint stripes for maintenance.
 */
function pattern(ctx: CanvasRenderingContext2D, kind: "hatch" | "dots" | "stripes", ink: string): CanvasPattern | null {
  const c = document.createElement("canvas");
  c.width = c.height = 8;
  const p = c.getContext("2d");
  if (!p) return null;
  p.strokeStyle = p.fillStyle = ink;
  if (kind === "stripes") {
    p.globalAlpha = 0.3;
    p.lineWidth = 2.5;
    p.beginPath();
    p.moveTo(-2, 2);
    p.lineTo(2, -2);
    p.moveTo(-2, 10);
    p.lineTo(10, -2);
    p.moveTo(6, 10);
    p.lineTo(10, 6);
    p.stroke();
  } else if (kind === "hatch") {
    p.lineWidth = 1.5;
    p.beginPath();
    p.moveTo(-2, 10);
    p.lineTo(10, -2);
    p.moveTo(-2, 2);
    p.lineTo(2, -2);
    p.moveTo(6, 10);
    p.lineTo(10, 6);
    p.stroke();
  } else {
    p.beginPath();
    p.arc(2, 2, 1.1, 0, Math.PI * 2);
    p.arc(6, 6, 1.1, 0, Math.PI * 2);
    p.fill();
  }
  return ctx.createPattern(c, "repeat");
}

export interface ChartOptions {
  id: string;
  rowHeight: number;
  load(args: RangeArgs): Promise<TimelineView>;
  /** Only this target's events apply (the single-target report); all when absent. */
  target?: string;
  onLoad?(l: TimelineView): void;
}

export function timelineChart(host: HTMLElement, opts: ChartOptions): View & { setRange(r: Range): void } {
  let range: Range = "24h";
  let rows: Row[] = [];
  let hist: HistoryView[] = [];
  let bounds: Span = { from: Date.now() - RANGE_MS[range], to: Date.now() };
  let view: Span = { ...bounds };
  let detail: { span: Span; byId: Map<string, Lat[]> } | null = null;
  let markers: Marker<{ row: Row; incident: Incident }>[] = [];
  let selected = -1;
  let colors: Colors | null = null;
  let textures: { hatch: CanvasPattern | null; dots: CanvasPattern | null; stripes: CanvasPattern | null } | null = null;
  let maintenance: Band[] = [];
  let providers: ProviderBand[] = [];
  /** Maintenance and snoozes, then the providers' incidents: drawn in this order. */
  let windows: Band[] = [];
  let bandHits: BandRect[] = [];
  let frame = 0;
  let refineTimer: number | undefined;
  let textTimer: number | undefined;
  let drag: { x: number; view: Span } | null = null;
  /** Where a pointer rests over the canvas (canvas pixels), while it is there. */
  let pointer: { x: number; y: number } | null = null;
  let loadSeq = 0;

  const canvas = h("canvas", {
    tabindex: "0",
    "aria-label": "Status timeline. Keys: plus and minus zoom, left and right arrows pan, 0 resets, Home and End jump to the ends, N and P step through incidents.",
    "aria-describedby": `${opts.id}-text`,
  });
  const tip = h("div", { class: "tl-tip", role: "tooltip", hidden: true });
  const uptime = h("p", { id: `${opts.id}-uptime`, class: "tl-uptime", "aria-live": "off" });
  const text = h("div", { id: `${opts.id}-text`, class: "visually-hidden" });
  const status = h("p", { role: "status", class: "muted" });
  const maint = h("ul", { id: `${opts.id}-maintenance`, class: "tl-maint", "aria-label": "Maintenance, snoozes and provider incidents in view" });
  const buttons = RANGES.map((r) => {
    const b = h("button", { type: "button", "data-range": r, "aria-pressed": String(r === range) }, r);
    b.addEventListener("click", () => setRange(r));
    return b;
  });
  host.id = opts.id;
  host.classList.add("timeline");
  host.replaceChildren(
    h("div", { class: "tl-bar" }, h("span", { role: "group", "aria-label": "Range", class: "ranges" }, buttons), uptime),
    h("div", { class: "tl-canvas" }, canvas, tip),
    h("p", { class: "hint muted" }, "Wheel or pinch to zoom, drag to pan; keys + − ← → 0 Home End, N/P for incidents. ",
      legend()),
    maint,
    status,
    text,
  );

  const c2d = canvas.getContext("2d");
  // Before layout (or without one, in tests) the canvas has no width yet.
  const cssWidth = () => canvas.clientWidth || 800;
  const plot = (): Plot => ({ left: LABEL_W, width: Math.max(10, cssWidth() - LABEL_W - PAD_R) });

  function legend(): HTMLElement {
    const key = (cls: string, words: string) => h("span", { class: `key ${cls}` }, h("span", { class: "swatch", "aria-hidden": "true" }), ` ${words} `);
    return h("span", { class: "legend" }, STATUSES.map((s) => key(s, `${STATUS[s].shape} ${STATUS[s].word}`)),
      key("maintenance", "maintenance"), key("snoozed", "snoozed"), key("provider", "provider reports"));
  }

  function setRange(r: Range) {
    range = r;
    buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.range === r)));
    load();
  }

  function load() {
    const seq = ++loadSeq;
    status.textContent = "Loading…";
    opts.load({ range }).then(
      (l) => {
        if (seq !== loadSeq) return;
        status.textContent = l.targets.length ? "" : "Nothing to show yet.";
        hist = l.targets;
        rows = hist.map(toRow);
        maintenance = parseBands(l.maintenance ?? []);
        providers = providerBands(l.provider_incidents ?? []);
        windows = [...maintenance, ...providers.map(providerAsBand)];
        bounds = { from: Date.parse(l.from), to: Date.parse(l.to) };
        view = { ...bounds };
        detail = null;
        selected = -1;
        opts.onLoad?.(l);
        changed();
      },
      (err: Error) => seq === loadSeq && (status.textContent = err.message),
    );
  }

  /** The view moved: draw next frame, then (debounced) refresh the text and finer latency. */
  function changed() {
    // The visible range, readable by tests and the browser benchmark without the canvas.
    canvas.dataset.from = new Date(view.from).toISOString();
    canvas.dataset.to = new Date(view.to).toISOString();
    schedule();
    window.clearTimeout(textTimer);
    textTimer = window.setTimeout(describe, 250);
    window.clearTimeout(refineTimer);
    refineTimer = window.setTimeout(refine, 300);
  }

  function schedule() {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      draw();
      // What is under a resting pointer may have moved (a zoom, a live check): say what it is now.
      if (pointer && !drag && selected < 0) hover(pointer.x, pointer.y);
    });
  }

  function refine() {
    const span = view.to - view.from;
    if (span * REFINE_RATIO > bounds.to - bounds.from) {
      detail = null;
      return;
    }
    if (detail && detail.span.from <= view.from && detail.span.to >= view.to && (detail.span.to - detail.span.from) < span * REFINE_RATIO) return;
    const want = { from: Math.max(bounds.from, view.from - span / 2), to: Math.min(bounds.to, view.to + span / 2) };
    const seq = loadSeq;
    opts.load({ from: new Date(want.from).toISOString(), to: new Date(want.to).toISOString(), buckets: 240 }).then(
      (l) => {
        if (seq !== loadSeq) return;
        detail = { span: want, byId: new Map(l.targets.map((t) => [t.target, parseLat(t)])) };
        schedule();
      },
      () => {}, // the coarse series still shows; nothing to tell
    );
  }

  function latencyFor(row: Row): Lat[] {
    const d = detail && detail.span.from <= view.from && detail.span.to >= view.to ? detail.byId.get(row.id) : undefined;
    return d ?? row.lat;
  }

  function draw() {
    const t0 = performance.now();
    if (!c2d) return;
    const dpr = window.devicePixelRatio || 1;
    const cssW = cssWidth();
    const cssH = AXIS_H + rows.length * opts.rowHeight + 4;
    if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
      canvas.width = Math.round(cssW * dpr);
      canvas.height = Math.round(cssH * dpr);
      canvas.style.height = `${cssH}px`;
    }
    colors ??= readColors(canvas);
    const patterns = (textures ??= {
      hatch: pattern(c2d, "hatch", colors.bg), dots: pattern(c2d, "dots", colors.fg), stripes: pattern(c2d, "stripes", colors.accent),
    });
    const col = colors;
    const g = c2d;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, cssW, cssH);
    const p = plot();
    g.font = "12px system-ui, sans-serif";
    g.textBaseline = "middle";

    // Axis and grid.
    g.fillStyle = col.muted;
    g.strokeStyle = col.line;
    g.lineWidth = 1;
    g.beginPath();
    for (const tk of ticks(view, p.width, -new Date(view.from).getTimezoneOffset())) {
      const x = Math.round(timeToX(tk.t, view, p)) + 0.5;
      g.moveTo(x, AXIS_H - 4);
      g.lineTo(x, cssH);
      if (x + 3 + g.measureText(tk.label).width < cssW) g.fillText(tk.label, x + 3, AXIS_H / 2);
    }
    g.stroke();

    // Maintenance and snoozes behind the rows they cover: tinted, maintenance striped with solid
    // edges, a snooze plain with dashed edges; named at the top when there is room.
    bandHits = bandRects(windows, rows.map((r) => r.id), view, p, AXIS_H, opts.rowHeight);
    canvas.dataset.bands = String(bandHits.length);
    for (const r of bandHits) {
      if (r.band.provider) {
        providerRect(g, r, col);
        continue;
      }
      const ink = r.band.snooze ? col.muted : col.accent;
      const height = r.bottom - r.top;
      g.globalAlpha = r.band.snooze ? 0.16 : 0.1;
      g.fillStyle = ink;
      g.fillRect(r.x, r.top, r.w, height);
      g.globalAlpha = 1;
      if (!r.band.snooze && patterns.stripes) {
        g.fillStyle = patterns.stripes;
        g.fillRect(r.x, r.top, r.w, height);
      }
      g.strokeStyle = ink;
      g.lineWidth = 1;
      g.setLineDash(r.band.snooze ? [3, 3] : []);
      g.beginPath();
      for (const x of [r.x, r.x + r.w]) {
        g.moveTo(Math.round(x) + 0.5, r.top);
        g.lineTo(Math.round(x) + 0.5, r.bottom);
      }
      g.stroke();
      g.setLineDash([]);
      const label = bandTitle(r.band);
      if (r.w > g.measureText(label).width + 8) {
        g.fillStyle = col.muted;
        g.fillText(label, r.x + 4, r.top + 8);
      }
    }

    markers = [];
    const band = Math.max(10, Math.round(opts.rowHeight * 0.3));
    // Batched by status: one path per status for all rows, so a flapping week costs a few fills,
    // not one per segment.
    const bands: Record<Status, number[]> = { healthy: [], degraded: [], unhealthy: [], unknown: [] };
    const underlines: number[] = [];
    const lines: { lat: Lat[]; max: number; bottom: number; height: number }[] = [];
    const triangles: number[] = [];
    rows.forEach((row, i) => {
      const top = AXIS_H + i * opts.rowHeight;
      const bandTop = top + opts.rowHeight - band - 4;
      // Label: name and the visible range's uptime.
      g.fillStyle = col.fg;
      g.fillText(row.name.length > 18 ? `${row.name.slice(0, 17)}…` : row.name, 6, bandTop + band / 2 - 7);
      g.fillStyle = col.muted;
      g.fillText(pct(visibleUptime(row.segs, view), 2), 6, bandTop + band / 2 + 7);

      for (const r of bandRuns(row.segs, view, p)) bands[r.status].push(r.x, bandTop, r.w);

      // Latency above the band, scaled to what is visible of this row.
      const lat = latencyFor(row).filter((l) => l.to > view.from && l.from < view.to);
      const areaTop = top + 4;
      const areaH = bandTop - areaTop - 3;
      if (areaH > 4 && lat.length) {
        lines.push({ lat, max: Math.max(1, ...lat.map((l) => l.p90 ?? l.p50 ?? 0)), bottom: areaTop + areaH, height: areaH });
      }

      // Incident markers: a triangle at the start, the stretch underlined. Overlapping ones are
      // drawn as one (underlines merged, triangles at least a marker apart); every one can
      // still be pointed at.
      let lastX = -Infinity;
      let run: [number, number] | null = null;
      const y = bandTop + band + 1;
      for (const m of row.incidents) {
        if (m.end < view.from || m.start > view.to) continue;
        const x = timeToX(Math.max(m.start, view.from), view, p);
        const x2 = Math.max(x + 1, timeToX(Math.min(m.end, view.to), view, p));
        if (run && x <= run[1] + 1) run[1] = Math.max(run[1], x2);
        else {
          if (run) underlines.push(run[0], y, run[1] - run[0]);
          run = [x, x2];
        }
        markers.push({ x, y: bandTop - 4, item: { row, incident: m.incident } });
        if (x - lastX > 8) {
          triangles.push(x, bandTop - 4);
          lastX = x;
        }
      }
      if (run) underlines.push(run[0], y, run[1] - run[0]);
    });
    // Latency of every row in two strokes (p90 faint, then p50), clipped to the plot.
    g.save();
    g.beginPath();
    g.rect(p.left, 0, p.width, cssH);
    g.clip();
    g.strokeStyle = col.accent;
    for (const [key, alpha, width] of [["p90", 0.35, 1], ["p50", 1, 1.5]] as const) {
      g.globalAlpha = alpha;
      g.lineWidth = width;
      g.beginPath();
      for (const { lat, max, bottom, height } of lines) {
        let pen = false;
        for (const l of lat) {
          const v = l[key];
          if (v === null) {
            pen = false;
            continue;
          }
          const x = timeToX((l.from + l.to) / 2, view, p);
          const y = bottom - (v / max) * height;
          if (pen) g.lineTo(x, y);
          else g.moveTo(x, y);
          pen = true;
        }
      }
      g.stroke();
    }
    g.restore();

    for (const st of STATUSES) {
      const b = bands[st];
      if (!b.length) continue;
      g.beginPath();
      for (let k = 0; k < b.length; k += 3) g.rect(b[k], b[k + 1], b[k + 2], band);
      g.fillStyle = col[st];
      g.fill();
      const tex = st === "unhealthy" ? patterns.hatch : st === "degraded" ? patterns.dots : null;
      if (tex) {
        g.fillStyle = tex;
        g.fill();
      }
    }
    g.fillStyle = col.fg;
    for (let k = 0; k < underlines.length; k += 3) g.fillRect(underlines[k], underlines[k + 1], underlines[k + 2], 2);
    g.beginPath();
    for (let k = 0; k < triangles.length; k += 2) triangle(g, triangles[k], triangles[k + 1], 4);
    g.fill();
    const sel = markers[selected];
    if (sel) {
      g.beginPath();
      triangle(g, sel.x, sel.y, 7);
      g.fill();
    }
    const dt = performance.now() - t0;
    canvas.dataset.frameMs = dt.toFixed(2);
    const perf = (window.__llmHealthPerf ??= { frames: [] });
    perf.frames.push(dt);
    if (perf.frames.length > 1000) perf.frames.splice(0, perf.frames.length - 1000);
    uptime.textContent = `Uptime in view (${clockRange(view.from, view.to)}): ${pct(overallUptime(rows.map((r) => r.segs), view), 2)}`;
  }

  /**
   * A provider's incident: a faint tint with dotted edges all round, named at the bottom so it
   * does not sit on a maintenance window's name. Context only, so nothing as loud as a status.
   */
  function providerRect(g: CanvasRenderingContext2D, r: BandRect, col: Colors) {
    const height = r.bottom - r.top;
    g.globalAlpha = 0.12;
    g.fillStyle = col.provider;
    g.fillRect(r.x, r.top, r.w, height);
    g.globalAlpha = 1;
    g.strokeStyle = col.provider;
    g.lineWidth = 1;
    g.setLineDash([1, 2]);
    g.strokeRect(Math.round(r.x) + 0.5, r.top + 0.5, Math.max(1, Math.round(r.w) - 1), height - 1);
    g.setLineDash([]);
    const label = fitText(g, bandTitle(r.band), r.w - 8);
    if (label) {
      g.fillStyle = col.provider;
      g.fillText(label, r.x + 4, r.bottom - 8);
    }
  }

  /** As much of `text` as fits in `width`, with "…" when cut; null when not even a word's start fits. */
  function fitText(g: CanvasRenderingContext2D, text: string, width: number): string | null {
    if (g.measureText(text).width <= width) return text;
    let n = text.length - 1;
    while (n >= 6 && g.measureText(`${text.slice(0, n)}…`).width > width) n--;
    return n >= 6 ? `${text.slice(0, n).trimEnd()}…` : null;
  }

  function bandTitle(b: Band): string {
    return b.snooze ? "snoozed" : (b.name ?? "maintenance");
  }

  /**
   * "Maintenance “nightly update”: 01:00 – 03:00, Ollama" / "Snoozed: 14:00 – 15:00, Ollama" /
   * "OpenAI reports: Elevated error rates — investigating: from 14:02, ongoing, OpenAI".
   */
  function bandWords(b: Band): string {
    const names = b.targets === null
      ? "every target"
      : [...b.targets].sort((a, c) => rowIndex(a) - rowIndex(c)).map((id) => rows.find((r) => r.id === id)?.name ?? id).join(", ");
    const what = b.provider ? (b.name ?? "") : b.snooze ? "Snoozed" : b.name ? `Maintenance “${b.name}”` : "Maintenance";
    const when = Number.isFinite(b.end) ? clockRange(b.start, b.end) : `from ${clock(b.start)}, ongoing`;
    return `${what}: ${when}, ${names}`;
  }

  /** Targets in the rows' order (the configured one); those without a row last. */
  function rowIndex(id: string): number {
    const i = rows.findIndex((r) => r.id === id);
    return i < 0 ? rows.length : i;
  }

  function bandItem(b: Band): HTMLLIElement {
    if (!b.provider) return h("li", { class: b.snooze ? "snooze" : "maintenance", "data-snooze": String(b.snooze) }, bandWords(b));
    const li = h("li", { class: "provider", "data-ongoing": String(!Number.isFinite(b.end)) }, bandWords(b));
    if (b.provider.url) li.append(" ", h("a", { href: b.provider.url, target: "_blank", rel: "noopener noreferrer" }, "status page"));
    return li;
  }

  function incidentWords(i: Incident): string {
    const duration = i.duration_ms !== null ? `lasted ${durationWords(i.duration_ms)}` : "ongoing";
    return `${CLASS_WORDS[i.cause]} from ${clock(i.started_at)}, ${duration}, worst ${STATUS[i.worst].word}`;
  }

  /** The text alternative: per target, the visible uptime and the incidents in view. */
  function describe() {
    const items = rows.map((row) => {
      const inView = row.incidents.filter((m) => m.start < view.to && m.end > view.from).map((m) => m.incident);
      // A flapping target can have thousands: the newest few say enough.
      const told = inView.slice(-TOLD).reverse().map((i) => h("li", null, incidentWords(i)));
      if (inView.length > TOLD) told.push(h("li", null, `and ${inView.length - TOLD} earlier`));
      return h("li", null, `${row.name}: ${pct(visibleUptime(row.segs, view), 2)} up`,
        inView.length ? [`, ${inView.length} incident${inView.length === 1 ? "" : "s"}`, h("ul", null, told)] : ", no incidents");
    });
    text.replaceChildren(
      h("p", null, `${clockRange(view.from, view.to)}; overall ${pct(overallUptime(rows.map((r) => r.segs), view), 2)} up.`),
      h("ul", null, items),
    );
    // Shown, not only told: a window is easy to miss on the canvas, and its times are exact here.
    const shownIds = new Set(rows.map((r) => r.id));
    const inView = windows.filter((b) => b.start < view.to && b.end > view.from && (b.targets === null || b.targets.some((t) => shownIds.has(t))));
    maint.replaceChildren(...inView.map(bandItem));
  }

  function showTip(m: Marker<{ row: Row; incident: Incident }> | null, band: { r: BandRect; x: number; y: number } | null = null) {
    if (!m && !band) {
      tip.hidden = true;
      return;
    }
    tip.hidden = false;
    tip.textContent = m ? `${m.item.row.name}: ${incidentWords(m.item.incident)}` : bandWords(band!.r.band);
    tip.style.left = `${Math.min(m ? m.x : band!.x, cssWidth() - 220)}px`;
    tip.style.top = `${(m ? m.y : band!.y) + 8}px`;
  }

  function setView(v: Span) {
    view = v;
    changed();
  }

  const localX = (e: { clientX: number }) => e.clientX - canvas.getBoundingClientRect().left;

  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    const a = wheelAction(e);
    const p = plot();
    if ("zoom" in a) setView(zoomAt(view, a.zoom, xToTime(localX(e), view, p), bounds));
    else setView(panBy(view, (a.panPx / p.width) * (view.to - view.from), bounds));
  }, { passive: false });

  canvas.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    drag = { x: e.clientX, view };
    canvas.setPointerCapture?.(e.pointerId);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (drag) {
      const p = plot();
      setView(panBy(drag.view, (-(e.clientX - drag.x) / p.width) * (drag.view.to - drag.view.from), bounds));
      return;
    }
    const r = canvas.getBoundingClientRect();
    pointer = { x: e.clientX - r.left, y: e.clientY - r.top };
    hover(pointer.x, pointer.y);
  });
  function hover(x: number, y: number) {
    const m = hitMarker(markers, x, y);
    const b = m ? null : hitBand(bandHits, x, y);
    showTip(m, b && { r: b, x, y });
  }
  const endDrag = () => (drag = null);
  canvas.addEventListener("pointerup", endDrag);
  canvas.addEventListener("pointercancel", endDrag);
  canvas.addEventListener("pointerleave", () => {
    pointer = null;
    if (!drag) showTip(null);
  });
  canvas.addEventListener("blur", () => showTip(null));

  canvas.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const a = keyAction(e.key);
    if (!a) return;
    e.preventDefault();
    if ("marker" in a) {
      if (!markers.length) return;
      selected = (selected + a.marker + markers.length) % markers.length;
      showTip(markers[selected]);
      schedule();
      return;
    }
    selected = -1;
    showTip(null);
    setView(applyKey(view, a, bounds));
  });

  const scheme = window.matchMedia?.("(prefers-color-scheme: dark)");
  const recolor = () => {
    colors = null;
    textures = null;
    schedule();
  };
  scheme?.addEventListener?.("change", recolor);
  const resize = typeof ResizeObserver === "function" ? new ResizeObserver(() => schedule()) : null;
  resize?.observe(canvas);

  load();
  return {
    setRange,
    update(c: Change) {
      if (c.kind === "target" && (!opts.target || opts.target === c.id)) {
        const i = hist.findIndex((x) => x.target === c.id);
        if (i < 0) return;
        hist[i] = applyTargetEvent(hist[i], c.event);
        rows[i] = toRow(hist[i]);
        if (c.event.type === "checked") {
          const followed = followProviderBands(providers, c.id, c.event.outcome);
          if (followed !== providers) {
            providers = followed;
            windows = [...maintenance, ...providers.map(providerAsBand)];
          }
        }
        const to = Date.parse(hist[i].to);
        if (to > bounds.to) {
          // Watching the live edge: follow it.
          const atEdge = view.to >= bounds.to - 1;
          bounds = { ...bounds, to };
          if (atEdge) view = { from: view.from + (to - view.to), to };
        }
        changed();
      } else if (c.kind === "incident" && (!opts.target || opts.target === c.incident.target)) {
        const i = hist.findIndex((x) => x.target === c.incident.target);
        if (i < 0) return;
        hist[i] = { ...hist[i], incidents: upsertIncident(hist[i].incidents, c.incident) };
        rows[i] = toRow(hist[i]);
        changed();
      } else if (c.kind === "state") schedule();
    },
    destroy() {
      cancelAnimationFrame(frame);
      window.clearTimeout(textTimer);
      window.clearTimeout(refineTimer);
      scheme?.removeEventListener?.("change", recolor);
      resize?.disconnect();
      loadSeq++;
    },
  };
}

export function timelinePage(root: HTMLElement, ctx: Ctx): View {
  const host = h("section", { "aria-label": "Timeline of every target" });
  root.replaceChildren(h("h2", null, "Timeline"), host);
  return timelineChart(host, { id: "timeline", rowHeight: 40, load: (args) => ctx.api.timeline(args) });
}
