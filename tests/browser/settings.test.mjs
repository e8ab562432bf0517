// Settings in a browser against `llm-health serve`: a target added, tested, edited and removed
// through the form lands in the config file and in the dashboard; a bad import names its line
// and key; first run offers the detected endpoints.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  fastConfig,
  launchBrowser,
  openPage,
  screenshotBoth,
  startFake,
  startServe,
} from "./harness.mjs";

describe("settings", () => {
  let ollama, lmstudio, serve, browser;

  before(async () => {
    ollama = await startFake("ollama");
    lmstudio = await startFake("lmstudio");
    serve = await startServe({
      configText: fastConfig([{ id: "ollama", name: "Ollama", kind: "ollama", url: ollama.url }]),
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
    await ollama?.stop();
    await lmstudio?.stop();
  });

  test("round-trip through the config file", async () => {
    const page = await openPage(browser, serve.url);
    await page.waitForSelector('tr[data-target="ollama"]');
    await page.click("#show-settings");
    await page.waitForSelector("#add-target");
    await screenshotBoth(page, "06-settings");

    // Add LM Studio: test the connection first, then save.
    await page.click("#add-target");
    const form = page.locator("#target-form");
    await form.locator('select[name="kind"]').selectOption("lmstudio");
    await form.locator('input[name="id"]').fill("lab");
    await form.locator('input[name="name"]').fill("Lab box");
    await form.locator('input[name="base_url"]').fill("http://127.0.0.1:9");
    await page.click("#test-connection");
    await page.waitForSelector("#test-result[data-status]");
    await page.waitForFunction(
      () => document.querySelector("#test-result")?.dataset.status !== "healthy" &&
        /unreachable|connect|refused/i.test(document.querySelector("#test-result")?.textContent ?? ""),
    );
    await form.locator('input[name="base_url"]').fill(lmstudio.url);
    await page.click("#test-connection");
    await page.waitForSelector('#test-result[data-status="healthy"]');
    // What the probe found is shown, so the user sees it reached the right server.
    assert.match(await page.textContent("#test-result dl"), /Models \(\d+\)/);
    await screenshotBoth(page, "07-settings-test-connection");
    assert.ok(!readFileSync(serve.config, "utf8").includes("lab"), "testing saves nothing");

    await form.locator('input[name="interval"]').fill("5s");
    await form.locator('button[type="submit"]').click();
    await page.waitForFunction(() => document.querySelector("#target-form")?.hidden === true);
    let saved = readFileSync(serve.config, "utf8");
    assert.match(saved, /id = "lab"/);
    assert.match(saved, /kind = "lmstudio"/);
    assert.ok(saved.includes(lmstudio.url), saved);
    assert.match(saved, /interval = "5s"/);

    // The dashboard watches it now.
    await page.goto(`${serve.base}/#/`);
    await page.waitForSelector('tr[data-target="lab"][data-status="healthy"]', { timeout: 20_000 });

    // Edit: a new name lands in the file.
    await page.goto(`${serve.base}/#/settings`);
    await page.click('button[aria-label="Edit Lab box"]');
    await form.locator('input[name="name"]').fill("Lab server");
    await form.locator('button[type="submit"]').click();
    await page.waitForFunction(() => document.querySelector("#target-form")?.hidden === true);
    saved = readFileSync(serve.config, "utf8");
    assert.match(saved, /name = "Lab server"/);

    // A malformed import is refused with its line and key; the file is untouched.
    await page.fill("#toml", '[[targets]]\nid = "x"\nkind = "ollama"\ninterval = "often"\n');
    await page.click("#toml-import");
    // The message names the line (`…:4:`) and the key.
    await page.waitForFunction(() => /:4:/.test(document.querySelector("#toml-message")?.textContent ?? ""));
    assert.match(await page.textContent("#toml-message"), /interval/);
    assert.equal(readFileSync(serve.config, "utf8"), saved);
    await screenshotBoth(page, "08-settings-import-error");

    // Remove (the button asks to be pressed twice).
    const remove = page.locator('button[aria-label="Remove Lab server"]');
    await remove.click();
    await remove.click();
    await page.waitForFunction(() => !document.querySelector('button[aria-label="Remove Lab server"]'));
    assert.ok(!readFileSync(serve.config, "utf8").includes("lab"));
    await page.goto(`${serve.base}/#/`);
    await page.waitForSelector('tr[data-target="ollama"]');
    assert.equal(await page.locator('tr[data-target="lab"]').count(), 0);
    assert.deepEqual(page.errors, []);
  });
});

describe("first run", () => {
  let ollama, serve, browser;

  before(async () => {
    ollama = await startFake("ollama");
    // No config file: the server offers what it detects and writes the file when answered.
    serve = await startServe({ configText: null, env: { OLLAMA_HOST: ollama.url } });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
    await ollama?.stop();
  });

  test("offers the detected endpoints and adds only the chosen ones", async () => {
    const page = await openPage(browser, serve.url);
    await page.waitForSelector("#onboarding:not([hidden]) #offers li");
    const offered = await page.locator("#offers li").allInnerTexts();
    assert.ok(offered.some((t) => /Ollama/.test(t) && /answering/.test(t)), offered.join(" | "));
    await screenshotBoth(page, "09-first-run");
    await page.evaluate(() => {
      for (const li of document.querySelectorAll("#offers li")) {
        li.querySelector("input").checked = /Ollama/.test(li.textContent) && /answering/.test(li.textContent);
      }
    });
    await page.click("#offers-add");
    await page.waitForSelector('tr[data-target][data-status="healthy"]', { timeout: 20_000 });
    const saved = readFileSync(serve.config, "utf8");
    assert.ok(saved.includes(new URL(ollama.url).port), saved);
    assert.equal((saved.match(/\[\[targets\]\]/g) ?? []).length, 1, saved);
  });
});
