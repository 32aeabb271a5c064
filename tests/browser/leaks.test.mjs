// A leaked secret in Chromium (issue 21): a token's API_SECRET reported to the GitHub endpoint, signed
// as GitHub signs (lib/scanning.mjs), then what the merchant sees: the banner on the token table, the
// token's page saying where it was found (never the secret), at desktop (1366×860) and phone width,
// and an admin's acknowledgement that removes the banner and is in History. Every state goes through
// the suite's gates (axe, the Nu checker, the page's CSP).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { documentState, gate, login, shot } from "./lib/browser.mjs";
import { ON_PHONE, TIMEOUT, createInDialog, fits, rowView, tokenId } from "./lib/flows.mjs";
import { followNav, historyRows } from "./lib/pages.mjs";
import { assertSeenDocumentsValid } from "./lib/report.mjs";
import { githubScanner } from "./lib/scanning.mjs";
import { useSuite } from "./lib/suite.mjs";

const scanner = githubScanner();
after(() => scanner.remove());
const suite = useSuite("leaks", { env: scanner.env });

const LIST = "/developers/access-tokens";
const DESKTOP = { viewport: { width: 1366, height: 860 } };
const FOUND_AT = "https://github.com/octo/shop/blob/abc123/config.env";
const BANNER = "Tokens disabled after a leak report";

/** The banner, as a landmark named by its heading. */
const banner = (page) => page.getByRole("region", { name: BANNER });

/** Fails if the page's HTML holds the secret anywhere (text, attribute or hidden field). */
async function assertSecretAbsent(page, secret, where) {
  assert.equal((await page.content()).includes(secret), false, `${where} never shows the secret`);
}

test("leak: the banner lists the disabled token, its page says where it was found, and an admin's acknowledgement removes the banner and is in History", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "ops@spaza.test", merchant: "Spaza Online" });
  const viewer = suite.server.addUser({ email: "staff@spaza.test", merchant: "Spaza Online", role: "viewer" });
  let secret;
  let id;
  await suite.inSession(DESKTOP, async (s) => {
    const { page } = s;
    await login(page, admin);
    ({ apiSecret: secret } = await createInDialog(page, { name: "Shop sync", sections: ["Orders"] }));
    id = await tokenId(page, "Shop sync");
    const labels = await scanner.report(suite.server.base, [
      { token: secret, type: "kwik_api_secret", url: FOUND_AT, source: "commit" },
    ]);
    assert.equal(labels.length, 1);
    assert.equal(labels[0].label, "true_positive");

    documentState(s, "leak banner");
    await page.goto(LIST);
    const items = await banner(page).getByRole("listitem").allInnerTexts();
    assert.equal(items.length, 1, items.join("\n"));
    assert.match(items[0], new RegExp(`^Shop sync: found by GitHub in public commit \\(${FOUND_AT.replace(/[.]/g, "\\.")}\\) on \\d`));
    assert.equal(await banner(page).getByRole("link", { name: "Shop sync" }).getAttribute("href"), `${LIST}/${id}`);
    assert.equal(await banner(page).getByRole("button", { name: "Acknowledge" }).count(), 1, "an admin may acknowledge");
    assert.equal((await rowView(page, "Shop sync")).status, "Disabled");
    await assertSecretAbsent(page, secret, "the token table");
    await gate(page, "leak: banner on the token table");
    await shot(page, "leak-banner");

    await banner(page).getByRole("link", { name: "Shop sync" }).click();
    await page.waitForURL((url) => url.pathname === `${LIST}/${id}`);
    assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Shop sync");
    assert.match(await page.locator(".token-subtitle .badge").innerText(), /^Disabled$/);
    const note = await page.locator("main .callout.warning").innerText();
    assert.ok(note.startsWith(`Disabled automatically: found in public commit (${FOUND_AT}) on `), note);
    await assertSecretAbsent(page, secret, "the token's page");
    await gate(page, "leak: the token's page");
    await shot(page, "leak-detail");
    s.assertNoProblems();
  });

  await suite.inSession(ON_PHONE, async (s) => {
    const { page } = s;
    await login(page, admin);
    await page.goto(LIST);
    await banner(page).waitFor();
    await fits(page, "the token table with the leak banner");
    await gate(page, "leak: banner on a phone");
    await shot(page, "phone-leak-banner");
    await page.goto(`${LIST}/${id}`);
    assert.ok((await page.locator("main .callout.warning").innerText()).includes(FOUND_AT));
    await fits(page, "the leaked token's page");
    await gate(page, "leak: the token's page on a phone");
    await shot(page, "phone-leak-detail");
    s.assertNoProblems();
  });

  // A viewer is told too, but only an admin may acknowledge.
  await suite.inSession(DESKTOP, async (s) => {
    const { page } = s;
    documentState(s, "leak banner, viewer");
    await login(page, viewer);
    await banner(page).waitFor();
    assert.equal(await banner(page).getByRole("button", { name: "Acknowledge" }).count(), 0);
    await gate(page, "leak: banner for a viewer");
    s.assertNoProblems();
  });

  await suite.inSession(DESKTOP, async (s) => {
    const { page } = s;
    await login(page, admin);
    documentState(s, "leak acknowledged");
    await banner(page).getByRole("button", { name: "Acknowledge" }).click();
    await page.getByText("Leak report acknowledged.").waitFor();
    assert.equal(new URL(page.url()).pathname, LIST);
    assert.equal(await banner(page).count(), 0, "the banner is gone");
    assert.equal((await rowView(page, "Shop sync")).status, "Disabled", "the token stays disabled");
    await gate(page, "leak: acknowledged");

    await followNav(page, "History", "/settings/history");
    const events = await historyRows(page);
    const acknowledged = events.filter((e) => e.event === "Leak report acknowledged");
    assert.deepEqual(acknowledged, [{ event: "Leak report acknowledged", who: "ops@spaza.test (admin)", target: "", detail: "leak reports acknowledged: 1" }],
      JSON.stringify(events));
    const disabled = events.find((e) => e.event === "Disabled after a leak report");
    assert.ok(disabled?.who.startsWith("GitHub secret scanning") && disabled.target === "Shop sync", JSON.stringify(events));
    assert.ok(disabled.detail.includes(`url: ${FOUND_AT}`), disabled.detail);
    await assertSecretAbsent(page, secret, "History");
    await gate(page, "leak: history with the acknowledgement");
    s.assertNoProblems();
  });

  await suite.inSession(async (s) => {
    await login(s.page, viewer);
    assert.equal(await banner(s.page).count(), 0, "gone for everyone of the merchant");
    s.assertNoProblems();
  });
});

test("every page of these flows is valid HTML (Nu checker)", TIMEOUT, async () => {
  await assertSeenDocumentsValid([
    "GET /developers/access-tokens → 200 [leak banner]",
    /^GET \/developers\/access-tokens\/\d+ → 200 \[leak banner\]$/,
    "GET /developers/access-tokens → 200",
    /^GET \/developers\/access-tokens\/\d+ → 200$/,
    "GET /developers/access-tokens → 200 [leak banner, viewer]",
    "GET /developers/access-tokens → 200 [leak acknowledged]",
    "GET /settings/history → 200 [leak acknowledged]",
  ]);
});
