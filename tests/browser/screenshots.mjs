// Takes the README's screenshots (and a few more for review) from a running dashboard.
// Usage: KWIK_URL=http://127.0.0.1:8080 KWIK_EMAIL=admin@example.com KWIK_PASSWORD=... node screenshots.mjs [outdir]
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const base = process.env.KWIK_URL ?? "http://127.0.0.1:8080";
const out = process.argv[2] ?? "../../docs/screenshots";
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
const page = await context.newPage();
page.on("console", (m) => console.log("console:", m.type(), m.text()));
page.on("pageerror", (e) => console.log("pageerror:", e.message));

await page.goto(`${base}/login`);
await page.screenshot({ path: `${out}/login.png` });
await page.fill("#email", process.env.KWIK_EMAIL ?? "admin@example.com");
await page.fill("#password", process.env.KWIK_PASSWORD);
await page.click("button[type=submit]");
await page.waitForURL("**/developers/access-tokens");
await page.screenshot({ path: `${out}/empty.png` });

async function create(name, sections, permission) {
  await page.click("#create-token");
  await page.waitForSelector("dialog[open] #token-name");
  await page.fill("#token-name", name);
  for (const s of sections) await page.check(`dialog input[value=${s}]`);
  await page.check(`dialog input[value=${permission}]`);
  await page.click("dialog button[type=submit]");
  await page.waitForSelector("dialog[open] [data-credential=api_secret]");
}

await page.click("#create-token");
await page.waitForSelector("dialog[open] #token-name");
await page.screenshot({ path: `${out}/create.png` });
await page.click("dialog button[type=submit]");
await page.waitForSelector("dialog[open] #name-error");
await page.screenshot({ path: `${out}/create-errors.png` });
await page.keyboard.press("Escape");

await create("Legacy POS", ["orders"], "read_only");
await page.check("[data-stored-confirm]");
await page.click("[data-done]");
await create("Shopify store sync", ["customers", "payments", "orders", "payouts", "checkout_page"], "read_write");
await page.screenshot({ path: `${out}/reveal.png` });
await page.check("[data-stored-confirm]");
await page.click("[data-done]");
await page.waitForSelector("dialog:not([open])", { state: "attached" });

// Disable the older token through its confirmation.
await page.click("a[aria-label='Disable Legacy POS']");
await page.waitForSelector("dialog[open] .confirm-form");
await page.screenshot({ path: `${out}/confirm-disable.png` });
await page.click("dialog .confirm-form button[type=submit]");
await page.waitForSelector("#flash .callout");
await page.click("details.more-sections summary");
await page.screenshot({ path: `${out}/table.png` });

await page.setViewportSize({ width: 390, height: 844 });
await page.reload();
await page.screenshot({ path: `${out}/phone.png`, fullPage: true });
const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
console.log("phone horizontal overflow px:", overflow);
await browser.close();
