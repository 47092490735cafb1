// CSV (RFC 4180) for the audit export: every cell quoted, quotes doubled,
// CRLF between rows, a byte order mark so spreadsheet programs read UTF-8.
// No DOM here, so the rules can be tested on their own.

/**
 * Characters that make a spreadsheet read a cell as a formula (or, for tab
 * and carriage return, shift it into one). A cell starting with one gets a
 * leading apostrophe: shown as text, never evaluated ("CSV injection").
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell, quoted; a formula-like value is neutralised first. */
export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return `"${safe.replaceAll('"', '""')}"`;
}

/** The rows as one CSV text, with the BOM and a final CRLF. */
export function toCsv(rows: readonly (readonly string[])[]): string {
  return "\ufeff" + rows.map((row) => row.map(csvCell).join(",") + "\r\n").join("");
}
