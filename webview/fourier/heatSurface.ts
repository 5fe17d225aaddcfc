import type { SpectraData } from '../../src/shared/panelMessages';
import { linearTicks } from '../shared/axisTicks';
import { VIRIDIS_RGBA, colourCss, colourIndex } from '../shared/sequentialColourMap';
import { type ThemeColours, withAlpha } from '../shared/themeColours';
import { type ColourScale, spectrumColourScale } from './spectrumColourScale';

export interface HeatSurfaceView {
  data: SpectraData;
  band: [number, number];
  selectedRow: number | undefined;
  log: boolean;
  theme: ThemeColours;
}

export interface HeatSurfaceEvents {
  selectRow(row: number): void;
  /** Called while the band is dragged (`final` false) and once when it is released (`final` true). */
  changeBand(band: [number, number], final: boolean): void;
  hover(cell: { row: number; bin: number } | undefined): void;
}

interface Layout {
  left: number;
  top: number;
  width: number;
  height: number;
  /** The band strip under the plot, the axis the band is dragged on. */
  stripTop: number;
  stripBottom: number;
  /** Frequencies at the plot's left and right edges: half a bin beyond the first and last bin centres. */
  d0: number;
  d1: number;
}

const MARGIN = { left: 64, top: 10, right: 104, bottom: 66 };
const STRIP = 14;
const GRAB = 6;

/** Rounds a dragged band edge: finer than 0.001 cycles/token means nothing on a screen-wide axis. */
const roundFrequency = (f: number): number => Math.round(Math.min(0.5, Math.max(0, f)) * 1000) / 1000;

/**
 * The neurons × frequency heat surface: one row per neuron, frequency 0–0.5 cycles/token across,
 * colour = power (or amplitude), the band of interest outlined on the bins it covers and editable
 * by dragging on the strip under the plot, a colour legend with numbers on the right. Drawn on a
 * canvas because a thousand neurons × thousands of bins would be millions of DOM or chart.js
 * elements; when there are more bins or neurons than device pixels, each pixel shows the maximum
 * of the cells it covers, so a narrow peak never disappears between pixels.
 */
export class HeatSurface {
  private view: HeatSurfaceView | undefined;
  private layout: Layout | undefined;
  private scale: ColourScale | undefined;
  private image: { key: string; data: SpectraData; canvas: HTMLCanvasElement } | undefined;
  private drag: { edge: 'lo' | 'hi' | 'new'; anchor: number; band: [number, number] } | undefined;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly events: HeatSurfaceEvents,
  ) {
    canvas.addEventListener('pointerdown', (e) => this.pointerDown(e));
    canvas.addEventListener('pointermove', (e) => this.pointerMove(e));
    canvas.addEventListener('pointerup', (e) => this.pointerUp(e));
    canvas.addEventListener('pointerleave', () => this.events.hover(undefined));
    canvas.addEventListener('keydown', (e) => this.keyDown(e));
  }

  render(view: HeatSurfaceView): void {
    if (this.view?.data !== view.data || this.view.log !== view.log) this.scale = spectrumColourScale(view.data.values, view.log);
    this.view = view;
    const { data, theme } = view;
    const rows = data.neurons.length;
    const bins = data.frequencies.length;
    const cssWidth = Math.max(320, this.canvas.parentElement?.clientWidth ?? 640);
    const plotHeight = Math.round(Math.min(520, Math.max(150, rows * 18)));
    const cssHeight = plotHeight + MARGIN.top + MARGIN.bottom;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.style.width = `${cssWidth}px`;
    this.canvas.style.height = `${cssHeight}px`;
    this.canvas.width = Math.round(cssWidth * dpr);
    this.canvas.height = Math.round(cssHeight * dpr);

    const df = bins > 1 ? data.frequencies[1]! - data.frequencies[0]! : 0.5;
    const plotTop = MARGIN.top;
    const plotBottom = plotTop + plotHeight;
    const l: Layout = {
      left: MARGIN.left,
      top: plotTop,
      width: cssWidth - MARGIN.left - MARGIN.right,
      height: plotHeight,
      stripTop: plotBottom + 3,
      stripBottom: plotBottom + 3 + STRIP,
      d0: data.frequencies[0]! - df / 2,
      d1: data.frequencies[bins - 1]! + df / 2,
    };
    this.layout = l;
    this.canvas.dataset.plot = [l.left, l.top, l.width, l.height].join(',');

    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssWidth, cssHeight);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.cells(Math.round(l.width * dpr), Math.round(l.height * dpr)), l.left, l.top, l.width, l.height);

    ctx.font = `${Math.max(11, theme.fontSize - 1)}px ${theme.fontFamily}`;
    this.drawSelection(ctx, l, theme);
    this.drawBand(ctx, l, theme);
    this.drawFrequencyAxis(ctx, l, theme);
    this.drawNeuronAxis(ctx, l, theme);
    this.drawLegend(ctx, l, theme);
  }

  private x(f: number): number {
    const l = this.layout!;
    return l.left + ((f - l.d0) / (l.d1 - l.d0)) * l.width;
  }

  private frequencyAt(x: number): number {
    const l = this.layout!;
    return l.d0 + ((x - l.left) / l.width) * (l.d1 - l.d0);
  }

  private rowAt(y: number): number | undefined {
    const l = this.layout;
    const rows = this.view?.data.neurons.length ?? 0;
    if (!l || y < l.top || y >= l.top + l.height) return undefined;
    return Math.min(rows - 1, Math.floor(((y - l.top) / l.height) * rows));
  }

  /** The cells as an image of at most one cell per device pixel, rebuilt only when data, scale or size change. */
  private cells(maxWidth: number, maxHeight: number): HTMLCanvasElement {
    const { data, log } = this.view!;
    const rows = data.neurons.length;
    const bins = data.frequencies.length;
    const w = Math.max(1, Math.min(bins, maxWidth));
    const h = Math.max(1, Math.min(rows, maxHeight));
    const key = `${log}:${w}x${h}`;
    if (this.image?.data === data && this.image.key === key) return this.image.canvas;

    const { d0, d1 } = this.layout!;
    const column = new Int32Array(bins);
    for (let k = 0; k < bins; k++) column[k] = Math.min(w - 1, Math.max(0, Math.floor(((data.frequencies[k]! - d0) / (d1 - d0)) * w)));
    const pooled = new Float32Array(w * h).fill(0);
    const position = this.scale!.position;
    for (let r = 0; r < rows; r++) {
      const y = Math.floor((r * h) / rows);
      for (let k = 0; k < bins; k++) {
        const p = position(data.values[r * bins + k]!);
        const i = y * w + column[k]!;
        if (p > pooled[i]!) pooled[i] = p;
      }
    }
    const canvas = this.image?.canvas ?? document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext('2d')!;
    const pixels = ctx.createImageData(w, h);
    for (let i = 0; i < w * h; i++) {
      const c = colourIndex(pooled[i]!) * 4;
      pixels.data.set(VIRIDIS_RGBA.subarray(c, c + 4), i * 4);
    }
    ctx.putImageData(pixels, 0, 0);
    this.image = { key, data, canvas };
    return canvas;
  }

  private drawSelection(ctx: CanvasRenderingContext2D, l: Layout, theme: ThemeColours): void {
    const { selectedRow, data } = this.view!;
    if (selectedRow === undefined) return;
    const rows = data.neurons.length;
    const top = l.top + (selectedRow * l.height) / rows;
    const height = Math.max(2, l.height / rows);
    ctx.strokeStyle = theme.foreground;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(l.left - 0.75, top - 0.75, l.width + 1.5, height + 1.5);
    // A marker in the margin keeps the selection visible when rows are a pixel or two tall.
    ctx.fillStyle = theme.foreground;
    ctx.beginPath();
    ctx.moveTo(l.left - 2, top + height / 2);
    ctx.lineTo(l.left - 8, top + height / 2 - 4);
    ctx.lineTo(l.left - 8, top + height / 2 + 4);
    ctx.fill();
  }

  /** The outline covers exactly the bins the ranking sums (lo ≤ f ≤ hi); the strip shows the band as typed or dragged. */
  private drawBand(ctx: CanvasRenderingContext2D, l: Layout, theme: ThemeColours): void {
    const { band, data } = this.view!;
    const f = data.frequencies;
    let first = -1;
    let last = -1;
    for (let k = 0; k < f.length; k++) {
      if (f[k]! >= band[0] && f[k]! <= band[1]) {
        if (first < 0) first = k;
        last = k;
      }
    }
    const half = l.width / f.length / 2;
    const x0 = first >= 0 ? this.x(f[first]!) - half : this.x(band[0]);
    const x1 = first >= 0 ? this.x(f[last]!) + half : this.x(band[1]);
    ctx.strokeStyle = theme.focus;
    ctx.lineWidth = 2;
    ctx.setLineDash([6, 3]);
    ctx.strokeRect(x0, l.top - 1, Math.max(1, x1 - x0), l.height + 2);
    ctx.setLineDash([]);

    ctx.fillStyle = withAlpha(theme.muted, 0.25);
    ctx.fillRect(l.left, l.stripTop, l.width, STRIP);
    const s0 = this.x(band[0]);
    const s1 = this.x(band[1]);
    ctx.fillStyle = withAlpha(theme.focus, 0.55);
    ctx.fillRect(s0, l.stripTop, Math.max(2, s1 - s0), STRIP);
    ctx.fillStyle = theme.focus;
    for (const sx of [s0, s1]) ctx.fillRect(sx - 2, l.stripTop - 2, 4, STRIP + 4);
  }

  private drawFrequencyAxis(ctx: CanvasRenderingContext2D, l: Layout, theme: ThemeColours): void {
    const ticks = linearTicks(0, 0.5, Math.max(2, Math.floor(l.width / 70)), (v) => String(Number(v.toFixed(3))));
    ctx.strokeStyle = theme.muted;
    ctx.fillStyle = theme.foreground;
    ctx.lineWidth = 1;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const tickTop = l.stripBottom + 2;
    for (const t of ticks) {
      const x = Math.round(this.x(t.value)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, tickTop);
      ctx.lineTo(x, tickTop + 4);
      ctx.stroke();
      ctx.fillText(t.label, x, tickTop + 6);
    }
    ctx.fillStyle = theme.muted;
    ctx.fillText('frequency (cycles per token) · drag on the strip to set the band', l.left + l.width / 2, tickTop + 26);
  }

  private drawNeuronAxis(ctx: CanvasRenderingContext2D, l: Layout, theme: ThemeColours): void {
    const { neurons } = this.view!.data;
    const rows = neurons.length;
    const rowHeight = l.height / rows;
    const every = Math.max(1, Math.ceil(16 / rowHeight));
    ctx.fillStyle = theme.foreground;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let r = 0; r < rows; r += every) ctx.fillText(String(neurons[r]), l.left - 10, l.top + (r + 0.5) * rowHeight);
    ctx.save();
    ctx.translate(14, l.top + l.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillStyle = theme.muted;
    ctx.fillText('neuron', 0, 0);
    ctx.restore();
  }

  private drawLegend(ctx: CanvasRenderingContext2D, l: Layout, theme: ThemeColours): void {
    const scale = this.scale!;
    const x = l.left + l.width + 22;
    const barWidth = 14;
    for (let y = 0; y < l.height; y++) {
      ctx.fillStyle = colourCss(1 - y / Math.max(1, l.height - 1));
      ctx.fillRect(x, l.top + y, barWidth, 1);
    }
    ctx.strokeStyle = theme.muted;
    ctx.lineWidth = 1;
    ctx.strokeRect(x - 0.5, l.top - 0.5, barWidth + 1, l.height + 1);
    ctx.fillStyle = theme.foreground;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    let widest = 0;
    for (const t of scale.ticks) {
      const y = l.top + (1 - t.position) * l.height;
      ctx.fillRect(x + barWidth, Math.round(y), 4, 1);
      ctx.fillText(t.label, x + barWidth + 7, y);
      widest = Math.max(widest, ctx.measureText(t.label).width);
    }
    ctx.save();
    ctx.translate(Math.min(l.left + l.width + MARGIN.right - 8, x + barWidth + 7 + widest + 12), l.top + l.height / 2);
    ctx.rotate(Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillStyle = theme.muted;
    ctx.fillText(`${this.view!.data.scale}${scale.log ? ' (log scale)' : ''}`, 0, 0);
    ctx.restore();
  }

  private local(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  /** Which band edge, if any, is under the pointer: the strip grabs the edges as typed, the plot the outline. */
  private edgeAt(p: { x: number; y: number }): 'lo' | 'hi' | undefined {
    const l = this.layout;
    const band = this.view?.band;
    if (!l || !band) return undefined;
    const near = (x: number): boolean => Math.abs(p.x - x) <= GRAB;
    if (near(this.x(band[0]))) return 'lo';
    if (near(this.x(band[1]))) return 'hi';
    return undefined;
  }

  private inStrip(p: { x: number; y: number }): boolean {
    const l = this.layout!;
    return p.y >= l.stripTop - 3 && p.y <= l.stripBottom + 3 && p.x >= l.left - GRAB && p.x <= l.left + l.width + GRAB;
  }

  private pointerDown(e: PointerEvent): void {
    if (!this.layout || !this.view) return;
    const p = this.local(e);
    const edge = this.edgeAt(p);
    const inPlot = p.x >= this.layout.left && p.x <= this.layout.left + this.layout.width;
    if ((edge && (this.inStrip(p) || this.rowAt(p.y) !== undefined)) || this.inStrip(p)) {
      const f = roundFrequency(this.frequencyAt(p.x));
      this.drag = { edge: edge ?? 'new', anchor: f, band: edge ? [...this.view.band] : [f, f] };
      this.canvas.setPointerCapture(e.pointerId);
      // No text selection while dragging; focus moves here explicitly (preventDefault stops the default move).
      e.preventDefault();
      this.canvas.focus();
      return;
    }
    const row = this.rowAt(p.y);
    if (row !== undefined && inPlot) {
      this.canvas.focus();
      this.events.selectRow(row);
    }
  }

  private pointerMove(e: PointerEvent): void {
    if (!this.layout || !this.view) return;
    const p = this.local(e);
    if (this.drag) {
      const f = roundFrequency(this.frequencyAt(p.x));
      const [lo, hi] = this.drag.band;
      const d = this.drag;
      d.band =
        d.edge === 'lo' ? [Math.min(f, hi), hi] : d.edge === 'hi' ? [lo, Math.max(f, lo)] : [Math.min(d.anchor, f), Math.max(d.anchor, f)];
      this.events.changeBand(d.band, false);
      return;
    }
    const edge = this.edgeAt(p);
    const row = this.rowAt(p.y);
    const inPlot = p.x >= this.layout.left && p.x < this.layout.left + this.layout.width;
    this.canvas.style.cursor = edge && (this.inStrip(p) || row !== undefined) ? 'ew-resize' : this.inStrip(p) ? 'crosshair' : 'default';
    if (row === undefined || !inPlot) {
      this.events.hover(undefined);
      return;
    }
    const f = this.frequencyAt(p.x);
    const bins = this.view.data.frequencies.length;
    const df = (this.layout.d1 - this.layout.d0) / bins;
    this.events.hover({ row, bin: Math.min(bins - 1, Math.max(0, Math.round((f - this.view.data.frequencies[0]!) / df))) });
  }

  private pointerUp(e: PointerEvent): void {
    if (!this.drag) return;
    const band = this.drag.band;
    this.drag = undefined;
    this.canvas.releasePointerCapture(e.pointerId);
    this.events.changeBand(band, true);
  }

  private keyDown(e: KeyboardEvent): void {
    const view = this.view;
    if (!view || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
    const rows = view.data.neurons.length;
    const current = view.selectedRow ?? -1;
    this.events.selectRow(Math.min(rows - 1, Math.max(0, current + (e.key === 'ArrowUp' ? -1 : 1))));
    e.preventDefault();
  }
}
