// Real processes for the browser tests: fake LLM servers (the `fake-llm` binary, faults scripted
// on its stdin), `llm-health serve` over a real SQLite file, and Debian's Chromium driven by
// playwright-core. Screenshots land in target/browser-e2e/ for a person to look at.

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const binDir = process.env.LLM_HEALTH_BIN_DIR ?? join(repo, "target", "debug");
export const shotsDir = join(repo, "target", "browser-e2e");
mkdirSync(shotsDir, { recursive: true });

const children = new Set();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** Starts a binary and resolves with the first stdout line matching `pattern`. */
function startProcess(name, args, pattern, env = {}) {
  const child = spawn(join(binDir, name), args, {
    env: { ...process.env, LLM_HEALTH_LOG: "warn", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.add(child);
  const stderr = [];
  child.stderr.on("data", (d) => stderr.push(String(d)));
  const exited = new Promise((done) =>
    child.on("exit", (code, signal) => {
      children.delete(child);
      done({ code, signal });
    }),
  );
  const lines = createInterface({ input: child.stdout });
  const found = new Promise((ok, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`${name} did not print ${pattern} in 30 s: ${stderr.join("")}`)),
      30_000,
    );
    lines.on("line", (line) => {
      const m = line.match(pattern);
      if (m) {
        clearTimeout(timer);
        ok(m);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited (${code}) before ${pattern}: ${stderr.join("")}`));
    });
  });
  return { child, found, exited, stderr };
}

/** A fake Ollama / OpenAI / … server in its own process. `fault("status 500")` scripts it. */
export async function startFake(flavor, { apiKey } = {}) {
  const args = ["--flavor", flavor];
  if (apiKey) args.push("--api-key", apiKey);
  const p = startProcess("fake-llm", args, /^listening on (\S+)/);
  const [, url] = await p.found;
  return {
    url,
    fault: (line) => p.child.stdin.write(`${line}\n`),
    stop: async () => {
      p.child.kill("SIGINT");
      await p.exited;
    },
  };
}

/**
 * `fake-llm receiver`: a real notice receiver (webhook, ntfy, slack or discord shape) that
 * prints one JSON line per request it gets; `waitFor(n)` resolves with the first `n` of them.
 */
export async function startReceiver(shape = "webhook") {
  const p = startProcess("fake-llm", ["receiver", "--shape", shape, "--listen", "127.0.0.1:0"], /^listening on (\S+)/);
  const got = [];
  const waiting = [];
  createInterface({ input: p.child.stdout }).on("line", (line) => {
    if (!line.startsWith("{")) return;
    got.push(JSON.parse(line));
    for (const w of [...waiting]) if (got.length >= w.n) (waiting.splice(waiting.indexOf(w), 1), w.ok(got.slice(0, w.n)));
  });
  const [, url] = await p.found;
  return {
    url,
    requests: got,
    waitFor: (n, ms = 15_000) =>
      got.length >= n
        ? Promise.resolve(got.slice(0, n))
        : new Promise((ok, fail) => {
            const w = { n, ok };
            waiting.push(w);
            setTimeout(() => fail(new Error(`the receiver got ${got.length} of ${n} requests in ${ms} ms`)), ms);
          }),
    stop: async () => {
      p.child.kill("SIGINT");
      await p.exited;
    },
  };
}

export function tempDir() {
  return mkdtempSync(join(tmpdir(), "llm-health-browser-"));
}

/** `llm-health serve` on a free loopback port, with `configText` as its config file. */
export async function startServe({ configText, dir = tempDir(), db = join(dir, "history.db"), env = {}, args = [] }) {
  const config = join(dir, "config.toml");
  if (configText !== null) writeFileSync(config, configText);
  const p = startProcess(
    "llm-health",
    [
      "serve",
      "--config",
      config,
      "--db",
      db,
      "--listen",
      "127.0.0.1:0",
      "--ui",
      join(repo, "ui", "dist"),
      ...args,
    ],
    /llm-health serving (http:\/\/([^/]+)\/#token=([0-9a-f]+))/,
    env,
  );
  const [, url, host, token] = await p.found;
  return {
    url,
    base: `http://${host}`,
    host,
    token,
    config,
    db,
    dir,
    stderr: p.stderr,
    stop: async () => {
      p.child.kill("SIGTERM");
      return p.exited;
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A page in a fresh context with the given color scheme, failing the test on page errors. */
export async function openPage(browser, url, { colorScheme = "light", width = 1280, height = 860 } = {}) {
  const context = await browser.newContext({ colorScheme, viewport: { width, height } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  // The server's Content-Security-Policy must not block anything the page itself does.
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) errors.push(m.text());
  });
  page.errors = errors;
  // Paths of every request the page makes, from the first.
  page.requests = [];
  page.on("request", (r) => page.requests.push(new URL(r.url()).pathname));
  await page.goto(url);
  return page;
}

/** Saves `name-light.png` / `name-dark.png` of the page as it is. */
export async function screenshot(page, name) {
  const scheme = await page.evaluate(() =>
    matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light",
  );
  await page.screenshot({ path: join(shotsDir, `${name}-${scheme}.png`), fullPage: true });
}

/**
 * Both themes of one screen: the page switches scheme in place (the UI follows the system).
 * With `selector`, only that element is taken.
 */
export async function screenshotBoth(page, name, selector = null) {
  for (const colorScheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme });
    await page.waitForTimeout(150);
    if (selector) await page.locator(selector).screenshot({ path: join(shotsDir, `${name}-${colorScheme}.png`) });
    else await screenshot(page, name);
  }
  await page.emulateMedia({ colorScheme: "light" });
}

/** A config whose targets are checked every second, so an outage shows within seconds. */
export function fastConfig(targets) {
  const blocks = targets.map(
    (t) => `[[targets]]
id = "${t.id}"
name = "${t.name}"
kind = "${t.kind}"
base_url = "${t.url}"
${t.apiKeyEnv ? `api_key_env = "${t.apiKeyEnv}"\n` : ""}interval = "1s"
timeout = "2s"
failure_threshold = 2
success_threshold = 2
backoff_max = "2s"
`,
  );
  return blocks.join("\n");
}

/** Raw HTTP with any Host/Origin headers (fetch refuses to forge Host). */
export async function rawRequest(base, path, { method = "GET", headers = {}, body } = {}) {
  const http = await import("node:http");
  const url = new URL(path, base);
  return new Promise((ok, fail) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => ok({ status: res.statusCode, text }));
      },
    );
    req.on("error", fail);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
