import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvField, csvText } from '../../webview/shared/csv';

/** RFC 4180 reader: what a spreadsheet or pandas sees. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && (c === ',' || c === '\n')) {
      row.push(field);
      field = '';
      if (c === '\n') {
        rows.push(row);
        row = [];
      }
    } else {
      field += c;
    }
  }
  return rows;
}

describe('CSV exports', () => {
  it('keeps token text with markup, quotes, commas and line breaks exactly', () => {
    const tokens = ['<script>alert(1)</script>', '</span>', '"', ',', '\n', '\r\n', 'a "b", c', '&amp;', ' '];
    const rows = parseCsv(
      csvText(
        ['token', 'value'],
        tokens.map((t, i) => [t, i / 4]),
      ),
    );
    assert.deepEqual(rows[0], ['token', 'value']);
    assert.deepEqual(
      rows.slice(1).map((r) => r[0]),
      tokens,
    );
    assert.deepEqual(
      rows.slice(1).map((r) => Number(r[1])),
      tokens.map((_, i) => i / 4),
    );
  });

  it('turns text a spreadsheet would run as a formula into text', () => {
    assert.equal(csvField('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
    assert.equal(csvField('+1+2'), "'+1+2");
    assert.equal(csvField('-2+3'), "'-2+3");
    assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvField('\t=1'), "'\t=1");
    // One character cannot be a formula: the common tokens "-", "+", "=" and "@" stay as they are.
    for (const t of ['-', '+', '=', '@']) assert.equal(csvField(t), t);
    // Numbers are numbers, negative or not, also when written as exact text.
    assert.equal(csvField('-0.37215012'), '-0.37215012');
    assert.equal(csvField('-1e-7'), '-1e-7');
    assert.equal(csvField(-0.5), '-0.5');
    assert.equal(csvField(Number.NaN), '');
  });
});
