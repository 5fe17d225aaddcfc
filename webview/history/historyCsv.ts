import type { FromWebview, HistoryData } from '../../src/shared/panelMessages';
import { csvExport, fileName } from '../shared/exportMessages';

/** Every checkpoint's trace, one row per (checkpoint, token): long format, ready for a pivot table or a plot. */
export function historyCsv(data: HistoryData): FromWebview {
  const n = data.tokens.length;
  const rows = data.rows.flatMap((r, i) => data.tokens.map((token, t) => [r.step, t, token, data.values[i * n + t]]));
  return csvExport(['step', 'token_index', 'token', 'value'], rows, fileName(`${data.title} ${data.label}`, 'history', 'csv'));
}
