import { type Rgb, type Theme, divergingColour, textColourOn } from './colourScale';
import type { ReportFigure } from './reportFigures';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface ColouredPassage {
  title: string;
  caption?: string;
  tokens: readonly { text: string }[];
  /** Raw values (shown on hover). */
  values: ArrayLike<number>;
  /** Values mapped to [-1, 1] for colour. */
  normalised: ArrayLike<number>;
}

export interface ReportSection {
  heading: string;
  /** Plain-text paragraphs (escaped). */
  paragraphs?: string[];
  /** Label/value rows (escaped). */
  table?: [string, string][];
  passages?: ColouredPassage[];
  figures?: ReportFigure[];
  /** A table whose cells may carry a background colour (e.g. relevance scores). */
  grid?: { header: string[]; rows: { text: string; background?: Rgb }[][] };
}

function figureHtml(f: ReportFigure): string {
  const body = f.png
    ? `<img class="heat" alt="${escapeHtml(f.caption)}" width="${f.png.width}" height="${f.png.height}" style="height:${f.png.displayHeight}px" src="data:image/png;base64,${f.png.data.toString('base64')}">`
    : (f.svg ?? '');
  return `<figure>${body}<figcaption>${escapeHtml(f.caption)}</figcaption></figure>`;
}

function gridHtml(g: NonNullable<ReportSection['grid']>): string {
  const head = `<tr>${g.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const rows = g.rows
    .map(
      (row) =>
        `<tr>${row
          .map((c) =>
            c.background
              ? `<td style="background:rgb(${c.background.join(',')});color:rgb(${textColourOn(c.background).join(',')})">${escapeHtml(c.text)}</td>`
              : `<td>${escapeHtml(c.text)}</td>`,
          )
          .join('')}</tr>`,
    )
    .join('');
  return `<table class="grid">${head}${rows}</table>`;
}

function passageHtml(p: ColouredPassage, theme: Theme): string {
  const spans = p.tokens
    .map((tok, t) => {
      const bg = divergingColour(p.normalised[t] ?? 0, theme);
      const fg = textColourOn(bg);
      const v = Number(p.values[t] ?? 0);
      return `<span style="background:rgb(${bg.join(',')});color:rgb(${fg.join(',')})" title="${escapeHtml(`${JSON.stringify(tok.text)}: ${v.toFixed(4)}`)}">${escapeHtml(tok.text)}</span>`;
    })
    .join('');
  return `<h3>${escapeHtml(p.title)}</h3>${p.caption ? `<p class="caption">${escapeHtml(p.caption)}</p>` : ''}<pre class="tokens">${spans}</pre>`;
}

/** A self-contained HTML page (no scripts, no external resources); all text is escaped. */
export function renderReport(title: string, sections: ReportSection[], theme: Theme = 'light'): string {
  const body = sections
    .map((s) => {
      const paragraphs = (s.paragraphs ?? []).map((p) => `<p>${escapeHtml(p)}</p>`).join('');
      const table = s.table
        ? `<table>${s.table.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`
        : '';
      const passages = (s.passages ?? []).map((p) => passageHtml(p, theme)).join('');
      const grid = s.grid ? gridHtml(s.grid) : '';
      const figures = (s.figures ?? []).map(figureHtml).join('');
      return `<section><h2>${escapeHtml(s.heading)}</h2>${paragraphs}${table}${grid}${passages}${figures}</section>`;
    })
    .join('\n');
  const legend = Array.from({ length: 21 }, (_, i) => {
    const bg = divergingColour(i / 10 - 1, theme);
    return `<span style="background:rgb(${bg.join(',')})">&nbsp;</span>`;
  }).join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
pre.tokens{white-space:pre-wrap;font-family:ui-monospace,monospace;line-height:1.5;border:1px solid #ddd;padding:.75rem}
table{border-collapse:collapse}th,td{text-align:left;padding:.15rem .75rem .15rem 0;vertical-align:top}
.caption{color:#555}.legend span{display:inline-block;width:1rem}
img.heat{width:100%;image-rendering:pixelated;border:1px solid #ddd}figure{margin:1rem 0}figcaption{color:#555;font-size:.9rem}
table.grid td,table.grid th{padding:.15rem .5rem;font-family:ui-monospace,monospace;font-size:.85rem}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p class="legend">negative ${legend} positive</p>
${body}
</body></html>
`;
}
