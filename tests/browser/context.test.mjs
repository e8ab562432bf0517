// Provider context in a browser against `llm-health serve`: a Statuspage-shaped fake reports an
// incident on the component an OpenAI-compatible target watches, and the page shows it on the
// dashboard row, as an outlined band on the timeline and in the incidents list, while the row's
// own status stays ours (healthy). A rate-limited target's row says why and when it resets, and
// every row has its heartbeat strip of the last checks.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { fastConfig, launchBrowser, openPage, screenshotBoth, startFake, startServe } from "./harness.mjs";

const KEY = "sk-browser-context-5b1e2d";
const HEADLINE = "Claude reports: Elevated errors on Claude API — investigating";

/** Waits until the fake page's own unresolved.json lists the incident: stdin is asynchronous. */
async function untilListed(pageUrl, id) {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${pageUrl}/api/v2/incidents/unresolved.json`);
    const body = await res.json();
    if (body.incidents.some((x) => x.id === id)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the fake page never listed ${id}`);
}

describe("provider context", () => {
  let statusPage, claude, groq, serve, browser;

  before(async () => {
    statusPage = await startFake("statuspage");
    statusPage.fault("incident inc1 investigating major k8w3r06qmzrp Elevated errors on Claude API");
    await untilListed(statusPage.url, "inc1");
    claude = await startFake("openai", { apiKey: KEY });
    groq = await startFake("openai", { apiKey: KEY });
    groq.fault("rate-limited 600");
    const config = fastConfig([
      { id: "claude", name: "Claude", kind: "openai_compatible", url: `${claude.url}/v1`, apiKeyEnv: "BROWSER_CONTEXT_KEY" },
      { id: "groq", name: "Groq", kind: "openai_compatible", url: `${groq.url}/v1`, apiKeyEnv: "BROWSER_CONTEXT_KEY" },
    ]).replace(
      'name = "Claude"\n',
      `name = "Claude"\nstatus_page = "${statusPage.url}"\nstatus_component = "Claude API"\n`,
    );
    serve = await startServe({ configText: config, env: { BROWSER_CONTEXT_KEY: KEY } });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
    for (const fake of [statusPage, claude, groq]) await fake?.stop();
  });

  test("a provider's incident shows on the row, the timeline and the incidents list; the status stays ours", async () => {
    const page = await openPage(browser, serve.url);
    const row = page.locator('tr[data-target="claude"]');
    await page.waitForSelector('tr[data-target="claude"] .provider-news', { timeout: 20_000 });
    assert.equal(await row.locator(".provider-news").innerText(), `provider incident: ${HEADLINE}`);
    // Context, never the verdict: our own checks pass, so the row is healthy.
    await page.waitForSelector('tr[data-target="claude"][data-status="healthy"]', { timeout: 20_000 });
    assert.equal(await row.locator(".cause").count(), 0);
    // The details name the component's status and link the incident.
    await row.locator("button.expand").click();
    const details = page.locator('tr[data-key="claude details"]');
    assert.match(await details.innerText(), /Claude reports\s+Elevated errors on Claude API — investigating/);
    assert.match(await details.locator("a").first().getAttribute("href"), /^https:\/\/stspg\.io\/inc1$/);

    // The heartbeat strip fills with the last checks, each with its shape.
    await page.waitForFunction(() => Number(document.querySelector('tr[data-target="claude"] .beats')?.dataset.beats) >= 2, null, { timeout: 20_000 });
    assert.match(await row.locator(".beats").getAttribute("aria-label"), /^Last \d+ checks?: \d+ healthy; the latest healthy$/);
    assert.equal(await row.locator(".beats .beat").first().innerText(), "●");
    await screenshotBoth(page, "20-dashboard-provider-context");

    // The timeline: one outlined band on Claude's row, its sentence in the list below the canvas.
    await page.click('nav a[data-view="timeline"]');
    const item = page.locator("#timeline-maintenance li.provider");
    await item.waitFor({ timeout: 10_000 });
    assert.match(await item.innerText(), new RegExp(`^${HEADLINE}: from .+, ongoing, Claude`));
    assert.equal(await item.getAttribute("data-ongoing"), "true");
    assert.equal(await page.getAttribute("#timeline canvas", "data-bands"), "1");
    await screenshotBoth(page, "21-timeline-provider-band", "#timeline");

    // The incidents list: the provider's report beside ours, marked as theirs.
    await page.click('nav a[data-view="incidents"]');
    const reported = page.locator("#incidents-list li.provider");
    await reported.waitFor({ timeout: 10_000 });
    assert.match(await reported.innerText(), new RegExp(`${HEADLINE} \\(major impact; Claude\\)`));
    assert.equal(await reported.locator("a").getAttribute("href"), "https://stspg.io/inc1");
    assert.deepEqual(page.errors, []);
  });

  test("a rate-limited row says why and when the limit resets", async () => {
    const page = await openPage(browser, serve.url);
    await page.waitForSelector('tr[data-target="groq"][data-status="degraded"] .cause', { timeout: 20_000 });
    const cause = await page.locator('tr[data-target="groq"] .cause').innerText();
    assert.match(cause, /^rate limited — resets in (9|10) min/);
    assert.match(await page.locator('tr[data-target="groq"] .beats').getAttribute("aria-label"), /degraded; the latest degraded \(rate limited\)$/);
    await screenshotBoth(page, "22-dashboard-rate-limited", 'tr[data-target="groq"]');
    assert.deepEqual(page.errors, []);
  });
});
