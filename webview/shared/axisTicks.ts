/** Tick positions for axes and colour legends drawn by hand on a canvas (chart.js draws its own). */

export interface Tick {
  value: number;
  label: string;
}

/** About `count` round values (1, 2 or 5 × 10^k apart) covering [min, max]. */
export function linearTicks(min: number, max: number, count: number, format: (v: number) => string): Tick[] {
  if (!(max > min)) return [{ value: min, label: format(min) }];
  const rough = (max - min) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const ticks: Tick[] = [];
  // Start at the first multiple of step at or above min; the epsilon absorbs float error at the ends.
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) {
    const value = Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12));
    ticks.push({ value, label: format(value) });
  }
  return ticks;
}

/** Powers of ten in [10^lo, 10^hi] (exponents given), thinned so that at most `count` remain. */
export function decadeTicks(lo: number, hi: number, count: number): Tick[] {
  const first = Math.ceil(lo - 1e-9);
  const last = Math.floor(hi + 1e-9);
  const every = Math.max(1, Math.ceil((last - first + 1) / Math.max(1, count)));
  const ticks: Tick[] = [];
  for (let e = last; e >= first; e -= every) ticks.unshift({ value: e, label: `1e${e}` });
  return ticks;
}
