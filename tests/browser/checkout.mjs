// Screenshots of the hosted checkout preview and its error page, posted the way a merchant's website
// posts them: a plain HTML form on another origin, no session, no CSRF token.
// Usage: KWIK_URL=http://127.0.0.1:8080 KWIK_EMAIL=admin@example.com KWIK_PASSWORD=... node checkout.mjs [outdir]
import { mkdirSync } from "node:fs";
import { launch, login } from "./lib/browser.mjs";
import { createInDialog } from "./lib/flows.mjs";

const base = process.env.KWIK_URL ?? "http://127.0.0.1:8080";
const out = process.argv[2] ?? "../../docs/screenshots";
mkdirSync(out, { recursive: true });

const browser = await launch();
const viewport = { width: 1280, height: 900 };

// A merchant admin creates a token with the Checkout Page section and copies its PUBLIC_KEY.
const dashboard = await browser.newContext({ viewport, baseURL: base });
const admin = await dashboard.newPage();
await login(admin, { email: process.env.KWIK_EMAIL ?? "admin@example.com", password: process.env.KWIK_PASSWORD });
const { publicKey } = await createInDialog(admin, { name: "Website donations", sections: ["Checkout Page"] });
await dashboard.close();

// The shopper's browser: a fresh context, so no dashboard cookie, and a form on a page of its own.
async function post(fields, file, viewportSize = viewport) {
  const shopper = await browser.newContext({ viewport: viewportSize });
  const page = await shopper.newPage();
  page.on("console", (m) => console.log("console:", m.type(), m.text()));
  const inputs = fields
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${value.replaceAll('"', "&quot;")}">`)
    .join("");
  await page.setContent(`<form method="post" action="${base}/checkout/form">${inputs}<button>Pay</button></form>`);
  await Promise.all([page.waitForNavigation(), page.click("button")]);
  const cookies = await shopper.cookies();
  console.log(file, "status page:", await page.title(), "cookies:", cookies.length);
  await page.screenshot({ path: `${out}/${file}`, fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  console.log(file, "horizontal overflow px:", overflow);
  await shopper.close();
}

// Kwik's documented donation form.
const donation = [
  ["public_key", publicKey],
  ["type", "CHOOSE_WHAT_TO_PAY"],
  ["item_title", "Rhino conservation fund"],
  ["item_description", "Your gift pays for anti-poaching patrols and veterinary care in the Lowveld."],
  ["item_frequency", "ONE_TIME,MONTHLY,ANNUALLY"],
  ["item_amount_options", "50,100,250,500,1000"],
  ["item_amount", "250"],
  ["item_amount_max", "25000"],
  ["customization_button_text", "Donate now"],
  ["customization_confirmation_message", "Thank you for standing with our rhinos."],
  ["customization_primary_color", "#0b6b3a"],
];
await post(donation, "checkout-preview.png");
await post(donation, "checkout-preview-phone.png", { width: 390, height: 844 });

const broken = [
  ["public_key", publicKey],
  ["type", "CHOOSE_WHAT_TO_PAY"],
  ["item_title", "Rhino conservation fund"],
  ["item_frequency", "WEEKLY"],
  ["item_amount", "1.234"],
  ["item_amount_options", "50,100,150,200,250,300"],
];
await post(broken, "checkout-errors.png");
await browser.close();
