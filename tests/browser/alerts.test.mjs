// Alerts in a browser against `llm-health serve`: the Settings list the `[[alerts]]` channels and
// "Send test notice" reaches a real receiver (`fake-llm receiver`); a channel added in the form
// lands in the file without disturbing the others' URLs; a `[[maintenance]]` window covering now
// is a band on the timeline; snoozing from a dashboard row shows until when, and ends.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  fastConfig,
  launchBrowser,
  openPage,
  screenshotBoth,
  startFake,
  startReceiver,
  startServe,
} from "./harness.mjs";

/** RFC 3339 with an offset (Z), whole seconds. */
const at = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

describe("alerts", () => {
  let ollama, hook, second, serve, browser;

  before(async () => {
    ollama = await startFake("ollama");
    hook = await startReceiver("webhook");
    second = await startReceiver("webhook");
    const now = Date.now();
    serve = await startServe({
      configText: `${fastConfig([{ id: "ollama", name: "Ollama", kind: "ollama", url: ollama.url }])}
[[alerts]]
id = "hook"
name = "Test hook"
kind = "webhook"
url = "${hook.url}/notices"
events = ["down", "recovered", "test"]

[[maintenance]]
name = "nightly update"
start = "${at(now - 10 * 60_000)}"
end = "${at(now + 20 * 60_000)}"
`,
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
    await ollama?.stop();
    await hook?.stop();
    await second?.stop();
  });

  test("Settings list the channel and a test notice reaches the receiver", async () => {
    const page = await openPage(browser, serve.url);
    await page.waitForSelector('tr[data-target="ollama"]');
    await page.click("#show-settings");
    const item = page.locator('#channel-list li[data-channel="hook"]');
    await item.waitFor();
    const text = await item.innerText();
    assert.match(text, /Test hook/);
    assert.match(text, /Webhook/);
    assert.match(text, /To http:\/\/127\.0\.0\.1\/…/);
    assert.match(text, /down, recovered, test/);
    // The URL itself (port and path) is never on the page.
    assert.ok(!(await page.content()).includes(new URL(hook.url).port), "the channel's URL is not shown");

    await item.locator("button.test-notice").click();
    await page.waitForSelector('li[data-channel="hook"] .channel-result[data-result="sent"]', { timeout: 20_000 });
    assert.equal(await item.locator(".channel-result").innerText(), "Sent");
    const [got] = await hook.waitFor(1);
    assert.equal(got.method, "POST");
    assert.equal(got.path, "/notices");
    assert.equal(got.json.event, "test");
    await page.locator("#channels").scrollIntoViewIfNeeded();
    await screenshotBoth(page, "10-settings-channels", "#channels");

    // A channel added in the form: its URL goes into the file, the first one's stays whole
    // (the page held it masked; the core puts it back).
    await page.click("#add-channel");
    const form = page.locator("#channel-form");
    await form.locator('input[name="name"]').fill("Second hook");
    await form.locator('select[name="kind"]').selectOption("webhook");
    await form.locator('input[name="url"]').fill(`${second.url}/second`);
    await screenshotBoth(page, "11-settings-channel-form", "#channels");
    await form.locator('button[type="submit"]').click();
    await page.waitForFunction(() => document.querySelector("#channel-form")?.hidden === true);
    const saved = readFileSync(serve.config, "utf8");
    assert.ok(saved.includes(`url = "${hook.url}/notices"`), saved);
    assert.ok(saved.includes(`url = "${second.url}/second"`), saved);
    assert.match(saved, /id = "second-hook"/);
    assert.ok(!saved.includes("…"), saved);
    const added = page.locator('#channel-list li[data-channel="second-hook"]');
    await added.waitFor();
    assert.ok(!(await page.content()).includes(new URL(second.url).port), "the new URL is not shown after saving");
    await added.locator("button.test-notice").click();
    await page.waitForSelector('li[data-channel="second-hook"] .channel-result[data-result="sent"]', { timeout: 20_000 });
    const [again] = await second.waitFor(1);
    assert.equal(again.json.event, "test");
    await screenshotBoth(page, "11-settings-channels-added", "#channels");
    assert.deepEqual(page.errors, []);
  });

  test("a maintenance window covering now is a band on the timeline", async () => {
    const page = await openPage(browser, `${serve.base}/#/timeline`);
    await page.waitForFunction(() => Number(document.querySelector("#timeline canvas")?.dataset.bands) >= 1, null, { timeout: 20_000 });
    await page.waitForSelector("#timeline-maintenance li");
    const words = await page.locator("#timeline-maintenance li").first().innerText();
    assert.match(words, /^Maintenance “nightly update”: .+ – .+, every target$/);
    // Zoomed to the last hour, the band is wide enough to point at.
    await page.click('[data-range="1h"]');
    await page.waitForFunction(() => Number(document.querySelector("#timeline canvas")?.dataset.bands) >= 1);
    const box = await page.locator("#timeline canvas").boundingBox();
    await page.mouse.move(box.x + box.width - 40, box.y + 40);
    await page.waitForSelector(".tl-tip:not([hidden])");
    assert.match(await page.locator(".tl-tip").innerText(), /nightly update/);
    await screenshotBoth(page, "12-timeline-maintenance");
    assert.deepEqual(page.errors, []);
  });

  test("snoozing from a dashboard row shows until when, on the timeline too, and ends", async () => {
    // A change: the address with the token.
    const page = await openPage(browser, serve.url);
    const row = page.locator('tr[data-target="ollama"]');
    await row.waitFor();
    await row.locator('button:text-is("Snooze 1 h")').click();
    await page.waitForSelector('tr[data-target="ollama"][data-snoozed]', { timeout: 10_000 });
    assert.match(await row.locator(".snoozed").innerText(), /snoozed until \S+/);
    await screenshotBoth(page, "13-dashboard-snoozed");

    await page.click('nav a[data-view="timeline"]');
    await page.waitForSelector('#timeline-maintenance li[data-snooze="true"]', { timeout: 10_000 });
    assert.match(await page.locator('#timeline-maintenance li[data-snooze="true"]').innerText(), /^Snoozed: .+, Ollama$/);
    await screenshotBoth(page, "14-timeline-snooze");

    await page.click('nav a[data-view="dashboard"]');
    await page.locator('tr[data-target="ollama"] button:text-is("End snooze")').click();
    await page.waitForSelector('tr[data-target="ollama"]:not([data-snoozed])', { timeout: 10_000 });
    assert.equal(await page.locator('tr[data-target="ollama"] button:text-is("Snooze 1 h")').count(), 1);
    assert.deepEqual(page.errors, []);
  });
});
