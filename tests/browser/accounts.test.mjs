// Accounts in Chromium (issue 17): enrolling an authenticator by reading the key's text form, the
// two-step sign-in (code and recovery code), and sudo mode's prompt, in the dialog and without
// JavaScript, at desktop and phone width. This server asks for re-authentication before every
// sensitive action (KWIK_SUDO_MINUTES=0), so each one shows the prompt. Every state goes through the
// suite's gates (axe, the Nu checker, the page's CSP).
import assert from "node:assert/strict";
import { test } from "node:test";
import { gate, login, shot } from "./lib/browser.mjs";
import { ON_PHONE, TIMEOUT, readCredentials, row, untilDialogCloses } from "./lib/flows.mjs";
import { followNav } from "./lib/pages.mjs";
import { assertSeenDocumentsValid } from "./lib/report.mjs";
import { useSuite } from "./lib/suite.mjs";
import { totp } from "./lib/totp.mjs";

const suite = useSuite("accounts", { env: { KWIK_SUDO_MINUTES: "0" } });
const LIST = "/developers/access-tokens";

/** Signs in with the password, then the code page, and waits for the token table. */
async function twoStepLogin(page, { email, password }, code) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === "/login/two-factor");
  await page.getByLabel("Authentication code").fill(code);
  await page.getByRole("button", { name: "Verify and sign in" }).click();
  await page.waitForURL((url) => url.pathname === LIST);
}

test("two-factor: enrol by the key's text, confirm it is you, save the codes, then sign in with a code and a recovery code", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "owner@baobab.test", merchant: "Baobab Tea" });
  let key;
  let codes;
  await suite.inSession(async (s) => {
    const { page } = s;
    await login(page, admin);
    await followNav(page, "Profile", "/settings/profile");
    assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Profile");
    assert.match(await page.locator("#two-factor-title + p").innerText(), /^Off/);
    await gate(page, "profile: two-factor off");
    await shot(page, "profile", { fullPage: true });

    await page.getByRole("link", { name: "Set up two-factor sign-in" }).click();
    await page.waitForURL((url) => url.pathname === "/settings/profile/two-factor");
    assert.equal(await page.getByRole("img", { name: "QR code to scan with your authenticator app" }).count(), 1);
    key = (await page.locator("#totp-key").innerText()).replace(/\s/g, "");
    assert.match(key, /^[A-Z2-7]{32}$/, "160 bits of base32");
    await gate(page, "two-factor: enrolment");
    await shot(page, "two-factor-enrol", { fullPage: true });

    // A wrong code first: a field error, the same key still shown.
    await page.getByLabel("Code from the app").fill("000000");
    await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
    await page.getByRole("heading", { name: "Confirm it’s you" }).waitFor();
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Confirm and continue" }).click();
    await page.getByText("That code is not correct.").waitFor();
    assert.equal((await page.locator("#totp-key").innerText()).replace(/\s/g, ""), key);
    await gate(page, "two-factor: wrong code");

    await page.getByLabel("Code from the app").fill(totp(key));
    await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
    await page.getByRole("heading", { name: "Confirm it’s you" }).waitFor();
    await gate(page, "sudo: the prompt as a page");
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Confirm and continue" }).click();
    await page.getByRole("heading", { name: "Save your recovery codes" }).waitFor();
    codes = await page.locator("[data-credential=recovery]").allInnerTexts();
    assert.equal(codes.length, 10);
    assert.ok(codes.every((c) => /^[a-z2-9]{5}-[a-z2-9]{5}$/.test(c)), codes.join(" "));
    assert.equal(await page.getByRole("button", { name: "Continue" }).isDisabled(), true, "not before the codes are saved");
    await gate(page, "two-factor: recovery codes");
    await shot(page, "two-factor-recovery-codes", { fullPage: true });
    await page.getByLabel("I have saved my recovery codes").check();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL((url) => url.pathname === LIST);
    await page.goto("/settings/profile");
    assert.match(await page.locator("#two-factor-title + p").innerText(), /^On/);
    assert.equal(await page.getByText(key).count(), 0, "the key is never shown again");
    s.assertNoProblems();
  });

  await suite.inSession(async (s) => {
    const { page } = s;
    await page.goto("/login");
    await page.getByLabel("Email").fill(admin.email);
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/login/two-factor");
    await page.getByLabel("Authentication code").fill("123456");
    await page.getByRole("button", { name: "Verify and sign in" }).click();
    await page.getByText("That code is not correct, or it was used already.").waitFor();
    await gate(page, "sign-in: wrong code");
    await shot(page, "login-code-error");
    await page.getByLabel("Authentication code").fill(totp(key, 1));
    await page.getByRole("button", { name: "Verify and sign in" }).click();
    await page.waitForURL((url) => url.pathname === LIST);
    s.assertNoProblems();
  });

  // On a phone, with a recovery code typed in capitals.
  await suite.inSession(ON_PHONE, async (s) => {
    const { page } = s;
    await page.goto("/login");
    await page.getByLabel("Email").fill(admin.email);
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/login/two-factor");
    await gate(page, "sign-in: the code step on a phone");
    await shot(page, "phone-login-code");
    await page.getByLabel("Authentication code").fill(codes[0].toUpperCase());
    await page.getByRole("button", { name: "Verify and sign in" }).click();
    await page.waitForURL((url) => url.pathname === LIST);
    await page.goto("/settings/profile");
    await page.getByText("9 of 10 recovery codes left.").waitFor();
    await gate(page, "profile on a phone");
    await shot(page, "phone-profile", { fullPage: true });
    s.assertNoProblems();
  });
});

test("sudo: a create asks who it is in the dialog, then goes on with the same input; the same without JavaScript", TIMEOUT, async () => {
  const admin = suite.server.addUser({ email: "ops@marula.test", merchant: "Marula Goods" });
  await suite.inSession(async (s) => {
    const { page } = s;
    await login(page, admin);
    await page.locator("#create-token").click();
    const dialog = page.locator("dialog#modal[open]");
    await dialog.getByLabel("Name", { exact: true }).fill("Warehouse sync");
    await dialog.getByRole("checkbox", { name: "Orders", exact: true }).check();
    await dialog.getByRole("button", { name: "Create token" }).click();
    await dialog.getByRole("heading", { name: "Confirm it’s you" }).waitFor();
    assert.equal(await page.getByRole("dialog").count(), 1, "still in the dialog");
    await gate(page, "sudo: the prompt in the dialog");
    await shot(page, "sudo-dialog");
    await dialog.getByLabel("Password").fill("not the password");
    await dialog.getByRole("button", { name: "Confirm and continue" }).click();
    await dialog.getByText("That password is not correct.").waitFor();
    await dialog.getByLabel("Password").fill(admin.password);
    await dialog.getByRole("button", { name: "Confirm and continue" }).click();
    const credentials = await readCredentials(page);
    assert.match(credentials.apiKey, /^kwik_ak_/);
    await dialog.getByLabel("I have stored these credentials").check();
    await dialog.getByRole("button", { name: "Done" }).click();
    await untilDialogCloses(page);
    assert.equal(await row(page, "Warehouse sync").count(), 1, "created with the name typed before the prompt");
    s.assertNoProblems();
  });

  await suite.inSession({ javaScriptEnabled: false }, async (s) => {
    const { page } = s;
    await login(page, admin);
    await page.goto(`${LIST}/new`);
    await page.getByLabel("Name", { exact: true }).fill("Till export");
    await page.getByRole("checkbox", { name: "Payouts", exact: true }).check();
    await page.getByRole("button", { name: "Create token" }).click();
    await page.getByRole("heading", { name: "Confirm it’s you" }).waitFor();
    await gate(page, "sudo: the prompt without JavaScript");
    await shot(page, "nojs-sudo");
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Confirm and continue" }).click();
    await page.locator("[data-credential=api_secret]").waitFor();
    await page.goto(LIST);
    assert.equal(await row(page, "Till export").count(), 1);
    s.assertNoProblems();
  });

  await suite.inSession(ON_PHONE, async (s) => {
    const { page } = s;
    await login(page, admin);
    await page.locator("#create-token").click();
    const dialog = page.locator("dialog#modal[open]");
    await dialog.getByLabel("Name", { exact: true }).fill("Phone token");
    await dialog.getByRole("checkbox", { name: "Orders", exact: true }).check();
    await dialog.getByRole("button", { name: "Create token" }).click();
    await dialog.getByRole("heading", { name: "Confirm it’s you" }).waitFor();
    await gate(page, "sudo: the prompt on a phone");
    await shot(page, "phone-sudo");
    s.assertNoProblems();
  });
});

test("every page and htmx fragment of these flows is valid HTML (Nu checker)", TIMEOUT, async () => {
  await assertSeenDocumentsValid([
    "GET /settings/profile → 200",
    "GET /settings/profile/two-factor → 200",
    "POST /settings/profile/two-factor → 200",
    "POST /settings/profile/two-factor → 422",
    "GET /login/two-factor → 200",
    "POST /login/two-factor → 401",
    "POST /developers/access-tokens → 200 (htmx fragment)",
    "POST /developers/access-tokens → 422 (htmx fragment)",
    "POST /developers/access-tokens → 200",
  ]);
});
