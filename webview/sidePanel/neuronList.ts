import type { SidePanelNeurons } from '../../src/shared/sidePanelMessages';
import { h } from '../shared/createElement';
import { formatValue } from '../shared/numberFormat';
import { readThemeColours, withAlpha } from '../shared/themeColours';
import { neuronOrder } from './neuronOrder';
import type { NeuronSort } from './sidePanelViewState';
import { type SparklineColours, paintSparkline } from './sparklinePainter';

/** Height of one row in CSS pixels; media/sidePanel.css sizes the rows to match. */
export const ROW_HEIGHT = 24;
/** Rows rendered beyond the visible ones, so that a fast scroll does not show gaps. */
const OVERSCAN = 6;

/** A mean or spread as the list writes it: two decimals for activations, short notation for large cell states. */
function stat(v: number, signed: boolean): string {
  if (!Number.isFinite(v)) return 'n/a';
  const text = Math.abs(v) >= 100 ? formatValue(Math.abs(v)) : Math.abs(v).toFixed(2);
  if (!signed) return text;
  return Number(text) === 0 ? text : `${v < 0 ? '−' : '+'}${text}`;
}

/**
 * The neurons of one component, one row each: index, a sparkline of its activity over the document
 * and mean ± spread. Only the rows in view exist in the DOM (a layer can have a thousand neurons),
 * and every sparkline in view is painted on one canvas laid over the rows, redrawn on scroll.
 * Clicking a row, or moving with the arrow keys, picks that neuron.
 */
export class NeuronList {
  readonly element: HTMLElement;
  private readonly scroller: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private data: SidePanelNeurons | undefined;
  private order: Uint32Array = new Uint32Array(0);
  /** Position of each neuron in `order`. */
  private position: Uint32Array = new Uint32Array(0);
  private sort: NeuronSort;
  private selected: number | undefined;
  private frame = 0;
  private colours: SparklineColours | undefined;

  constructor(
    sort: NeuronSort,
    private readonly onSelect: (neuron: number) => void,
  ) {
    this.sort = sort;
    this.spacer = h('div', { class: 'neuron-spacer' });
    this.scroller = h('div', { class: 'neuron-scroller', role: 'listbox', tabindex: 0, 'aria-label': 'Neurons' }, this.spacer);
    this.canvas = h('canvas', { class: 'sparklines', 'aria-hidden': 'true' });
    this.element = h('div', { class: 'neuron-list' }, this.scroller, this.canvas);
    this.scroller.addEventListener('scroll', () => this.schedule());
    this.scroller.addEventListener('click', (e) => {
      const row = (e.target as Element).closest<HTMLElement>('.neuron-row');
      if (row?.dataset.neuron !== undefined) this.pick(Number(row.dataset.neuron));
    });
    this.scroller.addEventListener('keydown', (e) => this.key(e));
    new ResizeObserver(() => this.schedule()).observe(this.scroller);
  }

  show(data: SidePanelNeurons): void {
    this.data = data;
    this.reorder();
  }

  setSort(sort: NeuronSort): void {
    this.sort = sort;
    this.reorder();
  }

  /** Marks a neuron of this component as the one shown in the editor (undefined: none of them is). */
  setSelected(neuron: number | undefined): void {
    this.selected = neuron;
    // At once, not on the next frame: the mark is the answer to a click.
    this.render();
  }

  /** Colours come from the theme; call after it changes. */
  themeChanged(): void {
    this.colours = undefined;
    this.schedule();
  }

  /** Brings a neuron's row into view (the list only scrolls when it has to). */
  reveal(neuron: number): void {
    if (!this.data || neuron >= this.position.length) return;
    const top = this.position[neuron]! * ROW_HEIGHT;
    const s = this.scroller;
    if (top < s.scrollTop) s.scrollTop = top;
    else if (top + ROW_HEIGHT > s.scrollTop + s.clientHeight) s.scrollTop = top + ROW_HEIGHT - s.clientHeight;
    this.schedule();
  }

  private reorder(): void {
    const d = this.data;
    this.order = d ? neuronOrder(this.sort, d.mean, d.std) : new Uint32Array(0);
    this.position = new Uint32Array(this.order.length);
    this.order.forEach((neuron, p) => (this.position[neuron] = p));
    this.spacer.style.height = `${this.order.length * ROW_HEIGHT}px`;
    this.schedule();
  }

  private schedule(): void {
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.render());
  }

  /** Renders now (tests and the first paint do not wait for a frame). */
  render(): void {
    cancelAnimationFrame(this.frame);
    const d = this.data;
    const s = this.scroller;
    const first = Math.max(0, Math.floor(s.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.order.length, Math.ceil((s.scrollTop + s.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    const rows: HTMLElement[] = [];
    for (let p = first; p < last; p++) rows.push(this.row(this.order[p]!, p));
    this.spacer.replaceChildren(...rows);
    const sel = this.selected;
    if (sel !== undefined && d && sel < d.units) this.scroller.setAttribute('aria-activedescendant', `neuron-row-${sel}`);
    else this.scroller.removeAttribute('aria-activedescendant');
    this.paint(first, last);
  }

  private row(neuron: number, p: number): HTMLElement {
    const d = this.data!;
    const selected = neuron === this.selected;
    const mean = d.mean[neuron]!;
    const std = d.std[neuron]!;
    const row = h(
      'div',
      {
        class: selected ? 'neuron-row selected' : 'neuron-row',
        id: `neuron-row-${neuron}`,
        role: 'option',
        'aria-selected': selected ? 'true' : 'false',
        'data-neuron': neuron,
        title: `Neuron ${neuron}: mean ${formatValue(mean)}, spread (standard deviation) ${formatValue(std)} over ${d.tokens.toLocaleString('en')} tokens. Click to show it in the editor.`,
      },
      h('span', { class: 'neuron-index' }, String(neuron)),
      h('span', { class: 'neuron-spark' }),
      h('span', { class: 'neuron-stats' }, `${stat(mean, true)} ± ${stat(std, false)}`),
    );
    // Positioned through the CSSOM: the page's CSP forbids style attributes.
    row.style.top = `${p * ROW_HEIGHT}px`;
    return row;
  }

  /** Paints the sparklines of rows [first, last) where their rows are, on a canvas the size of the visible list. */
  private paint(first: number, last: number): void {
    const d = this.data;
    const s = this.scroller;
    const width = s.clientWidth;
    const height = s.clientHeight;
    const ratio = window.devicePixelRatio || 1;
    // The canvas covers the list's client area: inside its border, beside its scroll bar.
    this.canvas.style.left = `${s.clientLeft}px`;
    this.canvas.style.top = `${s.clientTop}px`;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.canvas.width = Math.max(1, Math.round(width * ratio));
    this.canvas.height = Math.max(1, Math.round(height * ratio));
    const ctx = this.canvas.getContext('2d');
    if (!ctx || !d) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    // The sparkline column is laid out by CSS; its place is read from a rendered row.
    const cell = this.spacer.querySelector<HTMLElement>('.neuron-spark');
    if (!cell) return;
    const sparkLeft = cell.getBoundingClientRect().left - s.getBoundingClientRect().left - s.clientLeft;
    const sparkWidth = cell.getBoundingClientRect().width;
    const colours = (this.colours ??= this.readColours());
    for (let p = first; p < last; p++) {
      const top = p * ROW_HEIGHT - s.scrollTop;
      if (top + ROW_HEIGHT < 0 || top > height) continue;
      paintSparkline(ctx, d, this.order[p]!, { x: sparkLeft, y: top + 3, width: sparkWidth, height: ROW_HEIGHT - 6 }, colours);
    }
  }

  private readColours(): SparklineColours {
    const theme = readThemeColours();
    return { positive: theme.red, negative: theme.blue, baseline: withAlpha(theme.muted, 0.45) };
  }

  private key(e: KeyboardEvent): void {
    if (!this.data || this.order.length === 0) return;
    const visibleRows = Math.max(1, Math.floor(this.scroller.clientHeight / ROW_HEIGHT) - 1);
    const at = this.selected !== undefined && this.selected < this.position.length ? this.position[this.selected]! : -1;
    const moves: Record<string, number> = {
      ArrowDown: at + 1,
      ArrowUp: at < 0 ? 0 : at - 1,
      PageDown: at + visibleRows,
      PageUp: at - visibleRows,
      Home: 0,
      End: this.order.length - 1,
    };
    const target = moves[e.key];
    if (target === undefined) return;
    e.preventDefault();
    this.pick(this.order[Math.max(0, Math.min(this.order.length - 1, target))]!);
  }

  private pick(neuron: number): void {
    this.reveal(neuron);
    this.setSelected(neuron);
    this.onSelect(neuron);
  }
}
