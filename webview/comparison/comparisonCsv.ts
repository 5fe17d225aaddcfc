import type { ComparisonData, FromWebview } from '../../src/shared/panelMessages';
import { csvExport, fileName } from '../shared/exportMessages';

/** Both traces, one row per token: what a spreadsheet needs to redo the comparison. */
export function comparisonCsv(data: ComparisonData): FromWebview {
  const rows = data.tokens.map((token, t) => [t, token, data.a.values[t], data.b.values[t]]);
  return csvExport(['token_index', 'token', data.a.label, data.b.label], rows, fileName(data.title, 'comparison', 'csv'));
}
