import { h } from '../shared/createElement';
import { DIVERGING_STEPS, type DivergingColourMap } from '../shared/divergingColourMap';
import { formatValue } from '../shared/numberFormat';
import { inlineTokenText } from '../shared/inlineTokenText';
import { visibleWhitespace } from '../shared/visibleWhitespace';

/** The text as it reads, each token an inline span coloured by the neuron at one checkpoint. */
export class CheckpointText {
  readonly element: HTMLElement;
  private spans: HTMLSpanElement[] = [];
  private tokens: string[] = [];

  constructor(reveal: (token: number) => void) {
    this.element = h('div', { class: 'checkpoint-text', id: 'checkpoint-text' });
    this.element.addEventListener('click', (e) => {
      const index = (e.target as HTMLElement).closest<HTMLElement>('.tok')?.dataset.index;
      if (index !== undefined) reveal(Number(index));
    });
  }

  /** New tokens: builds the spans once; colour() repaints them. */
  setTokens(tokens: string[]): void {
    this.tokens = tokens;
    const children: Node[] = [];
    this.spans = tokens.map((t, i) => {
      const { shown, breaks } = inlineTokenText(t);
      const span = h('span', { class: 'tok', 'data-index': i }, shown);
      children.push(span);
      if (breaks) children.push(h('br'));
      return span;
    });
    this.element.replaceChildren(...children);
  }

  /**
   * Colours every token by its palette step at the checkpoint shown; `values` are the raw values
   * for the tooltips.
   */
  colour(steps: Int16Array, values: Float32Array, colours: DivergingColourMap): void {
    this.spans.forEach((span, t) => {
      span.style.backgroundColor = colours.css(steps[t]! / DIVERGING_STEPS);
      span.title = `token ${t}: ${visibleWhitespace(this.tokens[t]!)} · ${formatValue(values[t]!)}`;
    });
  }
}
