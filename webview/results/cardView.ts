import type { ResultAction, ResultButton, ResultCard, ResultKind } from '../../src/shared/panelMessages';
import { h } from '../shared/createElement';
import type { DivergingColourMap } from '../shared/divergingColourMap';
import { tokenCells } from './tokenRow';

export interface CardCallbacks {
  /** A button of the card (row undefined) or of one of its rows. */
  act(card: string, action: ResultAction, row: number | undefined): void;
  close(card: string): void;
  exportCsv(card: ResultCard): void;
}

const KIND_NAMES: Record<ResultKind, string> = {
  maximization: 'Maximisation',
  contexts: 'Top contexts',
  saliency: 'Saliency',
  fooling: 'Fooling edit',
  inversion: 'Feature inversion',
};

function formatElapsed(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function buttons(list: ResultButton[], press: (action: ResultAction) => void, secondary: boolean): HTMLElement[] {
  return list.map((b) => {
    const button = h('vscode-button', { secondary, 'data-action': b.action }, b.label);
    button.addEventListener('click', () => press(b.action));
    return button;
  });
}

/**
 * One card: what was run on what (kind, title, source, parameters, timing), the figures to check,
 * then its rows of coloured tokens under their group headings, each with its figure and buttons.
 * Buttons post the card's id and the row's index; the extension checks both before acting.
 */
export function cardView(card: ResultCard, colours: DivergingColourMap, callbacks: CardCallbacks): HTMLElement {
  const close = h('button', { class: 'close-card', type: 'button', title: 'Close this result', 'aria-label': 'Close this result' }, '×');
  close.addEventListener('click', () => callbacks.close(card.id));
  const csv = h('vscode-button', { secondary: true, class: 'csv' }, 'CSV');
  csv.addEventListener('click', () => callbacks.exportCsv(card));
  const facts = [...card.parameters, ...(card.elapsedMs === undefined ? [] : [formatElapsed(card.elapsedMs)])];
  const header = h(
    'header',
    { class: 'card-header' },
    h(
      'div',
      { class: 'card-heading' },
      h('span', { class: 'kind' }, KIND_NAMES[card.kind]),
      h('h2', { class: 'card-title' }, card.title),
      h('p', { class: 'source' }, card.source),
      h('ul', { class: 'parameters' }, ...facts.map((f) => h('li', {}, f))),
    ),
    h('div', { class: 'card-tools' }, ...buttons(card.buttons, (a) => callbacks.act(card.id, a, undefined), false), csv, close),
  );
  const body: HTMLElement[] = card.notes.map((n) => h('p', { class: 'note' }, n));
  if (card.table) {
    const t = card.table;
    body.push(
      h(
        'table',
        { class: 'result-table' },
        h('thead', {}, h('tr', {}, h('th', {}), ...t.columns.map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, ...t.rows.map((r) => h('tr', {}, h('th', { scope: 'row' }, r.label), ...r.cells.map((c) => h('td', {}, c))))),
      ),
    );
  }
  let group: string | undefined;
  card.rows.forEach((row, i) => {
    if (row.group !== undefined && row.group !== group) body.push(h('h3', { class: 'row-group' }, row.group));
    group = row.group;
    body.push(
      h(
        'div',
        { class: row.best ? 'result-row best' : 'result-row', 'data-row': i },
        h(
          'div',
          { class: 'row-head' },
          h('span', { class: 'row-label' }, row.label),
          h('span', { class: 'row-figure' }, row.figure),
          row.best ? h('span', { class: 'best-badge' }, 'best') : null,
          h('span', { class: 'row-tools' }, ...buttons(row.buttons, (a) => callbacks.act(card.id, a, i), true)),
        ),
        tokenCells(card, row, colours),
      ),
    );
  });
  return h('article', { class: 'result-card', 'data-card': card.id, 'data-kind': card.kind }, header, ...body);
}
