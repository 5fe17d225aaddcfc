import * as tf from '@tensorflow/tfjs-core';
import type { LanguageModel } from '../languageModel';
import type { Random } from '../random';
import type { Target } from './targets';

/** The real (discrete-token) target of each sequence, from a zero state. */
export interface SequenceScores {
  /** Per sequence: the target (last position or sum, as the target says). */
  values: Float32Array;
  /** Per sequence: the target's quantity after each token, `length` values. */
  traces: Float32Array[];
}

/**
 * Scores equal-length token sequences with the model's own discrete forward pass (embedding rows
 * gathered, no relaxation), in batches so thousands of short sequences cost a few matmuls per step.
 * Every sequence starts from the zero state, like the optimised inputs, so the numbers compare.
 */
export function scoreSequences(model: LanguageModel, target: Target, sequences: readonly Int32Array[], batchSize = 512): SequenceScores {
  const values = new Float32Array(sequences.length);
  const traces: Float32Array[] = [];
  if (sequences.length === 0) return { values, traces };
  const length = sequences[0]!.length;
  for (const s of sequences) if (s.length !== length) throw new Error('scoreSequences: sequences must have one length');
  for (let from = 0; from < sequences.length; from += batchSize) {
    const batch = Math.min(batchSize, sequences.length - from);
    const ids = new Int32Array(batch * length);
    for (let b = 0; b < batch; b++) ids.set(sequences[from + b]!, b * length);
    const [trace, value] = tf.tidy(() => {
      const r = model.run(ids, batch, length, model.zeroState(batch), {
        collect: (l, c) => target.collect(l, c),
        skipLogits: !target.needsLogits,
      });
      return [target.trace(r, batch, length), target.value(r, batch, length)];
    });
    const t = trace.dataSync();
    values.set(value.dataSync(), from);
    for (let b = 0; b < batch; b++) traces.push(Float32Array.from(t.subarray(b * length, (b + 1) * length)));
    tf.dispose([trace, value]);
  }
  return { values, traces };
}

/** Uniformly random sequences over the allowed token ids (the "chance" baseline). */
export function randomSequences(count: number, length: number, allowed: readonly number[], rng: Random): Int32Array[] {
  return Array.from({ length: count }, () => Int32Array.from({ length }, () => allowed[rng.int(allowed.length)]!));
}
