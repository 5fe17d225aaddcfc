import type { FromWebview, ResultCard } from '../../src/shared/panelMessages';
import { csvExport, fileName } from '../shared/exportMessages';

/** A card as a table, one line per token of every row: what a spreadsheet needs to redo the figures. */
export function resultsCsv(card: ResultCard): FromWebview {
  const rows = card.rows.flatMap((row, r) =>
    row.tokens.map((token, t) => [
      r,
      row.group ?? '',
      row.label,
      row.figure,
      row.best ? 1 : 0,
      t,
      token,
      row.values?.[t],
      row.marked.includes(t) ? 1 : 0,
    ]),
  );
  return csvExport(
    ['row', 'group', 'label', 'figure', 'best', 'token_index', 'token', card.valueName, 'marked'],
    rows,
    fileName(`${card.kind} ${card.title}`, 'results', 'csv'),
  );
}
