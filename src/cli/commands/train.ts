import { CELL_KINDS } from '../../engine/cells/recurrentCell';
import { DEFAULT_CORPUS } from '../../engine/corpus';
import { TOKEN_LEVELS } from '../../engine/tokenizer';
import { DEFAULT_RUN, runTraining } from '../../engine/trainingRun';
import { DEFAULT_TRAIN_OPTIONS } from '../../engine/trainer';
import { DEFAULT_MAX_SNAPSHOTS } from '../../engine/trainingSnapshots';
import { type Values, num, oneOf, required, str } from '../args';
import type { CommandContext } from '../context';

export const TRAIN_OPTIONS = {
  arch: { type: 'string' },
  level: { type: 'string' },
  hidden: { type: 'string' },
  layers: { type: 'string' },
  embedding: { type: 'string' },
  dropout: { type: 'string' },
  corpus: { type: 'string' },
  steps: { type: 'string' },
  'seq-len': { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  clip: { type: 'string' },
  seed: { type: 'string' },
  'eval-every': { type: 'string' },
  'checkpoint-every': { type: 'string' },
  'snapshot-every': { type: 'string' },
  'max-snapshots': { type: 'string' },
  resume: { type: 'boolean' },
  out: { type: 'string' },
} as const;

export const TRAIN_HELP = `neuron-lens train --out DIR [options]
  --arch rnn|lstm|gru      cell type (default ${DEFAULT_RUN.cell})
  --level char|word        tokens (default ${DEFAULT_RUN.level})
  --hidden N               units per layer (default ${DEFAULT_RUN.hiddenSize})
  --layers L               stacked layers (default 1)
  --embedding E            embedding size, 0 = one-hot input (default: 0 for char, min(hidden,128) for word)
  --dropout P              dropout rate (default 0)
  --corpus PATH|moby-dick  training text (default ${DEFAULT_CORPUS})
  --steps N                optimisation steps (default ${DEFAULT_RUN.steps})
  --seq-len T --batch B    truncated-BPTT window and parallel streams (default ${DEFAULT_TRAIN_OPTIONS.seqLen}, ${DEFAULT_TRAIN_OPTIONS.batch})
  --lr X --clip C          Adam learning rate, gradient-norm clip (default ${DEFAULT_TRAIN_OPTIONS.learningRate}, ${DEFAULT_TRAIN_OPTIONS.clipNorm})
  --seed S                 random seed (default ${DEFAULT_TRAIN_OPTIONS.seed})
  --eval-every N --checkpoint-every N
  --snapshot-every N       keep the weights (no optimizer state) every N steps in DIR/snapshots for
                           "neuron-lens history" (default: the checkpoint interval; 0 = off)
  --max-snapshots K        keep at most K snapshots, thinned evenly, first and last kept (default ${DEFAULT_MAX_SNAPSHOTS})
  --resume                 continue the checkpoint in --out
  --json                   JSON lines on stdout instead of text`;

export async function trainCommand(v: Values, ctx: CommandContext): Promise<number> {
  const out = required(v, 'out', 'the folder to save the model in');
  const level = oneOf(v, 'level', TOKEN_LEVELS, DEFAULT_RUN.level);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  const json = v.json === true;
  const unit = level === 'char' ? 'char' : 'token';
  try {
    const run = await runTraining({
      corpus: str(v, 'corpus', DEFAULT_CORPUS)!,
      cell: oneOf(v, 'arch', CELL_KINDS, DEFAULT_RUN.cell),
      level,
      hiddenSize: num(v, 'hidden', undefined, { int: true, min: 1, max: 8192 }),
      numLayers: num(v, 'layers', undefined, { int: true, min: 1, max: 16 }),
      embeddingSize: num(v, 'embedding', undefined, { int: true, min: 0, max: 8192 }),
      dropout: num(v, 'dropout', undefined, { min: 0, max: 0.95 }),
      steps: num(v, 'steps', undefined, { int: true, min: 1 }),
      seqLen: num(v, 'seq-len', undefined, { int: true, min: 1, max: 10_000 }),
      batch: num(v, 'batch', undefined, { int: true, min: 1, max: 4096 }),
      learningRate: num(v, 'lr', undefined, { min: 0 }),
      clipNorm: num(v, 'clip', undefined, { min: 0 }),
      seed: num(v, 'seed', undefined, { int: true }),
      evalEvery: num(v, 'eval-every', undefined, { int: true, min: 1 }),
      checkpointEvery: num(v, 'checkpoint-every', undefined, { int: true, min: 1 }),
      snapshotEvery: num(v, 'snapshot-every', undefined, { int: true, min: 0 }),
      maxSnapshots: num(v, 'max-snapshots', undefined, { int: true, min: 2, max: 10_000 }),
      resume: v.resume === true,
      out,
      backend: ctx.backend,
      signal: controller.signal,
      onProgress: (p) => {
        if (json) ctx.io.out(JSON.stringify({ type: 'progress', ...p }));
        else if (p.step % 10 === 0 || p.step === p.totalSteps || p.validationBits !== undefined) {
          const val = p.validationBits === undefined ? '' : `  validation ${p.validationBits.toFixed(3)} bits/${unit}`;
          ctx.io.err(
            `step ${p.step}/${p.totalSteps}  train ${p.trainBits.toFixed(3)} bits/${unit}${val}  ${Math.round(p.tokensPerSecond)} tokens/s`,
          );
        }
      },
    });
    const val = run.result.finalValidationBits;
    const summary = {
      type: 'done',
      out,
      cancelled: run.result.cancelled,
      steps: run.result.steps,
      validationBits: val,
      unigramEntropyBits: run.unigramEntropyBits,
      reduction: 1 - val / run.unigramEntropyBits,
      perplexity: 2 ** val,
      tokensPerSecond: run.result.tokensPerSecond,
      elapsedMs: run.result.elapsedMs,
      trainTokens: run.trainTokens,
      validationTokens: run.validationTokens,
      vocabulary: run.loaded.tokenizer.vocabulary.size,
      backend: ctx.backend,
    };
    run.loaded.model.dispose();
    if (json) ctx.io.out(JSON.stringify(summary));
    else {
      ctx.io.out(
        `${run.result.cancelled ? 'Cancelled' : 'Trained'} ${summary.steps} steps → ${out}\n` +
          `validation ${val.toFixed(3)} bits/${unit} (perplexity ${summary.perplexity.toFixed(2)}), unigram entropy ${run.unigramEntropyBits.toFixed(3)} bits/${unit}: ` +
          `${(100 * summary.reduction).toFixed(1)}% below\n` +
          `${Math.round(summary.tokensPerSecond)} tokens/s on ${ctx.backend}, ${(summary.elapsedMs / 1000).toFixed(1)} s`,
      );
    }
    return run.result.cancelled ? 130 : 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
