import { withAlpha } from '../shared/themeColours';
import type { HeatmapImage } from './heatmapImage';
import { el } from './element';
import { type AxisView, NEURON_AXIS_WIDTH, TOKEN_AXIS_HEIGHT, drawNeuronAxis, drawTokenAxis } from './heatmapAxes';
import type { HeatmapTheme } from './heatmapTheme';

/** A position in the heatmap: token column and neuron row (rows follow the current sort). */
export interface Cell {
  column: number;
  row: number;
}

/** What the pointer is over: a cell, a token on the axis (row undefined) or a neuron row label (column undefined). */
export type HoverTarget = { column: number; row: number } | { column: number; row?: undefined } | { column?: undefined; row: number };

export interface HeatmapViewEvents {
  hover(target: HoverTarget | undefined, clientX: number, clientY: number): void;
  /** The keyboard cursor moved (for screen readers). */
  cursor(cell: Cell): void;
  neuronClick(row: number): void;
  tokenClick(column: number): void;
  /** Zoom or scroll changed: the view state must be saved. */
  viewChange(): void;
}

export interface HeatmapContent {
  tokens: readonly string[];
  firstToken: number;
  units: number;
  /** Row r shows neuron order[r]. */
  order: Uint32Array;
  image: HeatmapImage;
}

export interface Viewport {
  cellWidth: number;
  cellHeight: number;
  scrollColumn: number;
  scrollRow: number;
}

const MAX_CELL_WIDTH = 64;
const MAX_CELL_HEIGHT = 48;
/** Beyond this many pixels a scroll area stops growing in Chromium; zoom is capped to stay below. */
const MAX_SCROLL_EXTENT = 16_000_000;

/**
 * The neurons × tokens canvas with its two axes. A native scroll area (an empty element as large
 * as the whole heatmap) provides scrollbars, wheel, touch and keyboard scrolling; the canvas above
 * it is only as large as the panel and redraws the visible window in one animation frame from
 * the pre-built images (HeatmapImage), so cost does not grow with the document.
 */
export class HeatmapView {
  readonly element: HTMLElement;
  private readonly scroller: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly tokenAxis: HTMLCanvasElement;
  private readonly neuronAxis: HTMLCanvasElement;
  private content: HeatmapContent | undefined;
  private rowOfNeuron = new Uint32Array(0);
  private cellWidth = 0;
  private cellHeight = 0;
  private hovered: HoverTarget | undefined;
  private cursorCell: Cell | undefined;
  private selected: number | undefined;
  private frame = 0;
  private renders = 0;
  private drag: { x: number; y: number; left: number; top: number; id: number; moved: boolean } | undefined;
  /** Where the pointer rests over the cells: the cell under it changes when the view scrolls. */
  private pointer: { clientX: number; clientY: number } | undefined;

  constructor(
    private theme: HeatmapTheme,
    private readonly events: HeatmapViewEvents,
  ) {
    this.element = el('div', 'heatmap-grid');
    const corner = el('div', 'corner');
    corner.append(el('span', 'corner-neurons', 'neuron ↓'), el('span', 'corner-tokens', 'token →'));
    this.tokenAxis = el('canvas', 'token-axis');
    this.neuronAxis = el('canvas', 'neuron-axis');
    const cells = el('div', 'cells');
    this.scroller = el('div', 'scroller');
    this.scroller.tabIndex = 0;
    this.scroller.setAttribute('role', 'application');
    this.scroller.setAttribute(
      'aria-label',
      'Activation heatmap, tokens across, neurons down. Arrow keys move the cursor, Enter highlights its neuron in the editor, ' +
        'Shift+Enter reveals its token, plus and minus zoom the tokens.',
    );
    this.spacer = el('div', 'spacer');
    this.canvas = el('canvas', 'cells-canvas');
    this.canvas.setAttribute('aria-hidden', 'true');
    this.scroller.append(this.spacer);
    cells.append(this.scroller, this.canvas);
    this.element.append(corner, this.tokenAxis, this.neuronAxis, cells);
    this.listen();
    new ResizeObserver(() => {
      this.clampZoom();
      this.requestDraw();
    }).observe(cells);
  }

  get viewport(): Viewport {
    return {
      cellWidth: this.cellWidth,
      cellHeight: this.cellHeight,
      scrollColumn: this.cellWidth ? this.scroller.scrollLeft / this.cellWidth : 0,
      scrollRow: this.cellHeight ? this.scroller.scrollTop / this.cellHeight : 0,
    };
  }

  get hasContent(): boolean {
    return this.content !== undefined;
  }

  /** New data or a new sort; the viewport is kept when given (restored state), else fitted on first data. */
  setContent(content: HeatmapContent, viewport?: Viewport): void {
    const first = !this.content;
    this.content = content;
    this.rowOfNeuron = new Uint32Array(content.units);
    content.order.forEach((n, r) => (this.rowOfNeuron[n] = r));
    if (this.cursorCell && (this.cursorCell.column >= content.tokens.length || this.cursorCell.row >= content.units))
      this.cursorCell = undefined;
    if (viewport && viewport.cellWidth > 0 && viewport.cellHeight > 0) this.setViewport(viewport);
    else if (first || !this.cellWidth) this.fit();
    else this.setViewport(this.viewport);
    this.requestDraw();
  }

  setTheme(theme: HeatmapTheme): void {
    this.theme = theme;
    this.requestDraw();
  }

  setSelectedNeuron(neuron: number | undefined, scrollIntoView = false): void {
    this.selected = neuron;
    if (scrollIntoView && neuron !== undefined && this.content && neuron < this.content.units) {
      const row = this.rowOfNeuron[neuron]!;
      const top = row * this.cellHeight;
      const view = this.scroller.clientHeight;
      if (top < this.scroller.scrollTop || top + this.cellHeight > this.scroller.scrollTop + view) {
        this.scroller.scrollTop = top - view / 2;
      }
    }
    this.requestDraw();
  }

  setViewport(v: Viewport): void {
    this.cellWidth = v.cellWidth;
    this.cellHeight = v.cellHeight;
    this.clampZoom();
    this.scroller.scrollLeft = v.scrollColumn * this.cellWidth;
    this.scroller.scrollTop = v.scrollRow * this.cellHeight;
    this.requestDraw();
  }

  /** Everything in view, within readable limits for short texts and few neurons. */
  fit(): void {
    if (!this.content) return;
    const { width, height } = this.viewSize();
    this.cellWidth = Math.min(16, width / Math.max(1, this.content.tokens.length));
    this.cellHeight = Math.min(24, height / Math.max(1, this.content.units));
    this.clampZoom();
    this.scroller.scrollLeft = 0;
    this.scroller.scrollTop = 0;
    this.requestDraw();
    this.events.viewChange();
  }

  /** Zooms the token axis by `factor`, keeping the token under `anchor` (CSS px from the left of the cells) in place. */
  zoomTokens(factor: number, anchor = this.scroller.clientWidth / 2): void {
    const at = (this.scroller.scrollLeft + anchor) / this.cellWidth;
    this.cellWidth *= factor;
    this.clampZoom();
    this.scroller.scrollLeft = at * this.cellWidth - anchor;
    this.requestDraw();
    this.events.viewChange();
  }

  zoomNeurons(factor: number, anchor = this.scroller.clientHeight / 2): void {
    const at = (this.scroller.scrollTop + anchor) / this.cellHeight;
    this.cellHeight *= factor;
    this.clampZoom();
    this.scroller.scrollTop = at * this.cellHeight - anchor;
    this.requestDraw();
    this.events.viewChange();
  }

  requestDraw(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  /** The current view with its axes as one image (for PNG export), in device pixels, cropped to the data. */
  snapshot(): HTMLCanvasElement {
    const dpr = this.canvas.width / Math.max(1, this.scroller.clientWidth) || 1;
    const tokens = this.content?.tokens.length ?? 0;
    const units = this.content?.units ?? 0;
    const width = Math.min(this.canvas.width, Math.ceil((tokens * this.cellWidth - this.scroller.scrollLeft) * dpr));
    const height = Math.min(this.canvas.height, Math.ceil((units * this.cellHeight - this.scroller.scrollTop) * dpr));
    const left = Math.round(NEURON_AXIS_WIDTH * dpr);
    const top = Math.round(TOKEN_AXIS_HEIGHT * dpr);
    const out = document.createElement('canvas');
    out.width = left + Math.max(1, width);
    out.height = top + Math.max(1, height);
    const ctx = out.getContext('2d')!;
    ctx.fillStyle = this.theme.background;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(this.tokenAxis, left, 0);
    ctx.drawImage(this.neuronAxis, 0, top);
    ctx.drawImage(this.canvas, left, top);
    return out;
  }

  private viewSize(): { width: number; height: number } {
    return { width: Math.max(1, this.scroller.clientWidth), height: Math.max(1, this.scroller.clientHeight) };
  }

  /** Keeps zoom between "everything fits" (or 2 px a cell, if more is needed) and large cells. */
  private clampZoom(): void {
    if (!this.content) return;
    const { width, height } = this.viewSize();
    const tokens = Math.max(1, this.content.tokens.length);
    const units = Math.max(1, this.content.units);
    const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Number.isFinite(x) ? x : lo));
    this.cellWidth = clamp(this.cellWidth, Math.min(width / tokens, 2), Math.min(MAX_CELL_WIDTH, MAX_SCROLL_EXTENT / tokens));
    this.cellHeight = clamp(this.cellHeight, Math.min(height / units, 2), Math.min(MAX_CELL_HEIGHT, MAX_SCROLL_EXTENT / units));
    this.spacer.style.width = `${this.cellWidth * tokens}px`;
    this.spacer.style.height = `${this.cellHeight * units}px`;
  }

  private cellAt(x: number, y: number): Cell | undefined {
    if (!this.content || x < 0 || y < 0 || x >= this.scroller.clientWidth || y >= this.scroller.clientHeight) return undefined;
    const column = Math.floor((this.scroller.scrollLeft + x) / this.cellWidth);
    const row = Math.floor((this.scroller.scrollTop + y) / this.cellHeight);
    return column < this.content.tokens.length && row < this.content.units ? { column, row } : undefined;
  }

  private listen(): void {
    const s = this.scroller;
    const local = (e: MouseEvent, target: HTMLElement): { x: number; y: number } => {
      const r = target.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    s.addEventListener('scroll', () => {
      if (this.pointer && !this.drag) {
        const r = s.getBoundingClientRect();
        const { clientX, clientY } = this.pointer;
        this.setHover(this.cellAt(clientX - r.left, clientY - r.top), { clientX, clientY });
      }
      this.requestDraw();
      this.events.viewChange();
    });
    s.addEventListener(
      'wheel',
      (e) => {
        if (!e.ctrlKey && !e.metaKey) return;
        e.preventDefault();
        const { x, y } = local(e, s);
        const factor = wheelZoomFactor(e);
        if (e.shiftKey) this.zoomNeurons(factor, y);
        else this.zoomTokens(factor, x);
      },
      { passive: false },
    );
    s.addEventListener('pointerdown', (e) => {
      const { x, y } = local(e, s);
      // Presses on the scrollbars belong to them.
      if (e.button !== 0 || x >= s.clientWidth || y >= s.clientHeight) return;
      // No text selection or native drag: either would cancel the pointer mid-pan.
      e.preventDefault();
      s.focus({ preventScroll: true });
      this.drag = { x: e.clientX, y: e.clientY, left: s.scrollLeft, top: s.scrollTop, id: e.pointerId, moved: false };
    });
    s.addEventListener('pointermove', (e) => {
      const d = this.drag;
      if (d) {
        const dx = e.clientX - d.x;
        const dy = e.clientY - d.y;
        if (!d.moved && Math.hypot(dx, dy) > 4) {
          d.moved = true;
          s.setPointerCapture(d.id);
          s.classList.add('panning');
          this.setHover(undefined, e);
        }
        if (d.moved) {
          s.scrollLeft = d.left - dx;
          s.scrollTop = d.top - dy;
          return;
        }
      }
      const { x, y } = local(e, s);
      this.pointer = { clientX: e.clientX, clientY: e.clientY };
      this.setHover(this.cellAt(x, y), e);
    });
    const endDrag = (e: PointerEvent): void => {
      const d = this.drag;
      this.drag = undefined;
      s.classList.remove('panning');
      if (!d || d.moved || e.type !== 'pointerup') return;
      const { x, y } = local(e, s);
      const cell = this.cellAt(x, y);
      if (cell) {
        this.cursorCell = cell;
        this.events.neuronClick(cell.row);
      }
    };
    s.addEventListener('pointerup', endDrag);
    s.addEventListener('pointercancel', endDrag);
    s.addEventListener('pointerleave', (e) => {
      this.pointer = undefined;
      if (!this.drag) this.setHover(undefined, e);
    });
    s.addEventListener('dblclick', (e) => {
      const { x, y } = local(e, s);
      const cell = this.cellAt(x, y);
      if (cell) this.events.tokenClick(cell.column);
    });
    s.addEventListener('keydown', (e) => this.onKey(e));
    s.addEventListener('focus', () => this.requestDraw());
    s.addEventListener('blur', () => this.requestDraw());

    // The axes scroll and zoom their own dimension, and name the token or neuron under the pointer.
    const tokenColumn = (e: MouseEvent): number | undefined => {
      const { x } = local(e, this.tokenAxis);
      const column = Math.floor((s.scrollLeft + x) / this.cellWidth);
      return this.content && x >= 0 && x < s.clientWidth && column < this.content.tokens.length ? column : undefined;
    };
    const neuronRow = (e: MouseEvent): number | undefined => {
      const { y } = local(e, this.neuronAxis);
      const row = Math.floor((s.scrollTop + y) / this.cellHeight);
      return this.content && y >= 0 && y < s.clientHeight && row < this.content.units ? row : undefined;
    };
    this.tokenAxis.addEventListener('pointermove', (e) => {
      const column = tokenColumn(e);
      this.setHover(column === undefined ? undefined : { column }, e);
    });
    this.neuronAxis.addEventListener('pointermove', (e) => {
      const row = neuronRow(e);
      this.setHover(row === undefined ? undefined : { row }, e);
    });
    for (const axis of [this.tokenAxis, this.neuronAxis]) axis.addEventListener('pointerleave', (e) => this.setHover(undefined, e));
    this.tokenAxis.addEventListener('click', (e) => {
      const column = tokenColumn(e);
      if (column !== undefined) this.events.tokenClick(column);
    });
    this.neuronAxis.addEventListener('click', (e) => {
      const row = neuronRow(e);
      if (row !== undefined) this.events.neuronClick(row);
    });
    this.tokenAxis.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        if (e.ctrlKey || e.metaKey) this.zoomTokens(wheelZoomFactor(e), local(e, this.tokenAxis).x);
        else s.scrollLeft += e.deltaX || e.deltaY;
      },
      { passive: false },
    );
    this.neuronAxis.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        if (e.ctrlKey || e.metaKey) this.zoomNeurons(wheelZoomFactor(e), local(e, this.neuronAxis).y);
        else s.scrollTop += e.deltaY;
      },
      { passive: false },
    );
  }

  private setHover(target: HoverTarget | undefined, e: { clientX: number; clientY: number }): void {
    const same =
      target === this.hovered || (target && this.hovered && target.column === this.hovered.column && target.row === this.hovered.row);
    this.hovered = target;
    this.events.hover(target, e.clientX, e.clientY);
    if (!same) this.requestDraw();
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.content) return;
    const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const move = moves[e.key];
    if (move) {
      e.preventDefault();
      const start = this.cursorCell ?? this.cellAt(0, 0) ?? { column: 0, row: 0 };
      const cell = {
        column: Math.min(this.content.tokens.length - 1, Math.max(0, start.column + move[0] * (e.ctrlKey ? 10 : 1))),
        row: Math.min(this.content.units - 1, Math.max(0, start.row + move[1] * (e.ctrlKey ? 10 : 1))),
      };
      this.cursorCell = cell;
      this.scrollCellIntoView(cell);
      this.events.cursor(cell);
      this.requestDraw();
    } else if (e.key === 'Enter' && this.cursorCell) {
      e.preventDefault();
      if (e.shiftKey) this.events.tokenClick(this.cursorCell.column);
      else this.events.neuronClick(this.cursorCell.row);
    } else if (e.key === '+' || e.key === '=') {
      e.preventDefault();
      this.zoomTokens(2);
    } else if (e.key === '-' || e.key === '_') {
      e.preventDefault();
      this.zoomTokens(0.5);
    }
  }

  private scrollCellIntoView(cell: Cell): void {
    const s = this.scroller;
    const x = cell.column * this.cellWidth;
    const y = cell.row * this.cellHeight;
    if (x < s.scrollLeft) s.scrollLeft = x;
    else if (x + this.cellWidth > s.scrollLeft + s.clientWidth) s.scrollLeft = x + this.cellWidth - s.clientWidth;
    if (y < s.scrollTop) s.scrollTop = y;
    else if (y + this.cellHeight > s.scrollTop + s.clientHeight) s.scrollTop = y + this.cellHeight - s.clientHeight;
  }

  private draw(): void {
    this.frame = 0;
    const dpr = window.devicePixelRatio || 1;
    const { width, height } = this.viewSize();
    resize(this.canvas, width, height, dpr);
    resize(this.tokenAxis, width, TOKEN_AXIS_HEIGHT, dpr);
    resize(this.neuronAxis, NEURON_AXIS_WIDTH, height, dpr);
    this.drawCells(width, height, dpr);
    const axes: AxisView | undefined = this.content && {
      content: this.content,
      theme: this.theme,
      cellWidth: this.cellWidth,
      cellHeight: this.cellHeight,
      scrollLeft: this.scroller.scrollLeft,
      scrollTop: this.scroller.scrollTop,
      hovered: this.hovered,
      selectedRow: this.selected !== undefined && this.selected < this.content.units ? this.rowOfNeuron[this.selected] : undefined,
    };
    drawTokenAxis(this.tokenAxis, width, dpr, axes);
    drawNeuronAxis(this.neuronAxis, height, dpr, axes);
    // A render counter the tests (and anyone measuring) can wait on.
    document.body.dataset.rendered = String(++this.renders);
  }

  private drawCells(width: number, height: number, dpr: number): void {
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = this.theme.background;
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const content = this.content;
    if (!content) return;
    const left = this.scroller.scrollLeft;
    const top = this.scroller.scrollTop;
    // Pool just enough that every pooled cell is at least one device pixel wide and tall.
    const kx = this.cellWidth * dpr < 1 ? Math.ceil(Math.log2(1 / (this.cellWidth * dpr))) : 0;
    const ky = this.cellHeight * dpr < 1 ? Math.ceil(Math.log2(1 / (this.cellHeight * dpr))) : 0;
    const level = content.image.level(kx, ky);
    const pw = this.cellWidth * 2 ** kx;
    const ph = this.cellHeight * 2 ** ky;
    const c0 = Math.max(0, Math.floor(left / pw));
    const c1 = Math.min(level.columns, Math.ceil((left + width) / pw));
    const r0 = Math.max(0, Math.floor(top / ph));
    const r1 = Math.min(level.rows, Math.ceil((top + height) / ph));
    ctx.imageSmoothingEnabled = false;
    // Edges are snapped to device pixels so that tiles meet without seams.
    const dx = (c: number): number => Math.round((c * pw - left) * dpr);
    const dy = (r: number): number => Math.round((r * ph - top) * dpr);
    for (const tile of level.tiles) {
      const a = Math.max(c0, tile.column);
      const b = Math.min(c1, tile.column + tile.width);
      const c = Math.max(r0, tile.row);
      const d = Math.min(r1, tile.row + tile.height);
      if (a >= b || c >= d) continue;
      ctx.drawImage(tile.image, a - tile.column, c - tile.row, b - a, d - c, dx(a), dy(c), dx(b) - dx(a), dy(d) - dy(c));
    }
    ctx.scale(dpr, dpr);
    this.drawGaps(ctx, width, height);
    const rowRect = (row: number): [number, number, number, number] => [0, row * this.cellHeight - top, width, this.cellHeight];
    if (this.selected !== undefined && this.selected < content.units) {
      ctx.lineWidth = 2;
      ctx.strokeStyle = this.theme.focus;
      const [x, y, w, h] = rowRect(this.rowOfNeuron[this.selected]!);
      ctx.strokeRect(x + 1, y - 1, w - 2, h + 2);
    }
    const h = this.hovered;
    if (h?.column !== undefined && h.row !== undefined) {
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = this.theme.foreground;
      ctx.strokeRect(
        h.column * this.cellWidth - left - 0.75,
        h.row * this.cellHeight - top - 0.75,
        this.cellWidth + 1.5,
        this.cellHeight + 1.5,
      );
    } else if (h?.column !== undefined) {
      ctx.fillStyle = withAlpha(this.theme.foreground, 0.15);
      ctx.fillRect(h.column * this.cellWidth - left, 0, Math.max(1, this.cellWidth), height);
    } else if (h?.row !== undefined) {
      ctx.fillStyle = withAlpha(this.theme.foreground, 0.15);
      ctx.fillRect(0, h.row * this.cellHeight - top, width, Math.max(1, this.cellHeight));
    }
    if (this.cursorCell && document.activeElement === this.scroller) {
      const { column, row } = this.cursorCell;
      ctx.lineWidth = 2;
      ctx.setLineDash([3, 2]);
      ctx.strokeStyle = this.theme.focus;
      ctx.strokeRect(column * this.cellWidth - left - 1, row * this.cellHeight - top - 1, this.cellWidth + 2, this.cellHeight + 2);
      ctx.setLineDash([]);
    }
  }

  /** Thin background-coloured lines between large cells, so that neighbouring rows and tokens read as separate. */
  private drawGaps(ctx: CanvasRenderingContext2D, width: number, height: number): void {
    const content = this.content!;
    const { scrollLeft: left, scrollTop: top } = this.scroller;
    ctx.fillStyle = this.theme.background;
    if (this.cellWidth >= 8) {
      const last = Math.min(content.tokens.length, Math.ceil((left + width) / this.cellWidth));
      for (let t = Math.floor(left / this.cellWidth); t <= last; t++) ctx.fillRect(t * this.cellWidth - left - 0.5, 0, 1, height);
    }
    if (this.cellHeight >= 8) {
      const last = Math.min(content.units, Math.ceil((top + height) / this.cellHeight));
      for (let r = Math.floor(top / this.cellHeight); r <= last; r++) ctx.fillRect(0, r * this.cellHeight - top - 0.5, width, 1);
    }
  }
}

/** Pinch gestures arrive as ctrl+wheel with small deltas, mouse wheels as ±100 (or ±3 lines). */
function wheelZoomFactor(e: WheelEvent): number {
  const delta = (e.deltaY || e.deltaX) * (e.deltaMode === 1 ? 33 : 1);
  return Math.exp(-Math.max(-300, Math.min(300, delta)) * 0.003);
}

function resize(canvas: HTMLCanvasElement, width: number, height: number, dpr: number): void {
  const w = Math.max(1, Math.round(width * dpr));
  const h = Math.max(1, Math.round(height * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
}
