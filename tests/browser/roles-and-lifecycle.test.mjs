// Roles and the token lifecycle proven in Chromium (issue 7, item 6): the viewer, Kwik Support, the
// history page, Settings › Teams, and the edit, roll and delete dialogs. Each state goes through the
// same gates as access-tokens.test.mjs (axe per state, the Nu checker over every HTML response, the
// page's own CSP), and the report is printed at the end.
// Run with ./run.sh (builds the release binary first), or `node --test` here once it is built.
import assert from "node:assert/strict";
import { test } from "node:test";
import { gate, login, shot } from "./lib/browser.mjs";
import { download, parseCsv } from "./lib/files.mjs";
import {
  ON_PHONE, TABLE, TIMEOUT, assertCredentialFormats, assertFocusTrapped, createInDialog, dialogOpen, escapeReturnsFocusTo, fits,
  focused, openWithKeyboard, readCredentials, row, rowAction, rowActionWithoutScript, rowView, selectAllAndType, tabUntil, toggleStatus, tokenId, until,
  untilDialogCloses, untilFocus,
} from "./lib/flows.mjs";
import { assertRefused, followNav, historyRows, memberRow, navLinks, pagerText, supportResults, supportSearch } from "./lib/pages.mjs";
import { assertSeenDocumentsValid } from "./lib/report.mjs";
import { useSuite } from "./lib/suite.mjs";

const suite = useSuite("roles-and-lifecycle");

/** Today and tomorrow in South Africa (UTC+2 all year), as a date input writes them. */
const sastDay = (offsetDays = 0) => new Date(Date.now() + 2 * 3_600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10);

// ---------------------------------------------------------------- the viewer

test("viewer: sees the tokens and the history, no control to change them, and the 403 page for Teams and Edit", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "owner@viewer.test", merchant: "Protea Books" });
  const viewer = suite.server.addUser({ email: "staff@viewer.test", merchant: "Protea Books", role: "viewer" });
  let id;
  await suite.inSession(async (a) => {
    await login(a.page, admin);
    await createInDialog(a.page, { name: "Payroll export", sections: ["Payouts"] });
    await createInDialog(a.page, { name: "Old till", sections: ["Orders"] });
    await (await rowAction(a.page, "Old till", "Disable Old till")).click();
    await a.page.getByRole("dialog", { name: "Disable “Old till”?" }).getByRole("button", { name: "Disable token" }).click();
    await until("Old till to be disabled", async () => (await rowView(a.page, "Old till")).status === "Disabled");
    id = await tokenId(a.page, "Payroll export");
    a.assertNoProblems();
  });

  await suite.inSession(async (v) => {
    const { page } = v;
    await login(page, viewer);
    assert.equal((await rowView(page, "Payroll export")).status, "Live");
    assert.equal((await rowView(page, "Old till")).status, "Disabled");
    const main = page.getByRole("main");
    for (const control of [/^Create(?!d)/, /^Edit /, /^Roll secret/, /^Delete /, /^Disable /, /^Enable /]) {
      assert.equal(await main.getByRole("link", { name: control }).count(), 0, `no ${control} link for a viewer`);
      assert.equal(await main.getByRole("button", { name: control }).count(), 0, `no ${control} button for a viewer`);
    }
    assert.equal(await page.locator(".row-menu, #create-token").count(), 0);
    const nav = await navLinks(page);
    assert.ok(nav.includes("History"), `History is in the navigation: ${nav}`);
    assert.ok(!nav.includes("Teams"), `Teams is not in the navigation: ${nav}`);
    await gate(page, "viewer: table without controls");

    // History is readable: the admin's changes, with who did them.
    await followNav(page, "History", "/settings/history");
    assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "History");
    const events = await historyRows(page);
    assert.ok(events.some((e) => e.event === "Token created" && e.target === "Payroll export" && e.who === "owner@viewer.test (admin)"),
      JSON.stringify(events));
    assert.ok(events.some((e) => e.event === "Token disabled" && e.target === "Old till"), JSON.stringify(events));
    await gate(page, "viewer: history");

    // The pages that change things answer with the 403 page, whatever the way in.
    await assertRefused(page, "/settings/teams");
    await gate(page, "viewer: 403 on Teams");
    await assertRefused(page, `/developers/access-tokens/${id}/edit`);
    await assertRefused(page, `/developers/access-tokens/${id}/roll`);
    await assertRefused(page, `/developers/access-tokens/${id}/delete`);
    await gate(page, "viewer: 403 on Edit");
    v.assertNoProblems();
  });
});

// ---------------------------------------------------------------- Kwik Support

test("support: finds a token by the key as displayed, its prefix and its name, refuses a secret, and disables it with a reason the merchant sees", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "ops@fynbos.test", merchant: "Fynbos Coffee" });
  const support = suite.server.addUser({ email: "agent@kwik.test", role: "support" });
  const reason = "Integrator reported the key in a public GitHub repository (ticket 4411)";
  await suite.inSession(async (m) => {
    await login(m.page, admin);
    const credentials = await createInDialog(m.page, { name: "Roastery stock sync", sections: ["Orders"] });
    await createInDialog(m.page, { name: "Café website", sections: ["Checkout Page"] });
    const displayed = (await rowView(m.page, "Roastery stock sync")).key;
    assert.match(displayed, /^kwik_ak_[0-9A-Za-z]{4}…[0-9A-Za-z]{4}$/);

    await suite.inSession(async (s) => {
      const { page } = s;
      // Support starts at the console, and sees no merchant page in the navigation.
      await login(page, support, { landing: "/support" });
      assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Support console");
      assert.deepEqual(await navLinks(page), ["Support console", "History", "Profile"]);
      assert.equal((await focused(page)).id, "support-q", "the search box has the focus");
      await gate(page, "support console");

      // The key as the merchant reads it from their table.
      await supportSearch(page, displayed);
      assert.deepEqual(await supportResults(page), ["Roastery stock sync"]);
      const result = page.locator(".support-result");
      assert.equal(await result.locator(".eyebrow").textContent(), "Fynbos Coffee");
      assert.equal(await result.locator(".partial-key").innerText(), displayed);
      assert.equal(await result.locator(".badge").innerText(), "Live");
      const html = await page.content();
      for (const secret of [credentials.apiKey, credentials.apiSecret]) assert.equal(html.includes(secret), false, "no credential on the console");
      await gate(page, "support: found by the displayed key");
      await shot(page, "support");

      // Its start, as an integrator reads it out, and the token's name.
      await supportSearch(page, displayed.slice(0, 12));
      assert.deepEqual(await supportResults(page), ["Roastery stock sync"]);
      await supportSearch(page, "roastery");
      assert.deepEqual(await supportResults(page), ["Roastery stock sync"]);
      await supportSearch(page, credentials.apiKey);
      assert.deepEqual(await supportResults(page), ["Roastery stock sync"]);

      // A pasted API_SECRET is refused with a warning, searched for nowhere, and not shown back.
      await supportSearch(page, credentials.apiSecret);
      assert.match(await page.getByRole("alert").innerText(), /That is an API_SECRET\. Secrets must never be shared/);
      assert.equal(await page.locator(".support-result").count(), 0);
      assert.equal(await page.getByLabel("Find a token").inputValue(), "", "the secret is not put back in the search box");
      assert.equal((await page.locator("main").innerHTML()).includes(credentials.apiSecret), false, "the secret is not on the page");
      assert.equal(page.url().includes(credentials.apiSecret), false, "the secret is not in the address");
      const visited = await page.evaluate(() => history.length);
      await page.goBack();
      assert.equal(page.url().includes(credentials.apiSecret), false, `nor in the history (${visited} entries)`);
      await page.goForward();
      await gate(page, "support: pasted secret refused");
      await shot(page, "support-secret-refused");

      // Disable needs a reason: empty, then too short, shows the field error and changes nothing.
      await supportSearch(page, displayed);
      const reasonBox = page.getByLabel("Reason for disabling");
      const disable = page.getByRole("button", { name: "Disable “Roastery stock sync”" });
      await disable.click();
      const error = page.locator(".support-action .field-error");
      await error.waitFor();
      assert.equal(await error.innerText(), "Give a reason of 5 to 500 characters: the merchant sees it in their history.");
      assert.equal(await reasonBox.getAttribute("aria-invalid"), "true");
      await untilFocus(page, "focus on the reason, the field to fix", (f) => f.id.startsWith("reason-"));
      assert.match(await reasonBox.getAttribute("aria-describedby"), /reason-error-/);
      assert.equal(await page.locator(".support-result .badge").innerText(), "Live", "nothing changed");
      await gate(page, "support: reason missing");
      await reasonBox.fill("bad");
      await page.getByRole("button", { name: "Disable “Roastery stock sync”" }).click();
      await page.locator(".support-action .field-error").waitFor();
      assert.equal(await page.getByLabel("Reason for disabling").inputValue(), "bad", "what was typed is kept");
      assert.equal(await page.locator(".support-result .badge").innerText(), "Live", "nothing changed");
      await shot(page, "support-reason-error");

      await page.getByLabel("Reason for disabling").fill(reason);
      await page.getByRole("button", { name: "Disable “Roastery stock sync”" }).click();
      await page.waitForURL((url) => url.pathname === "/support" && url.searchParams.get("q") === displayed);
      assert.match(await page.locator("#flash").innerText(), /“Roastery stock sync” disabled\. The merchant sees this, with your reason, in their history\./);
      assert.equal(await page.locator(".support-result .badge").innerText(), "Disabled");
      assert.match(await page.locator(".support-result .status-note").innerText(), new RegExp(`^Disabled by Kwik Support on \\d{1,2} \\w{3} \\d{4}: “${reason.replace(/[()]/g, "\\$&")}”$`));
      assert.equal(await page.getByLabel("Reason for enabling").count(), 1, "the token can be enabled again, with a reason");
      await gate(page, "support: token disabled");
      await shot(page, "support-disabled");

      // Support's own history: the events of the tokens it touched.
      await followNav(page, "History", "/settings/history");
      const seen = await historyRows(page);
      assert.ok(seen.some((e) => e.event === "Token disabled" && e.who === "Kwik Support" && e.target === "Roastery stock sync"), JSON.stringify(seen));
      await gate(page, "support: history");

      // Support never reaches a merchant page.
      await assertRefused(page, "/developers/access-tokens");
      await gate(page, "support: 403 on a merchant page");
      await shot(page, "support-403");
      await page.getByRole("link", { name: "Back to the support console" }).click();
      await page.waitForURL((url) => url.pathname === "/support");
      s.assertNoProblems();
    });

    // The merchant's table and history say who disabled it, when and why.
    await m.page.reload();
    assert.equal((await rowView(m.page, "Roastery stock sync")).status, "Disabled");
    assert.equal((await rowView(m.page, "Café website")).status, "Live");
    const note = await row(m.page, "Roastery stock sync").locator(".row-note").innerText();
    assert.match(note, /^Disabled by Kwik Support on \d{1,2} \w{3} \d{4}: “Integrator reported the key in a public GitHub repository \(ticket 4411\)”$/);
    await gate(m.page, "table with a token disabled by support");
    await followNav(m.page, "History", "/settings/history");
    const [latest] = await historyRows(m.page);
    assert.deepEqual(
      { event: latest.event, who: latest.who, target: latest.target },
      { event: "Token disabled", who: "Kwik Support", target: "Roastery stock sync" },
    );
    assert.equal(latest.detail, `status: Live → Disabled; reason: ${reason}`);
    await gate(m.page, "history with a support event");
    m.assertNoProblems();
  });
});

// ---------------------------------------------------------------- History

test("history: filters and pages through stable URLs, with and without JavaScript, and exports CSV that no spreadsheet runs", TIMEOUT, async () => {
  const lead = suite.server.addUser({ email: "lead@karoo.test", merchant: "Karoo Outfitters" });
  const dev = suite.server.addUser({ email: "dev@karoo.test", merchant: "Karoo Outfitters" });
  const formula = "=cmd|' /C calc'!A1";

  await suite.inSession(async (d) => {
    await login(d.page, dev);
    await createInDialog(d.page, { name: "Mobile app", sections: ["Customers"] });
  });

  await suite.inSession(async (s) => {
    const { page } = s;
    await login(page, lead);
    await createInDialog(page, { name: formula, sections: ["Transactions"] });
    await createInDialog(page, { name: "Busy integration", sections: ["Payments"] });
    // Enough events for a second page: 30 disables and 30 enables of one token.
    const busy = await tokenId(page, "Busy integration");
    const formulaId = await tokenId(page, formula);
    await toggleStatus(page, busy, 30);

    await followNav(page, "History", "/settings/history");
    const everything = Number(/of (\d+)$/.exec(await pagerText(page))[1]);
    assert.ok(everything > 60, `the history holds every event: ${everything}`);
    assert.equal((await historyRows(page)).length, 50, "50 events a page");
    await gate(page, "history");
    // From here on, a full page load would lose this mark: htmx swaps only the results.
    await page.evaluate(() => { window.__sameDocument = true; });

    // Event type: the results and the URL change together.
    await page.getByLabel("Event", { exact: true }).selectOption({ label: "Token created" });
    await page.getByRole("button", { name: "Apply" }).click();
    await until("the URL to carry the event filter", async () => new URL(page.url()).searchParams.get("event") === "token.created");
    await until("the results to be filtered", async () => (await pagerText(page)) === "Showing 1–3 of 3");
    const created = await historyRows(page);
    assert.deepEqual(created.map((e) => e.event), ["Token created", "Token created", "Token created"]);
    assert.deepEqual(created.map((e) => e.target).sort(), ["Busy integration", "Mobile app", formula].sort());
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "htmx swapped the results in place");
    await gate(page, "history filtered by event");
    await shot(page, "history-filtered");

    // Who: only the other admin's token.
    await page.getByLabel("Who", { exact: true }).selectOption({ label: "dev@karoo.test" });
    await page.getByRole("button", { name: "Apply" }).click();
    await until("the results for dev@karoo.test", async () => (await pagerText(page)) === "Showing 1–1 of 1");
    assert.deepEqual((await historyRows(page)).map((e) => [e.event, e.target, e.who]), [["Token created", "Mobile app", "dev@karoo.test (admin)"]]);
    assert.ok(new URL(page.url()).searchParams.get("actor"), "the URL carries the person");

    // Token, across every event type: 61 events, on two pages that keep the filter.
    await page.getByLabel("Who", { exact: true }).selectOption({ label: "Everyone" });
    await page.getByLabel("Event", { exact: true }).selectOption({ label: "All events" });
    await page.getByLabel("Token", { exact: true }).selectOption({ label: "Busy integration" });
    await page.getByRole("button", { name: "Apply" }).click();
    await until("the token's 61 events", async () => (await pagerText(page)) === "Showing 1–50 of 61");
    assert.ok((await historyRows(page)).every((e) => e.target === "Busy integration"));
    await page.getByRole("link", { name: "Older →" }).click();
    await until("page 2", async () => (await pagerText(page)) === "Showing 51–61 of 61");
    const second = new URL(page.url()).searchParams;
    assert.equal(second.get("page"), "2");
    assert.equal(second.get("token"), busy, "the second page keeps the token filter");
    assert.ok((await historyRows(page)).every((e) => e.target === "Busy integration"));
    assert.equal((await historyRows(page)).at(-1).event, "Token created", "the oldest event is last");
    await gate(page, "history, page 2 of a filtered view");
    await page.getByRole("link", { name: "← Newer" }).click();
    await until("page 1 again", async () => (await pagerText(page)) === "Showing 1–50 of 61");
    assert.equal(new URL(page.url()).searchParams.get("page"), null);

    // Date range: nothing tomorrow; everything today.
    await page.getByLabel("From", { exact: true }).fill(sastDay(1));
    await page.getByRole("button", { name: "Apply" }).click();
    await until("no events from tomorrow", async () => (await pagerText(page)) === "0 events");
    assert.equal(await page.getByRole("heading", { name: "No events" }).count(), 1);
    await gate(page, "history with no matching events");
    await page.getByLabel("From", { exact: true }).fill(sastDay(0));
    await page.getByLabel("To", { exact: true }).fill(sastDay(0));
    await page.getByRole("button", { name: "Apply" }).click();
    await until("today's events", async () => (await pagerText(page)) === "Showing 1–50 of 61");
    const today = new URL(page.url()).searchParams;
    assert.deepEqual([today.get("from"), today.get("to"), today.get("token")], [sastDay(0), sastDay(0), busy]);
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "every filter was applied in place");

    // The pushed URL is a bookmark: loaded afresh, it shows the same view with the form filled in.
    await page.reload();
    assert.equal(await pagerText(page), "Showing 1–50 of 61");
    assert.equal(await page.getByLabel("Token", { exact: true }).inputValue(), busy);
    assert.equal(await page.getByLabel("From", { exact: true }).inputValue(), sastDay(0));

    // CSV of the filtered view: only that token's events, and no cell a spreadsheet would run.
    await page.goto(`/settings/history?token=${formulaId}`);
    const exportLink = page.getByRole("link", { name: "Export CSV" });
    assert.equal(await exportLink.getAttribute("href"), `/settings/history.csv?token=${formulaId}`);
    const filtered = await download(page, exportLink);
    assert.equal(filtered.name, "kwik-history.csv");
    const [header, ...rows] = parseCsv(filtered.text);
    assert.deepEqual(header, ["time_utc", "time_sast", "event", "actor", "actor_role", "target_type", "target", "detail", "ip", "user_agent"]);
    assert.deepEqual(rows.map((r) => r[6]), [`'${formula}`], "the formula is kept as text, behind an apostrophe");
    assert.deepEqual(rows.map((r) => r[2]), ["token.created"]);
    await page.goto("/settings/history");
    const all = parseCsv((await download(page, page.getByRole("link", { name: "Export CSV" }))).text);
    assert.equal(all.length - 1, everything, "the export holds every event of the view, not one page");
    const risky = all.flat().filter((cellText) => /^[=+\-@\t\r]/.test(cellText));
    assert.deepEqual(risky, [], "no cell starts with = + - @");
    s.assertNoProblems();
  });

  // Without JavaScript the same form is a plain GET, and the pages keep the filter.
  await suite.inSession({ javaScriptEnabled: false }, async (n) => {
    await login(n.page, lead);
    await n.page.goto("/settings/history");
    await n.page.getByLabel("Event", { exact: true }).selectOption({ label: "Token disabled" });
    await n.page.getByRole("button", { name: "Apply" }).click();
    await n.page.waitForURL((url) => url.searchParams.get("event") === "token.disabled");
    assert.equal(await pagerText(n.page), "Showing 1–30 of 30");
    assert.ok((await historyRows(n.page)).every((e) => e.event === "Token disabled"));
    await gate(n.page, "history filtered (no JS)");
    await n.page.getByLabel("Event", { exact: true }).selectOption({ label: "All events" });
    await n.page.getByLabel("Token", { exact: true }).selectOption({ label: "Busy integration" });
    await n.page.getByRole("button", { name: "Apply" }).click();
    await n.page.waitForURL((url) => url.searchParams.get("token") !== null && url.searchParams.get("event") === "");
    await n.page.getByRole("link", { name: "Older →" }).click();
    await n.page.waitForURL((url) => url.searchParams.get("page") === "2");
    assert.equal(await pagerText(n.page), "Showing 51–61 of 61");
    assert.ok((await historyRows(n.page)).every((e) => e.target === "Busy integration"));
    await gate(n.page, "history page 2 (no JS)");
    n.assertNoProblems();
  });
});

// ---------------------------------------------------------------- Settings › Teams

test("team: add a viewer with a generated password, who signs in; change a role; disable a user, whose session ends; the last admin stays", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "thandi@acme.test", merchant: "Acme Stores" });
  const s = await suite.session();
  const { page, context } = s;
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: suite.server.base });
  let newcomer;
  try {
    await login(page, admin);
    await followNav(page, "Teams", "/settings/teams");
    assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Teams");
    assert.match(await page.locator("#member-rows").innerText(), /thandi@acme\.test\s+You/);
    await gate(page, "team page");

    // Add a user: the form's errors first.
    await page.getByRole("link", { name: "Add user" }).click();
    const dialog = page.getByRole("dialog", { name: "Add a user" });
    await dialog.waitFor();
    await untilFocus(page, "focus on Email", (f) => f.id === "member-email");
    assert.equal(await dialog.getByLabel("Password to set").isVisible(), false, "no password box while generating");
    await gate(page, "add user form");
    await dialog.getByLabel("Email").fill("nandi@acme");
    await dialog.getByRole("radio", { name: /^Set a password/ }).check();
    await dialog.getByLabel("Password to set").fill("short");
    await dialog.getByRole("button", { name: "Add user" }).click();
    await dialog.locator("#email-error").waitFor();
    assert.match(await dialog.getByRole("alert").innerText(), /2 fields need attention\. Nobody was added\./);
    assert.ok((await dialog.locator("#password-error").innerText()).length > 0);
    await untilFocus(page, "focus on Email, the first field to fix", (f) => f.id === "member-email");
    await gate(page, "add user with errors");
    await shot(page, "team-add-errors");

    // A viewer with a generated password: shown once, with a copy button and a Done that waits.
    await dialog.getByLabel("Email").fill("nandi@acme.test");
    await dialog.getByRole("radio", { name: /^Generate a password/ }).check();
    await dialog.getByRole("radio", { name: /^Viewer/ }).check();
    await dialog.getByRole("button", { name: "Add user" }).click();
    const reveal = page.getByRole("dialog", { name: "nandi@acme.test was added" });
    await reveal.waitFor();
    const password = (await reveal.locator("[data-credential=password]").innerText()).trim();
    assert.ok(password.length >= 16, "a long generated password");
    assert.match(await reveal.getByRole("alert").innerText(), /only displayed once/);
    await gate(page, "team reveal");
    await shot(page, "team-reveal");
    await reveal.getByRole("button", { name: "Copy password" }).click();
    await until("the button to say Copied", async () => (await reveal.getByRole("button", { name: "Copy password" }).innerText()) === "Copied");
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), password);
    const done = reveal.getByRole("button", { name: "Done" });
    assert.equal(await done.isDisabled(), true, "Done waits for the confirmation");
    await reveal.getByLabel("I have passed this password on safely").check();
    await done.click();
    await untilDialogCloses(page);
    await untilFocus(page, "focus back on Add user", (f) => f.id === "add-member");
    // Not a wait: the password leaves in the same task that closes the dialog.
    assert.equal((await page.content()).includes(password), false, "the password leaves the page with the dialog");
    const nandi = memberRow(page, "nandi@acme.test");
    assert.match(await nandi.innerText(), /Viewer[\s\S]*Active[\s\S]*Never/);

    // The newcomer signs in with it, as a viewer.
    newcomer = await suite.session();
    await login(newcomer.page, { email: "nandi@acme.test", password });
    assert.ok(!(await navLinks(newcomer.page)).includes("Teams"));

    // A role change asks first, then the row says so.
    await page.getByRole("link", { name: "Make admin: nandi@acme.test" }).click();
    const promote = page.getByRole("dialog", { name: "Make nandi@acme.test an admin?" });
    await promote.waitFor();
    await gate(page, "confirm role change");
    await promote.getByRole("button", { name: "Make admin" }).click();
    await untilDialogCloses(page);
    await until("the row to say Admin", async () => (await nandi.locator(".role-name").innerText()) === "Admin");
    assert.match(await page.locator("#flash").innerText(), /nandi@acme\.test is now an admin/);
    await untilFocus(page, "the focus on the row's next action", (f) => f.text === "Make viewer: nandi@acme.test");

    // Disabling signs them out everywhere: their open page goes to the login form on its next request.
    await page.getByRole("link", { name: "Disable: nandi@acme.test" }).click();
    const disable = page.getByRole("dialog", { name: "Disable nandi@acme.test?" });
    await disable.waitFor();
    assert.match(await disable.innerText(), /signed out of every browser at once/);
    await gate(page, "confirm disabling a user");
    await shot(page, "team-confirm");
    await disable.getByRole("button", { name: "Disable user" }).click();
    await until("the badge to say Disabled", async () => (await nandi.locator("td[data-label=Status] .badge").innerText()) === "Disabled");
    await followNav(newcomer.page, "History", "/login");
    assert.equal(await newcomer.page.getByRole("heading", { level: 1 }).innerText(), "Sign in to your dashboard");
    newcomer.assertNoProblems();

    // Now Thandi is the only active admin: demoting herself is refused, in words.
    assert.equal(await page.getByRole("link", { name: "Disable: thandi@acme.test" }).count(), 0, "no Disable for yourself");
    await page.getByRole("link", { name: "Make viewer: thandi@acme.test" }).click();
    const refused = page.getByRole("dialog", { name: "You must stay an admin" });
    await refused.waitFor();
    assert.equal(await refused.getByRole("alert").innerText(),
      "You are the only active admin. Make another user an admin first, so that someone can still manage the team and the access tokens.");
    assert.equal(await refused.getByRole("button").count(), 0, "nothing to confirm");
    await gate(page, "last admin refused");
    await shot(page, "team-last-admin");
    await refused.getByRole("link", { name: "Back to Teams" }).click();
    await untilDialogCloses(page);
    assert.equal(await memberRow(page, "thandi@acme.test").locator(".role-name").innerText(), "Admin");

    await page.reload();
    await gate(page, "team page with a disabled user");
    await shot(page, "team", { fullPage: true });
    s.assertNoProblems();
  } finally {
    await newcomer?.close();
    await s.close();
  }
});

// ---------------------------------------------------------------- Edit, roll and delete, from the keyboard

test("lifecycle: edit, roll and delete with the keyboard alone, each dialog trapping the focus and giving it back", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "keys@lifecycle.test", merchant: "Lifecycle Co" });
  await suite.inSession(async (s) => {
    const { page } = s;
    await login(page, admin);
    const original = await createInDialog(page, { name: "Ledger sync", sections: ["Transactions", "Payouts"] });
    await createInDialog(page, { name: "Stock feed", sections: ["Orders"] });

    const key = (await rowView(page, "Ledger sync")).key;

    // Edit: the dialog keeps the focus, Escape closes it, and the focus is back on Edit.
    await openWithKeyboard(page, "Edit Ledger sync", "Edit access token");
    await untilFocus(page, "focus on Name", (f) => f.id === "token-name");
    await gate(page, "edit form");
    await assertFocusTrapped(page, "edit");
    await escapeReturnsFocusTo(page, "Edit Ledger sync");

    // A new name and an allowlist with one bad line: the field error, with the focus on it.
    await openWithKeyboard(page, "Edit Ledger sync", "Edit access token");
    await untilFocus(page, "focus on Name", (f) => f.id === "token-name");
    await selectAllAndType(page, "Ledger export");
    await tabUntil(page, "the IP allowlist", (f) => f.id === "ip-allowlist", { inDialog: true });
    await page.keyboard.type("203.0.113.7\n10.0.0.300");
    await tabUntil(page, "Save changes", (f) => f.text === "Save changes", { inDialog: true });
    await page.keyboard.press("Enter");
    const edit = page.getByRole("dialog", { name: "Edit access token" });
    await edit.locator("#ip-allowlist-error").waitFor();
    assert.match(await edit.locator("#ip-allowlist-error").innerText(), /10\.0\.0\.300/);
    assert.match(await edit.getByRole("alert").innerText(), /1 field needs attention\./);
    await untilFocus(page, "focus on the allowlist, the field to fix", (f) => f.id === "ip-allowlist");
    assert.equal(await edit.getByLabel("Name", { exact: true }).inputValue(), "Ledger export", "what was typed is kept");
    await gate(page, "edit with an allowlist error");
    await shot(page, "edit-allowlist-error");
    await selectAllAndType(page, "203.0.113.7\n10.0.0.0/8");
    await tabUntil(page, "Save changes", (f) => f.text === "Save changes", { inDialog: true });
    await page.keyboard.press("Enter");
    await until("the saved message", async () => /“Ledger export” saved\. Its credentials are unchanged\./.test(await page.locator("#flash").innerText()));
    assert.equal((await rowView(page, "Ledger export")).key, key, "the credentials stay the same");
    assert.equal(await row(page, "Ledger sync").count(), 0, "the old name is gone");
    await openWithKeyboard(page, "Edit Ledger export", "Edit access token");
    assert.equal(await page.getByLabel(/^IP allowlist/).inputValue(), "203.0.113.7\n10.0.0.0/8", "the allowlist was saved");
    await escapeReturnsFocusTo(page, "Edit Ledger export");

    // Roll: the focus lands on the chosen window, 24 hours; the new secret is shown once, the key kept.
    await openWithKeyboard(page, "Roll secret of Ledger export", "Roll the secret of “Ledger export”");
    await untilFocus(page, "focus on the checked window", (f) => f.value === "24h");
    await gate(page, "roll form");
    await assertFocusTrapped(page, "roll");
    await escapeReturnsFocusTo(page, "Roll secret of Ledger export");
    await openWithKeyboard(page, "Roll secret of Ledger export", "Roll the secret of “Ledger export”");
    await untilFocus(page, "focus on the checked window", (f) => f.value === "24h");
    // Escape, then Enter on Roll again before the next frame, as on a busy machine (frames wait, keys
    // do not). Chromium fires the dialog's close event only at that frame; handled there, it emptied
    // the dialog that had just reopened and forgot its opener, and Done below sent the focus to Create.
    // Both happen here in one task, so the race is run every time rather than by chance.
    await page.evaluate(() => {
      document.getElementById("modal").close();
      document.querySelector('#token-rows [aria-label="Roll secret of Ledger export"]').click();
    });
    await page.getByRole("dialog", { name: "Roll the secret of “Ledger export”" }).waitFor();
    await untilFocus(page, "focus on the checked window", (f) => f.value === "24h");
    await page.keyboard.press("ArrowLeft");
    assert.equal((await focused(page)).value, "1h");
    await page.keyboard.press("ArrowRight");
    assert.equal(await page.locator("input[name=window]:checked").inputValue(), "24h");
    await tabUntil(page, "Roll secret", (f) => f.text === "Roll secret", { inDialog: true });
    await page.keyboard.press("Enter");
    const reveal = page.getByRole("dialog", { name: "New credentials for “Ledger export”" });
    await reveal.waitFor();
    assert.equal(await reveal.locator("[data-credential=api_key]").count(), 0, "no new API_KEY");
    assert.equal(await reveal.locator(".key-kept").innerText(), `Unchanged: ${key}. Keep using your current API_KEY.`);
    const rolled = await reveal.locator("[data-credential=api_secret]").innerText();
    assertCredentialFormats({ apiKey: original.apiKey, apiSecret: rolled, publicKey: original.publicKey });
    assert.notEqual(rolled, original.apiSecret, "a new secret");
    assert.equal(await reveal.locator("[data-credential=public_key]").innerText(), original.publicKey);
    assert.ok((await focused(page)).inDialog, "the focus moves into the reveal");
    await gate(page, "roll reveal");
    await shot(page, "roll-reveal");
    await page.keyboard.press("Escape");
    assert.equal(await dialogOpen(page), true, "Escape must not close an unconfirmed reveal");
    await tabUntil(page, "the confirmation", (f) => "storedConfirm" in f.dataset, { inDialog: true });
    await page.keyboard.press("Space");
    await tabUntil(page, "Done", (f) => f.text === "Done", { inDialog: true });
    await page.keyboard.press("Enter");
    await untilDialogCloses(page);
    await untilFocus(page, "focus back on the row's menu button", (f) => f.text === "Actions for Ledger export");
    assert.equal((await page.content()).includes(rolled), false, "the new secret leaves the page with the dialog");
    assert.match(await row(page, "Ledger export").locator(".row-note").innerText(), /^Rolling: old secret stops in 2[34] h$/);
    await gate(page, "table with a rolling token");

    // Delete: a wrong name is refused at the field; the right one removes the row.
    await openWithKeyboard(page, "Delete Ledger export", "Delete “Ledger export”?");
    await untilFocus(page, "focus on the confirmation field", (f) => f.id === "confirm-name");
    await gate(page, "delete confirmation");
    await shot(page, "delete-confirm");
    await assertFocusTrapped(page, "delete");
    await escapeReturnsFocusTo(page, "Delete Ledger export");
    await openWithKeyboard(page, "Delete Ledger export", "Delete “Ledger export”?");
    await untilFocus(page, "focus on the confirmation field", (f) => f.id === "confirm-name");
    await page.keyboard.type("Ledger");
    await page.keyboard.press("Enter");
    const confirmDelete = page.getByRole("dialog", { name: "Delete “Ledger export”?" });
    await confirmDelete.locator("#confirm-name-error").waitFor();
    assert.equal(await confirmDelete.locator("#confirm-name-error").innerText(), "Type the token's name, “Ledger export”, exactly to delete it.");
    await untilFocus(page, "focus on the field to fix", (f) => f.id === "confirm-name");
    assert.equal(await row(page, "Ledger export").count(), 1, "nothing was deleted");
    await gate(page, "delete with a wrong name");
    await shot(page, "delete-wrong-name");
    await selectAllAndType(page, "Ledger export");
    await page.keyboard.press("Enter");
    await until("the deleted message", async () => /“Ledger export” deleted: it can never be used again\. Its history is kept\./.test(await page.locator("#flash").innerText()));
    assert.equal(await row(page, "Ledger export").count(), 0, "the row left the table");
    assert.equal((await rowView(page, "Stock feed")).status, "Live", "the other token stays");

    await followNav(page, "History", "/settings/history");
    const [deleted, rolledEvent, updated] = await historyRows(page);
    assert.deepEqual([deleted.event, deleted.target, deleted.who], ["Token deleted", "Ledger export", "keys@lifecycle.test (admin)"]);
    assert.equal(rolledEvent.event, "Secret rolled");
    assert.match(rolledEvent.detail, /the old one works until/);
    assert.equal(updated.event, "Token updated");
    assert.match(updated.detail, /name: Ledger sync → Ledger export/);
    await gate(page, "history after a delete");
    s.assertNoProblems();
  });
});

// ---------------------------------------------------------------- the token's detail page

test("detail page: Disable and Enable ask in the dialog, then the page shows the new status", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "detail@lifecycle.test", merchant: "Detail Co" });
  await suite.inSession(async (s) => {
    const { page } = s;
    const badge = () => page.locator(".token-subtitle .badge").innerText();
    await login(page, admin);
    await createInDialog(page, { name: "Till sync", sections: ["Orders"] });
    await row(page, "Till sync").getByRole("link", { name: "Till sync", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Till sync" }).waitFor();
    const detail = page.url();
    assert.equal(await badge(), "Live");
    await gate(page, "token detail page");

    // From the keyboard: Escape gives the focus back to Disable; the confirmed change shows this page
    // again. (The dialog's form once aimed at a table row that is not on this page: it sent nothing.)
    const confirm = await openWithKeyboard(page, "Disable", "Disable “Till sync”?");
    await untilFocus(page, "focus in the dialog", (f) => f.inDialog);
    await gate(page, "disable confirmation from the detail page");
    await shot(page, "detail-confirm");
    await escapeReturnsFocusTo(page, "Disable");
    assert.equal(await badge(), "Live", "Escape changes nothing");
    await page.keyboard.press("Enter");
    await confirm.waitFor();
    await tabUntil(page, "Disable token", (f) => f.text === "Disable token", { inDialog: true });
    await page.keyboard.press("Enter");
    await until("the badge to say Disabled", async () => (await badge()) === "Disabled");
    assert.equal(page.url(), detail, "still the detail page");
    assert.equal(await page.locator("#flash").innerText(), "“Till sync” is disabled: requests with its credentials are refused.");
    assert.equal(await dialogOpen(page), false);
    await gate(page, "detail page after disabling");
    await shot(page, "detail-disabled");

    // With the mouse, back to live.
    await page.getByRole("link", { name: "Enable", exact: true }).click();
    await page.getByRole("dialog", { name: "Enable “Till sync”?" }).getByRole("button", { name: "Enable token" }).click();
    await until("the badge to say Live", async () => (await badge()) === "Live");
    assert.equal(await page.locator("#flash").innerText(), "“Till sync” is live again: its credentials work from now on.");
    await page.goto("/developers/access-tokens");
    assert.equal((await rowView(page, "Till sync")).status, "Live", "the table agrees");
    s.assertNoProblems();
  });
});

// ---------------------------------------------------------------- the new screens without JavaScript

test("without JavaScript, Teams, edit, roll and delete work through full pages", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "plain@lifecycle.test", merchant: "Plain Pages Co" });
  await suite.inSession({ javaScriptEnabled: false }, async (s) => {
    const { page } = s;
    await login(page, admin);

    // Teams: add a user as a page, errors and all, then the one-time password as a page.
    await page.goto("/settings/teams");
    await page.getByRole("link", { name: "Add user" }).click();
    await page.waitForURL((url) => url.pathname === "/settings/teams/new");
    await page.getByLabel("Email").fill("PLAIN@LIFECYCLE.TEST");
    await page.getByRole("button", { name: "Add user" }).click();
    await page.locator("#email-error").waitFor();
    await gate(page, "add user page with errors (no JS)");
    await page.getByLabel("Email").fill("colleague@lifecycle.test");
    await page.getByRole("button", { name: "Add user" }).click();
    await page.getByRole("heading", { level: 1, name: "colleague@lifecycle.test was added" }).waitFor();
    assert.ok((await page.locator("[data-credential=password]").innerText()).trim().length >= 16);
    await gate(page, "team reveal page (no JS)");
    await page.getByLabel("I have passed this password on safely").check();
    await page.getByRole("button", { name: "Done" }).click();
    await page.waitForURL((url) => url.pathname === "/settings/teams");
    await page.getByRole("link", { name: "Make admin: colleague@lifecycle.test" }).click();
    await page.getByRole("heading", { level: 1, name: "Make colleague@lifecycle.test an admin?" }).waitFor();
    await gate(page, "role confirmation page (no JS)");
    await page.getByRole("button", { name: "Make admin" }).click();
    await page.waitForURL((url) => url.pathname === "/settings/teams");
    assert.equal(await memberRow(page, "colleague@lifecycle.test").locator(".role-name").innerText(), "Admin");

    // A token to edit, roll and delete.
    await page.goto("/developers/access-tokens/new");
    await page.getByLabel("Name", { exact: true }).fill("Plain integration");
    await page.getByRole("checkbox", { name: "Orders", exact: true }).check();
    await page.getByRole("button", { name: "Create token" }).click();
    await page.getByLabel("I have stored these credentials").check();
    await page.getByRole("button", { name: "Done" }).click();
    await page.waitForURL(TABLE);

    await rowActionWithoutScript(page, "Plain integration", "Edit");
    await page.getByRole("heading", { level: 1, name: "Edit access token" }).waitFor();
    await page.getByLabel(/^IP allowlist/).fill("not an address");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.locator("#ip-allowlist-error").waitFor();
    await gate(page, "edit page with an allowlist error (no JS)");
    await page.getByLabel(/^IP allowlist/).fill("2001:db8::/32");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.waitForURL(TABLE);
    assert.match(await page.locator("#flash").innerText(), /“Plain integration” saved/);

    await rowActionWithoutScript(page, "Plain integration", "Roll secret");
    await page.getByRole("heading", { level: 1, name: "Roll the secret of “Plain integration”" }).waitFor();
    await gate(page, "roll page (no JS)");
    await page.getByRole("radio", { name: "7 days" }).check();
    await page.getByLabel(/Also issue a new API_KEY/).check();
    await page.getByRole("button", { name: "Roll secret" }).click();
    await page.getByRole("heading", { level: 1, name: "New credentials for “Plain integration”" }).waitFor();
    assert.equal(await page.title(), "New credentials · Kwik Dashboard");
    assertCredentialFormats(await readCredentials(page));
    await gate(page, "roll reveal page, new key (no JS)");
    await page.getByLabel("I have stored these credentials").check();
    await page.getByRole("button", { name: "Done" }).click();
    await page.waitForURL(TABLE);
    assert.match(await row(page, "Plain integration").locator(".row-note").innerText(), /^Rolling: old secret stops in \d+ days$/);

    // The detail page's Disable is a page too, and it comes back to the detail page.
    await row(page, "Plain integration").getByRole("link", { name: "Plain integration", exact: true }).click();
    await page.getByRole("link", { name: "Disable", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Disable “Plain integration”?" }).waitFor();
    assert.equal(await page.locator("p.back a").innerText(), "← Plain integration");
    await gate(page, "disable page from the detail page (no JS)");
    await page.getByRole("button", { name: "Disable token" }).click();
    await page.getByRole("heading", { level: 1, name: "Plain integration" }).waitFor();
    assert.equal(await page.locator(".token-subtitle .badge").innerText(), "Disabled");
    assert.match(await page.locator("#flash").innerText(), /“Plain integration” is disabled/);
    await page.goto("/developers/access-tokens");

    await rowActionWithoutScript(page, "Plain integration", "Delete");
    await page.getByRole("heading", { level: 1, name: "Delete “Plain integration”?" }).waitFor();
    await gate(page, "delete page (no JS)");
    await page.getByLabel("Type the token's name to confirm").fill("plain integration");
    await page.getByRole("button", { name: "Delete token" }).click();
    await page.locator("#confirm-name-error").waitFor();
    await gate(page, "delete page with a wrong name (no JS)");
    await page.getByLabel("Type the token's name to confirm").fill("Plain integration");
    await page.getByRole("button", { name: "Delete token" }).click();
    await page.waitForURL(TABLE);
    assert.equal(await row(page, "Plain integration").count(), 0);
    assert.match(await page.locator("#flash").innerText(), /“Plain integration” deleted/);
    s.assertNoProblems();
  });
});

// ---------------------------------------------------------------- phone width

test("at phone width the history table, the support console and the team pages do not scroll sideways", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "pocket@phone.test", merchant: "Pocket Traders" });
  const agent = suite.server.addUser({ email: "pocket-agent@kwik.test", role: "support" });
  await suite.inSession(ON_PHONE, async (s) => {
    const { page } = s;
    await login(page, admin);
    await createInDialog(page, { name: "Point of sale terminals in the Stellenbosch and Franschhoek stores", sections: ["Payments", "Orders"] });
    await page.goto("/settings/teams");
    await page.getByRole("link", { name: "Add user" }).click();
    const dialog = page.getByRole("dialog", { name: "Add a user" });
    await dialog.getByLabel("Email").fill("a.very.long.address.for.a.shop.assistant@pocket-traders.example.co.za");
    await dialog.getByRole("radio", { name: /^Set a password/ }).check();
    await dialog.getByLabel("Password to set").fill("a long and sound passphrase");
    await dialog.getByRole("button", { name: "Add user" }).click();
    // A set password is not shown again: the page comes back with a message.
    await page.locator("#flash .callout").waitFor();
    await fits(page, "the team page");
    await gate(page, "team page at phone width");
    await shot(page, "team-phone", { fullPage: true });

    await page.goto("/settings/history");
    await fits(page, "the history page");
    const display = await page.locator("#history-results tbody tr").first().evaluate((tr) => getComputedStyle(tr).display);
    assert.equal(display, "block", "each event is a card");
    await gate(page, "history at phone width");
    await shot(page, "phone-history", { fullPage: true });
    s.assertNoProblems();
  });

  // Without JavaScript, Add a user is a page of its own, and its errors fit too.
  await suite.inSession({ ...ON_PHONE, javaScriptEnabled: false }, async (n) => {
    await login(n.page, admin);
    await n.page.goto("/settings/teams/new");
    // The same address in capitals is the same person: refused at the field.
    await n.page.getByLabel("Email").fill(admin.email.toUpperCase());
    await n.page.getByRole("button", { name: "Add user" }).click();
    await n.page.locator("#email-error").waitFor();
    await fits(n.page, "the add user page with errors");
    await gate(n.page, "add user page with errors at phone width (no JS)");
    await shot(n.page, "team-add-errors-phone", { fullPage: true });
    n.assertNoProblems();
  });

  await suite.inSession(ON_PHONE, async (a) => {
    await login(a.page, agent, { landing: "/support" });
    await fits(a.page, "the support console");
    await supportSearch(a.page, "Stellenbosch");
    assert.equal((await supportResults(a.page)).length, 1);
    await a.page.getByRole("button", { name: /^Disable “/ }).click();
    await a.page.locator(".support-action .field-error").waitFor();
    await fits(a.page, "the support console with a result and an error");
    await gate(a.page, "support console at phone width");
    await shot(a.page, "phone-support", { fullPage: true });
    a.assertNoProblems();
  });
});

// ---------------------------------------------------------------- the Nu HTML checker over everything seen

test("every page and htmx fragment these flows received is valid HTML (Nu checker)", TIMEOUT, async () => {
  const expected = [
    "GET /support → 200",
    /^GET \/support\?q=\S+ → 200$/,
    "GET /support?refused=secret → 200",
    "POST /support/tokens/{id}/status → 422",
    "GET /settings/history → 200",
    /^GET \/settings\/history\?\S+ → 200 \(htmx fragment\)$/,
    /^GET \/settings\/history\?\S*page=2\S* → 200 \(htmx fragment\)$/,
    /^GET \/settings\/history\?\S*event=token\.disabled\S* → 200$/,
    "GET /settings/teams → 200",
    "GET /settings/teams → 403",
    "GET /settings/teams/new → 200 (htmx fragment)",
    "POST /settings/teams → 422 (htmx fragment)",
    "POST /settings/teams → 200 (htmx fragment)",
    "GET /settings/teams/new → 200",
    "POST /settings/teams → 422",
    "POST /settings/teams → 200",
    "GET /settings/teams/{id}/role?role=admin → 200 (htmx fragment)",
    "GET /settings/teams/{id}/role?role=admin → 200",
    "GET /settings/teams/{id}/role?role=viewer → 200 (htmx fragment)",
    "POST /settings/teams/{id}/role → 200 (htmx fragment)",
    "GET /settings/teams/{id}/status?status=disabled → 200 (htmx fragment)",
    "POST /settings/teams/{id}/status → 200 (htmx fragment)",
    "GET /developers/access-tokens/{id}/edit → 200 (htmx fragment)",
    "GET /developers/access-tokens/{id}/edit → 200",
    "GET /developers/access-tokens/{id}/edit → 403",
    "POST /developers/access-tokens/{id}/edit → 422 (htmx fragment)",
    "POST /developers/access-tokens/{id}/edit → 422",
    "GET /developers/access-tokens/{id}/roll → 200 (htmx fragment)",
    "GET /developers/access-tokens/{id}/roll → 200",
    "POST /developers/access-tokens/{id}/roll → 200 (htmx fragment)",
    "POST /developers/access-tokens/{id}/roll → 200",
    "GET /developers/access-tokens/{id}/delete → 200 (htmx fragment)",
    "GET /developers/access-tokens/{id}/delete → 200",
    "POST /developers/access-tokens/{id}/delete → 422 (htmx fragment)",
    "POST /developers/access-tokens/{id}/delete → 422",
    "GET /developers/access-tokens → 403",
  ];
  await assertSeenDocumentsValid(expected);
});
