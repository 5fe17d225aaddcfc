import type { Random } from './random';

/**
 * Draws an index from softmax(logits / temperature) by inverse CDF. Temperature 0 (or below
 * 1e-6) is greedy argmax. Computed in float64 with the max subtracted, so large logits are safe.
 */
export function sampleLogits(logits: ArrayLike<number>, temperature: number, rng: Random, exclude?: number): number {
  const n = logits.length;
  if (temperature <= 1e-6) {
    let best = -1;
    for (let i = 0; i < n; i++) if (i !== exclude && (best < 0 || logits[i]! > logits[best]!)) best = i;
    return best;
  }
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (i !== exclude && logits[i]! > max) max = logits[i]!;
  const p = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    p[i] = i === exclude ? 0 : Math.exp((logits[i]! - max) / temperature);
    sum += p[i]!;
  }
  let u = rng.next() * sum;
  for (let i = 0; i < n; i++) {
    u -= p[i]!;
    if (u < 0) return i;
  }
  for (let i = n - 1; i >= 0; i--) if (p[i]! > 0) return i;
  return 0;
}
