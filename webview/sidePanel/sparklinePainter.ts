import type { SidePanelNeurons } from '../../src/shared/sidePanelMessages';

export interface SparklineColours {
  positive: string;
  negative: string;
  baseline: string;
}

/** Where one sparkline goes on the canvas, in CSS pixels. */
export interface SparklineBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Draws one neuron's sparkline as bars from the component's resting value: up and red where the
 * neuron was above it, down and blue where below, as the editor colours tokens. Each bar is one
 * bucket's extreme, so a neuron that fires on a handful of tokens shows as a few tall bars rather
 * than disappearing into an average. All sparklines share one value axis, so heights compare.
 */
export function paintSparkline(
  ctx: CanvasRenderingContext2D,
  data: SidePanelNeurons,
  neuron: number,
  box: SparklineBox,
  colours: SparklineColours,
): void {
  const { points, lo, hi, baseline } = data;
  if (points === 0 || !(hi > lo)) return;
  const y = (v: number): number => box.y + ((hi - Math.min(hi, Math.max(lo, v))) / (hi - lo)) * box.height;
  // Whole pixels throughout: anti-aliased edges would blur bars that are only a few pixels tall.
  const base = Math.round(y(baseline));
  ctx.fillStyle = colours.baseline;
  ctx.fillRect(Math.round(box.x), base, Math.round(box.x + box.width) - Math.round(box.x), 1);
  const step = box.width / points;
  // Bars wider than 3 px get a 1 px gap so that neighbouring buckets stay apart.
  const gap = step > 3 ? 1 : 0;
  const row = neuron * points;
  for (let k = 0; k < points; k++) {
    const v = data.sparklines[row + k]!;
    if (!Number.isFinite(v) || v === baseline) continue;
    const x0 = Math.round(box.x + k * step);
    const x1 = Math.max(x0 + 1, Math.round(box.x + (k + 1) * step) - gap);
    const top = Math.round(y(v));
    ctx.fillStyle = v > baseline ? colours.positive : colours.negative;
    // At least one pixel, so that a small but real deviation is visible.
    if (v > baseline) ctx.fillRect(x0, Math.min(top, base - 1), x1 - x0, Math.max(1, base - top));
    else ctx.fillRect(x0, base + 1, x1 - x0, Math.max(1, top - base - 1));
  }
}
