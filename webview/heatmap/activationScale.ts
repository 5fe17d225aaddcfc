import { linearTicks } from '../shared/axisTicks';
import { DIVERGING_STEPS } from '../shared/divergingColourMap';
import { formatValue } from '../shared/numberFormat';
import type { HeatmapData } from '../../src/shared/panelMessages';

/**
 * Where a component's values sit on the diverging palette, following the engine's colour scale
 * (src/engine/colourScale.ts): tanh outputs use [-1, 1] as they are; gates in [0, 1] are centred
 * on 0.5 (closed blue, open red); unbounded values (cell states, pre-activations) are divided by
 * the 99th percentile of |value| the engine measured, so a few spikes do not wash out the rest.
 */
export interface ActivationScale {
  /** Value → [-1, 1], clamped; non-finite values are neutral. */
  normalise(v: number): number;
  /** Legend ticks as positions in [-1, 1] with their labels in data units. */
  ticks: { position: number; label: string }[];
  description: string;
}

export function activationScale(data: Pick<HeatmapData, 'range' | 'robustScale'>): ActivationScale {
  const clamp = (x: number): number => (x === x && Number.isFinite(x) ? (x < -1 ? -1 : x > 1 ? 1 : x) : 0);
  if (data.range === 'unit') {
    return {
      normalise: (v) => clamp(2 * v - 1),
      ticks: [0, 0.25, 0.5, 0.75, 1].map((v) => ({ position: 2 * v - 1, label: String(v) })),
      description: 'gate value, 0 (closed) to 1 (open), centred on 0.5',
    };
  }
  if (data.range === 'signed') {
    return {
      normalise: clamp,
      ticks: [-1, -0.5, 0, 0.5, 1].map((v) => ({ position: v, label: String(v) })),
      description: 'value in [-1, 1]',
    };
  }
  const scale = data.robustScale > 0 && Number.isFinite(data.robustScale) ? data.robustScale : 1;
  const ticks = linearTicks(-scale, scale, 4, formatValue).map((t) => ({ position: t.value / scale, label: t.label }));
  return {
    normalise: (v) => clamp(v / scale),
    ticks,
    description: `unbounded value, saturating at ±${formatValue(scale)} (99th percentile of |value|)`,
  };
}

/**
 * Every value as a signed palette step (−DIVERGING_STEPS … DIVERGING_STEPS), computed once per
 * data: redraws, re-sorting and zoom levels then only shuffle small integers.
 */
export function quantise(values: Float32Array, scale: ActivationScale): Int16Array {
  const out = new Int16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.round(scale.normalise(values[i]!) * DIVERGING_STEPS);
  return out;
}
