// The Access Tokens screen proven in Chromium: the five flows of issue 7 (plus the viewer and the error
// pages), each state through the accessibility gate, and every HTML response through the Nu checker.
// Run with ./run.sh (builds the release binary first), or `node --test` here once it is built.
import assert from "node:assert/strict";
import { test } from "node:test";
import { axeViolations, gate, login, shot } from "./lib/browser.mjs";
import {
  ON_PHONE, PHONE, TABLE, TIMEOUT, assertCredentialFormats, assertFocusTrapped, createInDialog, dialogFits, dialogOpen, fits, focused, inView,
  menuItem, openWithKeyboard, partialKey, readCredentials, row, rowAction, rowView, tabUntil, until, untilDialogCloses, untilFocus,
} from "./lib/flows.mjs";
import { assertRefused } from "./lib/pages.mjs";
import { assertSeenDocumentsValid } from "./lib/report.mjs";
import { useSuite } from "./lib/suite.mjs";
import { validate } from "./lib/vnu.mjs";

const suite = useSuite("access-tokens");

// ---------------------------------------------------------------- the gates themselves

test("the gates catch what they are there to catch", TIMEOUT, async () => {
  // A dashboard page that breaks its CSP, and a page with two plain WCAG failures.
  await suite.inSession(async (s) => {
    await s.page.goto("/login");
    await s.page.evaluate(() => document.body.setAttribute("style", "color: red"));
    await until("the CSP violation to be reported", async () => {
      try { s.assertNoProblems(); return false; } catch { return true; }
    });
    await s.page.setContent('<html><body><input type="text"><p id="faint">faint text</p></body></html>');
    // Through the CSSOM: the page's CSP (still in force) refuses a style attribute.
    await s.page.evaluate(() => { document.getElementById("faint").style.color = "#bbb"; });
    const ids = (await axeViolations(s.page)).map((v) => v.split(" ")[0]);
    assert.ok(ids.includes("label") && ids.includes("color-contrast") && ids.includes("html-has-lang"), ids.join(", "));
  });
  const errors = validate([["bad", '<!doctype html><html lang=en><head><title>x</title></head><body><p hx-get="/x">x<div></body></html>']]);
  assert.ok(errors.get("bad").length >= 2, "the Nu checker reports hx-* attributes and unclosed elements");
});

// ---------------------------------------------------------------- gates on the pages around the screen

test("the login page, a failed sign-in and a stale form pass the gates", TIMEOUT, async () => {
  await suite.inSession(async (s) => {
    const { page } = s;
    await page.goto("/login");
    assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Sign in to your dashboard");
    await gate(page, "login");
    await shot(page, "login");

    await page.getByLabel("Email").fill(suite.server.admin.email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#login-error").waitFor();
    assert.equal(await page.locator("#login-error").innerText(), "Incorrect email or password.");
    await gate(page, "login with error");
    await shot(page, "login-error");

    // A form whose CSRF token went stale is refused with the 403 page, and nothing happens.
    await page.goto("/login");
    await page.locator('input[name="csrf_token"]').evaluate((input) => { input.value = "stale"; });
    await page.getByLabel("Email").fill(suite.server.admin.email);
    await page.getByLabel("Password").fill(suite.server.admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1 }).waitFor();
    assert.match(await page.locator("p.eyebrow").textContent(), /Error 403/);
    await gate(page, "403 (CSRF)");

    const missing = await page.goto("/no-such-page");
    assert.equal(missing.status(), 404);
    await gate(page, "404");
    await shot(page, "not-found");
    s.assertNoProblems();
  });
});

// ---------------------------------------------------------------- flow 1

test("flow 1: create a token and see its credentials once", TIMEOUT, async () => {
  await suite.inSession(async (s) => {
    const { page, context } = s;
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: suite.server.base });
    await login(page, suite.server.admin);

    // The empty state explains what tokens are for.
    assert.equal(await page.getByRole("heading", { name: "No access tokens yet" }).isVisible(), true);
    assert.equal(await page.getByRole("search").count(), 0, "no search before there is a token");
    await gate(page, "empty table");
    await shot(page, "empty");

    // Create opens the dialog with the focus on Name.
    await page.getByRole("link", { name: "Create", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Create access token" });
    await dialog.waitFor();
    await untilFocus(page, "focus on Name", (f) => f.id === "token-name");
    await gate(page, "create form");
    assert.ok(await inView(page, "dialog .actions"), "the dialog's actions are in view");
    await shot(page, "create");

    // Submitting it empty shows what to fix, at each field, and creates nothing.
    await dialog.getByRole("button", { name: "Create token" }).click();
    await dialog.locator("#name-error").waitFor();
    assert.match(await dialog.getByRole("alert").innerText(), /fields? need/);
    assert.ok((await dialog.locator("#name-error").innerText()).length > 0);
    assert.ok((await dialog.locator("#sections-error").innerText()).length > 0);
    assert.equal(await dialog.getByLabel("Name", { exact: true }).getAttribute("aria-invalid"), "true");
    await untilFocus(page, "focus on Name, the first field to fix", (f) => f.id === "token-name");
    assert.ok(await inView(page, "#form-errors"), "the error summary is in view");
    await gate(page, "create form with errors");
    await shot(page, "create-errors");

    // The last day is asked for only with "On a date"; with another choice it is put away and not
    // sent (the create below, with "No expiry", would be refused if it were).
    const lastDay = dialog.locator("#expires-on");
    assert.equal(await lastDay.isVisible(), false, "no date field with No expiry");
    await dialog.getByRole("radio", { name: "On a date" }).check();
    assert.equal(await lastDay.isVisible(), true, "the date field with On a date");
    await lastDay.fill("2030-01-31");
    await dialog.getByRole("radio", { name: "No expiry" }).check();
    assert.equal(await lastDay.isVisible(), false, "the date field put away again");
    assert.equal(await lastDay.isDisabled(), true, "and not sent");

    // Name, three sections and Read-Write.
    await dialog.getByLabel("Name", { exact: true }).fill("Shopify store sync");
    for (const section of ["Customers", "Payments", "Orders"]) {
      await dialog.getByRole("checkbox", { name: section, exact: true }).check();
    }
    await dialog.getByRole("radio", { name: /^Read-Write/ }).check();
    await dialog.getByRole("button", { name: "Create token" }).click();

    // The three credentials, once.
    const reveal = page.getByRole("dialog", { name: "Credentials for “Shopify store sync”" });
    await reveal.waitFor();
    const credentials = await readCredentials(page);
    assertCredentialFormats(credentials);
    for (const name of ["API_KEY", "API_SECRET", "PUBLIC_KEY"]) {
      assert.ok(await reveal.getByText(name, { exact: true }).isVisible(), `${name} is shown`);
    }
    await gate(page, "reveal");
    await shot(page, "reveal");

    // Escape does not throw away credentials that were not stored yet.
    await page.keyboard.press("Escape");
    assert.equal(await dialogOpen(page), true, "Escape must not close an unconfirmed reveal");

    // Copy puts exactly the secret on the clipboard, and says so.
    await reveal.getByRole("button", { name: "Copy API_SECRET" }).click();
    await until("the button to say Copied", async () => (await reveal.getByRole("button", { name: "Copy API_SECRET" }).innerText()) === "Copied");
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), credentials.apiSecret);
    assert.equal(await reveal.locator("[data-copy-status]").innerText(), "API_SECRET copied to the clipboard.");

    // Done waits for the confirmation.
    const done = reveal.getByRole("button", { name: "Done" });
    assert.equal(await done.isDisabled(), true, "Done is disabled before the confirmation");
    await reveal.getByLabel("I have stored these credentials").check();
    assert.equal(await done.isEnabled(), true, "Done is enabled once confirmed");
    await done.click();
    await untilDialogCloses(page);
    // The dialog's close event (it comes just after the dialog closes) takes the credentials out of the page.
    await until("the credentials to leave the page", async () => (await page.locator("#modal-content").innerHTML()) === "");
    assert.equal((await page.content()).includes(credentials.apiSecret), false, "closing removes the secret from the page");
    await untilFocus(page, "focus back on Create", (f) => f.id === "create-token");

    // The row: partial key, Live, Read-Write and the three chips.
    assert.deepEqual(await rowView(page, "Shopify store sync"), {
      key: partialKey(credentials.apiKey),
      status: "Live",
      permission: "Read-Write",
      chips: ["Customers", "Payments", "Orders"],
    });
    assert.equal(await page.getByRole("heading", { name: "No access tokens yet" }).count(), 0);
    // The search and filters come with the first token, without a reload.
    assert.equal(await page.getByRole("search", { name: "Search and filter tokens" }).isVisible(), true);
    await gate(page, "table with a token");

    // After a reload the secret is nowhere.
    await page.reload();
    await row(page, "Shopify store sync").waitFor();
    const html = await page.content();
    assert.equal(html.includes(credentials.apiSecret), false, "the secret must not come back");
    assert.equal(html.includes(credentials.apiKey), false, "the full key must not come back");
    s.assertNoProblems();
  });
});

// ---------------------------------------------------------------- typed input is never lost unasked

test("the create dialog never loses typed input: Escape and the backdrop ask, a failed send keeps it", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "ops@guard.test", merchant: "Guarded Goods" });
  await suite.inSession(async (s) => {
    const { page } = s;
    await login(page, admin);
    const dialog = page.locator("dialog#modal[open]");
    const name = () => dialog.getByLabel("Name", { exact: true });
    const openCreate = async () => {
      await page.locator("#create-token").click();
      await untilFocus(page, "focus on Name", (f) => f.id === "token-name");
    };

    // Untouched, Escape just closes it.
    await openCreate();
    await page.keyboard.press("Escape");
    await untilDialogCloses(page);

    // Typed into, Escape asks first, and Keep editing keeps everything.
    await openCreate();
    await page.keyboard.type("Half typed");
    await page.keyboard.press("Escape");
    const prompt = dialog.locator("[data-discard-prompt]");
    await prompt.waitFor();
    assert.match(await prompt.innerText(), /Discard what you typed\? It has not been saved\./);
    await untilFocus(page, "focus on Keep editing", (f) => f.text === "Keep editing");
    await gate(page, "create form asking before discarding");
    await shot(page, "create-discard-prompt");
    await dialog.getByRole("button", { name: "Keep editing" }).click();
    assert.equal(await prompt.count(), 0);
    assert.equal(await dialogOpen(page), true);
    assert.equal(await name().inputValue(), "Half typed");

    // A click on the backdrop asks the same; Discard closes.
    await page.mouse.click(4, 4);
    await prompt.waitFor();
    await dialog.getByRole("button", { name: "Discard" }).click();
    await untilDialogCloses(page);

    // The send fails because the database is down (the server's 503 answered in its place): the
    // dialog stays with what was typed and says why inside it; sending again later works.
    await openCreate();
    await name().fill("Kept through an outage");
    await dialog.getByRole("checkbox", { name: "Orders", exact: true }).check();
    const outage = (route) => (route.request().method() === "POST"
      ? route.fulfill({ status: 503, contentType: "text/html; charset=utf-8", headers: { "Retry-After": "5" }, body: "<p>The dashboard cannot reach its database right now.</p>" })
      : route.continue());
    await page.route("**/developers/access-tokens", outage);
    await dialog.getByRole("button", { name: "Create token" }).click();
    const note = dialog.locator("[data-request-error]");
    await note.waitFor();
    assert.match(await note.innerText(), /cannot reach its database right now, so nothing was saved\. What you typed is kept/);
    assert.equal(await name().inputValue(), "Kept through an outage");
    assert.equal(await dialog.getByRole("checkbox", { name: "Orders", exact: true }).isChecked(), true);
    await page.unroute("**/developers/access-tokens", outage);
    await dialog.getByRole("button", { name: "Create token" }).click();
    await readCredentials(page);
    s.assertNoProblems();
  });
});

// ---------------------------------------------------------------- flow 2 (and the viewer)

test("flow 2: disable, then enable, each after a confirmation", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "ops@disable.test", merchant: "Acme Subscriptions" });
  await suite.inSession(async (s) => {
    const { page } = s;
    await login(page, admin);
    await createInDialog(page, { name: "Legacy POS", sections: ["Orders"] });
    await createInDialog(page, {
      name: "Shopify store sync",
      sections: ["Customers", "Payments", "Orders", "Payouts", "Checkout Page"],
      permission: "read_write",
    });
    assert.equal((await rowView(page, "Legacy POS")).status, "Live");

    // Disable asks first, naming the token and what will stop working.
    await (await rowAction(page, "Legacy POS", "Disable Legacy POS")).click();
    const confirm = page.getByRole("dialog", { name: "Disable “Legacy POS”?" });
    await confirm.waitFor();
    assert.match(await confirm.innerText(), /will be refused until it is enabled again/);
    await gate(page, "disable confirmation");
    await shot(page, "confirm-disable");

    // Cancel changes nothing.
    await confirm.getByRole("link", { name: "Cancel" }).click();
    await untilDialogCloses(page);
    assert.equal((await rowView(page, "Legacy POS")).status, "Live");

    await (await rowAction(page, "Legacy POS", "Disable Legacy POS")).click();
    await confirm.getByRole("button", { name: "Disable token" }).click();
    await until("the badge to say Disabled", async () => (await rowView(page, "Legacy POS")).status === "Disabled");
    assert.equal(await dialogOpen(page), false);
    assert.match(await page.locator("#flash").innerText(), /“Legacy POS” is disabled/);
    await untilFocus(page, "the focus on the row's menu button", (f) => f.text === "Actions for Legacy POS");
    assert.equal((await rowView(page, "Shopify store sync")).status, "Live", "the other token is untouched");
    await gate(page, "table with a disabled token");
    await shot(page, "table");

    // Enable, with its own confirmation.
    await (await rowAction(page, "Legacy POS", "Enable Legacy POS")).click();
    const enable = page.getByRole("dialog", { name: "Enable “Legacy POS”?" });
    await enable.waitFor();
    await gate(page, "enable confirmation");
    await shot(page, "confirm-enable");
    await enable.getByRole("button", { name: "Enable token" }).click();
    await until("the badge to say Live", async () => (await rowView(page, "Legacy POS")).status === "Live");
    assert.match(await page.locator("#flash").innerText(), /“Legacy POS” is live again/);

    // It holds after a reload.
    await page.reload();
    assert.equal((await rowView(page, "Legacy POS")).status, "Live");
    s.assertNoProblems();
  });

  // A viewer of the same merchant sees the table, and no control to change it.
  const viewer = suite.server.addUser({ email: "viewer@disable.test", merchant: "Acme Subscriptions", role: "viewer" });
  await suite.inSession(async (v) => {
    await login(v.page, viewer);
    assert.equal((await rowView(v.page, "Legacy POS")).status, "Live");
    assert.equal(await v.page.getByRole("link", { name: "Create", exact: true }).count(), 0, "no Create for a viewer");
    assert.equal(await v.page.locator(".row-menu").count(), 0, "no actions menu for a viewer");
    await gate(v.page, "table for a viewer");
    await shot(v.page, "viewer");
    await assertRefused(v.page, "/developers/access-tokens/new");
    await gate(v.page, "403 (not allowed)");
    v.assertNoProblems();
  });
});

// ---------------------------------------------------------------- flow 3

test("flow 3: everything with the keyboard alone", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "keys@keyboard.test", merchant: "Keyboard Co" });
  await suite.inSession(async (s) => {
    const { page } = s;
    await login(page, admin);

    // Tab reaches Create, Enter opens it and the focus lands in the dialog.
    await tabUntil(page, "Create", (f) => f.id === "create-token");
    await page.keyboard.press("Enter");
    await page.getByRole("dialog", { name: "Create access token" }).waitFor();
    await untilFocus(page, "focus on Name", (f) => f.id === "token-name");
    await shot(page, "keyboard-dialog");

    // The focus stays in the dialog, forwards and backwards.
    const stops = await assertFocusTrapped(page, "create", 30);
    assert.ok(stops.size > 10, "Tab visits the dialog's controls");

    // Escape closes it and the focus is back on Create.
    await page.keyboard.press("Escape");
    await untilDialogCloses(page);
    await untilFocus(page, "focus back on Create", (f) => f.id === "create-token");

    // A whole create without the mouse.
    await page.keyboard.press("Enter");
    await untilFocus(page, "focus on Name", (f) => f.id === "token-name");
    await page.keyboard.type("Keyboard only");
    await tabUntil(page, "Customers", (f) => f.value === "customers", { inDialog: true });
    await page.keyboard.press("Space");
    await tabUntil(page, "Payments", (f) => f.value === "payments", { inDialog: true });
    await page.keyboard.press("Space");
    await tabUntil(page, "the permission radios", (f) => f.name === "permission", { inDialog: true });
    await page.keyboard.press("ArrowDown");
    assert.equal((await focused(page)).value, "read_write");
    await tabUntil(page, "Create token", (f) => f.text === "Create token", { inDialog: true });
    await shot(page, "keyboard-focus");
    await page.keyboard.press("Enter");

    const credentials = await readCredentials(page);
    assertCredentialFormats(credentials);
    assert.ok((await focused(page)).inDialog, "the focus moves into the reveal");
    await tabUntil(page, "the confirmation", (f) => "storedConfirm" in f.dataset, { inDialog: true });
    await page.keyboard.press("Space");
    await tabUntil(page, "Done", (f) => f.text === "Done", { inDialog: true });
    await page.keyboard.press("Enter");
    await untilDialogCloses(page);
    await untilFocus(page, "focus back on Create", (f) => f.id === "create-token");
    assert.deepEqual(await rowView(page, "Keyboard only"), {
      key: partialKey(credentials.apiKey),
      status: "Live",
      permission: "Read-Write",
      chips: ["Customers", "Payments"],
    });

    // Disable from the keyboard too: the row's menu, then the confirmation's button.
    await openWithKeyboard(page, "Disable Keyboard only", "Disable “Keyboard only”?");
    await tabUntil(page, "Disable token", (f) => f.text === "Disable token", { inDialog: true });
    await page.keyboard.press("Enter");
    await until("the badge to say Disabled", async () => (await rowView(page, "Keyboard only")).status === "Disabled");
    await untilFocus(page, "the focus on the row's menu button", (f) => f.text === "Actions for Keyboard only");
    s.assertNoProblems();
  });
});

// ---------------------------------------------------------------- flow 4

test("flow 4: with JavaScript off, everything works through full pages", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "plain@noscript.test", merchant: "No Script Co" });
  await suite.inSession({ javaScriptEnabled: false }, async (s) => {
    const { page } = s;
    await login(page, admin);
    assert.equal(await page.getByRole("button", { name: /^Copy/ }).count(), 0);

    // Create is a link to a full page.
    await page.getByRole("link", { name: "Create", exact: true }).click();
    await page.waitForURL("**/developers/access-tokens/new");
    assert.equal(await page.title(), "Create access token · Kwik Dashboard");
    assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Create access token");
    await gate(page, "create page (no JS)");
    await shot(page, "nojs-create");

    await page.getByRole("button", { name: "Create token" }).click();
    await page.locator("#name-error").waitFor();
    await gate(page, "create page with errors (no JS)");

    await page.getByLabel("Name", { exact: true }).fill("Nightly reconciliation");
    for (const section of ["Transactions", "Payouts", "Recipients"]) {
      await page.getByRole("checkbox", { name: section, exact: true }).check();
    }
    await page.getByRole("radio", { name: /^Read-Write/ }).check();
    await page.getByRole("button", { name: "Create token" }).click();

    // The reveal is a page of its own.
    await page.getByRole("heading", { level: 1, name: "Credentials for “Nightly reconciliation”" }).waitFor();
    const credentials = await readCredentials(page);
    assertCredentialFormats(credentials);
    await gate(page, "reveal page (no JS)");
    await shot(page, "nojs-reveal");

    // Done needs the confirmation (the browser's own form validation), then goes back to the table.
    await page.getByRole("button", { name: "Done" }).click();
    assert.equal(await page.getByRole("heading", { name: /Credentials for/ }).count(), 1, "Done without the confirmation stays");
    await page.getByLabel("I have stored these credentials").check();
    await page.getByRole("button", { name: "Done" }).click();
    await page.waitForURL(TABLE);
    assert.deepEqual(await rowView(page, "Nightly reconciliation"), {
      key: partialKey(credentials.apiKey),
      status: "Live",
      permission: "Read-Write",
      chips: ["Transactions", "Recipients", "Payouts"],
    });
    assert.equal((await page.content()).includes(credentials.apiSecret), false);

    // Disable through the token's page (the row's menu button is a link to it) and the confirmation page.
    await row(page, "Nightly reconciliation").getByRole("link", { name: "Actions for Nightly reconciliation" }).click();
    await page.getByRole("heading", { level: 1, name: "Nightly reconciliation" }).waitFor();
    assert.match(page.url(), /\/developers\/access-tokens\/\d+#actions$/);
    await gate(page, "token page (no JS)");
    await page.getByRole("link", { name: "Disable", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Disable “Nightly reconciliation”?" }).waitFor();
    await gate(page, "confirm page (no JS)");
    await shot(page, "nojs-confirm");
    await page.getByRole("button", { name: "Disable token" }).click();
    await page.waitForURL(/\/developers\/access-tokens\/\d+$/);
    assert.match(await page.locator("#flash").innerText(), /is disabled/);
    assert.equal(await page.locator(".token-subtitle .badge").innerText(), "Disabled");

    // And enable it again, from the same page.
    await page.getByRole("link", { name: "Enable", exact: true }).click();
    await page.getByRole("button", { name: "Enable token" }).click();
    await page.waitForURL(/\/developers\/access-tokens\/\d+$/);
    await page.getByRole("link", { name: "Access Tokens" }).first().click();
    await page.waitForURL(TABLE);
    assert.equal((await rowView(page, "Nightly reconciliation")).status, "Live");
    s.assertNoProblems();
  });
});

// ---------------------------------------------------------------- flow 5

test("flow 5: at phone width nothing scrolls sideways, the table is cards and the dialog fits", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "small@phone.test", merchant: "Phone Co" });
  await suite.inSession(ON_PHONE, async (s) => {
    const { page } = s;
    await page.goto("/login");
    await fits(page, "the login page");
    await shot(page, "phone-login");
    await login(page, admin);
    await fits(page, "the empty table");

    await page.locator("#create-token").click();
    await page.getByRole("dialog", { name: "Create access token" }).waitFor();
    await dialogFits(page, "create form");
    await shot(page, "phone-create");
    const dialog = page.locator("dialog#modal");
    await dialog.getByRole("button", { name: "Create token" }).click();
    await dialog.locator("#name-error").waitFor();
    await dialogFits(page, "create form with errors");
    await dialog.getByLabel("Name", { exact: true }).fill("Mobile app backend with a rather long descriptive name");
    for (const section of ["Customers", "Customer Cards", "Customer Mandates", "Payments"]) {
      await dialog.getByRole("checkbox", { name: section, exact: true }).check();
    }
    await dialog.getByRole("button", { name: "Create token" }).click();
    await readCredentials(page);
    await dialogFits(page, "reveal");
    await gate(page, "reveal at phone width");
    await shot(page, "phone-reveal");
    await dialog.getByLabel("I have stored these credentials").check();
    await dialog.getByRole("button", { name: "Done" }).click();
    await untilDialogCloses(page);
    await createInDialog(page, { name: "Checkout", sections: ["Checkout Page"] });

    // The table turns into one card per token: no header row on screen, each cell labelled.
    await page.reload();
    await fits(page, "the table");
    const layout = await page.evaluate(() => ({
      header: document.querySelector(".tokens thead").getBoundingClientRect().height,
      rows: [...document.querySelectorAll("#token-rows tr")].map((tr) => {
        const r = tr.getBoundingClientRect();
        return { display: getComputedStyle(tr).display, left: r.left, right: r.right };
      }),
      label: getComputedStyle(document.querySelector("#token-rows td"), "::before").content,
    }));
    assert.ok(layout.header <= 1, "the header row is not shown on a phone");
    assert.equal(layout.rows.length, 2);
    for (const r of layout.rows) {
      assert.equal(r.display, "block", "each token is a card");
      assert.ok(r.left >= 0 && r.right <= PHONE.width, "each card fits");
    }
    assert.equal(layout.label, '"Created"', "each value is labelled");
    await gate(page, "table at phone width");
    await shot(page, "phone", { fullPage: true });

    await (await rowAction(page, "Checkout", "Disable Checkout")).click();
    await page.getByRole("dialog", { name: "Disable “Checkout”?" }).waitFor();
    await dialogFits(page, "disable confirmation");
    await shot(page, "phone-confirm");
    await page.keyboard.press("Escape");

    for (const path of ["/developers/access-tokens/new", "/no-such-page"]) {
      await page.goto(path);
      await fits(page, path);
    }

    // A Disable link opened on its own (a new tab, say) is a full confirmation page that works.
    await page.goto("/developers/access-tokens");
    await page.goto(await menuItem(page, "Disable Checkout").getAttribute("href"));
    await fits(page, "the confirmation page");
    await page.getByRole("button", { name: "Disable token" }).click();
    await page.waitForURL(TABLE);
    assert.equal((await rowView(page, "Checkout")).status, "Disabled");
    assert.match(await page.locator("#flash").innerText(), /“Checkout” is disabled/);
    s.assertNoProblems();
  });
});

// ---------------------------------------------------------------- the Nu HTML checker over everything seen

test("every page and htmx fragment the flows received is valid HTML (Nu checker)", TIMEOUT, async () => {
  const expected = [
    "GET /login → 200",
    "POST /login → 401",
    "POST /login → 403",
    "GET /no-such-page → 404",
    "GET /developers/access-tokens → 200",
    "GET /developers/access-tokens/new → 200",
    "GET /developers/access-tokens/new → 200 (htmx fragment)",
    "GET /developers/access-tokens/new → 403",
    "POST /developers/access-tokens → 422",
    "POST /developers/access-tokens → 422 (htmx fragment)",
    "POST /developers/access-tokens → 200",
    "POST /developers/access-tokens → 200 (htmx fragment)",
    "GET /developers/access-tokens/{id}/status?status=disabled → 200",
    "GET /developers/access-tokens/{id}/status?status=disabled → 200 (htmx fragment)",
    "GET /developers/access-tokens/{id}/status?status=live → 200 (htmx fragment)",
    "POST /developers/access-tokens/{id}/status → 200 (htmx fragment)",
  ];
  await assertSeenDocumentsValid(expected);
});
