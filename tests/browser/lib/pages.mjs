// The screens around the token table, as a person reads them: the main navigation, the 403 page, the
// history table, the team table and the support console.
import assert from "node:assert/strict";

/** The main navigation's links, by their visible names. */
export const navLinks = (page) => page.getByRole("navigation", { name: "Main" }).getByRole("link").allInnerTexts();

/** Clicks `name` in the main navigation and waits for the page at `pathname`. */
export async function followNav(page, name, pathname) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name }).click();
  await page.waitForURL((url) => url.pathname === pathname);
}

/** The 403 page, as a person reads it. */
export async function assertRefused(page, path) {
  const response = await page.goto(path);
  assert.equal(response.status(), 403, `${path} is refused`);
  assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Not allowed");
  assert.equal(await page.locator("p.eyebrow").textContent(), "Error 403");
  // The app stays around the refusal: the navigation, sign out, and a way to the user's own start.
  assert.equal(await page.getByRole("navigation", { name: "Main" }).count(), 1, "the navigation stays");
  assert.equal(await page.getByRole("button", { name: "Sign out" }).count(), 1, "sign out stays");
  assert.equal(await page.locator(".error-panel a.button").count(), 1, "a way back");
}

/** The history table's rows, as the cells read. */
export const historyRows = (page) => page.locator("#history-results tbody tr").evaluateAll((trs) => trs.map((tr) => {
  const cell = (label) => tr.querySelector(`td[data-label="${label}"]`)?.textContent.trim() ?? "";
  return { event: cell("Event"), who: cell("Who"), target: cell("Target"), detail: cell("Detail") };
}));

/** "Showing 1–50 of 61", or "0 events". */
export const pagerText = (page) => page.locator("#history-results .pager p").innerText();

/** The team table's row of the user `email`. */
export const memberRow = (page, email) => page.locator("#member-rows tr", { hasText: email });

/** Searches the support console for `text` and waits for the results page of that search. */
export async function supportSearch(page, text) {
  await page.getByLabel("Find a token").fill(text);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  // The form posts; the answer leads to /support?q=… (or, for a secret, to an address without it).
  const secret = text.startsWith("kwik_sk_");
  await page.waitForURL((url) => url.pathname === "/support" &&
    (secret ? url.searchParams.get("refused") === "secret" : url.searchParams.get("q") === text));
}

/** The support console's results: token names, in order. */
export const supportResults = (page) => page.locator(".support-result h2").allInnerTexts();
