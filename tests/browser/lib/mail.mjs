// Reads the mail a server without SMTP wrote as .eml files: each MIME part decoded (quoted-printable
// or base64), so a test can follow the link a person would click.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { until } from "./flows.mjs";

function decodePart(headers, body) {
  if (/content-transfer-encoding:\s*base64/i.test(headers)) return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (/content-transfer-encoding:\s*quoted-printable/i.test(headers)) {
    const bytes = Buffer.from(body.replace(/=\r?\n/g, ""), "latin1").toString("latin1")
      .replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  return body;
}

/** The mails in `dir`, each `{ subject, to, text, html }`. */
export function mails(dir) {
  let files = [];
  try { files = readdirSync(dir).filter((f) => f.endsWith(".eml")); } catch { return []; }
  return files.map((f) => {
    const raw = readFileSync(join(dir, f), "utf8");
    const boundary = /boundary="?([^";\r\n]+)"?/i.exec(raw)?.[1];
    const parts = boundary ? raw.split(`--${boundary}`).slice(1, -1) : [raw];
    const decoded = parts.map((p) => {
      const split = p.search(/\r?\n\r?\n/);
      const headers = p.slice(0, split);
      return { type: /content-type:\s*([^;\r\n]+)/i.exec(headers)?.[1] ?? "", body: decodePart(headers, p.slice(split).trim()) };
    });
    return {
      subject: /^Subject: (.*)$/m.exec(raw)?.[1]?.trim(),
      to: /^To: (.*)$/m.exec(raw)?.[1]?.trim(),
      text: decoded.find((p) => p.type === "text/plain")?.body ?? "",
      html: decoded.find((p) => p.type === "text/html")?.body ?? "",
    };
  });
}

/** Waits until `dir` holds `n` mails with this `subject`, and returns them. */
export async function waitForMails(dir, n, subject) {
  return until(`${n} mail(s) "${subject}" in ${dir}`, () => {
    const got = mails(dir).filter((m) => m.subject === subject);
    return got.length >= n ? got : null;
  }, { timeoutMs: 15_000 });
}
