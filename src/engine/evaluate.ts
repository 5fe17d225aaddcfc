import * as tf from '@tensorflow/tfjs-core';
import { throwIfAborted } from './errors';
import type { LanguageModel, LayerState } from './languageModel';
import { crossEntropy } from './loss';

export interface StreamWindow {
  inputs: Int32Array;
  labels: Int32Array;
}

/**
 * Splits `ids` into `batch` contiguous streams (the char-rnn layout) so that window w of every
 * stream continues where window w−1 ended and recurrent state can be carried between windows.
 */
export class StreamBatcher {
  readonly streamLength: number;
  readonly windowsPerEpoch: number;

  constructor(
    private readonly ids: Int32Array,
    readonly batch: number,
    readonly seqLen: number,
  ) {
    this.streamLength = Math.floor(ids.length / batch);
    this.windowsPerEpoch = Math.floor((this.streamLength - 1) / seqLen);
  }

  window(index: number): StreamWindow {
    const w = index % this.windowsPerEpoch;
    const { batch, seqLen } = this;
    const inputs = new Int32Array(batch * seqLen);
    const labels = new Int32Array(batch * seqLen);
    for (let b = 0; b < batch; b++) {
      const base = b * this.streamLength + w * seqLen;
      inputs.set(this.ids.subarray(base, base + seqLen), b * seqLen);
      labels.set(this.ids.subarray(base + 1, base + seqLen + 1), b * seqLen);
    }
    return { inputs, labels };
  }
}

export function disposeState(state: LayerState[]): void {
  for (const layer of state) for (const t of layer) t.dispose();
}

/** Mean cross-entropy (nats per token) of the model on `ids`, state carried across windows. */
export async function evaluateLoss(
  model: LanguageModel,
  ids: Int32Array,
  options: { batch?: number; seqLen?: number; maxTokens?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const seqLen = options.seqLen ?? 64;
  const limited = options.maxTokens && ids.length > options.maxTokens ? ids.subarray(0, options.maxTokens) : ids;
  const batch = Math.max(1, Math.min(options.batch ?? 16, Math.floor((limited.length - 1) / (seqLen + 1))));
  const batcher = new StreamBatcher(limited, batch, Math.min(seqLen, Math.max(1, limited.length - 1)));
  if (batcher.windowsPerEpoch < 1) return Number.NaN;
  let state = model.zeroState(batch);
  let total = 0;
  for (let w = 0; w < batcher.windowsPerEpoch; w++) {
    throwIfAborted(options.signal, 'Evaluation');
    const { inputs, labels } = batcher.window(w);
    const [loss, next] = tf.tidy(() => {
      const r = model.run(inputs, batch, batcher.seqLen, state);
      return [crossEntropy(r.logits!, labels), r.state] as const;
    });
    total += (await loss.data())[0]!;
    loss.dispose();
    disposeState(state);
    state = next;
  }
  disposeState(state);
  return total / batcher.windowsPerEpoch;
}
