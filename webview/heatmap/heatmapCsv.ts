import type { FromWebview, HeatmapData } from '../../src/shared/panelMessages';
import { csvExport, fileName } from '../shared/exportMessages';

/**
 * The shortest decimal that reads back as the same 32-bit float: exact, without the noise digits
 * of printing a float32 as a double (0.1 → "0.1", not "0.10000000149011612").
 */
export function float32Text(v: number): string {
  if (!Number.isFinite(v)) return '';
  for (let digits = 6; digits < 9; digits++) {
    const text = String(Number(v.toPrecision(digits)));
    if (Math.fround(Number(text)) === v) return text;
  }
  return String(Number(v.toPrecision(9)));
}

/** Tokens as rows (document index and raw text), neurons as columns in index order. */
export function heatmapCsv(data: HeatmapData): FromWebview {
  const header = ['index', 'token', ...Array.from({ length: data.units }, (_, n) => `n${n}`)];
  function* rows(): Generator<string[]> {
    for (let t = 0; t < data.tokens.length; t++) {
      const row = [String(data.firstToken + t), data.tokens[t]!];
      for (let n = 0; n < data.units; n++) row.push(float32Text(data.values[t * data.units + n]!));
      yield row;
    }
  }
  return csvExport(header, rows(), fileName(data.title, `layer ${data.layer} ${data.component} activations`, 'csv'));
}
