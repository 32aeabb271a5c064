// "Forgot password?" in Chromium (issue 22): from the sign-in page to the mail's link, a new
// password, and signing in with it; the link's token leaves the address bar at once, and a used link
// says so. This server has no SMTP server, so its mail is read from the .eml files it writes. Every
// state goes through the suite's gates (axe, the Nu checker, the page's CSP).
import assert from "node:assert/strict";
import { test } from "node:test";
import { gate, shot } from "./lib/browser.mjs";
import { ON_PHONE, TIMEOUT } from "./lib/flows.mjs";
import { waitForMails } from "./lib/mail.mjs";
import { assertSeenDocumentsValid } from "./lib/report.mjs";
import { useSuite } from "./lib/suite.mjs";

const suite = useSuite("password reset", { env: { KWIK_MAIL_POLL_MS: "100" } });
const NEW_PASSWORD = "a brand new passphrase for the suite";

test("forgot password: ask for a link, follow it from the mail, choose a new password, sign in with it", TIMEOUT, async () => {
  const user = suite.server.addUser({ email: "owner@rooibos.test", merchant: "Rooibos Co" });
  await suite.inSession(async (s) => {
    const { page } = s;
    await page.goto("/login");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.waitForURL((url) => url.pathname === "/forgot-password");
    assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Reset your password");
    await gate(page, "forgot password");
    await shot(page, "forgot-password");

    await page.getByLabel("Email").fill("not an email");
    await page.getByRole("button", { name: "Send the link" }).click();
    assert.match(await page.getByRole("alert").innerText(), /Enter the email address you sign in with/);
    await gate(page, "forgot password: a malformed email");

    await page.getByLabel("Email").fill(user.email);
    await page.getByRole("button", { name: "Send the link" }).click();
    await page.waitForURL((url) => url.search === "?sent=1");
    assert.match(await page.getByRole("status").innerText(), /Check your email/);
    await gate(page, "forgot password: sent");
    await shot(page, "forgot-password-sent");

    // The folder also holds the security alerts of the admins' arrival.
    const [mail] = await waitForMails(suite.server.mailDir, 1, "Reset your Kwik dashboard password");
    assert.equal(mail.to, user.email);
    const link = /http:\/\/127\.0\.0\.1:\d+\/reset-password\?token=[0-9A-Za-z]{43}/.exec(mail.text)?.[0];
    assert.ok(link, mail.text);
    assert.ok(mail.html.includes(link), "the HTML part has the same link");

    await page.goto(link);
    assert.equal(new URL(page.url()).search, "", "the token left the address bar");
    assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Choose a new password");
    await gate(page, "reset password");
    await shot(page, "reset-password");
    await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel("New password again").fill("something else entirely");
    await page.getByRole("button", { name: "Set the new password" }).click();
    assert.match(await page.getByRole("alert").innerText(), /The two passwords do not match/);
    await gate(page, "reset password: they differ");
    await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel("New password again").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Set the new password" }).click();
    await page.waitForURL((url) => url.pathname === "/login" && url.search === "?reset=1");
    assert.match(await page.getByRole("status").innerText(), /Your password was changed/);
    await gate(page, "sign in after a reset");

    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/developers/access-tokens");

    // The link works once.
    await page.goto(link);
    assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "This link no longer works");
    await gate(page, "a used reset link");
    s.assertNoProblems();
  });
});

test("at phone width the reset pages fit", TIMEOUT, async () => {
  await suite.inSession(ON_PHONE, async (s) => {
    const { page } = s;
    await page.goto("/forgot-password");
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(sideways, 0);
    await gate(page, "forgot password on a phone");
    await shot(page, "phone-forgot-password");
    s.assertNoProblems();
  });
});

test("every page of these flows is valid HTML (Nu checker)", TIMEOUT, async () => {
  await assertSeenDocumentsValid([
    "GET /forgot-password → 200",
    "POST /forgot-password → 422",
    "GET /forgot-password?sent=1 → 200",
    "GET /reset-password → 200",
    "POST /reset-password → 422",
    "GET /reset-password → 410",
  ]);
});
