import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { targetFromFlags } from '../../src/cli/commands/maximize';
import { makeArchitecture } from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import { LanguageModel } from '../../src/engine/languageModel';
import { tinyModel } from './helpers';

before(async () => {
  await initBackend('cpu');
});

test("CLI targets: a classifier's class by name or #index, read at its own pooling unless --position says otherwise", () => {
  const { tokenizer, model: lm } = tinyModel();
  for (const pooling of ['last', 'mean'] as const) {
    const arch = makeArchitecture({
      cell: 'lstm',
      level: 'char',
      vocabSize: tokenizer.vocabulary.size,
      hiddenSize: 8,
      classifier: { classes: ['ham', 'spam'], pooling },
    });
    const model = LanguageModel.initialize(arch, 1);
    assert.deepEqual(targetFromFlags({ logit: 'spam' }, model, tokenizer).spec, { kind: 'logit', token: 1, position: pooling });
    assert.deepEqual(targetFromFlags({ logit: '#0', position: 'every' }, model, tokenizer).spec, {
      kind: 'logit',
      token: 0,
      position: 'every',
    });
    assert.throws(
      () => targetFromFlags({ logit: 'eggs' }, model, tokenizer),
      /"eggs" is not a class of this classifier \(ham, spam; or #INDEX\)/,
    );
    model.dispose();
  }
  // A language model's logit is a token, read at the last one by default; a neuron may be averaged.
  const e = tokenizer.vocabulary.id('e');
  assert.deepEqual(targetFromFlags({ logit: 'e' }, lm, tokenizer).spec, { kind: 'logit', token: e, position: 'last' });
  assert.equal(targetFromFlags({ neuron: '3', position: 'mean' }, lm, tokenizer).label, 'layer 0 h neuron 3 (averaged over every token)');
  assert.throws(
    () => targetFromFlags({ neuron: '3', position: 'median' }, lm, tokenizer),
    /--position must be one of last, every, mean, not "median"/,
  );
  lm.dispose();
});
