import { loadModel } from '../../engine/modelFolder';
import { invertFeatures } from '../../engine/optimization/featureInversion';
import { printable } from '../ansi';
import { type Values, num, required, str } from '../args';
import type { CommandContext } from '../context';
import { readInputText } from '../recordedInput';

export const INVERT_OPTIONS = {
  model: { type: 'string' },
  text: { type: 'string' },
  file: { type: 'string' },
  layer: { type: 'string' },
  component: { type: 'string' },
  length: { type: 'string' },
  starts: { type: 'string' },
  steps: { type: 'string' },
  lr: { type: 'string' },
  entropy: { type: 'string' },
  polish: { type: 'string' },
  seed: { type: 'string' },
} as const;

export const INVERT_HELP = `neuron-lens invert --model DIR (--text STR | --file PATH) [--layer L] [--component NAME] [--length L]
                   [--starts S] [--steps K] [--lr X] [--entropy W] [--polish K] [--seed N] [--json]
  Feature inversion: finds token sequences of length L (default 10) whose state at their last token matches the
  state the text leaves (layer L, default the last; component h by default). Adam on ‖h(x) − h*‖² over a softmax
  relaxation of the input (temperature annealed 1 → 0.05) from S seeded starts (default 8) for K steps
  (default 200); each start is decoded to real tokens and re-scored: L2 distance and cosine similarity to the
  target. The text itself scores distance 0 (printed as a check).
  --entropy W   penalise the mean entropy per position (default 0)
  --polish K    after decoding, try the K tokens the relaxation weighted most at each position (default 8)`;

export async function invertCommand(v: Values, ctx: CommandContext): Promise<number> {
  const dir = required(v, 'model');
  const text = readInputText(v);
  const length = num(v, 'length', 10, { int: true, min: 1, max: 10_000 })!;
  const steps = num(v, 'steps', 200, { int: true, min: 1 })!;
  const loaded = await loadModel(dir);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  const json = v.json === true;
  try {
    const r = await invertFeatures(loaded, text, {
      layer: num(v, 'layer', undefined, { int: true, min: 0 }),
      component: str(v, 'component'),
      length,
      starts: num(v, 'starts', 8, { int: true, min: 1, max: 4096 }),
      steps,
      learningRate: num(v, 'lr', undefined, { min: 0 }),
      entropyWeight: num(v, 'entropy', undefined, { min: 0 }),
      polish: num(v, 'polish', undefined, { int: true, min: 0 }),
      seed: num(v, 'seed', undefined, { int: true }),
      signal: controller.signal,
      onProgress: (step) => {
        if (!json && ctx.verbose && (step % 20 === 0 || step === steps)) ctx.io.err(`step ${step}/${steps}`);
      },
    });
    if (json) {
      ctx.io.out(JSON.stringify({ model: dir, ...r, backend: ctx.backend }));
      return 0;
    }
    ctx.io.out(
      `layer ${r.layer} ${r.component} after ${r.targetTokens} tokens (norm ${r.targetNorm.toFixed(4)}): ${r.sequences.length} starts × ${steps} steps, length ${length}`,
    );
    ctx.io.out(`${'the text'.padEnd(10)} distance ${r.reference.distance.toFixed(4)}  cosine ${r.reference.cosine.toFixed(4)}`);
    const order = r.sequences.map((_, i) => i).sort((a, b) => r.sequences[a]!.distance - r.sequences[b]!.distance);
    for (const i of order) {
      const s = r.sequences[i]!;
      ctx.io.out(
        `${`start ${s.start}${i === r.best ? ' *' : ''}`.padEnd(10)} distance ${s.distance.toFixed(4)}  cosine ${s.cosine.toFixed(4)}  (relaxed ${s.relaxedDistance.toFixed(4)})  ${JSON.stringify(printable(s.text))}`,
      );
    }
    return 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
    loaded.model.dispose();
  }
}
