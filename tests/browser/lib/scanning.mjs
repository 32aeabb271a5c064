// GitHub's secret scanning as the dashboard meets it: a P-256 key made for this run, its public half
// in a key list file in GitHub's format (the server reads it through KWIK_GITHUB_SCANNING_KEYS), and
// reports signed as GitHub signs them (ECDSA P-256, SHA-256 over the raw body, base64 of DER).
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const KEY_ID = "browser-suite-scanning-key";

/**
 * A scanner with a fresh key: `env` goes to startServer, `report(base, findings)` sends a signed
 * report and returns GitHub's labels, `remove()` deletes the key list file.
 */
export function githubScanner() {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const dir = mkdtempSync(join(tmpdir(), "kwik-scanning-"));
  const file = join(dir, "github-keys.json");
  const key = publicKey.export({ type: "spki", format: "pem" });
  writeFileSync(file, JSON.stringify({ public_keys: [{ key_identifier: KEY_ID, key, is_current: true }] }));
  return {
    env: { KWIK_GITHUB_SCANNING_KEYS: file },
    /** Reports `findings` ({ token, type, url, source }) to the server at `base`; the answer's labels. */
    async report(base, findings) {
      const body = JSON.stringify(findings);
      const res = await fetch(`${base}/secret-scanning/github`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "Github-Public-Key-Identifier": KEY_ID,
          "Github-Public-Key-Signature": sign("sha256", Buffer.from(body), privateKey).toString("base64"),
        },
        body,
      });
      assert.equal(res.status, 200, `the signed report is accepted: ${res.status}`);
      return res.json();
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
