import { CLASSIFIER_POOLINGS } from '../../engine/architecture';
import { CELL_KINDS } from '../../engine/cells/recurrentCell';
import type { ClassificationReport } from '../../engine/classifier/classifierMetrics';
import { DEFAULT_CLASSIFIER_RUN, runClassifierTraining } from '../../engine/classifier/classifierRun';
import { DEFAULT_CLASSIFIER_TRAIN_OPTIONS } from '../../engine/classifier/classifierTraining';
import { TOKEN_LEVELS } from '../../engine/tokenizer';
import { type Values, num, oneOf, required, str } from '../args';
import type { CommandContext } from '../context';

export const TRAIN_CLASSIFIER_OPTIONS = {
  data: { type: 'string' },
  'text-column': { type: 'string' },
  'label-column': { type: 'string' },
  cell: { type: 'string' },
  level: { type: 'string' },
  hidden: { type: 'string' },
  layers: { type: 'string' },
  'embedding-size': { type: 'string' },
  dropout: { type: 'string' },
  pooling: { type: 'string' },
  vectors: { type: 'string' },
  freeze: { type: 'boolean' },
  epochs: { type: 'string' },
  'max-tokens': { type: 'string' },
  'max-vocab': { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  validation: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
} as const;

const D = { ...DEFAULT_CLASSIFIER_RUN, ...DEFAULT_CLASSIFIER_TRAIN_OPTIONS };

export const TRAIN_CLASSIFIER_HELP = `neuron-lens train-classifier --out DIR [options]
  --data FILE|DIR|spam-assassin  labelled texts: .csv/.tsv (header row), .jsonl, or a folder with one
                           sub-folder per class (default ${D.data}: ham/spam emails, Subject + body)
  --text-column C --label-column C   column names or positions from 1 (CSV/TSV), keys (JSONL);
                           default "text" and "label"
  --cell rnn|lstm|gru      recurrent cell (default ${D.cell})
  --level word|char        tokens (default ${D.level})
  --hidden N --layers L    units per layer, stacked layers (default ${D.hiddenSize}, 1)
  --embedding-size E       embedding size (default ${D.embeddingSize}; with --vectors, their dimension)
  --vectors FILE           initialise the embedding from word2vec/GloVe vectors
  --freeze                 keep the embedding fixed (with --vectors)
  --pooling last|mean      read the state after the last token, or the mean over tokens (default ${D.pooling})
  --max-tokens N           texts are cut to their first N tokens (default ${D.maxTokens})
  --max-vocab N            vocabulary size, <unk> included (default ${D.maxVocabulary})
  --epochs N --batch B     passes over the training examples, examples per step (default ${D.epochs}, ${D.batch})
  --lr X --dropout P       Adam learning rate, dropout rate (default ${D.learningRate}, 0)
  --validation F           share of each class held out for validation (default ${D.validation})
  --seed S                 random seed for the split, initial weights and batch order (default ${D.seed})
  --json                   JSON lines on stdout instead of text`;

function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** Accuracy, per-class precision/recall/F1 and the confusion matrix as aligned text lines. */
export function classificationReportLines(r: ClassificationReport): string[] {
  const labels = r.classes.map((c) => c.label);
  const w = Math.max(5, ...labels.map((l) => l.length));
  const cells = (values: (string | number)[]): string => values.map((v) => String(v).padStart(Math.max(9, w))).join(' ');
  const lines = [
    `accuracy ${percent(r.accuracy)} on ${r.examples} examples, macro F1 ${r.macroF1.toFixed(3)}`,
    `${'class'.padEnd(w)} ${cells(['precision', 'recall', 'F1', 'support'])}`,
    ...r.classes.map((c) => `${c.label.padEnd(w)} ${cells([c.precision.toFixed(3), c.recall.toFixed(3), c.f1.toFixed(3), c.support])}`),
    'confusion matrix (rows: true class, columns: predicted)',
    `${''.padEnd(w)} ${cells(labels)}`,
    ...r.confusion.map((row, i) => `${labels[i]!.padEnd(w)} ${cells(row)}`),
  ];
  return lines;
}

export async function trainClassifierCommand(v: Values, ctx: CommandContext): Promise<number> {
  const out = required(v, 'out', 'the folder to save the classifier in');
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  const json = v.json === true;
  try {
    const run = await runClassifierTraining({
      data: str(v, 'data', D.data)!,
      textColumn: str(v, 'text-column'),
      labelColumn: str(v, 'label-column'),
      cell: oneOf(v, 'cell', CELL_KINDS, D.cell),
      level: oneOf(v, 'level', TOKEN_LEVELS, D.level),
      hiddenSize: num(v, 'hidden', undefined, { int: true, min: 1, max: 8192 }),
      numLayers: num(v, 'layers', undefined, { int: true, min: 1, max: 16 }),
      embeddingSize: num(v, 'embedding-size', undefined, { int: true, min: 0, max: 8192 }),
      dropout: num(v, 'dropout', undefined, { min: 0, max: 0.95 }),
      pooling: oneOf(v, 'pooling', CLASSIFIER_POOLINGS, D.pooling),
      vectors: str(v, 'vectors'),
      freezeEmbedding: v.freeze === true,
      epochs: num(v, 'epochs', undefined, { int: true, min: 1, max: 10_000 }),
      maxTokens: num(v, 'max-tokens', undefined, { int: true, min: 1, max: 100_000 }),
      maxVocabulary: num(v, 'max-vocab', undefined, { int: true, min: 2, max: 1_000_000 }),
      batch: num(v, 'batch', undefined, { int: true, min: 1, max: 4096 }),
      learningRate: num(v, 'lr', undefined, { min: 0 }),
      validation: num(v, 'validation', undefined, { min: 0, max: 0.95 }),
      seed: num(v, 'seed', undefined, { int: true }),
      out,
      backend: ctx.backend,
      signal: controller.signal,
      onProgress: (p) => {
        if (json) ctx.io.out(JSON.stringify({ type: 'progress', ...p }));
        else if (p.step % 20 === 0) {
          ctx.io.err(
            `epoch ${p.epoch}/${p.totalEpochs} step ${p.step}/${p.totalSteps}  loss ${p.loss.toFixed(3)}  ${p.examplesPerSecond.toFixed(1)} examples/s`,
          );
        }
      },
      onEpoch: (e) => {
        if (json) ctx.io.out(JSON.stringify({ type: 'epoch', ...e }));
        else {
          const val =
            e.validationAccuracy === undefined
              ? ''
              : `  validation loss ${e.validationLoss!.toFixed(3)} accuracy ${percent(e.validationAccuracy)}`;
          ctx.io.err(`epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(3)} accuracy ${percent(e.trainAccuracy)}${val}`);
        }
      },
    });
    run.model.dispose();
    const r = run.result;
    const summary = {
      type: 'done',
      out,
      data: run.dataName,
      classes: run.classes,
      cancelled: r.cancelled,
      epochs: r.epochs,
      steps: r.steps,
      trainExamples: run.trainExamples,
      validationExamples: run.validationExamples,
      vocabulary: run.tokenizer.vocabulary.size,
      embedding: run.embedding,
      validation: r.validation,
      examplesPerSecond: r.examplesPerSecond,
      elapsedMs: r.elapsedMs,
      backend: ctx.backend,
    };
    if (json) ctx.io.out(JSON.stringify(summary));
    else {
      ctx.io.out(
        `${r.cancelled ? 'Cancelled after' : 'Trained'} ${r.epochs} epoch${r.epochs === 1 ? '' : 's'} (${r.steps} steps) → ${out}`,
      );
      ctx.io.out(
        `${run.dataName}: ${run.trainExamples} training and ${run.validationExamples} validation examples, classes ${run.classes.join(', ')}, vocabulary ${summary.vocabulary}`,
      );
      if (run.embedding) {
        ctx.io.out(
          `word vectors: ${run.embedding.found} of ${summary.vocabulary} vocabulary entries found, ${run.embedding.missing} got small random rows` +
            (run.embedding.missingExamples.length
              ? ` (e.g. ${run.embedding.missingExamples.map((t) => JSON.stringify(t)).join(', ')})`
              : ''),
        );
      }
      if (r.validation) for (const line of classificationReportLines(r.validation)) ctx.io.out(line);
      ctx.io.out(`${r.examplesPerSecond.toFixed(1)} examples/s on ${ctx.backend}, ${(r.elapsedMs / 1000).toFixed(1)} s`);
    }
    return r.cancelled ? 130 : 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
