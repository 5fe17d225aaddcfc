import type { ResultCard, ResultRow } from '../../src/shared/panelMessages';
import { activationScale } from '../heatmap/activationScale';
import { h } from '../shared/createElement';
import type { DivergingColourMap } from '../shared/divergingColourMap';
import { formatValue } from '../shared/numberFormat';
import { inlineTokenText } from '../shared/inlineTokenText';
import { visibleWhitespace } from '../shared/visibleWhitespace';

/**
 * A row's tokens as inline cells: each on the card's diverging scale (as the heatmap and the
 * comparison lanes colour a neuron's values), whitespace made visible, emphasised tokens
 * underlined, and the value in the cell's tooltip. Token text is inserted as text, never markup.
 */
export function tokenCells(card: ResultCard, row: ResultRow, colours: DivergingColourMap): HTMLElement {
  const scale = activationScale(card);
  const marked = new Set(row.marked);
  const cells = row.tokens.map((token, t) => {
    const shown = visibleWhitespace(token);
    // Running text: a space reads as ·, not ⟨ ⟩; the tooltip names the token as the other panels do.
    const cell = h('span', { class: marked.has(t) ? 'token marked' : 'token', 'data-token': t }, inlineTokenText(token).shown);
    const v = row.values?.[t];
    if (v !== undefined) {
      cell.style.backgroundColor = colours.css(scale.normalise(v));
      cell.title = `${shown} · ${card.valueName} ${formatValue(v)}`;
    } else if (marked.has(t)) {
      cell.title = `${shown} (marked)`;
    }
    return cell;
  });
  return h('div', { class: 'tokens' }, ...cells);
}
