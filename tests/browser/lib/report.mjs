// The end of every suite file: the Nu HTML Checker over every HTML response its flows received, and the
// quality-gate report (axe per state, Nu per document), printed and kept in artifacts/.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { documents, report, settleDocuments } from "./browser.mjs";
import { repoRoot } from "./server.mjs";
import { validate, wrapFragment } from "./vnu.mjs";

/**
 * Checks every page and htmx fragment seen so far with the Nu checker (0 errors), after making sure
 * the flows reached each of `expected`: "METHOD /path?query → status", " (htmx fragment)" appended for
 * fragments, or a RegExp for keys whose query holds an id.
 */
export async function assertSeenDocumentsValid(expected) {
  await settleDocuments();
  const seen = [...documents.keys()];
  // With --test-name-pattern only some flows ran, so only what they saw is checked.
  const allFlowsRan = !process.execArgv.some((a) => a.startsWith("--test-name-pattern"));
  const reached = (k) => (k instanceof RegExp ? seen.some((s) => k.test(s)) : seen.includes(k));
  if (allFlowsRan) assert.deepEqual(expected.filter((k) => !reached(k)).map(String), [], "the flows reach every page and fragment");

  const docs = [...documents].filter(([, d]) => d).map(([name, d]) => [name, d.fragment ? wrapFragment(d.html) : d.html]);
  const errors = validate(docs);
  for (const [name, list] of errors) report.vnu.push({ document: name, errors: list.length });
  const failing = [...errors].filter(([, list]) => list.length).map(([name, list]) => `${name}\n    ${list.join("\n    ")}`);
  assert.deepEqual(failing, [], "the Nu HTML Checker found errors");
}

/** Prints the gate results of the suite file `suite` and writes them to artifacts/report-<suite>.json. */
export function printReport(suite) {
  const dir = join(repoRoot, "tests", "browser", "artifacts");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `report-${suite}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const lines = ["", `Quality gates (${suite})`, "  axe-core (WCAG 2.1 A/AA) violations per state:"];
  for (const r of report.axe) lines.push(`    ${String(r.violations).padStart(3)}  ${r.state}   [title "${r.title}", lang ${r.lang}]`);
  lines.push("  Nu HTML Checker errors per document:");
  for (const r of report.vnu) lines.push(`    ${String(r.errors).padStart(3)}  ${r.document}`);
  console.log(lines.join("\n"));
}
