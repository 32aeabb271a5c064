// What the flows share: waiting, focus and the keyboard, fitting a phone, and the Access Tokens table and
// its dialogs, as a person sees them.
import assert from "node:assert/strict";
import { horizontalOverflow } from "./browser.mjs";

export const TIMEOUT = { timeout: 180_000 };
export const PHONE = { width: 390, height: 844 };
/** A session on a phone: `newSession` options for the PHONE viewport, touch and a 2x screen. */
export const ON_PHONE = { viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
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

/** Waits for the dialog to close. */
export const untilDialogCloses = (page) => until("the dialog to close", async () => !(await dialogOpen(page)));

/** Fails if the page scrolls sideways at phone width; `where` names the page in the message. */
export async function fits(page, where) {
  const over = await horizontalOverflow(page);
  if (over === 0) return;
  // Name the widest culprits, so a failure says what to fix.
  const culprits = await page.evaluate((width) => Array.from(document.querySelectorAll("body *"))
    .filter((el) => el.getBoundingClientRect().right > width + 1 || el.scrollWidth > el.clientWidth + 1)
    .slice(0, 5)
    .map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].join(".")} (right ${Math.round(el.getBoundingClientRect().right)})`), PHONE.width);
  assert.fail(`${where} scrolls sideways at ${PHONE.width}px by ${over}px: ${culprits.join(", ")}`);
}

/** Fails unless the dialog (`where`: which state of it) fits the PHONE viewport and does not scroll sideways. */
export async function dialogFits(page, where) {
  const box = await page.locator("dialog#modal").boundingBox();
  assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= PHONE.width && box.y + box.height <= PHONE.height,
    `the dialog (${where}) fits the viewport: ${JSON.stringify(box)}`);
  const inner = await page.locator("dialog#modal").evaluate((d) => d.scrollWidth - d.clientWidth);
  assert.equal(inner, 0, `the dialog (${where}) does not scroll sideways`);
}

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
    role: el?.getAttribute("role") ?? "",
    inDialog: Boolean(el?.closest("dialog#modal")),
    dataset: { ...el?.dataset },
    ring: el ? (() => { const s = getComputedStyle(el); return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2; })() : false,
  };
});

/** Waits until `wanted(focus)` holds (`what`: "focus on Name"); on a timeout says where the focus is. */
export const untilFocus = (page, what, wanted) => until(what, async () => wanted(await focused(page)),
  { explain: async () => JSON.stringify(await focused(page)).slice(0, 300) });

/**
 * Presses Tab `presses` times, then Shift+Tab as often: the focus must stay in the `what` dialog at every
 * stop. Returns the distinct stops Tab reached.
 */
export async function assertFocusTrapped(page, what, presses = 25) {
  const stops = new Set();
  for (const key of ["Tab", "Shift+Tab"]) {
    for (let i = 0; i < presses; i++) {
      await page.keyboard.press(key);
      const f = await focused(page);
      assert.ok(f.inDialog, `${key} moved the focus out of the ${what} dialog: ${JSON.stringify(f)}`);
      if (key === "Tab") stops.add(`${f.tag}${f.id}${f.value}${f.text}`);
    }
  }
  return stops;
}

/** A token row's menu item called `name` ("Edit Ledger sync"), hidden or not. */
export const menuItem = (page, name) =>
  page.locator("#token-rows").getByRole("menuitem", { name, exact: true, includeHidden: true });

/** The name of the control the focus comes back to from the link or row menu item called `name`: the
 * row's menu button ("Actions for Ledger sync") for a menu item, the link itself otherwise. */
async function returnsTo(page, name) {
  const item = menuItem(page, name);
  if (!(await item.count())) return name;
  return item.evaluate((el) => el.closest(".row-menu").querySelector(".row-menu-toggle").getAttribute("aria-label"));
}

/** Opens the link called `linkName` from the keyboard and waits for the dialog called `dialogName`,
 * which it returns. A row's action is reached as a person would: its menu button, Enter, then ↓ to
 * the action. */
export async function openWithKeyboard(page, linkName, dialogName) {
  const item = menuItem(page, linkName);
  if (await item.count()) {
    await item.locator("xpath=ancestor::div[contains(@class, 'row-menu')]/a[contains(@class, 'row-menu-toggle')]").focus();
    await page.keyboard.press("Enter");
    await untilFocus(page, "focus in the row's menu", (f) => f.role === "menuitem");
    for (let i = 0; i < 6 && (await focused(page)).text !== linkName; i++) await page.keyboard.press("ArrowDown");
    assert.equal((await focused(page)).text, linkName, "the arrow keys reach the action");
  } else {
    await page.getByRole("link", { name: linkName, exact: true }).focus();
  }
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: dialogName });
  await dialog.waitFor();
  return dialog;
}

/** Presses Escape: the dialog must close and give the focus back to what opened it (the row's menu
 * button, for a row's action). */
export async function escapeReturnsFocusTo(page, linkName) {
  const back = await returnsTo(page, linkName);
  await page.keyboard.press("Escape");
  await untilDialogCloses(page);
  await untilFocus(page, `focus back on ${back}`, (f) => f.text === back);
}

/** Without JavaScript the row's menu button is a link to the token's page, which has every action:
 * follows it, then the action called `name` there. */
export async function rowActionWithoutScript(page, rowName, name) {
  await row(page, rowName).getByRole("link", { name: `Actions for ${rowName}`, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: rowName }).waitFor();
  await page.locator("#actions").getByRole("link", { name, exact: true }).click();
}

/** Opens the menu of the row called `rowName` with the mouse and returns its item called `name`. */
export async function rowAction(page, rowName, name) {
  await row(page, rowName).getByRole("button", { name: `Actions for ${rowName}`, exact: true }).click();
  const item = row(page, rowName).getByRole("menuitem", { name, exact: true });
  await item.waitFor();
  return item;
}

/** Replaces the focused field's text with `text`, from the keyboard. */
export async function selectAllAndType(page, text) {
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.type(text);
}

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
  await untilDialogCloses(page);
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

/** The token's id, from its row. */
export const tokenId = async (page, name) => (await row(page, name).getAttribute("id")).replace("token-", "");

/** What the row of the token called `name` shows: partial key, status, permission and section chips. */
export async function rowView(page, name) {
  const r = row(page, name);
  await r.waitFor();
  return {
    key: await r.locator(".partial-key").innerText(),
    status: await r.locator(".badge").innerText(),
    permission: await r.locator(".permission").innerText(),
    // The sections beyond the first two are a "+N" whose names are read out, not shown.
    chips: await r.locator(".chips").evaluate((ul) => [...ul.children].flatMap((li) => (li.classList.contains("chip-more")
      ? li.querySelector(".visually-hidden").textContent.split(", ")
      : [li.textContent.trim()]))),
  };
}

/** Disables and enables a token `times` times over, through the same POST the confirmation sends. */
export async function toggleStatus(page, id, times) {
  const sent = await page.evaluate(async ({ id, times }) => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const statuses = [];
    for (let i = 0; i < times; i++) {
      for (const status of ["disabled", "live"]) {
        const res = await fetch(`/developers/access-tokens/${id}/status`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf },
          body: `status=${status}`,
          redirect: "manual",
        });
        statuses.push(res.type === "opaqueredirect" ? 303 : res.status);
      }
    }
    return statuses;
  }, { id, times });
  assert.ok(sent.every((s) => s === 303), `every status change was accepted: ${sent.join(",")}`);
}
