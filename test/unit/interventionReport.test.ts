import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InterventionParams, InterventionResult } from '../../src/shared/protocol';
import { interventionReport, parseUnits } from '../../src/extension/interventionReport';

const PARAMS: InterventionParams = {
  text: 'x',
  layer: 0,
  component: 'h',
  units: [3, 17],
  mode: 'clamp',
  value: 0.5,
  where: { feature: ' ' },
  offset: 1,
  top: 2,
  generateLength: 200,
  seed: 1,
};

const RESULT: InterventionResult = {
  modelId: 1,
  loss: {
    predicted: 99,
    baselineBits: 2,
    intervenedBits: 2.5,
    baselineBitsPerChar: 2,
    intervenedBitsPerChar: 2.5,
    changed: 40,
    largest: [{ position: 7, token: '|<script>', baselineBits: 1, intervenedBits: 4 }],
  },
  next: {
    position: 0,
    context: 'the </span>',
    before: [
      { token: ' ', probability: 0.5 },
      { token: 'e', probability: 0.25 },
    ],
    after: [{ token: '**', probability: 0.75 }],
    klBits: 0.125,
  },
  generation: { prime: '', baseline: 'abc\n```\ndone', intervened: 'abd', firstDifference: 2 },
};

describe('intervention report', () => {
  it('states the intervention, the loss change and both distributions', () => {
    const md = interventionReport('Clamp L0 h #3', 'notes.txt', PARAMS, RESULT, false);
    assert.match(md, /neurons 3, 17: clamped to 0\.5, at tokens matching/);
    assert.match(md, /\| with \| 2\.500 \| 2\.500 \|/);
    assert.match(md, /Worse by 0\.500 bits per token; 40 of 99 predictions changed/);
    assert.match(md, /KL divergence 0\.1250 bits/);
    assert.match(md, /\| ⟨&nbsp;⟩ \| 50\.0 % \| \\\*\\\* \| 75\.0 % \|/);
    assert.match(md, /\| e \| 25\.0 % \| {2}\| {2}\|/);
    assert.match(md, /they part at sampled token 2/);
  });

  it('shows token and generated text literally: no HTML, no broken table or code fence', () => {
    const md = interventionReport('t', 'f', PARAMS, RESULT, true);
    assert.doesNotMatch(md, /<script>|<\/span>/);
    assert.match(md, /\| 7 \| \\\|&lt;script&gt; \| 1\.000 \| 4\.000 \|/);
    assert.match(md, /the&nbsp;&lt;\/span&gt;/);
    // The generated ``` cannot close the fence it sits in.
    const fences = md.split('\n').filter((l) => l.startsWith('```'));
    assert.deepEqual(fences, ['```text', '```', '```text', '```']);
    assert.match(md, /first 100,000 characters/);
  });

  it('parses neuron lists, refusing what is out of range', () => {
    assert.deepEqual(parseUnits('3, 17,3', 20), [3, 17]);
    assert.equal(parseUnits('3, 20', 20), undefined);
    assert.equal(parseUnits('a', 20), undefined);
    assert.equal(parseUnits('', 20), undefined);
    assert.equal(parseUnits('-1', 20), undefined);
  });
});
