import type { DivergingColourMap } from '../shared/divergingColourMap';
import type { ThemeColours } from '../shared/themeColours';

export const LEGEND_WIDTH = 240;
export const LEGEND_HEIGHT = 34;
const BAR_HEIGHT = 12;
const PAD = 14;

/**
 * A horizontal colour bar from -1 (left) to 1 (right) of the diverging palette with labelled
 * ticks, so that a colour in the heatmap can be read back as a number.
 */
export function drawColourLegend(
  canvas: HTMLCanvasElement,
  map: DivergingColourMap,
  ticks: readonly { position: number; label: string }[],
  theme: ThemeColours,
): void {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(LEGEND_WIDTH * dpr);
  canvas.height = Math.round(LEGEND_HEIGHT * dpr);
  canvas.style.width = `${LEGEND_WIDTH}px`;
  canvas.style.height = `${LEGEND_HEIGHT}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, LEGEND_WIDTH, LEGEND_HEIGHT);
  const bar = LEGEND_WIDTH - 2 * PAD;
  const x = (position: number): number => PAD + ((position + 1) / 2) * bar;
  for (let i = 0; i < bar; i++) {
    ctx.fillStyle = map.css(((i + 0.5) / bar) * 2 - 1);
    ctx.fillRect(PAD + i, 2, 1, BAR_HEIGHT);
  }
  ctx.strokeStyle = theme.muted;
  ctx.lineWidth = 1;
  ctx.strokeRect(PAD - 0.5, 1.5, bar + 1, BAR_HEIGHT + 1);
  ctx.fillStyle = theme.foreground;
  ctx.font = `11px ${theme.fontFamily}`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const tick of ticks) {
    const tx = Math.round(x(tick.position)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(tx, BAR_HEIGHT + 2);
    ctx.lineTo(tx, BAR_HEIGHT + 6);
    ctx.stroke();
    ctx.fillText(tick.label, tx, BAR_HEIGHT + 8);
  }
}
