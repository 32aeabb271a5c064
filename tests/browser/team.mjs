// Screenshots of Settings › Teams (docs/screenshots/team*.png), walking its flows in Chromium with and
// without JavaScript, and failing loudly when a step does not behave. Needs a running dashboard on a
// fresh database with one merchant admin, e.g.:
//   echo 'a long and sound passphrase' | kwik-dashboard user add --email thandi@acme.co.za \
//     --merchant 'Acme Stores' --role admin --password-stdin
//   KWIK_URL=http://127.0.0.1:8080 KWIK_EMAIL=thandi@acme.co.za KWIK_PASSWORD='a long and sound passphrase' \
//     node team.mjs [outdir]
// With axe-core installed next to playwright-core, every state is also checked at WCAG 2.1 AA.
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";

const base = process.env.KWIK_URL ?? "http://127.0.0.1:8080";
const admin = { email: process.env.KWIK_EMAIL ?? "thandi@acme.co.za", password: process.env.KWIK_PASSWORD };
const out = process.argv[2] ?? "../../docs/screenshots";
mkdirSync(out, { recursive: true });
const chosen = "a long and sound passphrase";
const problems = [];
let axe = null;
try { axe = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8"); } catch { /* optional */ }

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});

async function session(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 820 }, deviceScaleFactor: 1, ...options });
  const page = await context.newPage();
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  return page;
}

async function login(page, email, password) {
  await page.goto(`${base}/login`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL("**/developers/access-tokens"), page.click("button[type=submit]")]);
}

/** axe-core at WCAG 2.1 AA, when installed (evaluated over CDP: the CSP forbids injected scripts). */
async function accessible(page, state) {
  if (!axe) return;
  await page.evaluate(axe);
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] }));
  for (const v of result.violations) problems.push(`axe ${state}: ${v.id} at ${v.nodes.map((n) => n.target).join(", ")}`);
}

const modalClosed = (page) => page.waitForSelector("#modal", { state: "hidden" });

async function add(page, email, role, password) {
  await page.click("#add-member");
  await page.waitForSelector("#modal[open] #member-email");
  await page.fill("#member-email", email);
  await page.check(`#modal input[name=role][value=${role}]`);
  if (password) {
    await page.check("#modal input[name=password_mode][value=choose]");
    await page.fill("#member-password", password);
    await Promise.all([page.waitForURL("**/settings/teams"), page.click("#modal button[type=submit]")]);
  } else {
    await page.click("#modal button[type=submit]");
    await page.waitForSelector("#modal [data-reveal]");
  }
}

const page = await session();
await login(page, admin.email, admin.password);
await page.goto(`${base}/settings/teams`);
for (const [email, role] of [["pieter@acme.co.za", "admin"], ["sipho@acme.co.za", "viewer"], ["lerato@acme.co.za", "viewer"]]) {
  await add(page, email, role, chosen);
}

// Pieter signs in elsewhere, so the table shows a last login and a session to end.
const pieter = await session();
await login(pieter, "pieter@acme.co.za", chosen);

// Lerato has left: disable her through the confirmation.
await page.click("a[aria-label='Disable: lerato@acme.co.za']");
await page.waitForSelector("#modal[open] .confirm-form");
await accessible(page, "confirm disable");
await page.screenshot({ path: `${out}/team-confirm.png` });
await page.click("#modal button[type=submit]");
await modalClosed(page);
await page.waitForSelector("#member-rows .badge.disabled");
await page.reload();
await accessible(page, "team");
await page.screenshot({ path: `${out}/team.png`, fullPage: true });

// The add dialog with two errors, then fixed: a viewer with a generated password.
await page.click("#add-member");
await page.waitForSelector("#modal[open] #member-email");
if (await page.isVisible("#member-password")) problems.push("the password box shows while generating");
await page.fill("#member-email", "nandi@acme");
await page.check("#modal input[name=password_mode][value=choose]");
await page.fill("#member-password", "short");
await page.click("#modal button[type=submit]");
await page.waitForSelector("#modal #email-error");
await accessible(page, "add errors");
await page.screenshot({ path: `${out}/team-add-errors.png` });
await page.fill("#member-email", "nandi@acme.co.za");
await page.check("#modal input[name=password_mode][value=generate]");
await page.click("#modal button[type=submit]");
await page.waitForSelector("#modal [data-reveal]");
await accessible(page, "reveal");
await page.screenshot({ path: `${out}/team-reveal.png` });
const generated = (await page.textContent("[data-credential=password]")).trim();
if (!(await page.isDisabled("[data-done]"))) problems.push("Done is enabled before the checkbox");
await page.check("[data-stored-confirm]");
await page.click("[data-done]");
await modalClosed(page);
if (!(await page.textContent("#team-panel")).includes("nandi@acme.co.za")) problems.push("the table was not refreshed");
await login(await session(), "nandi@acme.co.za", generated);

// Pieter steps down (allowed: another admin is left), then the last admin may not.
await page.click("a[aria-label='Make viewer: pieter@acme.co.za']");
await page.waitForSelector("#modal[open] .confirm-form");
await page.click("#modal button[type=submit]");
await modalClosed(page);
await page.waitForSelector("a[aria-label='Make admin: pieter@acme.co.za']");
await page.click(`a[aria-label='Make viewer: ${admin.email}']`);
await page.waitForSelector("#modal[open] .callout.error");
await accessible(page, "last admin");
await page.screenshot({ path: `${out}/team-last-admin.png` });
const refused = await pieter.goto(`${base}/settings/teams`);
if (refused.status() !== 403) problems.push(`a viewer got ${refused.status()} on Teams`);

// A phone without JavaScript: the list as cards, and the add form as a page.
const phone = await session({ viewport: { width: 390, height: 844 }, isMobile: true, javaScriptEnabled: false });
await login(phone, admin.email, admin.password);
await phone.goto(`${base}/settings/teams`);
await phone.screenshot({ path: `${out}/team-phone.png`, fullPage: true });
await phone.goto(`${base}/settings/teams/new`);
await phone.fill("#member-email", admin.email.toUpperCase());
await Promise.all([phone.waitForLoadState(), phone.click("form.member-form button[type=submit]")]);
await phone.waitForSelector("#email-error");
await phone.screenshot({ path: `${out}/team-add-errors-phone.png`, fullPage: true });

await browser.close();
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`team screenshots in ${out}`);
