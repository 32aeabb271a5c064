// What the browser downloads, and the CSV in it.
import { readFileSync } from "node:fs";

/** Downloads what the link points at; returns the file name and the text. */
export async function download(page, link) {
  const [file] = await Promise.all([page.waitForEvent("download"), link.click()]);
  return { name: file.suggestedFilename(), text: readFileSync(await file.path(), "utf8") };
}

/** A CSV text as rows of cells (RFC 4180: quoted cells, doubled quotes, CRLF). */
export function parseCsv(text) {
  const rows = [];
  let rowCells = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { rowCells.push(cell); cell = ""; }
    else if (c === "\r" && text[i + 1] === "\n") { rowCells.push(cell); rows.push(rowCells); rowCells = []; cell = ""; i++; }
    else cell += c;
  }
  if (cell !== "" || rowCells.length) { rowCells.push(cell); rows.push(rowCells); }
  return rows;
}
