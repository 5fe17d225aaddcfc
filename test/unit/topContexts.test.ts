import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import { initBackend } from '../../src/engine/backend';
import { BoundedHeap } from '../../src/engine/boundedHeap';
import { CancelledError, NeuronLensError } from '../../src/engine/errors';
import { saveModel } from '../../src/engine/modelFolder';
import { Random } from '../../src/engine/random';
import { neuronTrace, recordActivations } from '../../src/engine/recorder';
import { ContextSelector, type TopContext, corpusDocuments, segmentEnd, topContexts } from '../../src/engine/topContexts';
import { tokenize } from '../../src/engine/tokenizer';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

before(async () => {
  await initBackend('wasm');
});

/** One-character tokens over `text` with the given values, fed to a selector. */
function select(text: string, values: number[], k: number, window: number, direction: 'most' | 'least'): TopContext[] {
  const s = new ContextSelector(k, window, direction);
  s.beginFile('doc.txt', text);
  values.forEach((v, i) => s.push(i, i, i + 1, v));
  return s.results();
}

/**
 * The rule stated in ContextSelector, by brute force: a token qualifies when no token whose
 * snippet overlaps its own is more extreme (ties: the earlier); the best k qualifying, in order.
 */
function oracle(
  tokens: { start: number; end: number }[],
  values: ArrayLike<number>,
  textLength: number,
  k: number,
  window: number,
  sign: 1 | -1,
) {
  const span = (t: { start: number; end: number }) => [Math.max(0, t.start - window), Math.min(textLength, t.end + window)] as const;
  const peaks: number[] = [];
  tokens.forEach((t, i) => {
    const [a, b] = span(t);
    const beaten = tokens.some((u, j) => {
      if (j === i) return false;
      const [c, d] = span(u);
      if (!(c < b && a < d)) return false;
      return sign * values[j]! > sign * values[i]! || (values[j] === values[i] && j < i);
    });
    if (!beaten) peaks.push(i);
  });
  return peaks.sort((i, j) => sign * (values[j]! - values[i]!) || i - j).slice(0, k);
}

function assertNoOverlap(results: TopContext[]): void {
  for (const a of results) {
    for (const b of results) {
      if (a === b || a.file !== b.file) continue;
      const aEnd = a.snippetStart + a.snippet.length;
      const bEnd = b.snippetStart + b.snippet.length;
      assert.ok(aEnd <= b.snippetStart || bEnd <= a.snippetStart, `snippets of tokens ${a.tokenIndex} and ${b.tokenIndex} overlap`);
    }
  }
}

describe('context selection', () => {
  test('top and bottom are exactly the expected positions, in order, neighbours suppressed', () => {
    const text = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const values = new Array<number>(text.length).fill(0);
    values[3] = 9; // peak
    values[4] = 8; // within the window of 3: suppressed
    values[12] = 7;
    values[20] = 7; // tie with 12, far enough: both kept, the earlier first
    values[30] = 5;
    values[34] = 6; // beats 30: their snippets overlap
    values[8] = -4;
    values[25] = -9;
    values[27] = -3; // suppressed by 25
    const most = select(text, values, 4, 2, 'most');
    assert.deepEqual(
      most.map((c) => [c.tokenIndex, c.value]),
      [
        [3, 9],
        [12, 7],
        [20, 7],
        [34, 6],
      ],
    );
    assert.deepEqual(most[0], {
      value: 9,
      file: 'doc.txt',
      tokenIndex: 3,
      start: 3,
      end: 4,
      token: 'd',
      snippet: 'bcdef',
      snippetStart: 1,
      markStart: 2,
      markEnd: 3,
      snippetTokens: [1, 2, 3, 4, 5].map((i) => ({ start: i - 1, end: i, value: values[i]! })),
    });
    assert.equal(most[3]!.snippet, '6789', 'the snippet is cut at the end of the text');
    assert.deepEqual(
      most[3]!.snippetTokens.map((t) => [t.start, t.end, t.value]),
      [32, 33, 34, 35].map((i, k) => [k, k + 1, values[i]!]),
      'every token the snippet shows, with its value',
    );
    const least = select(text, values, 2, 2, 'least');
    assert.deepEqual(
      least.map((c) => [c.tokenIndex, c.value]),
      [
        [25, -9],
        [8, -4],
      ],
    );
    assertNoOverlap(most);
    assertNoOverlap(least);
  });

  test('equals the brute-force rule on random streams; never overlaps; holds at most k', () => {
    const rng = new Random(11);
    for (let trial = 0; trial < 30; trial++) {
      const n = 50 + rng.int(300);
      // Tokens of 1–4 characters with integer values, so ties happen.
      const tokens: { start: number; end: number }[] = [];
      let offset = 0;
      for (let i = 0; i < n; i++) {
        const len = 1 + rng.int(4);
        tokens.push({ start: offset, end: offset + len });
        offset += len;
      }
      const text = 'x'.repeat(offset);
      const values = tokens.map(() => rng.int(20) - 10);
      const k = 1 + rng.int(6);
      const window = rng.int(8);
      for (const direction of ['most', 'least'] as const) {
        const s = new ContextSelector(k, window, direction);
        s.beginFile('t', text);
        tokens.forEach((t, i) => {
          s.push(i, t.start, t.end, values[i]!);
          assert.ok(s.maxHeld <= k);
        });
        const got = s.results();
        const expected = oracle(tokens, values, text.length, k, window, direction === 'most' ? 1 : -1);
        assert.deepEqual(
          got.map((c) => c.tokenIndex),
          expected,
          `trial ${trial} ${direction} k=${k} window=${window}`,
        );
        assertNoOverlap(got);
        assert.ok(s.maxHeld <= k, `held ${s.maxHeld} > k ${k}`);
      }
    }
  });

  test('a bounded heap keeps the best k of a long stream and never grows past k', () => {
    const heap = new BoundedHeap<number>(5, (a, b) => a > b);
    const rng = new Random(3);
    const all: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const x = rng.next();
      all.push(x);
      heap.offer(x);
      assert.ok(heap.size <= 5);
    }
    assert.deepEqual(heap.sorted(), all.sort((a, b) => b - a).slice(0, 5));
  });

  test('a snippet edge never splits an emoji', () => {
    // Offsets are UTF-16 code units: 'a' 0, 'b' 1, 👍 2–3, 'c' 4, 'd' 5, 👍 6–7, 'e' 8.
    const text = 'ab\u{1F44D}cd\u{1F44D}e';
    const values = [0, 0, 0, 0, 9, 0, 0, 0, 0];
    const narrow = select(text, values, 1, 1, 'most')[0]!;
    assert.equal(narrow.token, 'c');
    assert.equal(narrow.snippet, 'cd', 'one unit to the left would be half an emoji: the snippet shrinks instead');
    const two = select(text, values, 1, 2, 'most')[0]!;
    assert.equal(two.snippet, '\u{1F44D}cd', 'and on the right');
    assert.equal(two.snippet.slice(two.markStart, two.markEnd), 'c');
    assert.equal(select(text, values, 1, 3, 'most')[0]!.snippet, 'b\u{1F44D}cd\u{1F44D}');
  });

  test('bad k and window', () => {
    assert.throws(() => new ContextSelector(0, 3, 'most'), /positive integer, got 0/);
    assert.throws(() => new ContextSelector(2, -1, 'most'), /window must be a whole number/);
  });
});

describe('top contexts over a corpus', () => {
  test('folder input: files named, values are the recorder’s, results match the rule, per file', async () => {
    const m = tinyModel('lstm', 'char', 4, 6);
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'sub'));
    const texts: Record<string, string> = {
      'a.txt': SMALL_TEXT.slice(0, 300),
      'sub/b.txt': 'a dog and a cat. '.repeat(15),
    };
    for (const [name, text] of Object.entries(texts)) fs.writeFileSync(path.join(dir, name), text);
    fs.writeFileSync(path.join(dir, 'image.bin'), Buffer.from([0, 1, 2, 0, 255]));
    fs.writeFileSync(path.join(dir, '.hidden.txt'), 'ignored');

    const before = tf.memory().numTensors;
    const docs = corpusDocuments(dir);
    assert.deepEqual(
      docs.map((d) => d.name),
      ['a.txt', 'image.bin', 'sub/b.txt'],
    );
    const progress: number[] = [];
    const r = await topContexts(m, docs, {
      layer: 0,
      component: 'hidden',
      neuron: 2,
      k: 4,
      window: 6,
      chunkSize: 64,
      onProgress: (p) => progress.push(p.bytesDone),
    });
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
    assert.deepEqual(r.files, ['a.txt', 'sub/b.txt']);
    assert.deepEqual(
      r.skipped.map((s) => s.file),
      ['image.bin'],
    );
    assert.match(r.skipped[0]!.reason, /binary/);
    assert.equal(r.component, 'h');
    assert.ok(r.maxHeld <= 4);
    assert.ok(progress.every((b, i) => i === 0 || b >= progress[i - 1]!));
    assert.equal(
      progress[progress.length - 1],
      docs.reduce((s, d) => s + d.bytes, 0),
    );

    // Reference: record each file whole, then apply the rule; merge across files by value.
    const expected: Record<'most' | 'least', { file: string; tokenIndex: number; value: number }[]> = { most: [], least: [] };
    let tokens = 0;
    const recorded: Record<string, { tokens: { start: number; end: number }[]; trace: ArrayLike<number> }> = {};
    for (const [file, text] of Object.entries(texts)) {
      const rec = await recordActivations(m, text, { layers: [0], components: ['h'], chunkSize: 64 });
      const trace = neuronTrace(rec.layers[0]!, 'h', 2);
      recorded[file] = { tokens: rec.tokens, trace };
      tokens += rec.tokens.length;
      for (const [direction, sign] of [
        ['most', 1],
        ['least', -1],
      ] as const) {
        for (const i of oracle(rec.tokens, trace, text.length, 4, 6, sign))
          expected[direction].push({ file, tokenIndex: i, value: trace[i]! });
      }
    }
    assert.equal(r.tokens, tokens);
    for (const [direction, sign] of [
      ['most', 1],
      ['least', -1],
    ] as const) {
      const want = expected[direction].sort((a, b) => sign * (b.value - a.value)).slice(0, 4);
      assert.deepEqual(
        r[direction].map((c) => ({ file: c.file, tokenIndex: c.tokenIndex, value: c.value })),
        want,
        direction,
      );
      for (const c of r[direction]) {
        const text = texts[c.file]!;
        assert.equal(c.token, text.slice(c.start, c.end));
        assert.equal(c.snippet.slice(c.markStart, c.markEnd), c.token);
        assert.equal(c.snippet, text.slice(Math.max(0, c.start - 6), c.end + 6));
        // The snippet's tokens are the recording's tokens there, with the values recorded whole.
        const { tokens: all, trace } = recorded[c.file]!;
        const inside = all.flatMap((t, i) => (t.end > c.snippetStart && t.start < c.snippetStart + c.snippet.length ? [i] : []));
        assert.deepEqual(
          c.snippetTokens.map((t) => [t.start + c.snippetStart, t.value]),
          inside.map((i) => [Math.max(all[i]!.start, c.snippetStart), trace[i]!]),
        );
        assert.equal(c.snippetTokens.map((t) => c.snippet.slice(t.start, t.end)).join(''), c.snippet);
      }
      assertNoOverlap(r[direction]);
    }
    assert.ok(r.most[0]!.value > r.least[0]!.value);

    // Repeated runs leak nothing and give the same answer.
    const again = await topContexts(m, docs, { layer: 0, component: 'h', neuron: 2, k: 4, window: 6, chunkSize: 64 });
    assert.deepEqual(again.most, r.most);
    assert.equal(tf.memory().numTensors, before);
    m.model.dispose();
  });

  test('segment-wise tokenization gives exactly the tokens of the whole text', () => {
    const text = 'Call me Ishmael.\r\nSome  years ago —\n\nnever mind 👍 how long precisely;' + ' word'.repeat(50) + '\rend\n';
    for (const level of ['char', 'word'] as const) {
      for (const target of [1, 3, 7, 20]) {
        const pieces: string[] = [];
        for (let from = 0; from < text.length;) {
          const to = segmentEnd(text, from, target);
          assert.ok(to > from);
          pieces.push(...tokenize(text.slice(from, to), level).map((t) => t.text));
          from = to;
        }
        assert.deepEqual(
          pieces,
          tokenize(text, level).map((t) => t.text),
          `${level} target ${target}`,
        );
      }
    }
  });

  test('a long text in many segments and chunks gives the same contexts as one segment', async () => {
    const m = tinyModel('lstm', 'word', 2, 5);
    const dir = tempDir();
    const file = path.join(dir, 'long.txt');
    fs.writeFileSync(file, SMALL_TEXT.repeat(4));
    const opts = { layer: 0, component: 'h', neuron: 1, k: 5, window: 12 };
    const whole = await topContexts(m, corpusDocuments(file), { ...opts, segmentChars: 1e9, chunkSize: 1e6 });
    const pieces = await topContexts(m, corpusDocuments(file), { ...opts, segmentChars: 50, chunkSize: 7 });
    assert.equal(pieces.tokens, whole.tokens);
    assert.deepEqual(
      pieces.most.map((c) => [c.tokenIndex, c.start, c.snippet]),
      whole.most.map((c) => [c.tokenIndex, c.start, c.snippet]),
    );
    assert.deepEqual(
      pieces.least.map((c) => c.tokenIndex),
      whole.least.map((c) => c.tokenIndex),
    );
    for (const [a, b] of pieces.most.map((c, i) => [c.value, whole.most[i]!.value])) assert.ok(Math.abs(a! - b!) < 1e-5);
    m.model.dispose();
  });

  test('memory is bounded: a long text holds at most k results', async () => {
    const m = tinyModel('gru', 'word', 2, 5);
    const dir = tempDir();
    const file = path.join(dir, 'long.txt');
    fs.writeFileSync(file, SMALL_TEXT.repeat(30));
    const r = await topContexts(m, corpusDocuments(file), { layer: 0, component: 'z', neuron: 0, k: 3, window: 10 });
    assert.ok(r.tokens > 10_000, `${r.tokens} tokens`);
    assert.equal(r.most.length, 3);
    assert.equal(r.least.length, 3);
    assert.equal(r.maxHeld, 3);
    assert.deepEqual(r.files, ['long.txt']);
    m.model.dispose();
  });

  test('cancellation and bad input', async () => {
    const m = tinyModel('lstm', 'char', 4, 6);
    const dir = tempDir();
    const file = path.join(dir, 'a.txt');
    fs.writeFileSync(file, SMALL_TEXT);
    const controller = new AbortController();
    await assert.rejects(
      topContexts(m, corpusDocuments(file), {
        layer: 0,
        component: 'h',
        neuron: 0,
        k: 2,
        window: 5,
        chunkSize: 50,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
      (e: unknown) => e instanceof CancelledError && /Top contexts cancelled/.test(e.message),
    );
    const opts = { layer: 0, component: 'h', neuron: 0, k: 2, window: 5 };
    await assert.rejects(
      topContexts(m, corpusDocuments(file), { ...opts, neuron: 6 }),
      /Neuron 6 does not exist: layer 0 has 6 neurons \(0–5\)/,
    );
    await assert.rejects(topContexts(m, corpusDocuments(file), { ...opts, layer: 1 }), /Layer 1 does not exist/);
    await assert.rejects(topContexts(m, corpusDocuments(file), { ...opts, component: 'zz' }), /Unknown component "zz"/);
    const empty = tempDir();
    assert.throws(
      () => corpusDocuments(empty),
      (e: unknown) => e instanceof NeuronLensError && e.message.includes(empty) && /has no files/.test(e.message),
    );
    assert.throws(() => corpusDocuments(path.join(empty, 'missing')), /Corpus not found/);
    const bin = path.join(empty, 'x.bin');
    fs.writeFileSync(bin, Buffer.from([0, 0, 1]));
    await assert.rejects(
      topContexts(m, corpusDocuments(bin), opts),
      (e: unknown) => e instanceof NeuronLensError && e.message.includes(bin),
    );
    m.model.dispose();
  });
});

describe('contexts command', () => {
  async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), colour: false };
    const code = await main([...argv, '--backend', 'wasm'], io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  test('--json lists most and least active contexts; text output marks the token', async () => {
    const m = tinyModel('lstm', 'char', 4, 6);
    const modelDir = tempDir();
    await saveModel(modelDir, m);
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'one.txt'), SMALL_TEXT.slice(0, 200));
    fs.writeFileSync(path.join(dir, 'two.txt'), 'the log sat on the dog.\n'.repeat(8));
    const j = await run(
      'contexts',
      '--model',
      modelDir,
      '--neuron',
      '3',
      '--component',
      'c',
      '--corpus',
      dir,
      '--top',
      '3',
      '--window',
      '5',
      '--json',
    );
    assert.equal(j.code, 0, j.err);
    const r = JSON.parse(j.out) as { component: string; neuron: number; files: string[]; most: TopContext[]; least: TopContext[] };
    assert.equal(r.component, 'c');
    assert.equal(r.neuron, 3);
    assert.deepEqual(r.files, ['one.txt', 'two.txt']);
    const direct = await topContexts(m, corpusDocuments(dir), { layer: 0, component: 'c', neuron: 3, k: 3, window: 5 });
    assert.deepEqual(
      r.most.map((c) => [c.file, c.tokenIndex, c.snippet]),
      direct.most.map((c) => [c.file, c.tokenIndex, c.snippet]),
    );
    assert.deepEqual(
      r.least.map((c) => [c.file, c.tokenIndex]),
      direct.least.map((c) => [c.file, c.tokenIndex]),
    );

    const t = await run(
      'contexts',
      '--model',
      modelDir,
      '--neuron',
      '3',
      '--component',
      'c',
      '--corpus',
      dir,
      '--top',
      '3',
      '--window',
      '5',
    );
    assert.equal(t.code, 0, t.err);
    const lines = t.out.split('\n');
    assert.match(lines[0]!, /layer 0 .* neuron 3 over \d+ tokens of 2 files/);
    const first = direct.most[0]!;
    assert.equal(lines[1], 'most active:');
    assert.ok(lines[2]!.includes(`⟪${first.token.replace('\n', '⏎')}⟫`), lines[2]);
    assert.ok(lines[2]!.endsWith(`${first.file}:${first.tokenIndex}`), lines[2]);
    assert.equal(lines[5], 'least active:');
    m.model.dispose();
  });

  test('bad input: missing --neuron, a neuron out of range, a missing corpus', async () => {
    const m = tinyModel('gru', 'char', 4, 6);
    const modelDir = tempDir();
    await saveModel(modelDir, m);
    m.model.dispose();
    assert.match((await run('contexts', '--model', modelDir)).err, /--neuron is required/);
    assert.match((await run('contexts', '--model', modelDir, '--neuron', '9', '--corpus', modelDir)).err, /Neuron 9 does not exist/);
    const r = await run('contexts', '--model', modelDir, '--neuron', '1', '--corpus', path.join(modelDir, 'nope'));
    assert.equal(r.code, 1);
    assert.match(r.err, /Corpus not found: .*nope/);
  });
});
