// The token table a merchant can scan (issue 25), in Chromium at 1366×860: one line a row, two Tab
// stops each, a dozen tokens in view without scrolling sideways; the row's actions menu by keyboard
// (the WAI-ARIA menu button pattern) and by mouse, floating over the rows; the Expires column and the
// sorting headers. Every state goes through the suite's gates (axe, the Nu checker, the page's CSP).
import assert from "node:assert/strict";
import { test } from "node:test";
import { gate, login, shot } from "./lib/browser.mjs";
import { TIMEOUT, createInDialog, focused, row, rowAction, until, untilFocus } from "./lib/flows.mjs";
import { assertSeenDocumentsValid } from "./lib/report.mjs";
import { useSuite } from "./lib/suite.mjs";

const suite = useSuite("table");
const DESKTOP = { viewport: { width: 1366, height: 860 } };
const NAMES = ["Shopify store sync", "Xero ledger export", "Integration 2", "Integration 10", "Nightly reconciliation",
  "Legacy POS till", "Checkout widget", "Payroll payouts", "Mandate collector", "Reporting BI feed", "Sage accounting", "Zapier hooks"];

/** Creates the tokens through the Create form's own POST (the dialog is proven elsewhere), quickly. */
async function createMany(page) {
  await page.evaluate(async (names) => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    let i = 0;
    for (const name of names) {
      const form = await (await fetch("/developers/access-tokens/new")).text();
      const submission = /name="submission_id" value="([^"]+)"/.exec(form)[1];
      const body = new URLSearchParams({ csrf_token: csrf, submission_id: submission, name, permission: i % 3 ? "read_only" : "read_write",
        status: "live", expiry: ["never", "30", "90", "never"][i % 4] });
      for (const s of [["payments", "orders", "customers", "payouts"], ["transactions"], ["orders"], ["payments"]][i % 4]) body.append("sections", s);
      const res = await fetch("/developers/access-tokens", { method: "POST", body });
      if (!res.ok) throw new Error(`creating ${name}: ${res.status}`);
      i += 1;
    }
  }, NAMES);
  await page.reload();
}

/** Whether the row menu of `name` is shown. */
const menuShown = (page, name) => row(page, name).locator(".row-menu-list").evaluate((l) => !l.hidden);

test("the table: one line a row, two stops each, a dozen in view, no sideways scroll", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "ops@table.test", merchant: "Table Stores" });
  await suite.inSession(DESKTOP, async (s) => {
    const { page } = s;
    await login(page, admin);
    await createMany(page);
    const layout = await page.evaluate(() => {
      const rows = [...document.querySelectorAll("#token-rows tr")];
      const tabbable = (tr) => [...tr.querySelectorAll("a[href], button, input, select, summary, [tabindex]")]
        .filter((el) => el.getClientRects().length > 0 && el.tabIndex >= 0).length;
      const wrap = document.querySelector(".table-wrap");
      return {
        heights: rows.map((tr) => tr.getBoundingClientRect().height),
        inView: rows.filter((tr) => tr.getBoundingClientRect().bottom <= window.innerHeight).length,
        stops: rows.map(tabbable),
        sideways: wrap.scrollWidth - wrap.clientWidth,
      };
    });
    assert.equal(layout.heights.length, NAMES.length);
    assert.ok(Math.max(...layout.heights) <= 56, `every row at most 56 px: ${layout.heights}`);
    assert.ok(layout.inView >= 10, `10 or more rows in view: ${layout.inView}`);
    assert.deepEqual([...new Set(layout.stops)], [2], "each row is two Tab stops: the name and the menu button");
    assert.equal(layout.sideways, 0, "the table does not scroll sideways at 1366 px");
    // At 1366 px each row shows its requests of the last 30 days; Last used is on the token's page.
    const shown = (n) => page.evaluate((n) => getComputedStyle(document.querySelector(`.token-table th:nth-child(${n})`)).display, n);
    assert.deepEqual([await shown(8), await shown(9)], ["none", "table-cell"], "Requests, not Last used, at 1366 px");
    assert.equal(await row(page, "Zapier hooks").locator("td.requests").innerText(), "0");
    // The header stays in sight while the page scrolls.
    await page.mouse.wheel(0, 500);
    await until("the page to scroll", () => page.evaluate(() => window.scrollY > 300));
    const header = await page.evaluate(() => document.querySelector(".token-table thead th").getBoundingClientRect().top);
    assert.ok(Math.abs(header) < 1, `the header is at the top of the window: ${header}`);
    await page.evaluate(() => window.scrollTo(0, 0));
    // A row that changes (Live to Disabled, a longer badge) leaves every column where it was.
    const widths = () => page.locator(".token-table thead th").evaluateAll((ths) => ths.map((th) => th.getBoundingClientRect().width));
    const before = await widths();
    await (await rowAction(page, "Integration 2", "Disable Integration 2")).click();
    await page.getByRole("dialog", { name: "Disable “Integration 2”?" }).getByRole("button", { name: "Disable token" }).click();
    await until("the badge to say Disabled", async () => (await row(page, "Integration 2").locator(".badge").innerText()) === "Disabled");
    assert.deepEqual(await widths(), before, "the columns keep their widths");
    // At 1280 px it leaves out Last used and Requests (the token's page has them) rather than scroll.
    await page.setViewportSize({ width: 1280, height: 860 });
    const narrow = await page.evaluate(() => ({
      wrap: document.querySelector(".table-wrap").scrollWidth - document.querySelector(".table-wrap").clientWidth,
      page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      lastUsed: getComputedStyle(document.querySelector(".token-table th:nth-child(8)")).display,
      requests: getComputedStyle(document.querySelector(".token-table th:nth-child(9)")).display,
    }));
    assert.deepEqual(narrow, { wrap: 0, page: 0, lastUsed: "none", requests: "none" }, "at 1280 px nothing scrolls sideways");
    // The Created column holds its widest dates whole (two-digit days; "20 Aug 20…" was cut short), at
    // 1280 and 1366 px: each month's 28th written into the first row's date, measured, put back.
    for (const width of [1280, DESKTOP.viewport.width]) {
      await page.setViewportSize({ width, height: 860 });
      const cut = await page.evaluate(() => {
        const time = document.querySelector("#token-rows tr td:first-child time");
        const cell = time.closest("td");
        const kept = time.textContent;
        const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        const over = months.map((m) => `28 ${m} 2026`).filter((text) => {
          time.textContent = text;
          return cell.scrollWidth > cell.clientWidth;
        });
        time.textContent = kept;
        return over;
      });
      assert.deepEqual(cut, [], `dates cut short at ${width} px`);
      // The longest labels in the first two chips shorten; "+N" stays whole inside the cell.
      const more = await row(page, "Shopify store sync").locator("ul.chips").evaluate((ul) => {
        const [first, second] = ul.querySelectorAll("li:not(.chip-more)");
        const kept = [first.textContent, second.textContent];
        [first.textContent, second.textContent] = ["Customer Bank Accounts", "Customer Mandates"];
        const chip = ul.querySelector(".chip-more").getBoundingClientRect();
        const cell = ul.closest("td").getBoundingClientRect();
        const whole = ul.querySelector(".chip-more").scrollWidth <= ul.querySelector(".chip-more").clientWidth;
        [first.textContent, second.textContent] = kept;
        return { inside: chip.right <= cell.right && chip.width > 0, whole };
      });
      assert.deepEqual(more, { inside: true, whole: true }, `"+N" in view at ${width} px`);
    }
    await page.setViewportSize(DESKTOP.viewport);

    // The Expires column, and its header sorts soonest first (never last), then turns round.
    assert.equal(await row(page, "Zapier hooks").locator("td.expires").innerText(), "Never");
    assert.match(await row(page, "Xero ledger export").locator("td.expires").innerText(), /^in (29|30) days$/);
    await page.getByRole("link", { name: /^Expires/ }).click();
    await page.waitForURL((url) => url.search === "?sort=expires");
    assert.equal((await page.locator("th[aria-sort]").textContent()).trim(), "Expires↑");
    assert.equal(await page.locator("th[aria-sort]").getAttribute("aria-sort"), "ascending");
    const expiries = await page.locator("#token-rows td.expires").allInnerTexts();
    assert.deepEqual(expiries.slice(0, 3).map((t) => /^in (29|30) days$/.test(t)), [true, true, true], expiries.join(", "));
    assert.equal(expiries.at(-1), "Never");
    await gate(page, "table sorted by expiry");
    await page.getByRole("link", { name: /^Expires/ }).click();
    await page.waitForURL((url) => url.search === "?sort=expires&dir=desc");
    assert.equal(await page.locator("th[aria-sort]").getAttribute("aria-sort"), "descending");
    s.assertNoProblems();
  });
});

test("the row menu: by keyboard as a menu button, by mouse, and over the rows below", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "keys@table.test", merchant: "Menu Stores" });
  await suite.inSession(DESKTOP, async (s) => {
    const { page } = s;
    await login(page, admin);
    await createMany(page);
    const button = row(page, "Legacy POS till").getByRole("button", { name: "Actions for Legacy POS till" });
    assert.equal(await button.getAttribute("aria-expanded"), "false");
    assert.equal(await button.getAttribute("aria-haspopup"), "menu");
    // The menu is built in the page from the row's link: each action to the token's own address.
    const menu = row(page, "Legacy POS till").locator(".row-menu-list a");
    const id = (await button.getAttribute("href")).match(/access-tokens\/(\d+)#actions$/)[1];
    assert.deepEqual(await menu.evaluateAll((links) => links.map((a) => [a.textContent, a.getAttribute("href"), a.getAttribute("aria-label")])), [
      ["Edit", `/developers/access-tokens/${id}/edit`, "Edit Legacy POS till"],
      ["Roll secret", `/developers/access-tokens/${id}/roll`, "Roll secret of Legacy POS till"],
      ["Disable", `/developers/access-tokens/${id}/status?status=disabled`, "Disable Legacy POS till"],
      ["Delete", `/developers/access-tokens/${id}/delete`, "Delete Legacy POS till"],
    ]);

    // Enter opens it on the first action; the arrows, Home and End move; Escape closes it and returns.
    await button.focus();
    await page.keyboard.press("Enter");
    await untilFocus(page, "focus on Edit", (f) => f.text === "Edit Legacy POS till");
    assert.equal(await button.getAttribute("aria-expanded"), "true");
    await gate(page, "table with a row menu open");
    await shot(page, "table-row-menu");
    await page.keyboard.press("ArrowDown");
    assert.equal((await focused(page)).text, "Roll secret of Legacy POS till");
    await page.keyboard.press("End");
    assert.equal((await focused(page)).text, "Delete Legacy POS till");
    await page.keyboard.press("ArrowDown");
    assert.equal((await focused(page)).text, "Edit Legacy POS till", "↓ wraps round");
    await page.keyboard.press("Home");
    await page.keyboard.press("ArrowUp");
    assert.equal((await focused(page)).text, "Delete Legacy POS till", "↑ wraps round");
    await page.keyboard.press("Escape");
    await untilFocus(page, "focus back on the button", (f) => f.text === "Actions for Legacy POS till");
    assert.equal(await menuShown(page, "Legacy POS till"), false);
    assert.equal(await button.getAttribute("aria-expanded"), "false");

    // ↑ opens it on the last action; Tab leaves and closes it.
    await page.keyboard.press("ArrowUp");
    await untilFocus(page, "focus on Delete", (f) => f.text === "Delete Legacy POS till");
    await page.keyboard.press("Tab");
    assert.equal(await menuShown(page, "Legacy POS till"), false, "Tab closes the menu");

    // By mouse: a click elsewhere closes it; one menu at a time.
    await button.click();
    assert.equal(await menuShown(page, "Legacy POS till"), true);
    await row(page, "Zapier hooks").getByRole("button", { name: "Actions for Zapier hooks" }).click();
    assert.equal(await menuShown(page, "Legacy POS till"), false, "opening another closes the first");
    await page.locator("h1").click();
    assert.equal(await menuShown(page, "Zapier hooks"), false, "a click elsewhere closes it");

    // The last row's menu is whole on screen: it floats over the page, above its button if needed.
    const last = NAMES[0];
    await row(page, last).getByRole("button", { name: `Actions for ${last}` }).click();
    const box = await row(page, last).locator(".row-menu-list").boundingBox();
    assert.ok(box.y >= 0 && box.y + box.height <= 860, `the menu is on screen: ${JSON.stringify(box)}`);
    assert.equal(await row(page, last).getByRole("menuitem", { name: `Delete ${last}` }).isVisible(), true);
    s.assertNoProblems();
  });
});

test("the token's page says why requests were refused, and the table counts them", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "why@table.test", merchant: "Refusal Stores" });
  await suite.inSession(DESKTOP, async (s) => {
    const { page } = s;
    await login(page, admin);
    const shop = await createInDialog(page, { name: "Shopify store sync", sections: ["Orders"] });
    const other = await createInDialog(page, { name: "Other", sections: ["Orders"] });
    // Real API requests, as an integrator's server sends them.
    const whoami = (key, secret, query = "") => fetch(`${suite.server.base}/api/v2/whoami${query}`,
      { headers: { Authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString("base64")}` } }).then((r) => r.status);
    for (let i = 0; i < 20; i += 1) assert.equal(await whoami(shop.apiKey, shop.apiSecret), 200);
    for (let i = 0; i < 3; i += 1) assert.equal(await whoami(shop.apiKey, shop.apiSecret, "?section=payments"), 403);
    assert.equal(await whoami(shop.apiKey, other.apiSecret), 401);
    // Counts are written every few seconds.
    await until("the table to count 24 requests", async () => {
      await page.reload();
      return (await row(page, "Shopify store sync").locator("td.requests").innerText()) === "24";
    }, { timeoutMs: 15_000 });
    assert.equal(await row(page, "Other").locator("td.requests").innerText(), "0");
    await row(page, "Shopify store sync").getByRole("link", { name: "Shopify store sync" }).click();
    const reasons = page.getByRole("table", { name: "Why requests were refused, last 30 days" });
    const cells = await reasons.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.innerText)));
    assert.deepEqual(cells, [
      ["Section not allowed", "SECTION_NOT_ALLOWED", "3", "75 %"],
      ["Wrong secret or signature", "INVALID_CREDENTIALS", "1", "25 %"],
    ]);
    assert.match(await page.locator(".usage-summary").innerText(), /^24 API requests in the last 30 days: 20 allowed, 4 denied;/);
    await gate(page, "token page with refusals by code");
    await shot(page, "detail-reasons", { fullPage: true });
    s.assertNoProblems();
  });
});

test("every page of these flows is valid HTML (Nu checker)", TIMEOUT, async () => {
  await assertSeenDocumentsValid([
    "GET /developers/access-tokens → 200",
    "GET /developers/access-tokens?sort=expires → 200",
    "GET /developers/access-tokens?sort=expires&dir=desc → 200",
    /^GET \/developers\/access-tokens\/\d+ → 200$/,
  ]);
});
