import { NeuronLensError } from '../errors';
import { Random } from '../random';
import { wordTokens } from '../tokenizer';
import { Vocabulary } from '../vocabulary';
import type { WordVectors } from './wordVectors';

export interface Word2VecOptions {
  dim: number;
  /** Maximum distance between a word and its context; each centre word draws its own window in [1, window]. */
  window: number;
  /** Noise words per (centre, context) pair. */
  negative: number;
  /** Words seen fewer times are dropped from the text before training, as in word2vec.c. */
  minCount: number;
  /** At most this many words are kept, the most frequent first. */
  maxVocab: number;
  epochs: number;
  /** Starting SGD step size; it decays linearly to 0.01% of this over all epochs. */
  learningRate: number;
  /** Frequent-word subsampling threshold (word2vec.c `-sample`); 0 turns it off. */
  sample: number;
  /** Fold case so "Whale" and "whale" share one vector (word2vec.c keeps case; small corpora need the counts). */
  lowercase: boolean;
  seed: number;
  /** Progress (with the mean loss since the previous report) comes every this many corpus tokens. */
  progressEvery: number;
  signal?: AbortSignal;
  onProgress?: (p: Word2VecProgress) => void;
}

export const DEFAULT_WORD2VEC_OPTIONS: Omit<Word2VecOptions, 'signal' | 'onProgress'> = {
  dim: 100,
  window: 5,
  negative: 5,
  minCount: 5,
  maxVocab: 50_000,
  epochs: 5,
  learningRate: 0.025,
  sample: 1e-3,
  lowercase: true,
  seed: 1,
  progressEvery: 20_000,
};

export interface Word2VecProgress {
  epoch: number;
  epochs: number;
  /** Corpus tokens processed so far over all epochs (subsampled ones included). */
  tokensDone: number;
  totalTokens: number;
  learningRate: number;
  /** Mean negative-sampling loss per (centre, context) pair since the previous report, in nats. */
  loss: number;
  tokensPerSecond: number;
  elapsedMs: number;
}

export interface Word2VecEpoch {
  epoch: number;
  /** Mean negative-sampling loss per (centre, context) pair over the epoch, in nats. */
  loss: number;
  pairs: number;
}

export interface Word2VecResult {
  vectors: WordVectors;
  /** Corpus frequency of each word of `vectors.words`. */
  counts: Int32Array;
  history: Word2VecEpoch[];
  cancelled: boolean;
  /** Corpus tokens (words in the vocabulary) one epoch reads. */
  corpusTokens: number;
  elapsedMs: number;
  tokensPerSecond: number;
}

/** word2vec.c uses 1e8 entries; a million keeps the table small while still resolving words of frequency 1e-6. */
const NOISE_TABLE_SIZE = 1_000_000;
/** word2vec.c's MAX_SENTENCE_LENGTH: long runs without a sentence end are cut so windows stay local. */
const MAX_SENTENCE = 1000;
const SENTENCE_END = /^[.!?]$|^(\r\n|\n|\r)$/;

/** Words of a text split into sentences: letters/digits runs of the project's word tokenizer, sentences ending at . ! ? or a blank line. */
export function sentencesOf(text: string, lowercase: boolean): string[][] {
  const sentences: string[][] = [];
  let current: string[] = [];
  let previousNewline = false;
  const end = (): void => {
    if (current.length > 0) sentences.push(current);
    current = [];
  };
  for (const t of wordTokens(text)) {
    const isNewline = t.text === '\n' || t.text === '\r\n' || t.text === '\r';
    if (/[\p{L}\p{N}]/u.test(t.text)) {
      current.push(lowercase ? t.text.toLowerCase() : t.text);
      if (current.length === MAX_SENTENCE) end();
    } else if (SENTENCE_END.test(t.text) && (!isNewline || previousNewline)) {
      end();
    }
    if (isNewline) previousNewline = true;
    else if (!/^\s+$/.test(t.text)) previousNewline = false;
  }
  end();
  return sentences;
}

/**
 * Cumulative unigram^0.75 table: drawing a uniform index gives a word with probability
 * proportional to count^0.75, the noise distribution of Mikolov et al. (2013).
 */
export function noiseTable(counts: ArrayLike<number>, size = NOISE_TABLE_SIZE): Int32Array {
  const table = new Int32Array(size);
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]! ** 0.75;
  let word = 0;
  let cumulative = counts.length > 0 ? counts[0]! ** 0.75 / total : 1;
  for (let a = 0; a < size; a++) {
    table[a] = word;
    if (a / size > cumulative && word < counts.length - 1) {
      word++;
      cumulative += counts[word]! ** 0.75 / total;
    }
  }
  return table;
}

/** word2vec.c's probability of keeping one occurrence of a word of this count (can exceed 1: always kept). */
export function keepProbability(count: number, totalWords: number, sample: number): number {
  if (sample <= 0) return 1;
  const threshold = sample * totalWords;
  return (Math.sqrt(count / threshold) + 1) * (threshold / count);
}

/** log(1 + e^x) without overflow. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/**
 * Skip-gram with negative sampling, following Mikolov's word2vec.c: input vectors start uniform
 * in ±0.5/dim and output vectors at zero; per sentence, each kept centre word draws a window
 * b in [1, window] and every context word within b predicts the centre against `negative` noise
 * words; the step size decays linearly with the tokens processed.
 *
 * The SGD runs over plain Float32Arrays with word2vec.c's per-pair sparse updates: one pair
 * touches only 1 + negative rows, and a tfjs op per pair would cost far more in dispatch than
 * the arithmetic itself, on any backend.
 *
 * Deviations from word2vec.c: one thread, so a seed reproduces a run exactly (word2vec.c's
 * lock-free threads race); the exact sigmoid instead of a table clipped at ±6; a 1e6-entry
 * noise table instead of 1e8; sentences end at . ! ? and blank lines (word2vec.c: at newlines),
 * and words are lower-cased unless `lowercase` is false; the step size is updated every sentence
 * rather than every 10,000 words.
 */
export async function trainWord2Vec(text: string, partial: Partial<Word2VecOptions> = {}): Promise<Word2VecResult> {
  const o: Word2VecOptions = { ...DEFAULT_WORD2VEC_OPTIONS, ...partial };
  checkOptions(o);
  const started = performance.now();
  const sentences = sentencesOf(text, o.lowercase);
  const vocabulary = Vocabulary.build(
    (function* () {
      for (const s of sentences) yield* s;
    })(),
    { minCount: o.minCount, maxSize: o.maxVocab + 1 },
  );
  const V = vocabulary.size - 1; // <unk> (id 0) is not trained: unknown words are dropped, as in word2vec.c
  if (V < 2) {
    throw new NeuronLensError(
      `The corpus has ${V} word${V === 1 ? '' : 's'} seen at least ${o.minCount} times; word2vec needs at least 2 (lower --min-count or use a longer text)`,
    );
  }
  // Sentences as word ids 0..V-1, unknown words removed.
  const encoded: Int32Array[] = [];
  const counts = new Int32Array(V);
  let corpusTokens = 0;
  for (const s of sentences) {
    const ids: number[] = [];
    for (const w of s) {
      const id = vocabulary.id(w) - 1;
      if (id >= 0) {
        ids.push(id);
        counts[id]!++;
      }
    }
    if (ids.length > 0) {
      encoded.push(Int32Array.from(ids));
      corpusTokens += ids.length;
    }
  }
  const words = vocabulary.tokens.slice(1) as string[];

  const rng = new Random(o.seed);
  const dim = o.dim;
  const syn0 = new Float32Array(V * dim);
  for (let i = 0; i < syn0.length; i++) syn0[i] = (rng.next() - 0.5) / dim;
  const model = new SkipGram(syn0, new Float32Array(V * dim), dim, o.window, o.negative, noiseTable(counts), rng);
  const keep = Float64Array.from(counts, (c) => keepProbability(c, corpusTokens, o.sample));

  const totalTokens = o.epochs * corpusTokens;
  const history: Word2VecEpoch[] = [];
  let tokensDone = 0;
  let alpha = o.learningRate;
  let chunkLoss = 0;
  let chunkPairs = 0;
  let nextReport = o.progressEvery;
  let cancelled = false;
  const sentence = new Int32Array(MAX_SENTENCE);

  const report = (epoch: number): void => {
    const elapsedMs = performance.now() - started;
    o.onProgress?.({
      epoch,
      epochs: o.epochs,
      tokensDone,
      totalTokens,
      learningRate: alpha,
      loss: chunkPairs > 0 ? chunkLoss / chunkPairs : Number.NaN,
      tokensPerSecond: tokensDone / (elapsedMs / 1000),
      elapsedMs,
    });
    chunkLoss = 0;
    chunkPairs = 0;
  };

  outer: for (let epoch = 1; epoch <= o.epochs; epoch++) {
    let epochLoss = 0;
    let epochPairs = 0;
    for (const raw of encoded) {
      // Subsample frequent words once per sentence per epoch, before windows are drawn, as word2vec.c does.
      let n = 0;
      for (let i = 0; i < raw.length; i++) {
        const w = raw[i]!;
        if (keep[w]! >= 1 || keep[w]! > rng.next()) sentence[n++] = w;
      }
      alpha = Math.max(o.learningRate * 1e-4, o.learningRate * (1 - tokensDone / (totalTokens + 1)));
      const loss = model.trainSentence(sentence, n, alpha);
      epochLoss += loss;
      chunkLoss += loss;
      epochPairs += model.lastPairs;
      chunkPairs += model.lastPairs;
      tokensDone += raw.length;
      if (tokensDone >= nextReport) {
        nextReport += o.progressEvery;
        report(epoch);
        // Let abort events and I/O run between chunks.
        await new Promise((resolve) => setImmediate(resolve));
        if (o.signal?.aborted) {
          cancelled = true;
          break outer;
        }
      }
    }
    history.push({ epoch, loss: epochPairs > 0 ? epochLoss / epochPairs : Number.NaN, pairs: epochPairs });
  }
  if (!cancelled && chunkPairs > 0) report(o.epochs);
  const elapsedMs = performance.now() - started;
  return {
    vectors: { words, dim, vectors: syn0 },
    counts,
    history,
    cancelled,
    corpusTokens,
    elapsedMs,
    tokensPerSecond: tokensDone / (elapsedMs / 1000),
  };
}

/**
 * The SGD state and the per-sentence update, kept in a small class of its own so the hot loop is
 * one monomorphic synchronous function that the JIT optimises well.
 */
class SkipGram {
  /** (centre, context) pairs of the last sentence trained. */
  lastPairs = 0;
  private readonly neu1e: Float32Array;

  constructor(
    readonly syn0: Float32Array,
    readonly syn1: Float32Array,
    readonly dim: number,
    readonly window: number,
    readonly negative: number,
    readonly table: Int32Array,
    readonly rng: Random,
  ) {
    this.neu1e = new Float32Array(dim);
  }

  /** One SGD pass over the first `n` words of `sentence`; returns the summed loss of its pairs, in nats. */
  trainSentence(sentence: Int32Array, n: number, alpha: number): number {
    const { syn0, syn1, dim, window, negative, table, rng, neu1e } = this;
    const tableSize = table.length;
    let loss = 0;
    let pairs = 0;
    for (let pos = 0; pos < n; pos++) {
      const centre = sentence[pos]!;
      const span = window - rng.int(window);
      const last = Math.min(n - 1, pos + span);
      for (let c = Math.max(0, pos - span); c <= last; c++) {
        if (c === pos) continue;
        const l1 = sentence[c]! * dim;
        neu1e.fill(0);
        for (let d = 0; d <= negative; d++) {
          let target = centre;
          let label = 1;
          if (d > 0) {
            target = table[rng.int(tableSize)]!;
            if (target === centre) continue;
            label = 0;
          }
          const l2 = target * dim;
          let f = 0;
          for (let k = 0; k < dim; k++) f += syn0[l1 + k]! * syn1[l2 + k]!;
          // -log σ(f) for the true word, -log σ(-f) for noise, computed before the update.
          loss += softplus(label === 1 ? -f : f);
          const g = (label - 1 / (1 + Math.exp(-f))) * alpha;
          for (let k = 0; k < dim; k++) {
            neu1e[k]! += g * syn1[l2 + k]!;
            syn1[l2 + k]! += g * syn0[l1 + k]!;
          }
        }
        for (let k = 0; k < dim; k++) syn0[l1 + k]! += neu1e[k]!;
        pairs++;
      }
    }
    this.lastPairs = pairs;
    return loss;
  }
}

function checkOptions(o: Word2VecOptions): void {
  const intAtLeast = (name: keyof Word2VecOptions, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    const x = o[name];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
      throw new NeuronLensError(`Word2Vec option ${name} must be an integer from ${min} to ${max}, got ${String(x)}`);
    }
  };
  intAtLeast('dim', 1, 10_000);
  intAtLeast('window', 1, 100);
  intAtLeast('negative', 1, 100);
  intAtLeast('minCount', 1);
  intAtLeast('maxVocab', 2);
  intAtLeast('epochs', 1, 1000);
  intAtLeast('progressEvery', 1);
  if (!(o.learningRate > 0 && o.learningRate <= 1))
    throw new NeuronLensError(`Word2Vec learning rate must be in (0, 1], got ${o.learningRate}`);
  if (!(o.sample >= 0 && o.sample < 1)) throw new NeuronLensError(`Word2Vec sample threshold must be in [0, 1), got ${o.sample}`);
}
