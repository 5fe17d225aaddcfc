import type { HistoryData } from '../../src/shared/panelMessages';
import { h } from '../shared/createElement';
import { DIVERGING_STEPS, type DivergingColourMap } from '../shared/divergingColourMap';
import { formatCount, formatValue } from '../shared/numberFormat';
import { visibleWhitespace } from '../shared/visibleWhitespace';

/**
 * Geometry in CSS pixels: a margin of step labels, then one lane of token cells per checkpoint,
 * oldest at the top. Cells are whole pixels wide so every token keeps its own column.
 */
export const LABEL_WIDTH = 76;
export const ROW_HEIGHT = 16;
export const ROW_GAP = 4;
const MAX_CELL = 12;
const MIN_CELL = 1;

export interface SmallMultiplesColours {
  palette: DivergingColourMap;
  background: string;
  foreground: string;
  focus: string;
  fontFamily: string;
}

export interface SmallMultiplesCallbacks {
  /** A lane was clicked, or chosen with the arrow keys. */
  select(row: number): void;
}

/**
 * Every checkpoint at once: one heatmap lane of the tokens per checkpoint, all on the same colour
 * scale so that they compare, the selected checkpoint outlined. It is drawn whole (a history is a
 * few dozen rows of at most a few thousand tokens) and scrolls sideways when wider than the view,
 * so the PNG export holds every cell.
 */
export class SmallMultiples {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly scroller: HTMLElement;
  private readonly readout: HTMLElement;
  private data: HistoryData | undefined;
  private steps: Int16Array = new Int16Array(0);
  private selected = 0;
  private cell = MAX_CELL;
  private colours: SmallMultiplesColours;

  constructor(colours: SmallMultiplesColours, callbacks: SmallMultiplesCallbacks) {
    this.colours = colours;
    this.canvas = h('canvas', {
      id: 'multiples',
      role: 'img',
      tabindex: 0,
      'aria-label': 'The neuron at every checkpoint, one lane per checkpoint; the arrow keys choose a checkpoint',
    });
    this.scroller = h('div', { class: 'multiples-scroller' }, this.canvas);
    this.readout = h(
      'p',
      { class: 'readout', 'aria-live': 'polite' },
      'Hover a cell to see its token and value; click a lane to show it above.',
    );
    this.element = h('div', { class: 'multiples' }, this.scroller, this.readout);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e.offsetX, e.offsetY));
    this.canvas.addEventListener('click', (e) => {
      const row = this.rowAt(e.offsetY);
      if (row !== undefined) callbacks.select(row);
    });
    this.canvas.addEventListener('keydown', (e) => {
      const rows = this.data?.rows.length ?? 0;
      if (rows === 0) return;
      const next =
        e.key === 'ArrowUp'
          ? this.selected - 1
          : e.key === 'ArrowDown'
            ? this.selected + 1
            : e.key === 'Home'
              ? 0
              : e.key === 'End'
                ? rows - 1
                : undefined;
      if (next === undefined) return;
      e.preventDefault();
      callbacks.select(Math.max(0, Math.min(rows - 1, next)));
    });
    new ResizeObserver(() => this.layout()).observe(this.scroller);
  }

  /** `steps`: the palette step of every value, rows × tokens as in data.values. */
  show(data: HistoryData, steps: Int16Array, selected: number): void {
    this.data = data;
    this.steps = steps;
    this.selected = selected;
    this.layout();
  }

  select(row: number): void {
    this.selected = row;
    this.draw();
  }

  setColours(colours: SmallMultiplesColours): void {
    this.colours = colours;
    this.draw();
  }

  /** Pixels per token. */
  get cellWidth(): number {
    return this.cell;
  }

  private layout(): void {
    const n = this.data?.tokens.length ?? 0;
    const available = this.scroller.clientWidth - LABEL_WIDTH;
    this.cell = n > 0 ? Math.max(MIN_CELL, Math.min(MAX_CELL, Math.floor(available / n))) : MAX_CELL;
    this.draw();
  }

  private rowAt(y: number): number | undefined {
    const rows = this.data?.rows.length ?? 0;
    const row = Math.floor((y - ROW_GAP / 2) / (ROW_HEIGHT + ROW_GAP));
    return row >= 0 && row < rows ? row : undefined;
  }

  private hover(x: number, y: number): void {
    const d = this.data;
    const row = this.rowAt(y);
    const t = Math.floor((x - LABEL_WIDTH) / this.cell);
    if (!d || row === undefined || x < LABEL_WIDTH || t >= d.tokens.length) return;
    const value = d.values[row * d.tokens.length + t]!;
    this.readout.textContent = `step ${formatCount(d.rows[row]!.step)} · token ${t}: ${visibleWhitespace(d.tokens[t]!)} · ${formatValue(value)}`;
  }

  draw(): void {
    const d = this.data;
    const n = d?.tokens.length ?? 0;
    const rows = d?.rows.length ?? 0;
    // Two pixels more on the right for the outline of the selected lane.
    const width = LABEL_WIDTH + n * this.cell + 2;
    const height = rows * (ROW_HEIGHT + ROW_GAP) + ROW_GAP;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.canvas.width = Math.max(1, Math.round(width * ratio));
    this.canvas.height = Math.max(1, Math.round(height * ratio));
    const ctx = this.canvas.getContext('2d');
    if (!ctx || !d) return;
    const c = this.colours;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = c.background;
    ctx.fillRect(0, 0, width, height);
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    // Cells wider than a few pixels get a hairline gap so neighbouring tokens stay distinguishable.
    const gap = this.cell >= 4 ? 1 : 0;
    for (let r = 0; r < rows; r++) {
      const y = ROW_GAP + r * (ROW_HEIGHT + ROW_GAP);
      const chosen = r === this.selected;
      ctx.font = `${chosen ? 'bold ' : ''}11px ${c.fontFamily}`;
      ctx.fillStyle = c.foreground;
      const row = d.rows[r]!;
      ctx.fillText(`${row.source === 'model' ? 'final ' : 'step '}${formatCount(row.step)}`, LABEL_WIDTH - 6, y + ROW_HEIGHT / 2);
      const base = r * n;
      for (let t = 0; t < n; t++) {
        ctx.fillStyle = c.palette.css(this.steps[base + t]! / DIVERGING_STEPS);
        ctx.fillRect(LABEL_WIDTH + t * this.cell, y, this.cell - gap, ROW_HEIGHT);
      }
      if (chosen) {
        // The outline sits in the gaps around the lane, leaving its cells' colours as they are.
        ctx.strokeStyle = c.focus;
        ctx.lineWidth = 2;
        ctx.strokeRect(LABEL_WIDTH - 1, y - 1, n * this.cell + 2 - gap, ROW_HEIGHT + 2);
        ctx.fillStyle = c.focus;
        ctx.fillRect(0, y, 3, ROW_HEIGHT);
      }
    }
  }
}
