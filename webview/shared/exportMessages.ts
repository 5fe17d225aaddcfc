import type { FromWebview } from '../../src/shared/panelMessages';

/**
 * Export requests a panel posts: the page cannot write files, so it hands the extension a file
 * name and the content (PNG as a data: URL, CSV as text) and the extension asks where to save.
 */

/** A file name the extension's validator accepts (letters, digits, space, dot, dash, underscore). */
export function fileName(title: string, suffix: string, extension: 'png' | 'csv'): string {
  const stem = `${title} ${suffix}`
    .replace(/[^\w .-]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 90);
  return `${stem || 'neuron-lens'}.${extension}`;
}

/**
 * A canvas as a PNG on an opaque background: chart.js and our canvases draw on transparent pixels
 * that would look black or white in other programs, whatever the theme was.
 */
export function pngExport(canvas: HTMLCanvasElement, name: string, background: string): FromWebview {
  const copy = document.createElement('canvas');
  copy.width = canvas.width;
  copy.height = canvas.height;
  const ctx = copy.getContext('2d')!;
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, copy.width, copy.height);
  ctx.drawImage(canvas, 0, 0);
  return { type: 'export', format: 'png', name, content: copy.toDataURL('image/png') };
}

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

export function csvExport(header: string[], rows: Iterable<(string | number | undefined)[]>, name: string): FromWebview {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  return { type: 'export', format: 'csv', name, content: `${lines.join('\n')}\n` };
}
