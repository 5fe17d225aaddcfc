import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import { saveModel } from '../../src/engine/modelFolder';
import { initBackend } from '../../src/engine/backend';
import { type SearchDocument, proposeNeurons, searchPattern, tokenSpanOfChars } from '../../src/engine/patternSearch';
import { Random } from '../../src/engine/random';
import { recordActivations } from '../../src/engine/recorder';
import { RecordingIndex, indexText } from '../../src/engine/recordingIndex';
import { collectTextFiles } from '../../src/engine/textFiles';
import { charTokens } from '../../src/engine/tokenizer';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

const UNITS = 16;
const PLANTED = 'XYZW';
/** Neurons 12–15 carry the planted pattern; each planted letter turns on two of them. */
const PLANTED_ON: Record<string, number[]> = { X: [12, 13], Y: [13, 14], Z: [14, 15], W: [12, 15] };

/**
 * Random lowercase text with PLANTED inserted at known offsets. Each background letter turns on a
 * random subset of all 16 neurons (so 12–15 also fire by chance: partial matches exist), plus
 * N(0, 0.1) noise; the threshold is 0.5.
 */
function plantedCorpus(name: string, seed: number, length: number, at: number[]): { doc: SearchDocument; text: string } {
  const rng = new Random(seed);
  const letters = 'abcdefghij ';
  const letterOn = new Map(
    [...letters].map((c, i) => [c, Array.from({ length: UNITS }, (_, n) => new Random(100 + i * UNITS + n).next() < 0.25)]),
  );
  let text = '';
  while (text.length < length) {
    if (at.includes(text.length)) text += PLANTED;
    else text += letters[rng.int(letters.length)];
  }
  const tokens = charTokens(text);
  const values = new Float32Array(tokens.length * UNITS);
  tokens.forEach((tok, t) => {
    for (let n = 0; n < UNITS; n++) {
      const on = PLANTED_ON[tok.text] ? PLANTED_ON[tok.text]!.includes(n) : letterOn.get(tok.text)![n]!;
      values[t * UNITS + n] = (on ? 1 : 0) + 0.1 * rng.normal();
    }
  });
  return { doc: { name, tokens, index: RecordingIndex.fromValues(values, UNITS, 0.5) }, text };
}

function handMade(rows: number[][], threshold: number): SearchDocument {
  const units = rows[0]!.length;
  const tokens = charTokens('abcdefghijklmnopqrstuvwxyz'.slice(0, rows.length));
  return { name: 'hand.txt', tokens, index: RecordingIndex.fromValues(Float32Array.from(rows.flat()), units, threshold) };
}

describe('pattern search', () => {
  it('finds a planted pattern at every planted position in two texts, ranked above everything else', () => {
    const a = plantedCorpus('a.txt', 1, 3000, [40, 777, 1500, 2801]);
    const b = plantedCorpus('b.txt', 2, 2000, [5, 1234]);
    const planted = [...[777, 1500, 2801].map((from) => ({ document: 0, from })), ...[5, 1234].map((from) => ({ document: 1, from }))];
    const result = searchPattern(
      [a.doc, b.doc],
      { document: a.doc, from: 40, to: 44, neurons: [12, 13, 14, 15] },
      { top: planted.length + 3 },
    );
    assert.equal(result.query.text, PLANTED);
    const found = result.matches.slice(0, planted.length);
    // Equal scores rank by text order then position, so the planted spans come in this exact order.
    assert.deepEqual(
      found.map((m) => ({ document: m.document, from: m.from })),
      planted,
    );
    for (const m of found) {
      assert.equal(m.score, 1);
      assert.equal(m.preview.match, PLANTED);
      assert.equal((m.document === 0 ? a.text : b.text).slice(m.start, m.end), PLANTED);
    }
    const rest = result.matches.slice(planted.length);
    assert.equal(rest.length, 3);
    assert.ok(rest.every((m) => m.score < 1 && m.score > 0));
    assert.ok(rest.every((m, i) => i === 0 || rest[i - 1]!.score >= m.score));
    assert.ok(!result.matches.some((m) => m.document === 0 && m.from < 44 && m.to > 40), 'the query itself is excluded');
    assert.equal(result.windows, 3000 - 3 + (2000 - 3));
  });

  it('agrees with a brute-force Jaccard scan on random bits (spans longer than a word, ragged ends)', () => {
    const rng = new Random(9);
    const units = 5;
    const rows = Array.from({ length: 301 }, () => Array.from({ length: units }, () => (rng.next() < 0.3 ? 1 : 0)));
    const doc = handMadeLong(rows);
    const neurons = [0, 2, 4];
    const [from, to] = [100, 137];
    const result = searchPattern([doc], { document: doc, from, to, neurons }, { top: 4 });
    const length = to - from;
    const scores: { from: number; score: number }[] = [];
    for (let p = 0; p + length <= rows.length; p++) {
      if (p < to && p + length > from) continue;
      let shared = 0;
      let union = 0;
      for (const n of neurons) {
        for (let j = 0; j < length; j++) {
          const q = rows[from + j]![n]! > 0.5;
          const w = rows[p + j]![n]! > 0.5;
          if (q && w) shared++;
          if (q || w) union++;
        }
      }
      if (shared > 0) scores.push({ from: p, score: shared / union });
    }
    scores.sort((x, y) => y.score - x.score || x.from - y.from);
    const kept: number[] = [];
    for (const s of scores) if (kept.length < 4 && !kept.some((k) => Math.abs(k - s.from) < length)) kept.push(s.from);
    assert.deepEqual(
      result.matches.map((m) => m.from),
      kept,
    );
    assert.deepEqual(
      result.matches.map((m) => m.score),
      kept.map((k) => scores.find((s) => s.from === k)!.score),
    );
  });

  it('depends on the threshold and on the neuron set', () => {
    const z = [0, 0];
    // query at 0: n0 [0.9, 0.6], n1 [0.9, 0.9]; B at 5: n0 [0.9, 0.2], n1 [0.9, 0.9]; A at 10: n0 [0.9, 0.8], n1 off.
    const rows = [[0.9, 0.9], [0.6, 0.9], z, z, z, [0.9, 0.9], [0.2, 0.9], z, z, z, [0.9, 0], [0.8, 0], z, z];
    const best = (threshold: number, neurons: number[]) => {
      const doc = handMade(rows, threshold);
      return searchPattern([doc], { document: doc, from: 0, to: 2, neurons }, { top: 1 }).matches[0]!;
    };
    // At 0.5 the query's n0 is [on, on], which only A repeats; at 0.7 it is [on, off], like B.
    assert.deepEqual([best(0.5, [0]).from, best(0.5, [0]).score], [10, 1]);
    assert.deepEqual([best(0.7, [0]).from, best(0.7, [0]).score], [5, 1]);
    const both = best(0.5, [0, 1]);
    assert.deepEqual([both.from, both.score, both.shared, both.union], [5, 0.75, 3, 4]);
  });

  it('proposes the neurons on inside the span and off around it, best first', () => {
    // Span 4–8. n0: on throughout, off around; n1: on everywhere; n2: on for half the span;
    // n3: on only around it.
    const rows = Array.from({ length: 14 }, (_, t) => {
      const inside = t >= 4 && t < 8;
      return [inside ? 1 : 0, 1, inside && t >= 6 ? 1 : 0, inside ? 0 : 1];
    });
    const doc = handMade(rows, 0.5);
    assert.deepEqual(proposeNeurons(doc, 4, 8), [0, 2]);
    assert.deepEqual(proposeNeurons(doc, 4, 8, 1), [0]);
    assert.throws(
      () => proposeNeurons(handMade([[1], [1], [1]], 0.5), 1, 2),
      /No neuron is on \(above 0\.5\) more inside tokens 1–2 of hand\.txt than around them/,
    );
  });

  it('maps an editor selection (characters) to the tokens it touches', () => {
    const doc = { name: 'w.txt', tokens: [...charTokens('ab')].map((t, i) => ({ ...t, start: i * 3, end: i * 3 + 3 })) };
    assert.deepEqual(tokenSpanOfChars(doc, 2, 4), { from: 0, to: 2 });
    assert.deepEqual(tokenSpanOfChars(doc, 3, 6), { from: 1, to: 2 });
    assert.throws(() => tokenSpanOfChars(doc, 4, 4), /selection 4–4 is not a non-empty character range inside w\.txt \(0–6\)/);
    assert.throws(() => tokenSpanOfChars(doc, 0, 7), /inside w\.txt/);
  });

  it('refuses bad queries with messages naming the problem', () => {
    const { doc } = plantedCorpus('a.txt', 1, 200, [50]);
    const q = { document: doc, neurons: [12] };
    assert.throws(() => searchPattern([doc], { ...q, from: 5, to: 5 }), /query span 5–5 of a\.txt is empty/);
    assert.throws(() => searchPattern([doc], { ...q, from: 190, to: 210 }), /query span 190–210 is outside a\.txt, which has 200 tokens/);
    assert.throws(() => searchPattern([doc], { ...q, from: 50, to: 54, neurons: [] }), /Choose at least one neuron/);
    assert.throws(
      () => searchPattern([doc], { ...q, from: 50, to: 54, neurons: [16] }),
      /Neuron 16 does not exist: the index has 16 neurons/,
    );
    assert.throws(() => searchPattern([doc], { ...q, from: 50, to: 54 }, { top: 0 }), /positive integer/);
    const quiet = handMade([[0], [0], [1]], 0.5);
    assert.throws(
      () => searchPattern([quiet], { document: quiet, from: 0, to: 2, neurons: [0] }),
      /is on \(above 0\.5\) anywhere in the query span/,
    );
    const other = handMade([[0, 1]], 0.3);
    assert.throws(
      () => searchPattern([other], { ...q, from: 50, to: 54 }),
      /hand\.txt was indexed with 2 neurons at threshold 0\.3, the query with 16 at 0\.5/,
    );
  });
});

describe('recording index', () => {
  it('indexes a model run chunk by chunk exactly as thresholding the full recording, leaking no tensors', async () => {
    await initBackend('wasm');
    const loaded = tinyModel('lstm', 'char', 3, 8);
    try {
      const text = SMALL_TEXT.slice(0, 300);
      const full = await recordActivations(loaded, text, { layers: [0], components: ['h'] });
      const expected = RecordingIndex.fromValues(full.layers[0]!.components.h!, 8, 0.05);
      const before = tf.memory().numTensors;
      for (let run = 0; run < 2; run++) {
        const { tokens, index } = await indexText(loaded, text, { layer: 0, component: 'h', threshold: 0.05, chunkSize: 37 });
        assert.equal(tokens.length, 300);
        assert.equal(index.tokenCount, 300);
        for (let n = 0; n < 8; n++) assert.deepEqual(index.words(n).subarray(0, 11), expected.words(n).subarray(0, 11), `neuron ${n}`);
      }
      assert.equal(tf.memory().numTensors, before);
      let ons = 0;
      for (let n = 0; n < 8; n++) ons += expected.countOn(n, 0, 300);
      assert.ok(ons > 0 && ons < 2400, `threshold splits the values (${ons} of 2400 on)`);
    } finally {
      loaded.model.dispose();
    }
  });

  it('stops indexing when cancelled', async () => {
    await initBackend('wasm');
    const loaded = tinyModel('lstm', 'char', 3, 8);
    try {
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(
        indexText(loaded, SMALL_TEXT, { layer: 0, component: 'h', threshold: 0, signal: controller.signal }),
        (e: Error & { code?: string }) => e.code === 'cancelled',
      );
    } finally {
      loaded.model.dispose();
    }
  });

  it('collects the text files of a folder in name order, skipping hidden, dependency and binary files', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.mkdirSync(path.join(dir, '.git'));
    fs.writeFileSync(path.join(dir, 'b.txt'), 'bee');
    fs.writeFileSync(path.join(dir, 'sub', 'a.md'), 'ay');
    fs.writeFileSync(path.join(dir, 'node_modules', 'x.js'), 'x');
    fs.writeFileSync(path.join(dir, '.git', 'HEAD'), 'ref');
    fs.writeFileSync(path.join(dir, 'pic.png'), Buffer.from([137, 80, 0, 1]));
    assert.deepEqual(
      collectTextFiles([dir]).map((f) => [path.relative(dir, f.path), f.text]),
      [
        ['b.txt', 'bee'],
        [path.join('sub', 'a.md'), 'ay'],
      ],
    );
    assert.throws(() => collectTextFiles([dir], 4), /pass the 4 bytes limit at .*sub.a\.md/);
    fs.mkdirSync(path.join(dir, 'images'));
    fs.writeFileSync(path.join(dir, 'images', 'x.png'), Buffer.from([137, 80, 0, 1]));
    assert.throws(() => collectTextFiles([path.join(dir, 'images')]), /images contains no text files/);
    assert.throws(() => collectTextFiles([path.join(dir, 'pic.png')]), /looks like a binary file/);
  });

  it('refuses a recording that is not whole rows', () => {
    assert.throws(() => RecordingIndex.fromValues(new Float32Array(7), 2, 0), /7 values, not a whole number of rows of 2 neurons/);
  });
});

describe('search command', () => {
  async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), colour: false };
    const code = await main([...argv, '--backend', 'wasm'], io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  async function setup() {
    await initBackend('wasm');
    const model = tempDir();
    const m = tinyModel('lstm', 'char', 1, 6);
    await saveModel(model, m);
    m.model.dispose();
    const docs = tempDir();
    fs.writeFileSync(path.join(docs, 'a.txt'), 'the cat sat on the mat.\n'.repeat(6));
    fs.writeFileSync(path.join(docs, 'b.txt'), 'a dog and a log. the cat sat. '.repeat(4));
    fs.writeFileSync(path.join(docs, 'image.bin'), Buffer.from([0, 1, 2, 3]));
    return { model, docs, a: path.join(docs, 'a.txt') };
  }

  it('finds the other occurrences of a selected phrase across a folder, with positions, as JSON', async () => {
    const { model, docs, a } = await setup();
    // "the cat" on line 2 (characters 24–31); all neurons, threshold 0: every sign pattern counts.
    const r = await run(
      'search',
      '--model',
      model,
      '--in',
      docs,
      '--file',
      a,
      '--from',
      '24',
      '--to',
      '31',
      '--neurons',
      '0:6',
      '--threshold',
      '0',
      '--top',
      '4',
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out);
    assert.equal(json.query.text, 'the cat');
    assert.deepEqual(json.neurons, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(
      json.files.map((f: { name: string }) => path.basename(f.name)),
      ['a.txt', 'b.txt'],
      'the binary file in the folder is skipped',
    );
    assert.equal(json.matches.length, 4);
    for (const m of json.matches) {
      assert.equal(m.preview.match, 'the cat');
      assert.equal(path.basename(m.file), 'a.txt');
      assert.equal(m.column, 1);
      assert.equal(m.start, (m.line - 1) * 24);
      assert.notEqual(m.line, 2, 'the query itself is not a match');
    }
  });

  it('prints ranked previews, proposes neurons and explains bad queries', async () => {
    const { model, docs, a } = await setup();
    const r = await run(
      'search',
      '--model',
      model,
      '--in',
      path.join(docs, 'b.txt'),
      '--text',
      'the cat',
      '--threshold',
      '0',
      '--top',
      '2',
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^layer 0 h, neurons [\d, ]+ above 0; query "the cat" \(7 tokens, \d+ on-bits\)/);
    assert.match(r.out, /\n {2}1\. [01]\.\d{3} {2}\S*b\.txt:1:\d+ {2}\(\d+\/\d+ on-bits\)\n {5}.*\[.{7}\]/);
    const own = await run(
      'search',
      '--model',
      model,
      '--in',
      path.join(docs, 'b.txt'),
      '--file',
      a,
      '--from',
      '24',
      '--to',
      '31',
      '--neurons',
      '0:6',
      '--threshold',
      '0',
      '--top',
      '1',
      '--json',
    );
    const ownJson = JSON.parse(own.out);
    assert.deepEqual(
      ownJson.files.map((f: { name: string }) => path.basename(f.name)),
      ['a.txt', 'b.txt'],
      "the selection's own file is searched first",
    );
    assert.deepEqual([path.basename(ownJson.matches[0].file), ownJson.matches[0].preview.match], ['a.txt', 'the cat']);
    const missing = await run('search', '--model', model, '--in', docs, '--file', a, '--from', '3');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /--file needs --from and --to/);
    const both = await run('search', '--model', model, '--in', docs, '--text', 'cat', '--from', '1', '--to', '2');
    assert.match(both.err, /--text is searched whole/);
    const nowhere = await run('search', '--model', model, '--in', path.join(docs, 'nope'), '--text', 'cat');
    assert.match(nowhere.err, /File or folder not found: .*nope/);
    const outside = await run('search', '--model', model, '--in', docs, '--file', a, '--from', '0', '--to', '999');
    assert.match(outside.err, /selection 0–999 is not a non-empty character range inside .*a\.txt \(0–144\)/);
  });
});

/** Like handMade, for more tokens than letters. */
function handMadeLong(rows: number[][]): SearchDocument {
  const tokens = charTokens('x'.repeat(rows.length));
  return { name: 'random.txt', tokens, index: RecordingIndex.fromValues(Float32Array.from(rows.flat()), rows[0]!.length, 0.5) };
}
