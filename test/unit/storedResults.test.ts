/**
 * The results panel's cards as kept in workspace state across a window reload: each card with
 * what its buttons do as data (CardActions). What comes back must be the same cards, and a button
 * whose data is missing must be gone from its card rather than left dead; a malformed card is left
 * out without taking the others with it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Random } from '../../src/engine/random';
import {
  type CardActions,
  type NewResultCard,
  canRun,
  contextsCard,
  foolingCard,
  maximizationCard,
  saliencyCard,
  withRunnableButtons,
} from '../../src/extension/resultCards';
import {
  MAX_STORED_RESULTS_CHARS,
  MAX_STORED_TEXT_CHARS,
  type ResultEntry,
  restoreResults,
  storeResults,
} from '../../src/extension/storedResults';
import type { ResultCard } from '../../src/shared/panelMessages';
import type { FoolResult, TopContextsResult } from '../../src/shared/protocol';

const throughJson = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

function maximization(seed: number, length = 4): NewResultCard {
  const rng = new Random(seed);
  return maximizationCard(
    {
      target: 'layer 0 h neuron 2 (last token)',
      length,
      steps: 10,
      sequences: [0, 1, 2].map((s) => {
        const trace = Array.from({ length }, () => Math.tanh(rng.normal()));
        return {
          start: s,
          ids: trace.map((_, i) => i),
          tokens: trace.map((_, i) => `t${i}`),
          text: '',
          activation: trace.at(-1)!,
          relaxedObjective: 0,
          trace,
          step: 10,
          decodedText: '',
          decodedActivation: 0,
        };
      }),
      best: 0,
      elapsedMs: 12,
      stepsPerSecond: 800,
      modelId: 1,
      range: 'signed',
    },
    { position: 'last', length, starts: 3, steps: 10 },
  );
}

function contexts(): NewResultCard {
  const c = (file: string, value: number): TopContextsResult['most'][number] => ({
    value,
    file,
    tokenIndex: 7,
    start: 13,
    end: 15,
    token: 'xx',
    snippet: 'ab xx',
    snippetStart: 10,
    markStart: 3,
    markEnd: 5,
    snippetTokens: [
      { start: 0, end: 2, value: 0.1 },
      { start: 2, end: 3, value: 0.2 },
      { start: 3, end: 5, value },
    ],
  });
  return contextsCard(
    { modelId: 1, most: [c('/w/a.txt', 0.9)], least: [c('moby-dick', -0.8)], tokens: 100, skipped: [], range: 'signed' },
    { neuron: 'L0 h #2', corpus: 'here', top: 1, window: 3 },
    (x) => x.file,
  );
}

function saliency(): NewResultCard {
  return saliencyCard(
    {
      modelId: 1,
      starts: Int32Array.from([0, 2, 3]),
      ends: Int32Array.from([2, 3, 5]),
      scores: Float32Array.from([0.25, -0.5, 1 / 3]),
      target: 'layer 0 h neuron 1 (last token)',
      method: 'grad',
      targetValue: 0.6,
    },
    'ab cd',
    { document: 'notes.txt', steps: 32 },
  );
}

const fooled: FoolResult = {
  classes: ['neg', 'pos'],
  originalClass: 'pos',
  probabilitiesBefore: [0.25, 0.75],
  probabilitiesAfter: [0.6, 0.4],
  steps: [
    {
      edit: { position: 1, start: 2, end: 6, oldToken: 'good', newToken: 'dull', oldId: 1, newId: 2 },
      estimatedGain: 1,
      probabilities: [0.6, 0.4],
      predicted: 'neg',
    },
  ],
  text: 'a dull day',
  flipped: true,
  predicted: 'neg',
  summary: 'One substitution flips it.',
  evaluated: 5,
  classifiedTokens: 5,
};

const entry = (card: NewResultCard, actions: CardActions, id: string): ResultEntry => ({ card: { ...card, id }, actions });

/** One card of each kind's buttons, newest first, as the commands add them. */
function entries(): ResultEntry[] {
  return [
    entry(
      foolingCard(fooled, 'a good day', { document: 'r.txt', maxFlips: 5 }),
      { kind: 'edit', language: 'markdown', text: fooled.text, report: { title: 'Fooling edit: neg', markdown: '# Fooling edit\n' } },
      'card-5',
    ),
    entry(saliency(), { kind: 'window', uri: 'file:///w/notes.txt', start: 0, text: 'ab cd' }, 'card-4'),
    entry(
      contexts(),
      {
        kind: 'places',
        places: [
          { file: '/w/a.txt', start: 13, end: 15 },
          { file: 'moby-dick', start: 13, end: 15 },
        ],
      },
      'card-3',
    ),
    entry(maximization(1), { kind: 'rowText' }, 'card-2'),
  ];
}

/** Every button of a card, as "action@row" ("@card" for the card's own). */
function buttons(card: ResultCard): string[] {
  return [...card.buttons.map((b) => `${b.action}@card`), ...card.rows.flatMap((r, i) => r.buttons.map((b) => `${b.action}@${i}`))];
}

describe('what a card’s buttons can do', () => {
  it('each kind of action data carries out only its own buttons, and only where it has data', () => {
    assert.equal(canRun({ kind: 'rowText' }, 'open', 0), true);
    assert.equal(canRun({ kind: 'rowText' }, 'open', undefined), false);
    assert.equal(canRun({ kind: 'rowText' }, 'goTo', 0), false);
    const places: CardActions = { kind: 'places', places: [{ file: 'a', start: 0, end: 1 }] };
    assert.equal(canRun(places, 'goTo', 0), true);
    assert.equal(canRun(places, 'goTo', 1), false, 'no place for row 1');
    assert.equal(canRun({ kind: 'window', uri: 'file:///a', start: 0, text: 'a' }, 'reveal', 0), true);
    assert.equal(canRun({ kind: 'edit', language: 'plaintext', text: 'x' }, 'open', undefined), true);
    assert.equal(canRun({ kind: 'edit', language: 'plaintext', text: 'x' }, 'openReport', undefined), false, 'no report');
    assert.equal(canRun({ kind: 'edit', language: 'plaintext', report: { title: 't', markdown: 'm' } }, 'open', undefined), false);
  });

  it('a card keeps only the buttons its data can carry out', () => {
    const card = contexts();
    assert.deepEqual(buttons({ ...card, id: 'c' }), ['goTo@0', 'goTo@1']);
    const fewer = withRunnableButtons(card, { kind: 'places', places: [{ file: '/w/a.txt', start: 13, end: 15 }] });
    assert.deepEqual(buttons({ ...fewer, id: 'c' }), ['goTo@0']);
    assert.deepEqual(buttons({ ...withRunnableButtons(card, { kind: 'rowText' }), id: 'c' }), []);
  });
});

describe('stored results', () => {
  it('come back through JSON as the same cards, newest first, with every button working', () => {
    const original = entries();
    const restored = restoreResults(throughJson(storeResults(original)));
    assert.equal(restored.length, 4);
    assert.deepEqual(
      restored.map((e) => e.card.id),
      ['card-5', 'card-4', 'card-3', 'card-2'],
    );
    // Values come back as the same Float32Arrays; everything else as it was.
    assert.deepEqual(restored, original);
    for (const { card } of restored) for (const row of card.rows) if (row.values) assert.ok(row.values instanceof Float32Array);
    assert.deepEqual(
      restored.map((e) => buttons(e.card)),
      [['open@card', 'openReport@card'], ['reveal@0'], ['goTo@0', 'goTo@1'], ['open@0', 'open@1', 'open@2']],
    );
  });

  it('an edited text too long to keep loses its button, not the card or its report', () => {
    const [fooling] = entries();
    const long: ResultEntry = {
      ...fooling!,
      actions: { ...(fooling!.actions as object), text: 'x'.repeat(MAX_STORED_TEXT_CHARS + 1) } as CardActions,
    };
    const [restored] = restoreResults(throughJson(storeResults([long])));
    assert.deepEqual(buttons(restored!.card), ['openReport@card']);
    assert.deepEqual(restored!.actions, {
      kind: 'edit',
      language: 'markdown',
      report: { title: 'Fooling edit: neg', markdown: '# Fooling edit\n' },
    });
    assert.equal(canRun(restored!.actions, 'open', undefined), false);
  });

  it('keeps the newest cards within the size budget', () => {
    const big = Array.from({ length: 20 }, (_, i) => entry(maximization(i, 5000), { kind: 'rowText' }, `card-${20 - i}`));
    const stored = storeResults(big);
    assert.ok(JSON.stringify(stored).length <= MAX_STORED_RESULTS_CHARS);
    assert.ok(stored.entries.length > 0 && stored.entries.length < 20, `${stored.entries.length} kept`);
    assert.deepEqual(
      restoreResults(throughJson(stored)).map((e) => e.card.id),
      big.slice(0, stored.entries.length).map((e) => e.card.id),
    );
  });

  it('leaves out a malformed card and keeps the others; anything else kept is ignored', () => {
    const stored = throughJson(storeResults(entries())) as { version: 1; entries: { card: Record<string, unknown>; actions: unknown }[] };
    const [fooling, window, places, rows] = stored.entries;
    const row0 = (places!.card.rows as Record<string, unknown>[])[0]!;
    const damaged = [
      { ...fooling!, actions: { kind: 'teleport' } },
      { ...window!, actions: { kind: 'window', start: 0, text: 'ab cd' } },
      { ...places!, card: { ...places!.card, rows: [{ ...row0, values: [0.1, 'x', 0.3] }] } },
      { ...places!, actions: { kind: 'places', places: [{ file: '/w/a.txt', start: 15, end: 13 }] } },
      { ...rows!, card: { ...rows!.card, kind: 'dream' } },
      rows,
      // The same id again: the first one stands.
      { ...window!, card: { ...window!.card, id: 'card-2' } },
      null,
    ];
    const restored = restoreResults({ version: 1, entries: damaged });
    assert.deepEqual(
      restored.map((e) => e.card.id),
      ['card-2'],
    );
    assert.deepEqual(restored[0]!.card.kind, 'maximization');
    for (const x of [
      undefined,
      null,
      'cards',
      { entries: stored.entries },
      { version: 2, entries: stored.entries },
      { version: 1, entries: {} },
    ]) {
      assert.deepEqual(restoreResults(x), [], JSON.stringify(x)?.slice(0, 40));
    }
  });

  it('a card kept with fewer places than rows shows Go to only where there is a place', () => {
    const stored = throughJson(storeResults(entries())) as { version: 1; entries: { card: unknown; actions: { places?: unknown[] } }[] };
    const places = stored.entries[2]!;
    places.actions.places = places.actions.places!.slice(0, 1);
    const [restored] = restoreResults({ version: 1, entries: [places] });
    assert.deepEqual(buttons(restored!.card), ['goTo@0']);
  });
});
