/** What the training panel remembers across reloads; the run itself comes back from the extension. */
export interface TrainingViewState {
  /** Weight of the exponential moving average over the per-step training loss, 0 (off) to 0.99. */
  smoothing: number;
}

export const MAX_SMOOTHING = 0.99;

export function isTrainingViewState(x: unknown): x is TrainingViewState {
  if (typeof x !== 'object' || x === null) return false;
  const s = (x as Record<string, unknown>).smoothing;
  return typeof s === 'number' && s >= 0 && s <= MAX_SMOOTHING;
}
