// The UI in Chromium against `llm-health serve` and fake servers: what a person sees during an
// outage, the screens in both themes, and the server's token/Host/Origin checks.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  fastConfig,
  launchBrowser,
  openPage,
  rawRequest,
  screenshotBoth,
  startFake,
  startServe,
} from "./harness.mjs";

const OPENAI_KEY = "sk-browser-test-7f3a9c";

describe("a monitored outage", () => {
  let ollama, openai, serve, browser;

  before(async () => {
    ollama = await startFake("ollama");
    openai = await startFake("openai", { apiKey: OPENAI_KEY });
    serve = await startServe({
      configText: fastConfig([
        { id: "ollama", name: "Ollama", kind: "ollama", url: ollama.url },
        {
          id: "openai",
          name: "OpenAI",
          kind: "openai",
          url: `${openai.url}/v1`,
          apiKeyEnv: "BROWSER_TEST_OPENAI_KEY",
        },
      ]),
      env: { BROWSER_TEST_OPENAI_KEY: OPENAI_KEY },
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    const exit = await serve?.stop();
    await ollama?.stop();
    await openai?.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, "serve stops cleanly on SIGTERM");
  });

  test("shows on the dashboard, the badges and the timeline within a second", async () => {
    const page = await openPage(browser, serve.url);

    await page.waitForSelector('tr[data-target="ollama"][data-status="healthy"]', { timeout: 20_000 });
    await page.waitForSelector('tr[data-target="openai"][data-status="healthy"]', { timeout: 20_000 });
    await page.waitForSelector('#badges [data-target="ollama"][data-status="healthy"]');
    assert.equal(await page.getAttribute("#conn", "data-state"), "live");
    assert.ok(!page.url().includes("token="), "the token is taken out of the address bar");
    assert.match(await page.textContent("#summary"), /2 .*healthy|all .*healthy/i);
    await screenshotBoth(page, "01-dashboard-healthy");

    // The page notes the moment Ollama's row turns red; the server says when the transition was.
    await page.evaluate(() => {
      const row = document.querySelector('tr[data-target="ollama"]');
      new MutationObserver(() => {
        const now = document.querySelector('tr[data-target="ollama"]');
        if (now?.dataset.status === "unhealthy" && !window.__redAt) window.__redAt = Date.now();
      }).observe(row.parentElement, { attributes: true, subtree: true, childList: true });
    });
    ollama.fault("status 500");
    await page.waitForSelector('tr[data-target="ollama"][data-status="unhealthy"]', { timeout: 20_000 });
    await page.waitForSelector('#badges [data-target="ollama"][data-status="unhealthy"]');
    const redAt = await page.evaluate(() => window.__redAt);
    // The history writer batches (every 250 ms), so the stored transition can trail the event
    // the page already showed: read until it is there, for a bounded while.
    let history;
    let down;
    for (let tries = 0; tries < 30 && !down; tries++) {
      if (tries) await new Promise((r) => setTimeout(r, 100));
      history = await (await fetch(`${serve.base}/api/history?target=ollama&range=1h`)).json();
      down = history.segments.findLast((s) => s.status === "unhealthy");
    }
    assert.ok(down, JSON.stringify(history.segments));
    const lag = redAt - Date.parse(down.from);
    assert.ok(lag >= 0 && lag < 1000, `the row turned red ${lag} ms after the transition`);
    assert.match(await page.textContent("#summary"), /Ollama/);
    await screenshotBoth(page, "02-dashboard-outage");

    // Live updates came as events over one stream: the whole state was read at most once, at
    // load, and the history once for the sparklines.
    const requests = page.requests;
    assert.ok(requests.filter((p) => p === "/api/get_state").length <= 1, requests.join(" "));
    assert.equal(requests.filter((p) => p === "/api/events").length, 1, requests.join(" "));
    assert.ok(requests.filter((p) => p === "/api/timeline").length <= 1, requests.join(" "));

    // The badge opens that target's full report.
    await page.click('#badges [data-target="ollama"]');
    await page.waitForFunction(() => location.hash.startsWith("#/target/ollama"));
    await page.waitForSelector("#timeline canvas");
    // The keyboard starts at the report, and the badge's tooltip does not cover it.
    assert.equal(await page.evaluate(() => document.activeElement?.id), "main");
    await page.mouse.move(1, 1);
    assert.equal(await page.isVisible('#badges [data-target="ollama"] .tip'), false);
    await screenshotBoth(page, "03-target-report");

    // The timeline shows the incident, annotated with its cause.
    await page.goto(`${serve.base}/#/timeline`);
    await page.waitForSelector("#timeline canvas");
    await page.mouse.move(640, 700);
    await page.click('[data-range="1h"]');
    await page.waitForFunction(() => {
      const c = document.querySelector("#timeline canvas");
      return c && Date.parse(c.dataset.to) - Date.parse(c.dataset.from) <= 3_600_000;
    });
    // Keyboard zoom to the last minute or so, where the outage is.
    await page.focus("#timeline canvas");
    await page.keyboard.press("End");
    for (let i = 0; i < 12; i++) await page.keyboard.press("+");
    await page.keyboard.press("End");
    const span = await page.evaluate(() => {
      const c = document.querySelector("#timeline canvas");
      return Date.parse(c.dataset.to) - Date.parse(c.dataset.from);
    });
    assert.ok(span < 120_000, `zoomed to ${span} ms`);
    await page.waitForFunction(
      () => /Ollama/.test(document.querySelector("#timeline")?.textContent ?? "") &&
        /server error|5\d\d|error/i.test(document.querySelector("#timeline")?.textContent ?? ""),
      null,
      { timeout: 10_000 },
    );
    await screenshotBoth(page, "04-timeline-outage");

    // Recovery shows too.
    ollama.fault("none");
    await page.goto(`${serve.base}/#/`);
    await page.waitForSelector('tr[data-target="ollama"][data-status="healthy"]', { timeout: 20_000 });

    await page.goto(`${serve.base}/#/incidents`);
    await page.waitForSelector('#incidents-list li[data-target="ollama"]');
    await screenshotBoth(page, "05-incidents");
    assert.deepEqual(page.errors, []);
  });

  test("refuses foreign hosts and origins, and changes without the token", async () => {
    const port = new URL(serve.base).port;
    const rebinding = await rawRequest(serve.base, "/api/get_state", {
      headers: { Host: `attacker.example:${port}` },
    });
    assert.equal(rebinding.status, 403, rebinding.text);
    const foreign = await rawRequest(serve.base, "/api/check_now", {
      method: "POST",
      headers: {
        Host: serve.host,
        Origin: "http://attacker.example",
        "Content-Type": "application/json",
        Authorization: `Bearer ${serve.token}`,
      },
      body: JSON.stringify({ target: null }),
    });
    assert.equal(foreign.status, 403, foreign.text);
    const tokenless = await rawRequest(serve.base, "/api/check_now", {
      method: "POST",
      headers: { Host: serve.host, "Content-Type": "application/json" },
      body: JSON.stringify({ target: null }),
    });
    assert.equal(tokenless.status, 401, tokenless.text);
    const withToken = await rawRequest(serve.base, "/api/check_now", {
      method: "POST",
      headers: {
        Host: serve.host,
        "Content-Type": "application/json",
        Authorization: `Bearer ${serve.token}`,
      },
      body: JSON.stringify({ target: null }),
    });
    assert.equal(withToken.status, 200, withToken.text);

    // A page opened without the token can look but not change anything, and says why.
    const page = await openPage(browser, `${serve.base}/#/`);
    await page.waitForSelector('tr[data-target="ollama"]');
    await page.click("#check-now");
    await page.waitForFunction(() => /token/i.test(document.body.textContent ?? ""), null, {
      timeout: 5_000,
    });

    // A page on another site cannot read or drive the monitor.
    const evil = await browser.newPage();
    await evil.goto("data:text/html,<p>elsewhere</p>");
    const blocked = await evil.evaluate(async (url) => {
      try {
        const r = await fetch(`${url}/api/get_state`);
        return `status ${r.status}`;
      } catch (e) {
        return "refused";
      }
    }, serve.base);
    assert.notEqual(blocked, "status 200");

    // The key the server uses is in no reply.
    for (const path of ["/api/get_state", "/api/get_settings", "/api/export_toml", "/metrics"]) {
      const r = await rawRequest(serve.base, path, { headers: { Host: serve.host } });
      assert.equal(r.status, 200, path);
      assert.ok(!r.text.includes(OPENAI_KEY), `${path} leaks the key`);
    }
  });
});
