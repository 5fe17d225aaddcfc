import { DEFAULT_CORPUS, loadCorpus } from '../../engine/corpus';
import { DEFAULT_WORD2VEC_OPTIONS, trainWord2Vec } from '../../engine/embeddings/word2vec';
import { WORD_VECTORS_FORMATS, writeWordVectors } from '../../engine/embeddings/wordVectors';
import { type Values, num, oneOf, required, str } from '../args';
import type { CommandContext } from '../context';

export const WORD2VEC_OPTIONS = {
  corpus: { type: 'string' },
  dim: { type: 'string' },
  window: { type: 'string' },
  negative: { type: 'string' },
  'min-count': { type: 'string' },
  'max-vocab': { type: 'string' },
  epochs: { type: 'string' },
  lr: { type: 'string' },
  sample: { type: 'string' },
  'keep-case': { type: 'boolean' },
  seed: { type: 'string' },
  out: { type: 'string' },
  format: { type: 'string' },
} as const;

const D = DEFAULT_WORD2VEC_OPTIONS;

export const WORD2VEC_HELP = `neuron-lens word2vec --out FILE [options]
  Trains skip-gram word vectors with negative sampling (as Mikolov's word2vec.c) on a text.
  --corpus PATH|moby-dick  training text (default ${DEFAULT_CORPUS})
  --dim N                  vector size (default ${D.dim})
  --window W               maximum context distance (default ${D.window})
  --negative K             noise words per pair (default ${D.negative})
  --min-count N            drop words seen fewer times (default ${D.minCount})
  --max-vocab N            keep at most the N most frequent words (default ${D.maxVocab})
  --epochs E               passes over the corpus (default ${D.epochs})
  --lr X                   starting step size, decays linearly (default ${D.learningRate})
  --sample T               frequent-word subsampling threshold, 0 = off (default ${D.sample})
  --keep-case              do not lower-case words
  --seed S                 random seed (default ${D.seed}); a seed reproduces the vectors exactly
  --format word2vec-text|word2vec-binary   file format of --out (default word2vec-text)
  --json                   JSON lines (progress, then a summary) on stdout`;

export async function word2vecCommand(v: Values, ctx: CommandContext): Promise<number> {
  const out = required(v, 'out', 'the file to write the vectors to');
  const format = oneOf(v, 'format', WORD_VECTORS_FORMATS, 'word2vec-text');
  const corpus = loadCorpus(str(v, 'corpus', DEFAULT_CORPUS)!);
  const json = v.json === true;
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const r = await trainWord2Vec(corpus.text, {
      dim: num(v, 'dim', D.dim, { int: true, min: 1, max: 10_000 }),
      window: num(v, 'window', D.window, { int: true, min: 1, max: 100 }),
      negative: num(v, 'negative', D.negative, { int: true, min: 1, max: 100 }),
      minCount: num(v, 'min-count', D.minCount, { int: true, min: 1 }),
      maxVocab: num(v, 'max-vocab', D.maxVocab, { int: true, min: 2 }),
      epochs: num(v, 'epochs', D.epochs, { int: true, min: 1, max: 1000 }),
      learningRate: num(v, 'lr', D.learningRate, { min: 1e-9, max: 1 }),
      sample: num(v, 'sample', D.sample, { min: 0, max: 0.999 }),
      lowercase: v['keep-case'] !== true,
      seed: num(v, 'seed', D.seed, { int: true }),
      signal: controller.signal,
      onProgress: (p) => {
        if (json) ctx.io.out(JSON.stringify({ type: 'progress', ...p }));
        else
          ctx.io.err(
            `epoch ${p.epoch}/${p.epochs}  ${((100 * p.tokensDone) / p.totalTokens).toFixed(0).padStart(3)}%  loss ${p.loss.toFixed(3)}  lr ${p.learningRate.toPrecision(3)}  ${Math.round(p.tokensPerSecond)} words/s`,
          );
      },
    });
    if (r.cancelled) {
      ctx.io.err('Cancelled: no vectors written');
      return 130;
    }
    writeWordVectors(out, r.vectors, format);
    const summary = {
      type: 'done',
      out,
      format,
      corpus: corpus.name,
      words: r.vectors.words.length,
      dim: r.vectors.dim,
      corpusTokens: r.corpusTokens,
      history: r.history,
      elapsedMs: r.elapsedMs,
      tokensPerSecond: r.tokensPerSecond,
    };
    if (json) ctx.io.out(JSON.stringify(summary));
    else {
      const losses = r.history.map((h) => h.loss.toFixed(3)).join(' → ');
      ctx.io.out(
        `Trained ${summary.words} word vectors of ${summary.dim} on ${corpus.name} (${r.corpusTokens} words × ${r.history.length} epochs) → ${out} (${format})\n` +
          `loss per pair ${losses} nats; ${Math.round(r.tokensPerSecond)} words/s, ${(r.elapsedMs / 1000).toFixed(1)} s`,
      );
    }
    return 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
