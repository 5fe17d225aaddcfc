/**
 * Spreadsheets run a cell that starts with = + - @ (after any tabs or CRs) as a formula, and
 * token text is whatever the user's file contained (`=HYPERLINK(…)` in a CSV the user opens is the
 * classic CSV injection). Such text gets a leading apostrophe, the spreadsheet convention for
 * "this is text"; numbers ("-0.25", written exactly as text) and a lone character cannot form a
 * formula and are kept as they are.
 */
function neutraliseFormula(s: string): string {
  return s.length > 1 && /^[\t\r]*[=+\-@]/.test(s) && !Number.isFinite(Number(s)) ? `'${s}` : s;
}

export function csvField(v: string | number | undefined): string {
  if (v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : neutraliseFormula(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 text, one line per row, ending with a line break. */
export function csvText(header: string[], rows: Iterable<(string | number | undefined)[]>): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  return `${lines.join('\n')}\n`;
}
