/**
 * Saliency of a classifier's class score as the editor asks the worker for it: the class logit
 * pooled as the head pools it, over the tokens the classifier reads (its first maxTokens), with
 * the next token refused for a classifier and a class refused for a language model.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { type ClassifierPooling, type LanguageModelArchitecture, makeArchitecture } from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import type { CellKind } from '../../src/engine/cells/recurrentCell';
import { encodeForClassifier, padBatch, pooledLogits } from '../../src/engine/classifier/classifierBatch';
import { EngineSession } from '../../src/engine/engineSession';
import { MAX_CLASS_SALIENCY_TOKENS } from '../../src/engine/investigations';
import { LanguageModel } from '../../src/engine/languageModel';
import { saveModel } from '../../src/engine/modelFolder';
import { ModelTokenizer } from '../../src/engine/modelTokenizer';
import { integratedGradients } from '../../src/engine/optimization/integratedGradients';
import { gradientSaliency } from '../../src/engine/optimization/saliency';
import { resolveTarget } from '../../src/engine/optimization/targets';
import { Random } from '../../src/engine/random';
import { type TokenLevel, tokenize } from '../../src/engine/tokenizer';
import { Vocabulary } from '../../src/engine/vocabulary';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

const CLASSES = ['cats', 'dogs', 'logs'];
const SEED = 2;
// Enough path points that the tape-differentiated bidirectional RNN integrates within 5 % (64 miss by 6 %).
const IG_STEPS = 256;
const TEXT = 'the dog sat on the log. a cat and a dog sat on a mat.';

interface ClassifierCase {
  cell: CellKind;
  level: TokenLevel;
  pooling: ClassifierPooling;
  maxTokens: number;
  bidirectionalTop?: boolean;
}

/** A classifier with seeded weights scaled up (kernels ×2.5) so its class scores vary with the text. */
function classifier(c: ClassifierCase, seed: number): { model: LanguageModel; tokenizer: ModelTokenizer } {
  const vocabulary = Vocabulary.build(tokenize(SMALL_TEXT, c.level).map((t) => t.text));
  const arch = makeArchitecture({
    cell: c.cell,
    level: c.level,
    vocabSize: vocabulary.size,
    hiddenSize: 6,
    numLayers: 2,
    embeddingSize: c.level === 'word' ? 4 : 0,
    classifier: { classes: CLASSES, pooling: c.pooling, maxTokens: c.maxTokens },
  });
  const layers = c.bidirectionalTop
    ? [arch.layers[0]!, { ...arch.layers[1]!, direction: 'bidirectional' as const, merge: 'concat' as const }]
    : arch.layers;
  const model = LanguageModel.initialize({ ...arch, layers } as LanguageModelArchitecture, seed);
  const rng = new Random(seed + 1);
  for (const [name, w] of model.weights) {
    const scale = name === 'embedding' ? 1 : name.endsWith('bias') ? 0.5 : 2.5 / Math.sqrt(w.shape[0]!);
    tf.tidy(() =>
      w.assign(
        tf.tensor(
          Float32Array.from({ length: w.size }, () => (2 * rng.next() - 1) * scale),
          w.shape,
        ),
      ),
    );
  }
  return { model, tokenizer: new ModelTokenizer(c.level, vocabulary) };
}

/** The class logits the classifier's head computes for the ids it reads (before the softmax). */
function headLogits(model: LanguageModel, ids: Int32Array): Float32Array {
  const pooled = pooledLogits(model, padBatch([ids]));
  const values = pooled.dataSync() as Float32Array;
  pooled.dispose();
  return values;
}

const sessions: EngineSession[] = [];

async function sessionWith(m: { model: LanguageModel; tokenizer: ModelTokenizer }): Promise<EngineSession> {
  const dir = tempDir();
  await saveModel(dir, m);
  const session = new EngineSession();
  sessions.push(session);
  await session.loadModel({ dir });
  return session;
}

before(async () => {
  await initBackend('wasm');
});

after(async () => {
  for (const s of sessions) await s.dispose();
});

describe('saliency of a class score', () => {
  const cases: ClassifierCase[] = [
    { cell: 'lstm', level: 'char', pooling: 'last', maxTokens: 40 },
    { cell: 'gru', level: 'word', pooling: 'mean', maxTokens: 9 },
    { cell: 'rnn', level: 'word', pooling: 'mean', maxTokens: 128, bidirectionalTop: true },
  ];
  for (const c of cases) {
    const what = `${c.cell} ${c.level} classifier, ${c.pooling} pooling${c.bidirectionalTop ? ', bidirectional top' : ''}`;
    it(`${what}: integrated gradients of the class logit at the classifier's pooling over its first ${c.maxTokens} tokens, complete within 5 %`, async () => {
      const m = classifier(c, SEED);
      const session = await sessionWith(m);
      const ids = encodeForClassifier(m.tokenizer, TEXT, c.maxTokens);
      const all = m.tokenizer.tokenize(TEXT);
      assert.ok(all.length > c.maxTokens || c.maxTokens === 128, 'the truncating cases need a text longer than maxTokens');
      const head = headLogits(m.model, ids);
      const classified = await session.classify({ text: TEXT });
      assert.equal(classified.classifiedTokens, ids.length);
      for (let index = 0; index < CLASSES.length; index++) {
        const r = await session.saliency({
          text: TEXT,
          offset: TEXT.length,
          target: { kind: 'class', index },
          method: 'ig',
          steps: IG_STEPS,
        });
        assert.equal(r.target, `the class score of ${JSON.stringify(CLASSES[index])}`);
        // The window is what the classifier reads: its first maxTokens tokens from the text's start.
        assert.deepEqual(
          Array.from(r.starts),
          all.slice(0, ids.length).map((t) => t.start),
        );
        assert.deepEqual(
          Array.from(r.ends),
          all.slice(0, ids.length).map((t) => t.end),
        );
        // The explained value is the head's class score, before the softmax.
        assert.ok(Math.abs(r.targetValue - head[index]!) < 1e-4, `class ${index}: target ${r.targetValue}, head ${head[index]}`);
        const reference = integratedGradients(m.model, resolveTarget(m.model, { kind: 'logit', token: index, position: c.pooling }), ids, {
          steps: IG_STEPS,
        });
        assert.equal(r.scores.length, ids.length);
        for (let k = 0; k < ids.length; k++) {
          assert.ok(
            Math.abs(r.scores[k]! - reference.attributions[k]!) < 1e-5,
            `token ${k}: ${r.scores[k]} vs ${reference.attributions[k]}`,
          );
        }
        const sum = r.scores.reduce((a, b) => a + b, 0);
        const change = r.targetValue - r.baselineValue!;
        assert.ok(Math.abs(change) > 0.05, `class ${index}: the check needs a non-trivial change (${change})`);
        assert.ok(Math.abs(sum - change) <= 0.05 * Math.abs(change), `class ${index}: Σ ${sum} vs ${change}`);
        assert.ok(Math.abs(r.completenessGap! - (sum - change)) < 1e-4);
      }
      // One backward pass: gradient × input of the same target, at the same value.
      const g = await session.saliency({
        text: TEXT,
        offset: TEXT.length,
        target: { kind: 'class', index: 1 },
        method: 'grad-x-input',
        steps: 1,
      });
      const reference = gradientSaliency(m.model, resolveTarget(m.model, { kind: 'logit', token: 1, position: c.pooling }), ids);
      assert.ok(Math.abs(g.targetValue - head[1]!) < 1e-4);
      assert.deepEqual(
        Array.from(g.scores, (v) => v.toFixed(5)),
        Array.from(reference.gradientTimesInput, (v) => v.toFixed(5)),
      );
      m.model.dispose();
    });
  }

  it('a selection sent alone is the window: offsets into it, the same as classifying it', async () => {
    const m = classifier({ cell: 'gru', level: 'word', pooling: 'mean', maxTokens: 128 }, 5);
    const session = await sessionWith(m);
    const selection = 'a cat and a dog';
    const r = await session.saliency({
      text: selection,
      offset: selection.length,
      target: { kind: 'class', index: 0 },
      method: 'grad',
      steps: 1,
    });
    assert.deepEqual(
      Array.from(r.starts, (s, i) => selection.slice(s, r.ends[i])),
      ['a', ' ', 'cat', ' ', 'and', ' ', 'a', ' ', 'dog'],
    );
    assert.ok(Math.abs(r.targetValue - headLogits(m.model, encodeForClassifier(m.tokenizer, selection, 128))[0]!) < 1e-4);
    m.model.dispose();
  });

  it('refuses what a classifier or a language model does not have, with the reason', async () => {
    const m = classifier({ cell: 'lstm', level: 'char', pooling: 'mean', maxTokens: 20 }, 7);
    const session = await sessionWith(m);
    const params = { text: TEXT, offset: TEXT.length, method: 'grad' as const, steps: 1 };
    await assert.rejects(
      session.saliency({ ...params, target: { kind: 'next-token' } }),
      /A classifier predicts classes, not the next token: explain one of its class scores or a neuron/,
    );
    await assert.rejects(
      session.saliency({ ...params, target: { kind: 'class', index: 3 } }),
      /Class 3 does not exist: the classifier has 3 classes \(0–2\)/,
    );
    await assert.rejects(session.saliency({ ...params, target: { kind: 'class', index: -1 } }), /class index must be an integer/);
    await assert.rejects(session.saliency({ ...params, text: ' ', offset: 0, target: { kind: 'class', index: 0 } }), /nothing to classify/);
    // A neuron of a classifier is still explained at the cursor.
    const neuron = await session.saliency({ ...params, target: { kind: 'neuron', layer: 1, component: 'h', neuron: 2 } });
    assert.equal(neuron.scores.length, TEXT.length);
    m.model.dispose();

    const lm = tinyModel('lstm', 'char', 5, 8, 1);
    const lmSession = await sessionWith(lm);
    lm.model.dispose();
    await assert.rejects(
      lmSession.saliency({ ...params, target: { kind: 'class', index: 0 } }),
      /A language model has no class scores: explain the next token or a neuron/,
    );

    // The head of a last-pooled bidirectional top reads the backward direction at the first token: no logit target equals it.
    const bidi = classifier({ cell: 'lstm', level: 'word', pooling: 'last', maxTokens: 20, bidirectionalTop: true }, 9);
    const bidiSession = await sessionWith(bidi);
    const bidiIds = encodeForClassifier(bidi.tokenizer, TEXT, 20);
    const lastLogit = gradientSaliency(bidi.model, resolveTarget(bidi.model, { kind: 'logit', token: 0, position: 'last' }), bidiIds);
    const bidiHead = headLogits(bidi.model, bidiIds)[0]!;
    assert.ok(Math.abs(lastLogit.targetValue - bidiHead) > 1e-3, `last-token logit ${lastLogit.targetValue}, head ${bidiHead}`);
    bidi.model.dispose();
    await assert.rejects(
      bidiSession.saliency({ ...params, target: { kind: 'class', index: 0 } }),
      /reads its bidirectional top layer at both ends of the text, so its class score is not a per-token logit/,
    );
  });

  it(`refuses a class score over more than ${MAX_CLASS_SALIENCY_TOKENS} tokens rather than running for minutes`, async () => {
    const m = classifier({ cell: 'rnn', level: 'char', pooling: 'mean', maxTokens: 5000 }, 11);
    const session = await sessionWith(m);
    m.model.dispose();
    const text = 'the cat sat. '.repeat(200);
    await assert.rejects(
      session.saliency({ text, offset: text.length, target: { kind: 'class', index: 0 }, method: 'grad', steps: 1 }),
      new RegExp(
        `The classifier reads 2600 tokens of this text; saliency explains a class score over at most ${MAX_CLASS_SALIENCY_TOKENS}`,
      ),
    );
  });

  it('keeps the tensor count stable across repeated class saliency requests', async () => {
    const m = classifier({ cell: 'gru', level: 'word', pooling: 'last', maxTokens: 30 }, 13);
    const session = await sessionWith(m);
    m.model.dispose();
    const run = () => session.saliency({ text: TEXT, offset: TEXT.length, target: { kind: 'class', index: 2 }, method: 'ig', steps: 8 });
    await run();
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await run();
    assert.equal(tf.memory().numTensors, tensors);
  });
});
