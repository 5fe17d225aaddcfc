import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NeuronLensError } from '../../src/engine/errors';
import { type WordVectors, readWordVectors, writeWordVectors } from '../../src/engine/embeddings/wordVectors';
import { Random } from '../../src/engine/random';
import { tempDir } from './helpers';

function randomVectors(words: string[], dim: number, seed: number): WordVectors {
  const rng = new Random(seed);
  const vectors = new Float32Array(words.length * dim);
  for (let i = 0; i < vectors.length; i++) vectors[i] = rng.normal();
  return { words, dim, vectors };
}

function assertBadInput(fn: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof NeuronLensError, `expected a NeuronLensError, got ${String(e)}`);
    assert.ok(e.message.includes(file), `message should name the file: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

const WORDS = ['the', 'whale', 'Ahab', 'naïve', '😀', 'sea-going'];

describe('word vectors files', () => {
  const dir = tempDir();

  for (const format of ['word2vec-text', 'word2vec-binary'] as const) {
    test(`${format} round trip is exact`, () => {
      const v = randomVectors(WORDS, 5, 7);
      const file = path.join(dir, `rt.${format}`);
      writeWordVectors(file, v, format);
      const back = readWordVectors(file);
      assert.deepEqual(back.words, WORDS);
      assert.equal(back.dim, 5);
      assert.deepEqual(Array.from(back.vectors), Array.from(v.vectors));
      assert.deepEqual(
        fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
        [],
        'no temporary files left',
      );
    });
  }

  test('GloVe text (no header) is detected and read exactly', () => {
    const v = randomVectors(WORDS, 3, 11);
    const text = path.join(dir, 'for-glove.txt');
    writeWordVectors(text, v, 'word2vec-text');
    const glove = path.join(dir, 'glove.txt');
    fs.writeFileSync(glove, fs.readFileSync(text, 'utf8').split('\n').slice(1).join('\n'));
    const back = readWordVectors(glove);
    assert.deepEqual(back.words, WORDS);
    assert.equal(back.dim, 3);
    assert.deepEqual(Array.from(back.vectors), Array.from(v.vectors));
    const crlf = path.join(dir, 'glove-crlf.txt');
    fs.writeFileSync(crlf, '\uFEFF' + fs.readFileSync(glove, 'utf8').replace(/\n/g, '\r\n'));
    assert.deepEqual(readWordVectors(crlf).words, WORDS, 'a BOM and CRLF line ends (files saved on Windows) read the same');
  });

  test('a file as word2vec.c writes it (header, a trailing space on each row) reads', () => {
    const file = path.join(dir, 'c.txt');
    fs.writeFileSync(file, '2 3\n</s> 0.1 -0.2 0.3 \nking 1e-3 2 -4.5 \n');
    const v = readWordVectors(file);
    assert.deepEqual(v.words, ['</s>', 'king']);
    assert.deepEqual(Array.from(v.vectors), Array.from(Float32Array.from([0.1, -0.2, 0.3, 1e-3, 2, -4.5])));
  });

  test('inconsistent dimensions name the line', () => {
    const file = path.join(dir, 'dims.txt');
    fs.writeFileSync(file, 'a 1 2 3\nb 4 5 6\nc 7 8\n');
    assertBadInput(() => readWordVectors(file), file, /line 3: "c" has 2 values, expected 3/);
    const withHeader = path.join(dir, 'dims-header.txt');
    fs.writeFileSync(withHeader, '2 3\na 1 2 3\nb 4 5 6 7\n');
    assertBadInput(() => readWordVectors(withHeader), withHeader, /line 3: "b" has 4 values, expected 3 \(from the header\)/);
  });

  test('non-numeric values name the line and the value', () => {
    const file = path.join(dir, 'nan.txt');
    fs.writeFileSync(file, 'a 1 2\nb 3 x4\n');
    assertBadInput(() => readWordVectors(file), file, /line 2: value 2 of "b" is not a number: "x4"/);
  });

  test('a header that disagrees with the rows', () => {
    const fewer = path.join(dir, 'fewer.txt');
    fs.writeFileSync(fewer, '3 2\na 1 2\nb 3 4\n');
    assertBadInput(() => readWordVectors(fewer), fewer, /header says 3 words but there are 2 rows/);
    const more = path.join(dir, 'more.txt');
    fs.writeFileSync(more, '1 2\na 1 2\nb 3 4\n');
    assertBadInput(() => readWordVectors(more), more, /header says 1 words but there are more rows \(line 3\)/);
  });

  test('truncated binary', () => {
    const file = path.join(dir, 'full.bin');
    writeWordVectors(file, randomVectors(WORDS, 4, 3), 'word2vec-binary');
    const bytes = fs.readFileSync(file);
    const cut = path.join(dir, 'cut.bin');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    assertBadInput(() => readWordVectors(cut), cut, /truncated/);
    const lying = path.join(dir, 'lying.bin');
    fs.writeFileSync(lying, Buffer.concat([Buffer.from('1000 4\n'), bytes.subarray(bytes.indexOf(0x0a) + 1)]));
    assertBadInput(() => readWordVectors(lying), lying, /truncated: the header says 1000 words of 4 values/);
  });

  test('duplicate words, in text and in binary', () => {
    const file = path.join(dir, 'dup.txt');
    fs.writeFileSync(file, 'a 1 2\nb 3 4\na 5 6\n');
    assertBadInput(() => readWordVectors(file), file, /line 3: duplicate word "a" \(first on line 1\)/);
    assert.throws(
      () => writeWordVectors(path.join(dir, 'dup.bin'), { words: ['a', 'a'], dim: 1, vectors: new Float32Array(2) }, 'word2vec-binary'),
      /duplicate word "a"/,
    );
    assert.equal(fs.existsSync(path.join(dir, 'dup.bin')), false);
  });

  test('empty and whitespace-only files', () => {
    for (const [name, content] of [
      ['empty.txt', ''],
      ['blank.txt', '\n \n'],
    ] as const) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      assertBadInput(() => readWordVectors(file), file, /is empty/);
    }
    const headerOnly = path.join(dir, 'header-only.txt');
    fs.writeFileSync(headerOnly, '0 0\n');
    assertBadInput(() => readWordVectors(headerOnly), headerOnly, /invalid header/);
  });

  test('oversize files and too many words are refused', () => {
    const file = path.join(dir, 'big.txt');
    writeWordVectors(file, randomVectors(WORDS, 4, 5), 'word2vec-text');
    assertBadInput(() => readWordVectors(file, { maxBytes: 50 }), file, /more than the 50 bytes limit/);
    assertBadInput(() => readWordVectors(file, { maxWords: 3 }), file, /has 6 words, more than the limit of 3/);
    const glove = path.join(dir, 'big-glove.txt');
    fs.writeFileSync(glove, 'a 1\nb 2\nc 3\n');
    assertBadInput(() => readWordVectors(glove, { maxWords: 2 }), glove, /more than the limit of 2 words/);
    assert.equal(readWordVectors(glove, { maxWords: 3 }).words.length, 3);
  });

  test('a failed write leaves the previous file intact', () => {
    const file = path.join(dir, 'keep.txt');
    writeWordVectors(file, randomVectors(['x'], 2, 1), 'word2vec-text');
    const before = fs.readFileSync(file, 'utf8');
    assert.throws(
      () => writeWordVectors(file, { words: ['has space'], dim: 2, vectors: new Float32Array(2) }, 'word2vec-text'),
      /contains whitespace/,
    );
    assert.equal(fs.readFileSync(file, 'utf8'), before);
  });

  test('missing file', () => {
    const file = path.join(dir, 'nope.txt');
    assertBadInput(() => readWordVectors(file), file, /not found/);
  });
});
