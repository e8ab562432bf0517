// The UI's figures for BENCHMARKS.md, in Debian's Chromium against `llm-health serve` on a
// generated week of history (50 targets × a check every 10 s × 7 days ≈ 3 million checks):
//   1. first render of the dashboard with 50 targets (navigation start → 50 rows on screen);
//   2. the 7-day timeline of 20 targets: first draw, then zooming and panning frame by frame.
// Run: (cd tests/browser && npm run bench), after `cargo build --release -p llm-health -p fake-llm`.
// UI_BENCH_DB=<file> keeps the generated database between runs.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { launchBrowser, repo, startFake, startServe, tempDir } from "./harness.mjs";

const RUNS = Number(process.env.UI_BENCH_RUNS ?? 10);
const dir = tempDir();
const db = process.env.UI_BENCH_DB ?? join(dir, "week.db");

if (!existsSync(db)) {
  console.error(`generating ${db} …`);
  execFileSync(
    "cargo",
    ["run", "--release", "--quiet", "-p", "store", "--example", "history_db", "--", db, "50", "7"],
    { cwd: repo, stdio: ["ignore", "inherit", "inherit"] },
  );
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const ms = (x) => `${x.toFixed(1)} ms`;

function config(n, url) {
  let text = "";
  for (let i = 0; i < n; i++) {
    const id = `target-${String(i).padStart(2, "0")}`;
    text += `[[targets]]\nid = "${id}"\nname = "Target ${i}"\nkind = "openai_compatible"\nbase_url = "${url}/v1"\ninterval = "30s"\n\n`;
  }
  return text;
}

async function withServe(targets, fake, f) {
  const serve = await startServe({ configText: config(targets, fake.url), db });
  try {
    return await f(serve);
  } finally {
    await serve.stop();
  }
}

const fake = await startFake("openai");
const browser = await launchBrowser();
const rows = [];

// 1. Dashboard, 50 targets: time from navigation start to all 50 rows in the document, with
// the 24-hour statistics (sparklines) filled in.
await withServe(50, fake, async (serve) => {
  const times = [];
  const fetches = [];
  for (let run = 0; run < RUNS + 1; run++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.addInitScript(() => {
      new MutationObserver((_, observer) => {
        const rows = document.querySelectorAll("tr[data-target]");
        const lines = document.querySelectorAll("tr[data-target] svg polyline, tr[data-target] svg path");
        if (rows.length >= 50 && lines.length >= 50) {
          window.__rendered = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true, attributes: true });
    });
    const page = await context.newPage();
    await page.goto(serve.url);
    await page.waitForFunction(() => window.__rendered, null, { timeout: 30_000 });
    const [t, fetch] = await page.evaluate(() => [
      window.__rendered,
      performance
        .getEntriesByType("resource")
        .filter((e) => /\/api\/(get_state|timeline)/.test(e.name))
        .reduce((sum, e) => sum + e.duration, 0),
    ]);
    if (run > 0) {
      // the first run warms the server's page cache
      times.push(t);
      fetches.push(fetch);
    }
    await context.close();
  }
  rows.push([`dashboard first render, 50 targets (${RUNS} runs): navigation → 50 rows with sparklines`, `p50 ${ms(pct(times, 50))} · max ${ms(Math.max(...times))}`]);
  rows.push([`… of which waiting for the API (state + 24 h timeline of 50 targets)`, `p50 ${ms(pct(fetches, 50))}`]);
});

// 2. Timeline, 7 days × 20 targets, at 1600 × 900 CSS px on a 2× display.
await withServe(20, fake, async (serve) => {
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 }, deviceScaleFactor: 2 });
  const page = await context.newPage();
  await page.goto(`${serve.base}/#/timeline`);
  await page.waitForSelector("#timeline canvas[data-frame-ms]");
  const t0 = Date.now();
  await page.click('[data-range="7d"]');
  await page.waitForFunction(
    () => {
      const c = document.querySelector("#timeline canvas");
      return c && Date.parse(c.dataset.to) - Date.parse(c.dataset.from) > 6 * 86_400_000;
    },
    null,
    { timeout: 30_000 },
  );
  const firstDraw = Date.now() - t0;
  await page.evaluate(() => (window.__llmHealthPerf.frames.length = 0));

  // Zoom in step by step about the middle, pan, zoom back out: one input per animation frame,
  // timing the gaps between frames as well as the UI's own draw time.
  const intervals = await page.evaluate(async () => {
    const canvas = document.querySelector("#timeline canvas");
    const box = canvas.getBoundingClientRect();
    const at = { clientX: box.left + box.width * 0.6, clientY: box.top + box.height / 2 };
    const gaps = [];
    let last = await new Promise(requestAnimationFrame);
    const step = async (input) => {
      input();
      const now = await new Promise(requestAnimationFrame);
      gaps.push(now - last);
      last = now;
    };
    for (let i = 0; i < 40; i++) {
      await step(() => canvas.dispatchEvent(new WheelEvent("wheel", { ...at, deltaY: -120, ctrlKey: true, bubbles: true, cancelable: true })));
    }
    for (let i = 0; i < 40; i++) {
      await step(() => canvas.dispatchEvent(new WheelEvent("wheel", { ...at, deltaX: 80, bubbles: true, cancelable: true })));
    }
    canvas.focus();
    for (let i = 0; i < 40; i++) {
      await step(() => canvas.dispatchEvent(new KeyboardEvent("keydown", { key: i % 2 ? "ArrowLeft" : "-", bubbles: true })));
    }
    return gaps;
  });
  const draws = await page.evaluate(() => window.__llmHealthPerf.frames.slice());
  rows.push(["7-day timeline, 20 targets: first draw after choosing 7d (fetch + draw)", `${firstDraw} ms`]);
  rows.push([
    `… draw time per frame while zooming/panning (${draws.length} frames)`,
    `p50 ${ms(pct(draws, 50))} · p95 ${ms(pct(draws, 95))} · max ${ms(Math.max(...draws))}`,
  ]);
  rows.push([
    `… frame interval while zooming/panning (${intervals.length} inputs, one per frame)`,
    `p50 ${ms(pct(intervals, 50))} · p95 ${ms(pct(intervals, 95))} · max ${ms(Math.max(...intervals))}`,
  ]);
  await context.close();
});

await browser.close();
await fake.stop();

console.log("| measure | result |\n|---|---|");
for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
