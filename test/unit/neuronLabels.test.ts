import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  componentChoices,
  componentTitle,
  formatSigned,
  modelName,
  typedNeuron,
  neuronDescription,
  neuronLabel,
  neuronShortName,
  rankingDescription,
  visibleToken,
} from '../../src/extension/neuronLabels';
import { Throttle, trainingMessage } from '../../src/extension/trainingProgress';

describe('visible tokens', () => {
  test('whitespace is shown: ⟨ ⟩ for spaces, ⏎ for line ends, ⇥ for tabs', () => {
    assert.equal(visibleToken(' '), '⟨ ⟩');
    assert.equal(visibleToken('   '), '⟨   ⟩');
    assert.equal(visibleToken('\n'), '⏎');
    assert.equal(visibleToken('\r\n'), '⏎');
    assert.equal(visibleToken('\r'), '⏎');
    assert.equal(visibleToken('\t'), '⇥');
    assert.equal(visibleToken('\u00a0'), '⟨\u00a0⟩');
    assert.equal(visibleToken(''), '⟨⟩');
  });

  test('ordinary tokens unchanged, control characters escaped, long ones cut on code points', () => {
    assert.equal(visibleToken('whale'), 'whale');
    assert.equal(visibleToken('.'), '.');
    assert.equal(visibleToken('👍'), '👍');
    assert.equal(visibleToken('\x1b'), '\\x1b');
    const long = visibleToken('👍'.repeat(40));
    assert.equal(Array.from(long).length, 24);
    assert.ok(long.endsWith('…'));
    assert.ok(!long.includes('\ud83d…'), 'no broken surrogate pair');
  });
});

describe('neuron descriptions', () => {
  test('numbers carry a sign; zero has none; NaN reads n/a', () => {
    assert.equal(formatSigned(0.1234), '+0.12');
    assert.equal(formatSigned(-0.5), '-0.50');
    assert.equal(formatSigned(-0.001), '0.00');
    assert.equal(formatSigned(0), '0.00');
    assert.equal(formatSigned(1.23456, 3), '+1.235');
    assert.equal(formatSigned(Number.NaN), 'n/a');
  });

  test('picker line: mean ± spread, range, top tokens shown visibly', () => {
    assert.equal(neuronLabel(42), 'Neuron 42');
    const d = neuronDescription({ neuron: 3, mean: 0.1234, std: 0.3, min: -0.9, max: 0.99, topTokens: [' ', '\n', 'e', 'x'] });
    assert.equal(d, 'mean +0.12 ± 0.30 · range -0.90…+0.99 · top ⟨ ⟩ ⏎ e');
    assert.equal(neuronDescription({ neuron: 0, mean: 0, std: 0, min: 0, max: 0, topTokens: [] }), 'mean 0.00 ± 0.00 · range 0.00…0.00');
  });

  test('ranking line', () => {
    assert.equal(rankingDescription({ neuron: 5, score: 2.5, meanIn: 0.8, meanOut: -0.1 }), 'score +2.50 · in +0.80 · out -0.10');
  });

  test('components: every layer × component, titled with the layer only when there are several', () => {
    const model = {
      layers: [8, 4],
      components: [
        { id: 'h', label: 'hidden state' },
        { id: 'f', label: 'forget gate' },
      ],
    };
    const choices = componentChoices(model);
    assert.deepEqual(
      choices.map((c) => [c.layer, c.component, c.units]),
      [
        [0, 'h', 8],
        [0, 'f', 8],
        [1, 'h', 4],
        [1, 'f', 4],
      ],
    );
    assert.equal(componentTitle(choices[3]!, 2), 'forget gate (f), layer 1');
    assert.equal(componentTitle(choices[0]!, 1), 'hidden state (h)');
    assert.equal(neuronShortName(1, 'f', 3), 'L1 f #3');
  });

  test('model names come from their folder', () => {
    assert.equal(modelName({ dir: '/w/.neuron-lens/models/lstm-char-20250101-120000', description: 'LSTM' }), 'lstm-char-20250101-120000');
    assert.equal(modelName({ dir: 'C:\\models\\moby\\', description: 'LSTM' }), 'moby');
    assert.equal(modelName({ description: 'char LSTM 1×128' }), 'char LSTM 1×128');
    assert.equal(modelName({ dir: '/ext/media/default-model', description: 'LSTM', bundled: true }), 'Default model (bundled)');
  });
});

describe('typed neuron', () => {
  test('a number or "Neuron N" within range', () => {
    assert.equal(typedNeuron('Neuron 14', 128), 14);
    assert.equal(typedNeuron(' 7 ', 128), 7);
    assert.equal(typedNeuron('neuron127', 128), 127);
    assert.equal(typedNeuron('Neuron 128', 128), undefined);
    assert.equal(typedNeuron('', 128), undefined);
    assert.equal(typedNeuron('space', 128), undefined);
  });
});

describe('training progress', () => {
  test('message: step, loss in bits per unit, validation when known, speed', () => {
    const p = { step: 120, totalSteps: 300, trainBits: 2.3149, tokensPerSecond: 5432.1, elapsedMs: 1000 };
    assert.equal(trainingMessage(p, 'char'), 'step 120/300 · loss 2.31 bits/char · 5,432 tokens/s');
    assert.equal(
      trainingMessage({ ...p, validationBits: 2.4 }, 'word'),
      'step 120/300 · loss 2.31 bits/token (validation 2.40) · 5,432 tokens/s',
    );
  });

  test('throttle lets one call through per interval', () => {
    let now = 0;
    const t = new Throttle(250, () => now);
    assert.equal(t.ready(), true);
    now = 100;
    assert.equal(t.ready(), false);
    now = 250;
    assert.equal(t.ready(), true);
    now = 499;
    assert.equal(t.ready(), false);
    now = 500;
    assert.equal(t.ready(), true);
  });
});
