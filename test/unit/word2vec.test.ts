import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import { NeuronLensError } from '../../src/engine/errors';
import { readWordVectors } from '../../src/engine/embeddings/wordVectors';
import { VectorIndex } from '../../src/engine/embeddings/vectorQueries';
import { type Word2VecOptions, keepProbability, noiseTable, sentencesOf, trainWord2Vec } from '../../src/engine/embeddings/word2vec';
import { Random } from '../../src/engine/random';
import { tempDir } from './helpers';

const ANIMALS = ['cat', 'dog', 'horse', 'cow', 'goat', 'sheep'];
const COLOURS = ['red', 'green', 'blue', 'yellow', 'pink', 'brown'];

/** Sentences that each stay within one topic, so words co-occur only with their own cluster. */
function topicCorpus(sentences: number, seed: number): string {
  const rng = new Random(seed);
  const out: string[] = [];
  for (let s = 0; s < sentences; s++) {
    const topic = s % 2 === 0 ? ANIMALS : COLOURS;
    out.push(Array.from({ length: 8 }, () => topic[rng.int(topic.length)]).join(' ') + '.');
  }
  return out.join('\n');
}

const SMALL: Partial<Word2VecOptions> = {
  dim: 16,
  window: 3,
  negative: 4,
  minCount: 1,
  epochs: 4,
  sample: 0,
  seed: 5,
  progressEvery: 2000,
};
const CORPUS = topicCorpus(400, 1);

function meanCosine(index: VectorIndex, a: string[], b: string[]): number {
  let sum = 0;
  let n = 0;
  for (const x of a) {
    for (const y of b) {
      if (x === y) continue;
      sum += index.similarity(x, y);
      n++;
    }
  }
  return sum / n;
}

describe('word2vec skip-gram', () => {
  test('loss decreases and words of one topic end up closer than words of different topics', async () => {
    const r = await trainWord2Vec(CORPUS, SMALL);
    assert.equal(r.cancelled, false);
    assert.deepEqual(
      [...r.vectors.words].sort(),
      [...ANIMALS, ...COLOURS].sort(),
      'every word of the corpus is in the vocabulary, punctuation is not',
    );
    assert.equal(r.vectors.dim, 16);
    assert.equal(r.vectors.vectors.length, 12 * 16);
    assert.equal(r.history.length, 4);
    assert.ok(r.history[3]!.loss < r.history[0]!.loss, `loss should fall: ${r.history.map((h) => h.loss.toFixed(3)).join(' → ')}`);
    const index = new VectorIndex(r.vectors);
    const within = (meanCosine(index, ANIMALS, ANIMALS) + meanCosine(index, COLOURS, COLOURS)) / 2;
    const between = meanCosine(index, ANIMALS, COLOURS);
    assert.ok(within > between + 0.5, `within-topic cosine ${within.toFixed(3)} should exceed between-topic ${between.toFixed(3)} by 0.5`);
    for (const w of ['cat', 'red']) {
      const topic = ANIMALS.includes(w) ? ANIMALS : COLOURS;
      const neighbours = index.nearest(w, 5).map((n) => n.word);
      assert.deepEqual([...neighbours].sort(), topic.filter((x) => x !== w).sort(), `neighbours of ${w}`);
    }
  });

  test('the untrained vectors show no topic structure (the test above measures training, not the corpus)', async () => {
    const r = await trainWord2Vec(CORPUS, { ...SMALL, learningRate: 1e-9, epochs: 1 });
    const index = new VectorIndex(r.vectors);
    const gap = (meanCosine(index, ANIMALS, ANIMALS) + meanCosine(index, COLOURS, COLOURS)) / 2 - meanCosine(index, ANIMALS, COLOURS);
    assert.ok(Math.abs(gap) < 0.2, `gap ${gap}`);
  });

  test('a seed reproduces a run exactly; another seed does not', async () => {
    const a = await trainWord2Vec(CORPUS, { ...SMALL, epochs: 1 });
    const b = await trainWord2Vec(CORPUS, { ...SMALL, epochs: 1 });
    const c = await trainWord2Vec(CORPUS, { ...SMALL, epochs: 1, seed: 6 });
    assert.deepEqual(a.vectors.words, b.vectors.words);
    assert.deepEqual(Array.from(a.vectors.vectors), Array.from(b.vectors.vectors));
    assert.deepEqual(a.history, b.history);
    assert.notDeepEqual(Array.from(a.vectors.vectors), Array.from(c.vectors.vectors));
  });

  test('progress reports loss per chunk, and an abort stops the run between chunks', async () => {
    const seen: { tokensDone: number; loss: number; learningRate: number }[] = [];
    const full = await trainWord2Vec(CORPUS, { ...SMALL, onProgress: (p) => seen.push(p) });
    assert.ok(seen.length >= 4, `${seen.length} reports`);
    assert.equal(seen[seen.length - 1]!.tokensDone, full.corpusTokens * 4);
    for (let i = 1; i < seen.length; i++) {
      assert.ok(seen[i]!.tokensDone > seen[i - 1]!.tokensDone);
      assert.ok(seen[i]!.learningRate < seen[i - 1]!.learningRate, 'the step size decays linearly');
    }
    assert.ok(seen.every((p) => Number.isFinite(p.loss) && p.loss > 0));

    const controller = new AbortController();
    let reports = 0;
    const cut = await trainWord2Vec(CORPUS, {
      ...SMALL,
      signal: controller.signal,
      onProgress: () => {
        if (++reports === 1) controller.abort();
      },
    });
    assert.equal(cut.cancelled, true);
    assert.equal(reports, 1);
    assert.equal(cut.history.length, 0, 'no epoch completed');
  });

  test('subsampling drops frequent words more often, as word2vec.c computes it', () => {
    const total = 1_000_000;
    assert.equal(keepProbability(50, total, 0), 1);
    // A word at frequency 1% with sample 1e-3 is kept with probability (sqrt(10)+1)/10.
    assert.ok(Math.abs(keepProbability(10_000, total, 1e-3) - (Math.sqrt(10) + 1) / 10) < 1e-12);
    assert.ok(keepProbability(100, total, 1e-3) > 1, 'rare words are always kept');
    assert.ok(keepProbability(100_000, total, 1e-3) < keepProbability(10_000, total, 1e-3));
  });

  test('the noise table draws words in proportion to count^0.75', () => {
    const counts = [1000, 100, 10, 1];
    const table = noiseTable(counts, 100_000);
    const drawn = [0, 0, 0, 0];
    for (const w of table) drawn[w]!++;
    const z = counts.reduce((s, c) => s + c ** 0.75, 0);
    counts.forEach((c, i) => {
      const expected = c ** 0.75 / z;
      assert.ok(Math.abs(drawn[i]! / table.length - expected) < 0.002, `word ${i}: ${drawn[i]! / table.length} vs ${expected}`);
    });
  });

  test('sentences end at . ! ? and blank lines, not at line wraps; case is folded unless asked', () => {
    assert.deepEqual(sentencesOf('Call me Ishmael. Some years\nago — never mind!\n\nHow long', true), [
      ['call', 'me', 'ishmael'],
      ['some', 'years', 'ago', 'never', 'mind'],
      ['how', 'long'],
    ]);
    assert.deepEqual(sentencesOf('One line\n\n\nTwo', false), [['One', 'line'], ['Two']]);
  });

  test('bad options and a corpus too small give clear errors', async () => {
    await assert.rejects(trainWord2Vec(CORPUS, { dim: 0 }), /option dim must be an integer from 1/);
    await assert.rejects(trainWord2Vec(CORPUS, { window: 2.5 }), /option window must be an integer/);
    await assert.rejects(trainWord2Vec(CORPUS, { learningRate: -1 }), /learning rate must be in/);
    await assert.rejects(
      trainWord2Vec('... !!!', {}),
      (e: unknown) => e instanceof NeuronLensError && /has 0 words seen at least 5 times/.test(e.message),
    );
    await assert.rejects(trainWord2Vec('cat dog cat', { minCount: 2 }), /has 1 word seen at least 2 times/);
  });
});

describe('vector queries', () => {
  const index = new VectorIndex({
    words: ['man', 'woman', 'king', 'queen', 'apple', 'zero'],
    dim: 3,
    // gender on axis 0, royalty on axis 1, fruit on axis 2
    vectors: Float32Array.from([1, 0, 0.1, -1, 0, 0.1, 1, 1, 0, -1, 1, 0, 0, 0, 1, 0, 0, 0]),
  });

  test('nearest neighbours by cosine, best first, the word itself excluded', () => {
    const n = index.nearest('king', 3);
    assert.deepEqual(
      n.map((x) => x.word),
      ['man', 'queen', 'apple'],
    );
    assert.ok(Math.abs(n[0]!.similarity - 1 / Math.sqrt(2) / Math.sqrt(1.01)) < 1e-6);
    assert.ok(n[0]!.similarity >= n[1]!.similarity && n[1]!.similarity >= n[2]!.similarity);
    assert.equal(index.nearest('zero', 1)[0]!.similarity, 0, 'a zero vector is similar to nothing');
  });

  test('analogy man:king::woman → queen, inputs excluded', () => {
    const [best] = index.analogy('man', 'king', 'woman', 1);
    assert.equal(best!.word, 'queen');
    assert.ok(!index.analogy('man', 'king', 'woman', 5).some((n) => ['man', 'king', 'woman'].includes(n.word)));
  });

  test('missing words are all named', () => {
    assert.throws(
      () => index.analogy('man', 'kong', 'wumman'),
      (e: unknown) =>
        e instanceof NeuronLensError && /Not in the vocabulary of the word vectors \(6 words\): "kong", "wumman"$/.test(e.message),
    );
    assert.throws(() => index.nearest('prince'), /"prince"/);
  });
});

describe('word2vec and neighbours commands', () => {
  async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), colour: false };
    const code = await main([...argv, '--backend', 'wasm'], io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  test('trains on a corpus file, writes binary vectors, and neighbours reads them back', async () => {
    const dir = tempDir();
    const corpus = path.join(dir, 'topics.txt');
    fs.writeFileSync(corpus, CORPUS);
    const vectors = path.join(dir, 'v.bin');
    const args = ['word2vec', '--corpus', corpus, '--dim', '16', '--window', '3', '--negative', '4', '--min-count', '1'];
    const t = await run(
      ...args,
      '--epochs',
      '4',
      '--sample',
      '0',
      '--seed',
      '5',
      '--out',
      vectors,
      '--format',
      'word2vec-binary',
      '--json',
    );
    assert.equal(t.code, 0, t.err);
    const lines = t.out.split('\n').map((l) => JSON.parse(l) as { type: string; words?: number; history?: { loss: number }[] });
    assert.ok(lines.some((l) => l.type === 'progress'));
    const done = lines[lines.length - 1]!;
    assert.equal(done.type, 'done');
    assert.equal(done.words, 12);
    assert.ok(done.history![3]!.loss < done.history![0]!.loss);
    const v = readWordVectors(vectors);
    assert.equal(v.dim, 16);
    assert.equal(v.words.length, 12);

    const n = await run('neighbours', '--vectors', vectors, '--word', 'cat', '--analogy', 'cat:dog::red', '--top', '3', '--json');
    assert.equal(n.code, 0, n.err);
    const [cat, analogy] = n.out
      .split('\n')
      .map((l) => JSON.parse(l) as { query: string; neighbours: { word: string; similarity: number }[] });
    assert.equal(cat!.query, 'cat');
    assert.ok(
      cat!.neighbours.every((x) => ANIMALS.includes(x.word) && x.word !== 'cat'),
      JSON.stringify(cat),
    );
    assert.equal(analogy!.query, 'cat:dog::red');
    assert.ok(!analogy!.neighbours.some((x) => ['cat', 'dog', 'red'].includes(x.word)));
    const text = await run('neighbours', '--vectors', vectors, '--word', 'cat', '--top', '2');
    assert.match(text.out, /^cat:\n {2}[ 0-9.-]{6} {2}\w+\n {2}[ 0-9.-]{6} {2}\w+$/);
  });

  test('bad input: missing words are all named, a malformed analogy, an inconsistent file', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'v.txt');
    fs.writeFileSync(file, 'a 1 0\nb 0 1\nc 1 1\n');
    const missing = await run('neighbours', '--vectors', file, '--word', 'zz', '--analogy', 'a:yy::b');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /Not in the vocabulary of the word vectors \(3 words\): "zz", "yy"/);
    const malformed = await run('neighbours', '--vectors', file, '--analogy', 'a:b:c');
    assert.match(malformed.err, /--analogy must look like a:b::c/);
    fs.writeFileSync(file, 'a 1 0\nb 0 1 2\n');
    const bad = await run('neighbours', '--vectors', file, '--word', 'a');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /line 2: "b" has 3 values, expected 2/);
    const noOut = await run('word2vec', '--corpus', file);
    assert.match(noOut.err, /--out is required/);
  });
});
