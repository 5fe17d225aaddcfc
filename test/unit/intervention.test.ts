import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import { makeArchitecture } from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import { classProbabilities, encodeForClassifier } from '../../src/engine/classifier/classifierBatch';
import { ArrayRunner } from '../../src/engine/inference/arrayRunner';
import type { ComponentSink, StreamingRunner } from '../../src/engine/inference/streamingRunner';
import { TfjsRunner } from '../../src/engine/inference/tfjsRunner';
import {
  type Intervention,
  classEffect,
  generationEffect,
  interventionHook,
  lossEffect,
  nextTokenEffect,
  unitMeans,
} from '../../src/engine/intervention';
import { LanguageModel } from '../../src/engine/languageModel';
import { saveModel } from '../../src/engine/modelFolder';
import type { ModelTokenizer } from '../../src/engine/modelTokenizer';
import { recordActivations } from '../../src/engine/recorder';
import { parseFeature } from '../../src/shared/featureOfInterest';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

before(async () => {
  await initBackend('wasm');
});

const SPACE_UNIT = 0;
const TEXT = SMALL_TEXT.slice(0, 300);

/**
 * A char model whose unit 0 is non-zero on spaces and exactly 0 on every other token: its input
 * (RNN pre-activation, LSTM candidate g) has weight 3 from " " and 0 from every other token and
 * from the recurrence, and an LSTM's forget gate is shut (bias −200: sigmoid is exactly 0 in
 * float32), so its cell state does not carry a space over. With `feedsRecurrence` false the unit
 * reaches only the logits; true, it also feeds the other units' next step.
 */
function spaceUnitModel(cell: 'rnn' | 'lstm' = 'rnn', feedsRecurrence = false): { model: LanguageModel; tokenizer: ModelTokenizer } {
  const units = 6;
  const { model: random, tokenizer } = tinyModel(cell, 'char', 7, units);
  const input = cell === 'lstm' ? 2 * units + SPACE_UNIT : SPACE_UNIT;
  const weights = new Map<string, tf.Tensor>();
  for (const [name, v] of random.weights) {
    const values = (v.dataSync() as Float32Array).slice();
    const [rows, cols] = v.shape.length === 2 ? [v.shape[0]!, v.shape[1]!] : [1, v.shape[0]!];
    if (name === 'layers/0/kernel') {
      for (let r = 0; r < rows; r++) values[r * cols + input] = r === tokenizer.vocabulary.id(' ') ? 3 : 0;
    } else if (name === 'layers/0/recurrent_kernel') {
      for (let r = 0; r < rows; r++) values[r * cols + input] = 0;
      if (!feedsRecurrence) for (let c = 0; c < cols; c++) values[SPACE_UNIT * cols + c] = 0;
    } else if (name === 'layers/0/bias') {
      values[input] = 0;
      if (cell === 'lstm') values[units + SPACE_UNIT] = -200;
    } else if (name === 'output/kernel') {
      for (let c = 0; c < cols; c++) values[SPACE_UNIT * cols + c] = 2 * Math.sin(c);
    }
    weights.set(name, tf.tensor(values, v.shape));
  }
  const model = new LanguageModel(random.architecture, weights);
  random.dispose();
  tf.dispose([...weights.values()]);
  return { model, tokenizer };
}

function weightSnapshot(model: LanguageModel): Map<string, Float32Array> {
  return new Map([...model.weights].map(([name, v]) => [name, (v.dataSync() as Float32Array).slice()]));
}

const ablate = (where: Intervention['where'] = 'all'): Intervention => ({
  layer: 0,
  component: 'h',
  units: [SPACE_UNIT],
  mode: 'zero',
  where,
});

function record(runner: StreamingRunner, ids: Int32Array, component: string, hook?: Parameters<StreamingRunner['run']>[4]): Float32Array {
  const out = new Float32Array(ids.length * runner.layerUnits[0]!);
  const sinks: ComponentSink[] = [{ layer: 0, component, out }];
  const state = runner.zeroState();
  // Two calls, so positions continue across outOffset as the editor's cache uses them.
  const half = Math.floor(ids.length / 2);
  runner.run(ids.subarray(0, half), state, sinks, 0, hook);
  runner.run(ids.subarray(half), state, sinks, half, hook);
  return out;
}

describe('ablating a unit constructed to respond to spaces', () => {
  it('changes the loss exactly at the tokens predicted after a space, and nowhere else', () => {
    const loaded = spaceUnitModel();
    const { tokens } = loaded.tokenizer.encode(TEXT);
    const effect = lossEffect(loaded, TEXT, [ablate()]);
    assert.equal(effect.predicted, tokens.length - 1);
    let spaces = 0;
    for (let t = 0; t < effect.predicted; t++) {
      // Row t is the prediction made after consuming token t.
      const afterSpace = tokens[t]!.text === ' ';
      if (afterSpace) {
        spaces++;
        assert.notEqual(effect.intervenedLoss[t], effect.baselineLoss[t], `token ${t} follows a space: its prediction must change`);
      } else {
        assert.equal(effect.intervenedLoss[t], effect.baselineLoss[t], `token ${t} ("${tokens[t]!.text}") must be bit-identical`);
      }
    }
    assert.ok(spaces > 20);
    assert.equal(effect.changed, spaces);
    assert.ok(effect.largest.every((c) => tokens[c.position - 1]!.text === ' '));
    assert.notEqual(effect.intervenedBits, effect.baselineBits);
    loaded.model.dispose();
  });

  it('through the recurrence, changes nothing before the first space and something after it', () => {
    const loaded = spaceUnitModel('lstm', true);
    const { tokens } = loaded.tokenizer.encode(TEXT);
    const firstSpace = tokens.findIndex((t) => t.text === ' ');
    const effect = lossEffect(loaded, TEXT, [ablate()]);
    for (let t = 0; t < firstSpace; t++) assert.equal(effect.intervenedLoss[t], effect.baselineLoss[t]);
    assert.notEqual(
      effect.intervenedLoss[firstSpace + 1],
      effect.baselineLoss[firstSpace + 1],
      'the step after a space sees the ablated h',
    );
    loaded.model.dispose();
  });

  it('at feature tokens only equals the every-token ablation, since the unit is 0 elsewhere; a mask does the same', () => {
    const loaded = spaceUnitModel();
    const everywhere = lossEffect(loaded, TEXT, [ablate()]);
    const atSpaces = lossEffect(loaded, TEXT, [ablate({ feature: parseFeature(' ') })]);
    assert.deepEqual(atSpaces.intervenedLoss, everywhere.intervenedLoss);
    const atDots = lossEffect(loaded, TEXT, [ablate({ feature: parseFeature('.') })]);
    assert.equal(atDots.changed, 0, 'ablating where the unit is already 0 changes nothing');
    const { tokens } = loaded.tokenizer.encode(TEXT);
    const mask = Uint8Array.from(tokens, (t) => (t.text === ' ' ? 1 : 0));
    assert.deepEqual(lossEffect(loaded, TEXT, [ablate({ mask })]).intervenedLoss, everywhere.intervenedLoss);
    loaded.model.dispose();
  });
});

describe('clamping', () => {
  it('is reversible: a run without it afterwards is bit-identical, and no weight changes', () => {
    const loaded = spaceUnitModel('lstm', true);
    const weights = weightSnapshot(loaded.model);
    const { ids } = loaded.tokenizer.encode(TEXT);
    const runner = new ArrayRunner(loaded.model);
    const original = record(runner, ids, 'h');
    const clamp: Intervention = { layer: 0, component: 'c', units: [1, 3], mode: 'clamp', value: 2.5, where: 'all' };
    const clamped = record(
      runner,
      ids,
      'h',
      interventionHook(loaded.model, [clamp], () => undefined),
    );
    assert.notDeepEqual(clamped, original);
    const c = record(
      runner,
      ids,
      'c',
      interventionHook(loaded.model, [clamp], () => undefined),
    );
    for (let t = 0; t < ids.length; t++) assert.equal(c[t * 6 + 1], 2.5);
    assert.deepEqual(record(runner, ids, 'h'), original);
    runner.dispose();
    const fresh = new ArrayRunner(loaded.model);
    assert.deepEqual(record(fresh, ids, 'h'), original, 'a new runner from the same model reproduces the original');
    fresh.dispose();
    const effect = lossEffect(loaded, TEXT, [clamp]);
    assert.notDeepEqual(effect.intervenedLoss, effect.baselineLoss);
    assert.deepEqual(lossEffect(loaded, TEXT, []).intervenedLoss, effect.baselineLoss);
    for (const [name, before] of weights) assert.deepEqual(loaded.model.weight(name).dataSync(), before, name);
    loaded.model.dispose();
  });
});

describe('runners under intervention', () => {
  for (const cell of ['rnn', 'gru', 'lstm'] as const) {
    it(`${cell}: the array and tfjs runners agree within 1e-5, and the intervention changed the run`, () => {
      const { model, tokenizer } = tinyModel(cell, 'char', 5, 8, 2);
      const { ids, tokens } = tokenizer.encode(TEXT.slice(0, 120));
      const interventions: Intervention[] = [
        { layer: 0, component: 'h', units: [2, 5], mode: 'clamp', value: 0.7, where: { feature: parseFeature(' ') } },
        { layer: 1, component: cell === 'lstm' ? 'c' : 'h', units: [0], mode: 'mean', means: [-0.3], where: 'all' },
      ];
      const hook = interventionHook(model, interventions, (p) => tokens[p]?.text);
      const array = new ArrayRunner(model);
      const reference = new TfjsRunner(model);
      const before = tf.memory().numTensors;
      for (const component of cell === 'lstm' ? ['h', 'c', 'f'] : ['h']) {
        const a = record(array, ids, component, hook);
        const r = record(reference, ids, component, hook);
        let max = 0;
        for (let k = 0; k < a.length; k++) max = Math.max(max, Math.abs(a[k]! - r[k]!));
        assert.ok(max < 1e-5, `${component}: max |Δ| ${max}`);
        assert.notDeepEqual(a, record(array, ids, component), `${component} differs from the run without intervention`);
      }
      assert.equal(tf.memory().numTensors, before, 'the tfjs runner frees its per-step tensors');
      array.dispose();
      model.dispose();
    });
  }
});

describe('intervention effects', () => {
  it('mean ablation uses the recording means; next-token top-k and generation show the change; no tensor leaks', async () => {
    const loaded = spaceUnitModel('lstm', true);
    const rec = await recordActivations(loaded, TEXT, { layers: [0], components: ['h'] });
    const means = unitMeans(rec.layers[0]!.components.h!, 6, [SPACE_UNIT, 2]);
    const values = rec.layers[0]!.components.h!;
    let sum = 0;
    for (let t = 0; t < values.length / 6; t++) sum += values[t * 6 + 2]!;
    assert.ok(Math.abs(means[1]! - sum / (values.length / 6)) < 1e-9);
    const mean: Intervention = { layer: 0, component: 'h', units: [SPACE_UNIT, 2], mode: 'mean', means, where: 'all' };

    const run = () => {
      const next = nextTokenEffect(loaded, 'the cat sat on the', [ablate()], { offset: 'the cat sat on '.length, k: 3 });
      const generation = generationEffect(loaded, [mean], { prime: 'the ', length: 60, seed: 3 });
      return { next, generation, loss: lossEffect(loaded, TEXT, [mean]) };
    };
    run();
    const tensors = tf.memory().numTensors;
    const { next, generation, loss } = run();
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks across runs');

    // The context ends with a space, so the distribution after it moves.
    assert.equal(next.position, 'the cat sat on '.length - 1);
    assert.match(next.context, /on $/);
    assert.equal(next.before.length, 3);
    const sorted = (xs: { probability: number }[]) => xs.every((x, i) => i === 0 || xs[i - 1]!.probability >= x.probability);
    assert.ok(sorted(next.before) && sorted(next.after));
    assert.ok(next.klBits > 0);
    assert.notDeepEqual(next.after, next.before);
    const noSpace = nextTokenEffect(loaded, 'thecat', [ablate()], { k: 3 });
    assert.deepEqual(noSpace.after, noSpace.before, 'without a space the unit is always 0: ablation changes nothing');
    assert.equal(noSpace.klBits, 0);

    assert.equal(generation.baseline.length, 60);
    assert.equal(generation.intervened.length, 60);
    assert.notEqual(generation.intervened, generation.baseline);
    assert.equal(generation.baseline.slice(0, generation.firstDifference), generation.intervened.slice(0, generation.firstDifference));
    const again = generationEffect(loaded, [], { prime: 'the ', length: 60, seed: 3 });
    assert.equal(again.intervened, generation.baseline, 'the same seed without intervention reproduces the baseline');
    assert.equal(again.firstDifference, -1);
    assert.ok(loss.changed > 0);
    loaded.model.dispose();
  });

  it('rejects interventions on gates, missing units and layers with messages that say why', () => {
    const loaded = spaceUnitModel('lstm');
    const bad = (iv: Partial<Intervention>) => () => lossEffect(loaded, TEXT, [{ ...ablate(), ...iv } as Intervention]);
    assert.throws(bad({ component: 'f' as 'h' }), /Intervention 1: a LSTM layer's state is h and c, not "f" \(gates are recomputed/);
    assert.throws(bad({ units: [6] }), /unit 6 does not exist \(layer 0 has 6: 0–5\)/);
    assert.throws(bad({ layer: 1 }), /layer 1 does not exist \(the model has 1: 0–0\)/);
    assert.throws(bad({ mode: 'clamp' }), /clamping needs a finite value/);
    assert.throws(bad({ mode: 'mean', means: [] }), /one finite mean per unit \(1\)/);
    assert.throws(() => nextTokenEffect(loaded, 'the', [], { offset: 9 }), /character offset from 0 to 3, not 9/);
    loaded.model.dispose();
  });
});

describe('classifier under intervention', () => {
  for (const pooling of ['last', 'mean'] as const) {
    it(`${pooling} pooling: the baseline matches classProbabilities, ablation moves the class probabilities, none leaves them`, () => {
      const { tokenizer, model: lm } = tinyModel('lstm', 'char', 2, 6);
      lm.dispose();
      const arch = makeArchitecture({
        cell: 'lstm',
        level: 'char',
        vocabSize: tokenizer.vocabulary.size,
        hiddenSize: 6,
        classifier: { classes: ['ham', 'spam', 'eggs'], pooling },
      });
      const model = LanguageModel.initialize(arch, 4);
      const loaded = { model, tokenizer };
      const text = 'the cat sat on the mat.';
      const reference = classProbabilities(model, [encodeForClassifier(tokenizer, text, arch.task === 'classifier' ? arch.maxTokens : 0)]);
      const tensors = tf.memory().numTensors;
      const effect = classEffect(loaded, text, [
        { layer: 0, component: 'c', units: [0, 1, 2, 3, 4, 5], mode: 'clamp', value: 3, where: 'all' },
      ]);
      assert.equal(tf.memory().numTensors, tensors);
      assert.deepEqual(effect.classes, ['ham', 'spam', 'eggs']);
      assert.equal(effect.tokens, text.length);
      effect.before.forEach((p, c) => assert.ok(Math.abs(p - reference[c]!) < 1e-5, `class ${c}: ${p} vs ${reference[c]}`));
      assert.ok(Math.abs(effect.after.reduce((a, b) => a + b, 0) - 1) < 1e-9);
      assert.ok(
        Math.max(...effect.after.map((p, c) => Math.abs(p - effect.before[c]!))) > 1e-3,
        'clamping every cell state moves the classes',
      );
      assert.deepEqual(classEffect(loaded, text, []).after, effect.before);
      assert.throws(() => lossEffect(loaded, text, []), /need a language model, not a classifier/);
      model.dispose();
    });
  }
});

describe('neuron-lens intervene', () => {
  async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), colour: false };
    const code = await main(['intervene', ...argv, '--backend', 'wasm'], io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('reports loss, next-token and generation effects as JSON and leaves the model folder byte-identical', async () => {
    const loaded = spaceUnitModel('rnn');
    const dir = tempDir();
    await saveModel(dir, loaded);
    const files = () => new Map(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f))]));
    const before = files();
    const r = await run(
      '--model',
      dir,
      '--text',
      TEXT,
      '--units',
      String(SPACE_UNIT),
      '--at',
      '4',
      '--top',
      '3',
      '--generate',
      '30',
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as {
      loss: {
        predicted: number;
        changed: number;
        baselineBitsPerToken: number;
        intervenedBitsPerToken: number;
        largest: { position: number }[];
      };
      nextToken: { position: number; before: { token: string; probability: number }[]; after: unknown[]; klBits: number };
      generation: { baseline: string; intervened: string; seed: number };
    };
    const { tokens } = loaded.tokenizer.encode(TEXT);
    const afterSpace = tokens.slice(0, -1).filter((t) => t.text === ' ').length;
    assert.equal(j.loss.predicted, tokens.length - 1);
    assert.equal(j.loss.changed, afterSpace, 'only predictions made right after a space change');
    assert.equal(j.loss.largest.length, 3);
    assert.ok(j.loss.largest.every((c) => tokens[c.position - 1]!.text === ' '));
    assert.equal(j.nextToken.position, 3, '"the " ends at character 4');
    assert.equal(j.nextToken.before.length, 3);
    assert.ok(j.nextToken.klBits > 0);
    assert.equal(j.generation.baseline.length, 30);
    assert.equal(j.generation.seed, 1);
    assert.deepEqual(files(), before, 'the saved model is untouched');
    const text = await run('--model', dir, '--text', TEXT, '--units', '0', '--where', 'feature', '--feature', '.', '--generate', '0');
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /Layer 0 h unit 0 set to 0 after every "\." token; the model's weights are untouched/);
    assert.match(text.out, /; 0 predictions changed/);
    assert.doesNotMatch(text.out, /Generated/);
    loaded.model.dispose();
  });

  it("shows a classifier's class probabilities before and after", async () => {
    const { tokenizer, model: lm } = tinyModel('gru', 'char', 2, 6);
    lm.dispose();
    const arch = makeArchitecture({
      cell: 'gru',
      level: 'char',
      vocabSize: tokenizer.vocabulary.size,
      hiddenSize: 6,
      classifier: { classes: ['ham', 'spam'] },
    });
    const model = LanguageModel.initialize(arch, 4);
    const dir = tempDir();
    await saveModel(dir, { model, tokenizer });
    const expected = classEffect({ model, tokenizer }, 'a cat sat', [
      { layer: 0, component: 'h', units: [1, 4], mode: 'clamp', value: -0.9, where: 'all' },
    ]);
    model.dispose();
    const r = await run('--model', dir, '--text', 'a cat sat', '--units', '1,4', '--mode', 'clamp', '--value=-0.9', '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { classes: { class: string; before: number; after: number }[]; tokens: number };
    assert.deepEqual(
      j.classes.map((c) => c.class),
      ['ham', 'spam'],
    );
    j.classes.forEach((c, k) => {
      assert.ok(Math.abs(c.before - expected.before[k]!) < 1e-5 && Math.abs(c.after - expected.after[k]!) < 1e-5);
    });
    assert.equal(j.tokens, 9);
    const table = await run('--model', dir, '--text', 'a cat sat', '--units', '1,4', '--mode', 'clamp', '--value=-0.9');
    assert.match(table.out, /Class probabilities over the first 9 tokens, before → after:\n {2}ham +0\.\d{4} → 0\.\d{4} \([+-]0\.\d{4}\)/);
  });

  it('explains bad flags', async () => {
    const loaded = spaceUnitModel('rnn');
    const dir = tempDir();
    await saveModel(dir, loaded);
    loaded.model.dispose();
    const fails = async (args: string[], message: RegExp) => {
      const r = await run('--model', dir, '--text', 'the cat', ...args);
      assert.equal(r.code, 1, r.out);
      assert.match(r.err, message);
    };
    await fails([], /--units is required/);
    await fails(['--units', '1,x'], /--units must be unit indices \(integers ≥ 0\), not "x"/);
    await fails(['--units', '1', '--mode', 'clamp'], /--mode clamp needs --value/);
    await fails(['--units', '1', '--component', 'c'], /Unknown component "c" for a RNN layer/);
    await fails(['--units', '1', '--component', 'pre'], /Only a state component can be held \(h, or c for an LSTM\), not "pre"/);
    await fails(['--units', '1', '--where', 'feature'], /--where feature needs --feature F/);
    await fails(['--units', '9'], /unit 9 does not exist \(layer 0 has 6: 0–5\)/);
  });
});
