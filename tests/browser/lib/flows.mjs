// What the flows share: waiting, focus, the Access Tokens table and its dialogs, as a person sees them.
import assert from "node:assert/strict";

export const TIMEOUT = { timeout: 180_000 };
export const PHONE = { width: 390, height: 844 };
/** The table's URL (a GET form may leave an empty query on it). */
export const TABLE = (url) => url.pathname === "/developers/access-tokens";

/** Polls `check` until it returns a truthy value, or fails with `what` (and `explain()` if given). */
export async function until(what, check, { timeoutMs = 10_000, explain } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${explain ? `: ${await explain()}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether the element is fully inside the viewport and inside the dialog's visible area. */
export const inView = (page, selector) => page.locator(selector).evaluate((el) => {
  const r = el.getBoundingClientRect();
  const d = el.closest("dialog")?.getBoundingClientRect() ?? { top: 0, bottom: innerHeight };
  return r.top >= Math.max(0, d.top) && r.bottom <= Math.min(innerHeight, d.bottom);
});

export const dialogOpen = (page) => page.evaluate(() => document.getElementById("modal")?.open === true);

/** What has focus, as a person would name it. */
export const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  return {
    id: el?.id ?? "",
    tag: el?.tagName.toLowerCase() ?? "",
    type: el?.getAttribute("type") ?? "",
    name: el?.getAttribute("name") ?? "",
    value: el?.value ?? "",
    text: (el?.getAttribute("aria-label") || el?.textContent || "").trim().replace(/\s+/g, " "),
    inDialog: Boolean(el?.closest("dialog#modal")),
    dataset: { ...el?.dataset },
    ring: el ? (() => { const s = getComputedStyle(el); return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2; })() : false,
  };
});

/** Presses Tab until `wanted(focus)` holds; every stop must show a focus ring (and stay in the dialog when asked). */
export async function tabUntil(page, what, wanted, { inDialog = false, max = 40 } = {}) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const f = await focused(page);
    if (inDialog) assert.ok(f.inDialog, `focus left the dialog while tabbing to ${what}: ${JSON.stringify(f)}`);
    if (f.tag !== "body") assert.ok(f.ring, `no visible focus ring on ${JSON.stringify(f)}`);
    if (wanted(f)) return f;
  }
  assert.fail(`${what} was not reached with ${max} presses of Tab`);
}

/** Creates a token through the Create dialog with the mouse, and closes the reveal. Returns the credentials. */
export async function createInDialog(page, { name, sections, permission = "read_only" }) {
  await page.locator("#create-token").click();
  const dialog = page.locator("dialog#modal[open]");
  await dialog.getByLabel("Name", { exact: true }).fill(name);
  for (const s of sections) await dialog.getByRole("checkbox", { name: s, exact: true }).check();
  await dialog.locator(`input[name=permission][value=${permission}]`).check();
  await dialog.getByRole("button", { name: "Create token" }).click();
  const credentials = await readCredentials(page);
  await dialog.getByLabel("I have stored these credentials").check();
  await dialog.getByRole("button", { name: "Done" }).click();
  await until("the dialog to close", async () => !(await dialogOpen(page)));
  return credentials;
}

export async function readCredentials(page) {
  const value = (name) => page.locator(`[data-credential=${name}]`).innerText();
  await page.locator("[data-credential=api_secret]").waitFor();
  return { apiKey: await value("api_key"), apiSecret: await value("api_secret"), publicKey: await value("public_key") };
}

export function assertCredentialFormats({ apiKey, apiSecret, publicKey }) {
  assert.match(apiKey, /^kwik_ak_[0-9A-Za-z]{32}$/);
  assert.match(apiSecret, /^kwik_sk_[0-9A-Za-z]{46}$/);
  assert.match(publicKey, /^kwik_pk_[0-9A-Za-z]{32}$/);
}

export const partialKey = (apiKey) => `${apiKey.slice(0, 12)}…${apiKey.slice(-4)}`;

/** The table row of the token called `name`. */
export const row = (page, name) => page.locator("#token-rows tr").filter({ has: page.locator(".token-name", { hasText: name }) });

export async function rowView(page, name) {
  const r = row(page, name);
  await r.waitFor();
  return {
    key: await r.locator(".partial-key").innerText(),
    status: await r.locator(".badge").innerText(),
    permission: await r.locator(".permission").innerText(),
    chips: await r.locator(".chips > li").allInnerTexts(),
  };
}
