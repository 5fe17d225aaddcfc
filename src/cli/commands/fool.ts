import { classifierArchitecture } from '../../engine/classifier/classifierBatch';
import { NeuronLensError } from '../../engine/errors';
import { loadModel } from '../../engine/modelFolder';
import { foolClassifier } from '../../engine/optimization/fooling';
import { printable } from '../ansi';
import { type Values, list, num, required, str } from '../args';
import type { CommandContext } from '../context';
import { readInputText } from '../recordedInput';

export const FOOL_OPTIONS = {
  model: { type: 'string' },
  text: { type: 'string' },
  file: { type: 'string' },
  'target-class': { type: 'string' },
  'max-flips': { type: 'string' },
  beam: { type: 'string' },
  candidates: { type: 'string' },
  exclude: { type: 'string', multiple: true },
  seed: { type: 'string' },
} as const;

export const FOOL_HELP = `neuron-lens fool --model DIR (--text STR | --file PATH) [--target-class C] [--max-flips N] [--beam B]
                 [--candidates K] [--exclude TOKEN ...] [--seed N] [--json]
  Fooling inputs for a text classifier (HotFlip): a few token substitutions that change its prediction.
  Each round ranks every (position, replacement) by the gradient's first-order estimate of the gain in
  log-odds, re-scores the best K per kept sequence (default 16) with the real model, and keeps the best B
  (default 3), for at most N substitutions (default 5). Prints the edits, the class probabilities after
  each one and the edited text; the file or text given is never changed.
  --target-class C   reach class C (its label or index); by default any class but the predicted one
  --exclude TOKEN    never insert this token (repeatable; <unk> is always excluded)`;

export async function foolCommand(v: Values, ctx: CommandContext): Promise<number> {
  const dir = required(v, 'model', 'a classifier folder from train-classifier');
  const text = readInputText(v);
  const loaded = await loadModel(dir);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const { classes } = classifierArchitecture(loaded.model);
    const wanted = str(v, 'target-class');
    let targetClass: number | undefined;
    if (wanted !== undefined) {
      targetClass = classes.includes(wanted) ? classes.indexOf(wanted) : /^\d+$/.test(wanted) ? Number(wanted) : -1;
      if (targetClass < 0 || targetClass >= classes.length) {
        throw new NeuronLensError(`--target-class ${JSON.stringify(wanted)} is not a class of this model (${classes.join(', ')})`);
      }
    }
    const vocabulary = loaded.tokenizer.vocabulary;
    const exclude = list(v, 'exclude').map((t) => {
      if (!vocabulary.has(t)) throw new NeuronLensError(`--exclude ${JSON.stringify(t)} is not in the model's vocabulary`);
      return vocabulary.id(t);
    });
    const r = await foolClassifier(loaded, text, {
      targetClass,
      maxFlips: num(v, 'max-flips', 5, { int: true, min: 1, max: 1000 }),
      beamWidth: num(v, 'beam', 3, { int: true, min: 1, max: 100 }),
      candidatesPerStep: num(v, 'candidates', 16, { int: true, min: 1, max: 10_000 }),
      excludeTokens: [0, ...exclude],
      seed: num(v, 'seed', 0, { int: true }),
      signal: controller.signal,
      onProgress: (round, rounds) => {
        if (v.json !== true && ctx.verbose) ctx.io.err(`round ${round}/${rounds}`);
      },
    });
    if (v.json === true) {
      ctx.io.out(JSON.stringify({ model: dir, ...r, backend: ctx.backend }));
      return 0;
    }
    const probs = (p: readonly number[]) => r.classes.map((c, i) => `${c} ${(100 * p[i]!).toFixed(1)}%`).join('  ');
    ctx.io.out(`before: ${probs(r.probabilitiesBefore)}  (predicted ${r.originalClass})`);
    for (const [i, s] of r.steps.entries()) {
      const e = s.edit;
      ctx.io.out(
        `${String(i + 1).padStart(3)}. token ${e.position} ${JSON.stringify(printable(e.oldToken))} → ${JSON.stringify(printable(e.newToken))}: ${probs(s.probabilities)}`,
      );
    }
    ctx.io.out(r.summary);
    ctx.io.out(r.text);
    return 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
    loaded.model.dispose();
  }
}
