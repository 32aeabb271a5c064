// The Nu HTML Checker (npm `vnu-jar`, run with the system's Java 17) over a batch of documents.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const jar = require.resolve("vnu-jar/build/dist/vnu.jar");

/**
 * An htmx fragment as the smallest valid document around it, so only the fragment's own errors count.
 * A table row is swapped into a `<tbody>`, so it is checked inside one.
 */
export function wrapFragment(html) {
  const body = /^\s*<tr[\s>]/.test(html) ? `<table><tbody>${html}</tbody></table>` : html;
  return `<!doctype html><html lang=en><head><meta charset=utf-8><title>x</title></head><body>${body}</body></html>`;
}

/**
 * Checks every document; returns a Map from its name to its error messages (warnings and info left
 * out). One Java start for the whole batch.
 */
export function validate(docs) {
  const dir = mkdtempSync(join(tmpdir(), "kwik-vnu-"));
  try {
    const files = new Map();
    [...docs].forEach(([name, html], i) => {
      const file = join(dir, `doc-${i}.html`);
      writeFileSync(file, html);
      files.set(`file:${file}`, name);
    });
    const run = spawnSync("java", ["-jar", jar, "--format", "json", "--exit-zero-always", ...[...files.keys()].map((f) => f.slice(5))],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (run.error) throw run.error;
    // vnu writes its JSON report to stderr.
    const { messages } = JSON.parse(run.stderr);
    const errors = new Map([...files.values()].map((name) => [name, []]));
    for (const m of messages) {
      // "non-document-error" means the checker could not read a file: that fails too.
      if (m.type !== "error" && m.type !== "non-document-error") continue;
      const name = files.get(m.url) ?? m.url ?? "(vnu)";
      const list = errors.get(name) ?? [];
      list.push(`line ${m.lastLine ?? "?"}: ${m.message}${m.extract ? `  «${m.extract.trim()}»` : ""}`);
      errors.set(name, list);
    }
    return errors;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
