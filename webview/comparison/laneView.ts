import type { ComparisonData } from '../../src/shared/panelMessages';
import { activationScale, quantise } from '../heatmap/activationScale';
import { h } from '../shared/createElement';
import { DIVERGING_STEPS, type DivergingColourMap } from '../shared/divergingColourMap';
import { formatValue } from '../shared/numberFormat';
import { visibleWhitespace } from '../shared/visibleWhitespace';

/** Lane geometry in CSS pixels: each lane is a row of token cells, the second below the first. */
export const LANE_HEIGHT = 28;
export const LANE_GAP = 6;
const MIN_CELL = 1;
const MAX_CELL = 48;
const DEFAULT_CELL = 10;

export interface LaneCallbacks {
  /** A cell was clicked: reveal its token in the editor. */
  reveal(token: number): void;
}

/**
 * The two neurons as two colour lanes over the same tokens, in the heatmap's diverging palette,
 * each on its own component's scale. Long texts scroll horizontally and Ctrl+wheel zooms; the
 * canvas is only as wide as the view and draws the scrolled-to window, so a 100,000-token text
 * costs no more than a short one.
 */
export class LaneView {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly readout: HTMLElement;
  private data: ComparisonData | undefined;
  private steps: [Int16Array, Int16Array] = [new Int16Array(0), new Int16Array(0)];
  private colours: DivergingColourMap;
  private background: string;
  private cell = DEFAULT_CELL;

  constructor(colours: DivergingColourMap, background: string, callbacks: LaneCallbacks) {
    this.colours = colours;
    this.background = background;
    this.canvas = h('canvas', { id: 'lanes', role: 'img', 'aria-label': 'The two neurons over the tokens, one lane each' });
    this.spacer = h('div', { class: 'lane-spacer' });
    this.scroller = h('div', { class: 'lane-scroller', tabindex: 0 }, this.canvas, this.spacer);
    this.readout = h('p', { class: 'readout', 'aria-live': 'polite' }, 'Hover a cell to see its token; click it to show it in the editor.');
    this.element = h('section', { class: 'lanes' }, this.scroller, this.readout);
    this.scroller.addEventListener('scroll', () => this.draw());
    this.scroller.addEventListener(
      'wheel',
      (e) => {
        if (!e.ctrlKey || !this.data) return;
        e.preventDefault();
        this.zoom(e.deltaY < 0 ? 1.25 : 0.8, e.offsetX);
      },
      { passive: false },
    );
    this.canvas.addEventListener('mousemove', (e) => this.hover(e.offsetX, e.offsetY));
    this.canvas.addEventListener('mouseleave', () => this.hover(-1, -1));
    this.canvas.addEventListener('click', (e) => {
      const t = this.tokenAt(e.offsetX);
      if (t !== undefined) callbacks.reveal(t);
    });
    new ResizeObserver(() => this.draw()).observe(this.scroller);
  }

  show(data: ComparisonData): void {
    this.data = data;
    this.steps = [quantise(data.a.values, activationScale(data.a)), quantise(data.b.values, activationScale(data.b))];
    this.spacer.style.width = `${data.tokens.length * this.cell}px`;
    this.draw();
  }

  setColours(colours: DivergingColourMap, background: string): void {
    this.colours = colours;
    this.background = background;
    this.draw();
  }

  /** Pixels per token. */
  get cellWidth(): number {
    return this.cell;
  }

  /** Scales the cells by `factor`, keeping the token under `anchorX` (a canvas x) in place. */
  zoom(factor: number, anchorX: number): void {
    const next = Math.min(MAX_CELL, Math.max(MIN_CELL, this.cell * factor));
    if (!this.data || next === this.cell) return;
    const token = (this.scroller.scrollLeft + anchorX) / this.cell;
    this.cell = next;
    this.spacer.style.width = `${this.data.tokens.length * next}px`;
    this.scroller.scrollLeft = token * next - anchorX;
    this.draw();
  }

  private tokenAt(x: number): number | undefined {
    if (!this.data || x < 0) return undefined;
    const t = Math.floor((this.scroller.scrollLeft + x) / this.cell);
    return t < this.data.tokens.length ? t : undefined;
  }

  private hover(x: number, y: number): void {
    const d = this.data;
    const t = this.tokenAt(x);
    if (!d || t === undefined || y < 0) return;
    const lane = y < LANE_HEIGHT + LANE_GAP / 2 ? 0 : 1;
    const [first, second] = lane === 0 ? [d.a, d.b] : [d.b, d.a];
    this.readout.textContent = `token ${t}: ${visibleWhitespace(d.tokens[t]!)} · ${first.label} ${formatValue(first.values[t]!)} · ${second.label} ${formatValue(second.values[t]!)}`;
  }

  draw(): void {
    const width = this.scroller.clientWidth;
    const height = 2 * LANE_HEIGHT + LANE_GAP;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.canvas.width = Math.max(1, Math.round(width * ratio));
    this.canvas.height = Math.round(height * ratio);
    const ctx = this.canvas.getContext('2d');
    const d = this.data;
    if (!ctx || !d) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = this.background;
    ctx.fillRect(0, 0, width, height);
    const scroll = this.scroller.scrollLeft;
    const from = Math.max(0, Math.floor(scroll / this.cell));
    const to = Math.min(d.tokens.length, Math.ceil((scroll + width) / this.cell));
    // Cells wider than a few pixels get a hairline gap so neighbouring tokens stay distinguishable.
    const gap = this.cell >= 4 ? 1 : 0;
    this.steps.forEach((steps, lane) => {
      const y = lane * (LANE_HEIGHT + LANE_GAP);
      for (let t = from; t < to; t++) {
        ctx.fillStyle = this.colours.css(steps[t]! / DIVERGING_STEPS);
        ctx.fillRect(t * this.cell - scroll, y, this.cell - gap, LANE_HEIGHT);
      }
    });
  }
}
