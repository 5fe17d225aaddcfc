import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Random } from '../../src/engine/random';
import { type CardActions, type NewResultCard, foolingCard, maximizationCard, saliencyCard } from '../../src/extension/resultCards';
import { MAX_STORED_TEXT_CHARS, type ResultEntry, restoreResults, storeResults } from '../../src/extension/storedResults';
import type { FoolResult } from '../../src/shared/protocol';
import { type CspPage, closeBrowser, openUnderCsp } from './webviewHarness';

/**
 * The results panel after a window reload: the extension keeps the cards in workspace state (as
 * JSON) and sends what it restores to the new page, which must draw exactly what the old page
 * drew; a button whose data could not be kept is not drawn at all.
 */
function maximization(): NewResultCard {
  const rng = new Random(7);
  const sequences = [0, 1, 2].map((s) => {
    const trace = Array.from({ length: 6 }, () => Math.tanh(rng.normal()));
    const tokens = trace.map((_, i) => (i === 2 ? ' ' : 'abcdef'[i]!));
    return {
      start: s,
      ids: [],
      tokens,
      text: tokens.join(''),
      activation: trace[5]!,
      relaxedObjective: 0,
      trace,
      step: 100,
      decodedText: '',
      decodedActivation: 0,
    };
  });
  return maximizationCard(
    {
      target: 'layer 0 h neuron 4 (last token)',
      length: 6,
      steps: 100,
      sequences,
      best: 1,
      elapsedMs: 900,
      stepsPerSecond: 111,
      modelId: 1,
      range: 'signed',
    },
    { position: 'last', length: 6, starts: 3, steps: 100 },
  );
}

const TEXT = 'the cat sat';
function saliency(): NewResultCard {
  const rng = new Random(8);
  const starts = Int32Array.from(TEXT, (_, i) => i);
  return saliencyCard(
    {
      modelId: 1,
      starts,
      ends: Int32Array.from(starts, (s) => s + 1),
      scores: Float32Array.from(TEXT, () => rng.normal() / 3),
      target: 'next-token logit of "e"',
      method: 'grad-x-input',
      targetValue: 1.25,
    },
    TEXT,
    { document: 'cat.txt', steps: 32 },
  );
}

const fooled: FoolResult = {
  classes: ['neg', 'pos'],
  originalClass: 'pos',
  probabilitiesBefore: [0.3, 0.7],
  probabilitiesAfter: [0.55, 0.45],
  steps: [
    {
      edit: { position: 1, start: 2, end: 6, oldToken: 'good', newToken: 'dull', oldId: 1, newId: 2 },
      estimatedGain: 1,
      probabilities: [0.55, 0.45],
      predicted: 'neg',
    },
  ],
  text: 'a dull day',
  flipped: true,
  predicted: 'neg',
  summary: 'One substitution flips it.',
  evaluated: 9,
  classifiedTokens: 3,
};

function entries(editedText: string): ResultEntry[] {
  const e = (card: NewResultCard, actions: CardActions, id: string): ResultEntry => ({ card: { ...card, id }, actions });
  return [
    e(
      foolingCard(fooled, 'a good day', { document: 'review.txt', maxFlips: 5 }),
      { kind: 'edit', language: 'plaintext', text: editedText, report: { title: 'Fooling edit: neg', markdown: '# Fooling edit' } },
      'card-3',
    ),
    e(saliency(), { kind: 'window', uri: 'file:///w/cat.txt', start: 0, text: TEXT }, 'card-2'),
    e(maximization(), { kind: 'rowText' }, 'card-1'),
  ];
}

/** The cards as the extension sends them after a reload: through storeResults, JSON and restoreResults. */
const restored = (list: ResultEntry[]) => restoreResults(JSON.parse(JSON.stringify(storeResults(list)))).map((r) => r.card);

describe('results panel restored after a reload', () => {
  let original: CspPage;
  let again: CspPage;

  before(async () => {
    original = await openUnderCsp('results', 'Neuron Lens Results', { width: 1000, height: 900 });
    again = await openUnderCsp('results', 'Neuron Lens Results', { width: 1000, height: 900 });
  });

  after(async () => {
    await original.close();
    await again.close();
    await closeBrowser();
  });

  it('draws the restored cards exactly as the cards first sent', async () => {
    const list = entries(fooled.text);
    await original.send({ type: 'results', data: { cards: list.map((e) => e.card) } });
    await again.send({ type: 'results', data: { cards: restored(list) } });
    await again.page.waitForSelector('.result-card');
    const html = (w: CspPage) => w.page.$eval('main.result-list', (m) => m.innerHTML);
    assert.equal(await html(again), await html(original));
    assert.equal(await again.page.textContent('.subtitle'), '3 results, newest first');
    assert.deepEqual(again.errors, []);
  });

  it('a card whose edited text was too long to keep has no Open button; its report button still asks', async () => {
    await again.send({ type: 'results', data: { cards: restored(entries('x'.repeat(MAX_STORED_TEXT_CHARS + 1))) } });
    const tools = '.result-card[data-kind="fooling"] .card-tools vscode-button[data-action]';
    assert.deepEqual(await again.page.$$eval(tools, (els) => els.map((e) => e.getAttribute('data-action'))), ['openReport']);
    await again.page.click(`${tools}[data-action="openReport"]`);
    await again.page.click('.result-card[data-kind="saliency"] vscode-button[data-action="reveal"]');
    assert.deepEqual((await again.posted()).slice(-2), [
      { type: 'resultAction', card: 'card-3', action: 'openReport' },
      { type: 'resultAction', card: 'card-2', action: 'reveal', row: 0 },
    ]);
  });
});
