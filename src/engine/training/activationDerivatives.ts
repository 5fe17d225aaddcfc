import type { ActivationName } from '../cells/activationFunctions';

/** A cell nonlinearity on numbers, and its derivative written in terms of its output. */
export interface ScalarActivation {
  apply(x: number): number;
  /** dy/dx at the x that produced `y`; every activation the cells use has one. */
  slopeAt(y: number): number;
}

const ACTIVATIONS: Record<ActivationName, ScalarActivation> = {
  tanh: { apply: Math.tanh, slopeAt: (y) => 1 - y * y },
  sigmoid: { apply: (x) => 1 / (1 + Math.exp(-x)), slopeAt: (y) => y * (1 - y) },
  // tfjs-layers' clip(0.2 x + 0.5, 0, 1); flat (slope 0) where clipped, as tfjs differentiates it.
  hardSigmoid: { apply: (x) => Math.min(1, Math.max(0, 0.2 * x + 0.5)), slopeAt: (y) => (y > 0 && y < 1 ? 0.2 : 0) },
  relu: { apply: (x) => (x > 0 ? x : 0), slopeAt: (y) => (y > 0 ? 1 : 0) },
  linear: { apply: (x) => x, slopeAt: () => 1 },
};

export function scalarActivation(name: ActivationName): ScalarActivation {
  return ACTIVATIONS[name];
}
