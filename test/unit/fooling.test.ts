import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import { type ClassifierPooling, makeArchitecture } from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import { classProbabilities, encodeForClassifier } from '../../src/engine/classifier/classifierBatch';
import { LanguageModel, modelWeightSpecs } from '../../src/engine/languageModel';
import { saveModel } from '../../src/engine/modelFolder';
import { ModelTokenizer } from '../../src/engine/modelTokenizer';
import { foolClassifier, foolingObjective } from '../../src/engine/optimization/fooling';
import { Random } from '../../src/engine/random';
import type { TokenLevel } from '../../src/engine/tokenizer';
import { Vocabulary } from '../../src/engine/vocabulary';
import { tempDir, tinyModel } from './helpers';

before(async () => {
  await initBackend('wasm');
});

const WORDS = ['the', 'film', 'plot', 'cast', 'was', 'good', 'bad', 'and', ' ', ',', '.', '\n'];

/**
 * A deliberately fragile classifier: a tanh RNN with no recurrence whose two units read feature 0
 * ("good") and feature 1 ("bad") of each token; every other token is near zero. Classes pos/neg
 * score the pooled units, so the class is decided by counting good and bad tokens alone.
 */
function fragileClassifier(
  level: TokenLevel,
  tokens: string[],
  options: { bias?: [number, number]; pooling?: ClassifierPooling; linear?: boolean } = {},
) {
  const vocabulary = Vocabulary.build(tokens);
  const tokenizer = new ModelTokenizer(level, vocabulary);
  const V = vocabulary.size;
  const embeddingSize = level === 'word' ? 2 : 0;
  const arch = makeArchitecture({
    cell: 'rnn',
    level,
    vocabSize: V,
    hiddenSize: 2,
    embeddingSize,
    classifier: { classes: ['pos', 'neg'], pooling: options.pooling ?? 'mean' },
  });
  if (options.linear) arch.layers[0]!.activation = 'linear';
  const rng = new Random(7);
  const features = Array.from({ length: V }, (_, id) => {
    const t = vocabulary.token(id);
    return t === 'good' || t === 'g' ? [1, 0] : t === 'bad' || t === 'b' ? [0, 1] : [0.05 * rng.normal(), 0.05 * rng.normal()];
  });
  const values = new Map<string, number[][] | number[]>([
    [
      'layers/0/kernel',
      level === 'word'
        ? [
            [3, 0],
            [0, 3],
          ]
        : features.map(([a, b]) => [3 * a!, 3 * b!]),
    ],
    [
      'layers/0/recurrent_kernel',
      [
        [0, 0],
        [0, 0],
      ],
    ],
    ['layers/0/bias', [0, 0]],
    [
      'output/kernel',
      [
        [20, 0],
        [0, 20],
      ],
    ],
    ['output/bias', options.bias ?? [0, 0]],
  ]);
  if (embeddingSize > 0) values.set('embedding', features);
  const weights = new Map(modelWeightSpecs(arch).map((s) => [s.name, tf.tensor(values.get(s.name)!, s.shape)]));
  const model = new LanguageModel(arch, weights);
  tf.dispose([...weights.values()]);
  return { model, tokenizer };
}

function probabilitiesOf(loaded: ReturnType<typeof fragileClassifier>, text: string): number[] {
  return Array.from(classProbabilities(loaded.model, [encodeForClassifier(loaded.tokenizer, text, 128)]));
}

function assertClose(actual: readonly number[], expected: readonly number[], tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tolerance, `${actual} vs ${expected}`));
}

describe('fooling inputs (HotFlip)', () => {
  test('one substitution flips a word classifier that hinges on one word; probabilities match classProbabilities', async () => {
    const loaded = fragileClassifier('word', WORDS);
    const text = 'the  film was good,\nthe cast.';
    const copy = `${text}`;
    const r = await foolClassifier(loaded, text, { maxFlips: 3 });
    assert.equal(text, copy);
    assert.equal(r.originalClass, 'pos');
    assert.equal(r.flipped, true);
    assert.equal(r.predicted, 'neg');
    assert.equal(r.steps.length, 1);
    const { edit } = r.steps[0]!;
    assert.deepEqual([edit.oldToken, edit.newToken, text.slice(edit.start, edit.end)], ['good', 'bad', 'good']);
    // Only the span changes: double space, comma and line end are kept.
    assert.equal(r.text, 'the  film was bad,\nthe cast.');
    assertClose(r.probabilitiesBefore, probabilitiesOf(loaded, text));
    assertClose(r.probabilitiesAfter, probabilitiesOf(loaded, r.text));
    assertClose(r.steps[0]!.probabilities, r.probabilitiesAfter, 0);
    assert.ok(r.probabilitiesAfter[1]! > 0.5 && r.probabilitiesBefore[0]! > 0.5);
    assert.match(r.summary, /1 substitution changed the prediction to "neg"/);
    loaded.model.dispose();
  });

  test('three "good"s need two flips: a budget of one reports no flip, a budget of two flips it', async () => {
    const loaded = fragileClassifier('word', WORDS);
    const text = 'good film, good plot and good cast';
    const short = await foolClassifier(loaded, text, { maxFlips: 1 });
    assert.equal(short.flipped, false);
    assert.equal(short.predicted, 'pos');
    assert.ok(short.steps.length <= 1);
    assert.match(short.summary, /No sequence of up to 1 substitution found changed the prediction away from "pos"/);
    // The closest sequence found is reported truthfully.
    assertClose(short.probabilitiesAfter, probabilitiesOf(loaded, short.text));
    assert.ok(foolingObjective(short.probabilitiesAfter, { original: 0 }) > foolingObjective(short.probabilitiesBefore, { original: 0 }));

    const r = await foolClassifier(loaded, text, { maxFlips: 2, beamWidth: 2 });
    assert.equal(r.flipped, true);
    assert.equal(r.steps.length, 2);
    for (const s of r.steps) assert.deepEqual([s.edit.oldToken, s.edit.newToken], ['good', 'bad']);
    assert.notEqual(r.steps[0]!.edit.position, r.steps[1]!.edit.position);
    assert.equal(r.text.split('bad').length - 1, 2);
    assert.equal(r.text.replaceAll('bad', 'good'), text);
    // Each step's probabilities are those of the text with the edits so far.
    assertClose(
      r.steps[0]!.probabilities,
      probabilitiesOf(loaded, text.slice(0, r.steps[0]!.edit.start) + 'bad' + text.slice(r.steps[0]!.edit.end)),
    );
    assertClose(r.probabilitiesAfter, probabilitiesOf(loaded, r.text));
    loaded.model.dispose();
  });

  test('a target class is reached; a target already predicted needs no edit; an unknown class is an error', async () => {
    const loaded = fragileClassifier('word', WORDS);
    const r = await foolClassifier(loaded, 'the plot was good', { targetClass: 1 });
    assert.equal(r.targetClass, 'neg');
    assert.equal(r.flipped, true);
    assert.equal(r.text, 'the plot was bad');
    const same = await foolClassifier(loaded, 'the plot was good', { targetClass: 0 });
    assert.equal(same.flipped, true);
    assert.equal(same.steps.length, 0);
    assert.equal(same.text, 'the plot was good');
    await assert.rejects(
      foolClassifier(loaded, 'the plot', { targetClass: 2 }),
      /Class 2 does not exist: the classifier has 2 classes \(0–1\)/,
    );
    loaded.model.dispose();
  });

  for (const level of ['word', 'char'] as const) {
    test(`the first-order gain is exact when the log-odds are linear in the inputs (${level === 'word' ? 'embedding' : 'one-hot'})`, async () => {
      // Two classes, a linear cell, no recurrence, mean pooling: log-odds = z_neg − z_pos is linear in each token's input.
      const loaded = fragileClassifier(level, level === 'word' ? WORDS : 'the gb plot.'.split(''), { linear: true });
      const text = level === 'word' ? 'good film, good plot and good cast' : 'the plot g';
      const r = await foolClassifier(loaded, text, { maxFlips: 3, beamWidth: 1 });
      assert.ok(r.steps.length > 0);
      let before = foolingObjective(r.probabilitiesBefore, { original: 0 });
      for (const s of r.steps) {
        const after = foolingObjective(s.probabilities, { original: 0 });
        assert.ok(
          Math.abs(s.estimatedGain - (after - before)) < 1e-3 * Math.max(1, Math.abs(s.estimatedGain)),
          `${s.estimatedGain} vs ${after - before}`,
        );
        before = after;
      }
      loaded.model.dispose();
    });
  }

  test('a cancelled search stops with a clear error', async () => {
    const loaded = fragileClassifier('word', WORDS);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(foolClassifier(loaded, 'the film was good', { signal: controller.signal }), /Fooling search cancelled/);
    loaded.model.dispose();
  });

  test('excluded tokens are never inserted', async () => {
    const loaded = fragileClassifier('word', WORDS);
    const bad = loaded.tokenizer.vocabulary.id('bad');
    const r = await foolClassifier(loaded, 'the plot was good', { excludeTokens: [0, bad], maxFlips: 2 });
    // Removing "good" alone leaves the noise of the other words to decide, so a flip may still be found.
    assert.ok(r.steps.length > 0);
    assert.ok(
      r.steps.every((s) => s.edit.newToken !== 'bad' && s.edit.newId !== 0),
      JSON.stringify(r.steps),
    );
    assert.ok(!r.text.includes('bad'));
    loaded.model.dispose();
  });

  test('one-hot char classifier: a character flip', async () => {
    const loaded = fragileClassifier('char', 'the gb plot.'.split(''), { pooling: 'last' });
    const r = await foolClassifier(loaded, 'the plot g', { maxFlips: 2 });
    assert.equal(r.flipped, true);
    assert.equal(r.text, 'the plot b');
    assertClose(r.probabilitiesAfter, probabilitiesOf(loaded, r.text));
    loaded.model.dispose();
  });

  test('no flip possible: a clear result, not an exception', async () => {
    const loaded = fragileClassifier('word', WORDS, { bias: [60, 0] });
    const text = 'the film was good';
    const r = await foolClassifier(loaded, text, { maxFlips: 3 });
    assert.equal(r.flipped, false);
    assert.equal(r.predicted, 'pos');
    assert.match(r.summary, /No sequence of up to 3 substitutions found changed the prediction/);
    assertClose(r.probabilitiesAfter, probabilitiesOf(loaded, r.text));
    loaded.model.dispose();
  });

  test('bad input: a language model, an empty text, a zero budget', async () => {
    const lm = tinyModel('gru', 'word');
    await assert.rejects(foolClassifier(lm, 'the cat'), /This model is a language model, not a classifier/);
    lm.model.dispose();
    const loaded = fragileClassifier('word', WORDS);
    await assert.rejects(foolClassifier(loaded, ' \n '), /The text is empty/);
    await assert.rejects(foolClassifier(loaded, 'the film', { maxFlips: 0 }), /maximum number of flips must be a positive integer, not 0/);
    loaded.model.dispose();
  });

  test('no tensors leak across repeated searches', async () => {
    const loaded = fragileClassifier('word', WORDS);
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      await foolClassifier(loaded, 'good film, good plot and good cast', { maxFlips: 2 });
      counts.push(tf.memory().numTensors);
    }
    assert.equal(new Set(counts).size, 1, `tensor counts ${counts}`);
    loaded.model.dispose();
  });
});

describe('neuron-lens fool', () => {
  test('--json reports the edits and the edited text; the input file is untouched; bad input is one line', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), colour: false };
    const dir = tempDir();
    const loaded = fragileClassifier('word', WORDS);
    await saveModel(path.join(dir, 'clf'), loaded);
    loaded.model.dispose();
    const lm = tinyModel('gru', 'word');
    await saveModel(path.join(dir, 'lm'), lm);
    lm.model.dispose();
    const file = path.join(dir, 'review.txt');
    fs.writeFileSync(file, 'the cast was good.\n');
    const run = (...args: string[]) => main([...args, '--backend', 'wasm'], io);

    assert.equal(await run('fool', '--model', path.join(dir, 'clf'), '--file', file, '--target-class', 'neg', '--json'), 0, err.join('\n'));
    const r = JSON.parse(out.join(''));
    assert.equal(r.flipped, true);
    assert.equal(r.text, 'the cast was bad.\n');
    assert.deepEqual(
      r.steps.map((s: { edit: { position: number; oldToken: string; newToken: string } }) => [
        s.edit.position,
        s.edit.oldToken,
        s.edit.newToken,
      ]),
      [[6, 'good', 'bad']],
    );
    assert.equal(fs.readFileSync(file, 'utf8'), 'the cast was good.\n');

    out.length = 0;
    assert.equal(await run('fool', '--model', path.join(dir, 'clf'), '--text', 'the cast was good', '--exclude', 'bad'), 0, err.join('\n'));
    assert.match(out[0]!, /^before: pos \d+\.\d% {2}neg \d+\.\d% {2}\(predicted pos\)$/);
    assert.ok(!out.join('\n').includes('"bad"'));

    const failures: [string[], RegExp][] = [
      [['--model', path.join(dir, 'lm'), '--text', 'the cat'], /This model is a language model, not a classifier/],
      [['--model', path.join(dir, 'clf'), '--text', ''], /The text is empty/],
      [
        ['--model', path.join(dir, 'clf'), '--text', 'good', '--target-class', 'meh'],
        /--target-class "meh" is not a class of this model \(pos, neg\)/,
      ],
      [['--model', path.join(dir, 'clf'), '--text', 'good', '--exclude', 'zzz'], /--exclude "zzz" is not in the model's vocabulary/],
      [['--model', path.join(dir, 'clf'), '--text', 'good', '--max-flips', '0'], /--max-flips must be at least 1/],
    ];
    for (const [args, message] of failures) {
      err.length = 0;
      assert.equal(await run('fool', ...args), 1);
      assert.match(err.join('\n'), message);
    }
  });
});
