import { type Theme, divergingColour, textColourOn } from './colourScale';

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
      return `<section><h2>${escapeHtml(s.heading)}</h2>${paragraphs}${table}${passages}</section>`;
    })
    .join('\n');
  const legend = Array.from({ length: 21 }, (_, i) => {
    const bg = divergingColour(i / 10 - 1, theme);
    return `<span style="background:rgb(${bg.join(',')})">&nbsp;</span>`;
  }).join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
pre.tokens{white-space:pre-wrap;font-family:ui-monospace,monospace;line-height:1.5;border:1px solid #ddd;padding:.75rem}
table{border-collapse:collapse}th,td{text-align:left;padding:.15rem .75rem .15rem 0;vertical-align:top}
.caption{color:#555}.legend span{display:inline-block;width:1rem}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p class="legend">negative ${legend} positive</p>
${body}
</body></html>
`;
}
