/**
 * Milliseconds of what "Show Saliency at Cursor…" computes by default on the shipped model
 * (media/default-model, char LSTM 128): integrated gradients, 32 steps, of the next-token logit
 * over the 256 tokens before a position. Used by `npm run bench`.
 */
import * as path from 'node:path';
import { MAX_SALIENCY_TOKENS } from '../src/engine/investigations';
import { loadModel } from '../src/engine/modelFolder';
import { integratedGradients } from '../src/engine/optimization/integratedGradients';
import { resolveTarget } from '../src/engine/optimization/targets';

export const SALIENCY_SPEED = { steps: 32, tokens: MAX_SALIENCY_TOKENS };

export async function measureSaliencySpeed(text: string): Promise<number> {
  const loaded = await loadModel(path.join(__dirname, '..', 'media', 'default-model'));
  try {
    const ids = loaded.tokenizer.encode(text).ids;
    if (ids.length <= SALIENCY_SPEED.tokens) throw new Error(`The saliency bench needs more than ${SALIENCY_SPEED.tokens} tokens`);
    const window = ids.slice(0, SALIENCY_SPEED.tokens);
    const target = resolveTarget(loaded.model, { kind: 'logit', token: ids[SALIENCY_SPEED.tokens]!, position: 'last' });
    const run = () => integratedGradients(loaded.model, target, window, { steps: SALIENCY_SPEED.steps });
    run();
    // The median of three: one sub-second run is at the mercy of a GC pause or a busy core.
    const times = [0, 1, 2].map(() => {
      const started = performance.now();
      run();
      return performance.now() - started;
    });
    return times.sort((a, b) => a - b)[1]!;
  } finally {
    loaded.model.dispose();
  }
}
