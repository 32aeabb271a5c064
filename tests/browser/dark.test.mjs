// The dashboard in a dark colour scheme (issue 25): a browser set to dark gets static/dark.css, one set
// to light never does, and every screen a merchant admin meets passes axe (WCAG 2.1 AA, contrast
// included) in the dark too: sign-in, the table with its row menu, the Create dialog with its errors
// and the reveal, a confirmation, the token's page, History, Teams, the profile and an error page.
import assert from "node:assert/strict";
import { test } from "node:test";
import { gate, login, shot } from "./lib/browser.mjs";
import { TIMEOUT, createInDialog, row, rowAction, untilDialogCloses } from "./lib/flows.mjs";
import { assertSeenDocumentsValid } from "./lib/report.mjs";
import { useSuite } from "./lib/suite.mjs";

const suite = useSuite("dark");
const DARK = { viewport: { width: 1366, height: 860 }, colorScheme: "dark" };

const background = (page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);

test("a light browser never gets the dark sheet", TIMEOUT, async () => {
  await suite.inSession({ colorScheme: "light" }, async (s) => {
    await s.page.goto("/login");
    assert.equal(await background(s.page), "rgb(246, 247, 251)");
    s.assertNoProblems();
  });
});

test("dark: every screen of an admin's day passes axe, contrast included", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "night@dark.test", merchant: "Night Owl Stores" });
  await suite.inSession(DARK, async (s) => {
    const { page } = s;
    await page.goto("/login");
    assert.equal(await background(page), "rgb(14, 17, 32)", "the dark sheet applies");
    await gate(page, "dark: sign-in");
    await login(page, admin);
    await gate(page, "dark: empty table");

    // Create: the errors, then the reveal.
    await page.locator("#create-token").click();
    const dialog = page.locator("dialog#modal[open]");
    await dialog.getByRole("button", { name: "Create token" }).click();
    await dialog.getByRole("alert").waitFor();
    await gate(page, "dark: create with errors");
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Discard" }).waitFor();
    await gate(page, "dark: discard prompt");
    await page.getByRole("button", { name: "Discard" }).click();
    await untilDialogCloses(page);
    await createInDialog(page, { name: "Till sync", sections: ["Orders", "Payments", "Customers"], permission: "read_write" });
    await createInDialog(page, { name: "Ledger export", sections: ["Transactions"] });
    await gate(page, "dark: table");
    await shot(page, "dark-table");

    // The row menu, a confirmation, and a disabled row.
    await (await rowAction(page, "Ledger export", "Disable Ledger export")).click();
    const confirm = page.getByRole("dialog", { name: "Disable “Ledger export”?" });
    await confirm.waitFor();
    await gate(page, "dark: disable confirmation");
    await confirm.getByRole("button", { name: "Disable token" }).click();
    await untilDialogCloses(page);
    await row(page, "Till sync").getByRole("button", { name: "Actions for Till sync" }).click();
    await gate(page, "dark: table with a disabled token and a menu open");
    await shot(page, "dark-row-menu");
    await page.keyboard.press("Escape");

    // The token's page, History, Teams, the profile and a 404.
    await row(page, "Till sync").getByRole("link", { name: "Till sync", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Till sync" }).waitFor();
    await gate(page, "dark: token page");
    await shot(page, "dark-detail");
    for (const [path, state] of [
      ["/settings/history", "dark: history"],
      ["/settings/teams", "dark: teams"],
      ["/settings/profile", "dark: profile"],
      ["/no-such-page", "dark: 404"],
    ]) {
      await page.goto(path);
      await gate(page, state);
    }
    s.assertNoProblems();
  });
});

test("every page of these flows is valid HTML (Nu checker)", TIMEOUT, async () => {
  await assertSeenDocumentsValid([
    "GET /login → 200",
    "GET /developers/access-tokens → 200",
    "GET /settings/history → 200",
    "GET /settings/teams → 200",
    "GET /settings/profile → 200",
    "GET /no-such-page → 404",
  ]);
});
