import { linearTicks } from '../shared/axisTicks';
import { withAlpha } from '../shared/themeColours';
import { visibleWhitespace } from '../shared/visibleWhitespace';
import { fitText } from './fitText';
import type { HeatmapTheme } from './heatmapTheme';
import type { HeatmapContent, HoverTarget } from './heatmapView';

/**
 * The heatmap's axes, redrawn with the cells each frame: tokens along the top (document indices at
 * round numbers, then the token text, across when it fits or turned upright when it does not),
 * neuron numbers down the left in the current sort order. Only the visible labels are drawn.
 */
export const TOKEN_AXIS_HEIGHT = 84;
export const NEURON_AXIS_WIDTH = 56;
const LABEL_FONT = 11;
/** Narrower than this, token text would overlap: the axis shows only token indices. */
const MIN_LABELLED_CELL = 3;

export interface AxisView {
  content: HeatmapContent;
  theme: HeatmapTheme;
  cellWidth: number;
  cellHeight: number;
  scrollLeft: number;
  scrollTop: number;
  hovered: HoverTarget | undefined;
  /** Row of the neuron highlighted in the editor. */
  selectedRow: number | undefined;
}

function context(canvas: HTMLCanvasElement, dpr: number): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  return ctx;
}

export function drawTokenAxis(canvas: HTMLCanvasElement, width: number, dpr: number, v: AxisView | undefined): void {
  const ctx = context(canvas, dpr);
  if (!v) return;
  const { content, theme, scrollLeft: left, cellWidth: w } = v;
  const first = Math.max(0, Math.floor(left / w));
  const last = Math.min(content.tokens.length - 1, Math.floor((left + width) / w));
  const centre = (column: number): number => (column + 0.5) * w - left;
  const hovered = v.hovered?.column;
  if (hovered !== undefined) {
    ctx.fillStyle = withAlpha(theme.focus, 0.35);
    ctx.fillRect(hovered * w - left, 0, Math.max(2, w), TOKEN_AXIS_HEIGHT);
  }

  // Document token indices at round numbers, kept inside the strip at its ends.
  ctx.font = `${LABEL_FONT - 1}px ${theme.fontFamily}`;
  ctx.fillStyle = theme.muted;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const tick of linearTicks(content.firstToken + first, content.firstToken + last, Math.max(2, Math.floor(width / 90)), String)) {
    if (!Number.isInteger(tick.value)) continue;
    const x = centre(tick.value - content.firstToken);
    const half = ctx.measureText(tick.label).width / 2;
    ctx.fillText(tick.label, Math.min(width - half - 1, Math.max(half + 1, x)), 2);
    ctx.fillRect(Math.round(x), 15, 1, 5);
  }

  const band = { top: 23, bottom: TOKEN_AXIS_HEIGHT - 4 };
  if (w < MIN_LABELLED_CELL) {
    ctx.font = `italic ${LABEL_FONT}px ${theme.fontFamily}`;
    ctx.textBaseline = 'middle';
    ctx.fillText('Ctrl+wheel or + to zoom in and read tokens', width / 2, (band.top + band.bottom) / 2);
    return;
  }
  // One label per token when there is room, else every k-th, each on a tick marking its column.
  ctx.font = `${LABEL_FONT}px ${theme.monoFamily}`;
  const every = w >= LABEL_FONT + 2 ? 1 : Math.ceil((LABEL_FONT + 2) / w);
  const labels: { column: number; text: string }[] = [];
  for (let c = Math.ceil(first / every) * every; c <= last; c += every)
    labels.push({ column: c, text: visibleWhitespace(content.tokens[c]!) });
  const across = every === 1 && labels.every((l) => ctx.measureText(l.text).width <= w - 2);
  ctx.fillStyle = theme.foreground;
  ctx.textBaseline = 'middle';
  for (const { column, text } of labels) {
    const x = centre(column);
    if (across) {
      ctx.textAlign = 'center';
      ctx.fillText(text, x, band.bottom - LABEL_FONT / 2 - 2);
    } else {
      ctx.save();
      ctx.translate(x, band.bottom);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = 'left';
      ctx.fillText(fitText(ctx, text, band.bottom - band.top), 0, 0);
      ctx.restore();
    }
    if (every > 1) ctx.fillRect(Math.round(x), band.bottom + 1, 1, 3);
  }
}

export function drawNeuronAxis(canvas: HTMLCanvasElement, height: number, dpr: number, v: AxisView | undefined): void {
  const ctx = context(canvas, dpr);
  if (!v) return;
  const { content, theme, scrollTop: top, cellHeight: h } = v;
  const first = Math.max(0, Math.floor(top / h));
  const last = Math.min(content.units - 1, Math.floor((top + height) / h));
  const centre = (row: number): number => (row + 0.5) * h - top;
  const right = NEURON_AXIS_WIDTH - 6;
  const hovered = v.hovered?.row;
  if (hovered !== undefined) {
    ctx.fillStyle = withAlpha(theme.focus, 0.35);
    ctx.fillRect(0, hovered * h - top, NEURON_AXIS_WIDTH, Math.max(2, h));
  }
  ctx.font = `${LABEL_FONT}px ${theme.monoFamily}`;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  // Every row when they fit, else every k-th with k a round number, so index order reads 0, 5, 10…
  const every = niceStep(Math.ceil((LABEL_FONT + 3) / h));
  ctx.fillStyle = theme.foreground;
  for (let r = Math.ceil(first / every) * every; r <= last; r += every) {
    ctx.fillText(String(content.order[r]), every > 1 ? right - 4 : right, centre(r));
    if (every > 1) ctx.fillRect(right - 2, Math.round(centre(r)), 4, 1);
  }
  const badge = (row: number, fill: string, text: string): void => {
    const y = centre(row);
    if (y < -LABEL_FONT || y > height + LABEL_FONT) return;
    const label = String(content.order[row]);
    const tw = ctx.measureText(label).width;
    ctx.fillStyle = fill;
    ctx.fillRect(right - tw - 5, y - LABEL_FONT / 2 - 2, tw + 9, LABEL_FONT + 4);
    ctx.fillStyle = text;
    ctx.fillText(label, right, y);
  };
  if (v.selectedRow !== undefined) badge(v.selectedRow, theme.focus, theme.focusForeground);
  if (hovered !== undefined && hovered !== v.selectedRow) badge(hovered, theme.background, theme.foreground);
}

function niceStep(min: number): number {
  for (let magnitude = 1; ; magnitude *= 10) for (const m of [1, 2, 5]) if (m * magnitude >= min) return m * magnitude;
}
