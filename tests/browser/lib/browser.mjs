// Debian's Chromium through playwright-core, plus what every flow shares: sessions, the CSP watch, the
// accessibility gate (axe-core), the HTML collector for the Nu checker, and screenshots.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { repoRoot } from "./server.mjs";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync"];

/** WCAG 2.1 A and AA: the level the issue asks for. */
export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

export const screenshotDir = process.env.UPDATE_SCREENSHOTS === "1"
  ? join(repoRoot, "docs", "screenshots")
  : join(repoRoot, "tests", "browser", "artifacts", "screenshots");

/** Per state: axe violations and the page basics; per document: Nu errors. Printed at the end. */
export const report = { axe: [], vnu: [] };

const noScriptContexts = new WeakSet();
/** The CSP header of the document each page shows now. */
const documentCsp = new WeakMap();

/** Every HTML response the browser received, keyed by what it was: the Nu checker reads them all. */
export const documents = new Map();
const pendingBodies = [];
/** Per context: the state its pages are in now (see `documentState`). */
const documentStates = new WeakMap();

/**
 * From now on the HTML responses of `session` are kept as pages in `state` ("leak banner"), so the
 * Nu checker reads again a page it already saw in another state; `null` ends it.
 */
export function documentState(session, state) {
  documentStates.set(session.context, state);
}

export async function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

function collectHtml(context, base) {
  context.on("response", (response) => {
    const type = response.headers()["content-type"] ?? "";
    const status = response.status();
    if (!type.startsWith("text/html") || status < 200 || (status >= 300 && status < 400)) return;
    const request = response.request();
    const url = new URL(response.url());
    if (url.origin !== base) return;
    const fragment = request.headers()["hx-request"] === "true";
    // Whole credentials (a key or a secret pasted into the support search) stay out of the report.
    const search = url.search.replace(/kwik_(ak|sk)_[0-9A-Za-z]{20,}/g, "kwik_$1_[redacted]");
    const state = documentStates.get(context);
    const key = `${request.method()} ${url.pathname.replace(/\/\d+\//, "/{id}/")}${search} → ${status}${fragment ? " (htmx fragment)" : ""}${state ? ` [${state}]` : ""}`;
    if (documents.has(key)) return;
    documents.set(key, null);
    pendingBodies.push(response.body().then(
      (body) => documents.set(key, { fragment, html: body.toString("utf8") }),
      () => documents.delete(key), // the page moved on before the body could be read; another visit covers it
    ));
  });
}

/** Waits for every response body the collector is still reading. */
export async function settleDocuments() {
  await Promise.all(pendingBodies.splice(0));
}

/**
 * A fresh browser context (its own cookies) with one page, watched for CSP violations and page errors.
 * `options` go to `browser.newContext`.
 */
export async function newSession(browser, base, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: base, ...options });
  if (options.javaScriptEnabled === false) noScriptContexts.add(context);
  // Fail a step within seconds, with Playwright's call log, rather than at the test's timeout.
  context.setDefaultTimeout(15_000);
  const problems = [];
  collectHtml(context, base);
  if (options.javaScriptEnabled !== false) {
    await context.exposeBinding("__kwikReportCsp", (_source, text) => problems.push(`CSP violation: ${text}`));
    await context.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => {
        window.__kwikReportCsp(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
      });
    });
  }
  const page = await context.newPage();
  page.on("response", (response) => {
    if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) {
      documentCsp.set(page, response.headers()["content-security-policy"]);
    }
  });
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  // The one-time reveal asks before the page is left; the flows leave on purpose.
  page.on("dialog", (d) => d.accept());
  return {
    context,
    page,
    /** Fails if the page broke its own CSP or threw. */
    assertNoProblems() {
      assert.deepEqual(problems, [], "the page must not violate its CSP or throw");
    },
    close: () => context.close(),
  };
}

/** Signs in through the form and waits for the role's first screen (`landing`). */
export async function login(page, { email, password }, { landing = "/developers/access-tokens" } = {}) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === landing);
}

/**
 * The quality gate for the page as it is now: axe-core at WCAG 2.1 AA with zero violations, and the
 * basics (a title, `lang`, a viewport meta). axe is evaluated through the DevTools protocol, which the
 * page's CSP does not govern, so the page keeps its real CSP while it is checked.
 */
export async function gate(shown, state) {
  const mirrored = noScriptContexts.has(shown.context());
  const page = mirrored ? await mirror(shown) : shown;
  try {
    await checkPage(page, state);
  } finally {
    if (mirrored) await page.context().close();
  }
}

/** axe-core's WCAG 2.1 A/AA violations on the page as it is now, one readable string each. */
export async function axeViolations(page, state = page.url()) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(axeSource);
  const result = await Promise.race([
    page.evaluate(
      (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }),
      AXE_TAGS,
    ),
    new Promise((_, fail) => setTimeout(() => fail(new Error(`axe-core did not finish on "${state}"`)), 30_000).unref()),
  ]);
  return result.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(" ")}: ${n.failureSummary}`).join("\n")}`);
}

async function checkPage(page, state) {
  const violations = await axeViolations(page, state);
  const basics = await page.evaluate(() => ({
    title: document.title.trim(),
    lang: document.documentElement.lang,
    viewport: document.querySelector('meta[name="viewport"]')?.content ?? "",
  }));
  report.axe.push({ state, violations: violations.length, ...basics });
  assert.deepEqual(violations, [], `axe-core found WCAG 2.1 AA violations on "${state}"`);
  assert.ok(basics.title, `"${state}" has a title`);
  assert.ok(basics.lang, `"${state}" has a lang`);
  assert.match(basics.viewport, /width=device-width/, `"${state}" has a viewport meta`);
}

/**
 * With JavaScript off, axe cannot run in the page (its timers never fire). The page as it stands is
 * shown again in a context where only axe runs: same URL, same HTML, same CSP, the app's own scripts
 * blocked, so what is checked is exactly what the no-script visitor got.
 */
async function mirror(page) {
  const html = await page.content();
  const url = page.url();
  const csp = documentCsp.get(page);
  assert.ok(csp, "the page came with a Content-Security-Policy");
  const context = await page.context().browser().newContext({ viewport: page.viewportSize() });
  await context.route("**/*", (route) => {
    const request = route.request();
    if (request.url() === url && request.resourceType() === "document") {
      return route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", headers: { "content-security-policy": csp }, body: html });
    }
    if (request.resourceType() === "script") return route.abort();
    return route.continue();
  });
  const copy = await context.newPage();
  await copy.goto(url);
  return copy;
}

/** A screenshot of the viewport (or the whole page) under `screenshotDir`. */
export async function shot(page, name, options = {}) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), animations: "disabled", ...options });
}

/** How far the document scrolls sideways; 0 when it fits. */
export function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}
