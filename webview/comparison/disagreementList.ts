import type { ComparisonData } from '../../src/shared/panelMessages';
import { h } from '../shared/createElement';
import { formatValue } from '../shared/numberFormat';
import { visibleWhitespace } from '../shared/visibleWhitespace';

/**
 * The tokens where the two neurons disagree most, by the difference of their z-scores (so two
 * neurons on different scales are compared by shape). Each row is a button: it shows the token
 * in the editor.
 */
export class DisagreementList {
  readonly element: HTMLElement;
  private readonly list: HTMLOListElement;

  constructor(private readonly reveal: (token: number) => void) {
    this.list = h('ol', { class: 'disagreements' });
    this.element = h(
      'section',
      { class: 'disagreement-section' },
      h('h2', {}, 'Where they disagree most'),
      h('p', { class: 'note' }, 'Difference of z-scores (first − second); click a token to show it in the editor.'),
      this.list,
    );
  }

  show(data: ComparisonData): void {
    this.list.replaceChildren(
      ...data.disagreements.map((d) => {
        const button = h(
          'button',
          { class: 'disagreement', type: 'button', 'data-token': d.token, title: `Show token ${d.token} in the editor` },
          h('span', { class: 'token' }, visibleWhitespace(data.tokens[d.token] ?? '')),
          h('span', { class: 'values' }, `${formatValue(d.a)} vs ${formatValue(d.b)}`),
          h('span', { class: 'difference' }, `Δz ${d.difference >= 0 ? '+' : ''}${d.difference.toFixed(2)}`),
        );
        button.addEventListener('click', () => this.reveal(d.token));
        return h('li', {}, button);
      }),
    );
  }
}
