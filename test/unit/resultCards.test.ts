/**
 * The results panel's cards as the commands build them from engine answers, and the checks both
 * ends apply to the panel's messages: parseToResults (extension → page) and parseFromWebview for
 * the buttons (page → extension).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contextsCard, editPieces, foolingCard, inversionCard, maximizationCard, saliencyCard } from '../../src/extension/resultCards';
import { MAX_RESULT_CARDS, type ResultCard, parseFromWebview, parseToResults } from '../../src/shared/panelMessages';
import type { EngineMethods, SaliencyResult, TopContextsResult } from '../../src/shared/protocol';

function maximized(activations: number[], best: number): EngineMethods['maximize']['result'] {
  return {
    target: 'layer 0 h neuron 2 (last token)',
    length: 2,
    steps: 10,
    sequences: activations.map((a, s) => ({
      start: s,
      ids: [s, s],
      tokens: [String(s), '.'],
      text: `${s}.`,
      activation: a,
      relaxedObjective: a,
      trace: [a / 2, a],
      step: 10,
      decodedText: `${s}.`,
      decodedActivation: a,
    })),
    best,
    elapsedMs: 12,
    stepsPerSecond: 800,
    modelId: 1,
    range: 'unbounded',
  };
}

const withId = (card: Omit<ResultCard, 'id'>, id = 'card-1'): ResultCard => ({ ...card, id });
const settings = { position: 'last', length: 2, starts: 4, steps: 10 } as const;

describe('result cards', () => {
  it('maximisation: rows by real activation, highest first, the best marked; unbounded values scaled by the largest', () => {
    const card = maximizationCard(maximized([0.2, -1.5, 3, 0.9], 2), settings);
    assert.deepEqual(
      card.rows.map((r) => [r.label, r.figure, r.best]),
      [
        ['start 3', '+3.000', true],
        ['start 4', '+0.900', false],
        ['start 1', '+0.200', false],
        ['start 2', '-1.500', false],
      ],
    );
    assert.deepEqual(Array.from(card.rows[0]!.values!), [1.5, 3]);
    assert.equal(card.robustScale, 3);
    assert.deepEqual(card.parameters, ['4 starts × 10 steps', 'length 2', 'at the last token', '800.0 steps/s']);
  });

  it('top contexts: most then least active, each snippet split at its tokens with the context’s token marked', () => {
    const c = (file: string, value: number, mark: number): TopContextsResult['most'][number] => ({
      value,
      file,
      tokenIndex: 7,
      start: 10 + mark,
      end: 12 + mark,
      token: 'xx',
      snippet: 'ab xx cd',
      snippetStart: 10,
      markStart: 3,
      markEnd: 5,
      snippetTokens: [
        { start: 0, end: 2, value: 0.1 },
        { start: 2, end: 3, value: 0.2 },
        { start: 3, end: 5, value: value },
        { start: 5, end: 6, value: 0.3 },
        { start: 6, end: 8, value: 0.4 },
      ],
    });
    const result: TopContextsResult = {
      modelId: 1,
      most: [c('a.txt', 0.9, 3)],
      least: [c('b.txt', -0.8, 3), c('c.txt', -0.5, 3)],
      tokens: 100,
      skipped: [{ file: 'x.bin', reason: 'binary' }],
      range: 'signed',
    };
    const card = contextsCard(result, { neuron: 'L0 h #2', corpus: 'here', top: 3, window: 3 }, (x) => x.file);
    assert.deepEqual(
      card.rows.map((r) => [r.group, r.label, r.figure]),
      [
        ['Most active', 'a.txt', '+0.900'],
        ['Least active', 'b.txt', '-0.800'],
        ['Least active', 'c.txt', '-0.500'],
      ],
    );
    assert.deepEqual(card.rows[0]!.tokens, ['ab', ' ', 'xx', ' ', 'cd']);
    assert.deepEqual(card.rows[0]!.marked, [2]);
    assert.ok(Math.abs(card.rows[1]!.values![2]! - -0.8) < 1e-6);
    assert.deepEqual(card.notes, ['Read 100 tokens; the context’s own token is underlined.', '1 files skipped (not text).']);
    assert.ok(parseToResults({ type: 'results', data: { cards: [withId(card)] } }));
  });

  it('fooling: the edited spans marked before and after, far text elided, probabilities along the way', () => {
    const long = `${'x '.repeat(300)}good film ${'y '.repeat(300)}`;
    const at = long.indexOf('good');
    const pieces = editPieces(long, [{ start: at, end: at + 4, text: 'dull' }], true);
    assert.equal(pieces.tokens[0], '…');
    assert.equal(pieces.tokens.at(-1), '…');
    assert.deepEqual(
      pieces.marked.map((i) => pieces.tokens[i]),
      ['dull'],
    );
    assert.equal(pieces.tokens.slice(1, -1).join('').length, 200 + 4 + 200, '200 characters each side of the edit');
    const before = editPieces('ab', [], false);
    assert.deepEqual(before, { tokens: ['ab'], marked: [] });

    const card = foolingCard(
      {
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
      },
      'a good day',
      { document: 'r.txt', maxFlips: 5 },
    );
    assert.equal(card.title, 'Fooling edit: pos → neg');
    assert.deepEqual(
      card.rows.map((r) => [r.label, r.figure, r.marked.map((i) => r.tokens[i])]),
      [
        ['original', 'pos', ['good']],
        ['edited (1 substitution)', 'neg', ['dull']],
      ],
    );
    assert.deepEqual(card.table!.rows, [
      { label: 'before', cells: ['25.0 %', '75.0 %'] },
      { label: '1: good → dull (token 1)', cells: ['60.0 %', '40.0 %'] },
    ]);
    assert.deepEqual(
      card.buttons.map((b) => b.action),
      ['open', 'openReport'],
    );
  });

  it('inversion: the text first, then the recovered sequences closest first', () => {
    const seq = (start: number, distance: number) => ({
      start,
      ids: [1],
      tokens: [String(start)],
      text: String(start),
      distance,
      cosine: 1 - distance,
      relaxedDistance: distance,
      step: 5,
    });
    const card = inversionCard(
      {
        layer: 1,
        component: 'h',
        targetTokens: 500,
        targetNorm: 2,
        reference: { distance: 0, cosine: 1 },
        length: 1,
        steps: 5,
        sequences: [seq(0, 0.5), seq(1, 0.25), seq(2, 0.75)],
        best: 1,
        elapsedMs: 3,
        modelId: 1,
        textTokens: Array.from({ length: 500 }, (_, i) => String(i % 10)),
        range: 'signed',
      },
      { document: 'd.txt', starts: 3, steps: 5 },
    );
    assert.deepEqual(
      card.rows.map((r) => [r.label, r.best, r.buttons.length]),
      [
        ['its last 400 of 500 tokens', false, 0],
        ['start 2', true, 1],
        ['start 1', false, 1],
        ['start 3', false, 1],
      ],
    );
    assert.equal(card.rows[0]!.tokens.length, 401, 'the last 400 tokens after an ellipsis');
    assert.equal(card.rows[0]!.tokens[0], '…');
  });

  it('saliency: a class score names its class and probability; a neuron’s card is as before; completeness stated', () => {
    const text = 'good dog';
    const result: SaliencyResult = {
      modelId: 1,
      starts: Int32Array.from([0, 4, 5]),
      ends: Int32Array.from([4, 5, 8]),
      scores: Float32Array.from([0.75, -0.25, 1.5]),
      target: 'the class score of "dogs"',
      method: 'ig',
      targetValue: 2.5,
      baselineValue: 0.625,
      completenessGap: 0.125,
    };
    const card = saliencyCard(result, text, {
      document: 'review.txt',
      steps: 32,
      explainedClass: { name: 'dogs', probability: 0.8125, predicted: true },
    });
    assert.equal(card.title, 'Integrated gradients of the class score of "dogs"');
    assert.deepEqual(card.parameters, ['class "dogs" (predicted, 81.3 %)', 'Integrated gradients', '32 steps', 'window of 3 tokens']);
    assert.deepEqual(
      card.rows.map((r) => [r.label, r.figure, r.tokens]),
      [['class "dogs"', 'score +2.500', ['good', ' ', 'dog']]],
    );
    assert.match(card.notes[0]!, /^Class score of "dogs" \+2\.5000 \(its logit before the softmax/);
    assert.equal(card.notes[1], 'Completeness: Σ attributions +2.0000 vs target − baseline +1.8750 (baseline +0.6250; gap +0.1250).');
    const other = saliencyCard(result, text, {
      document: 'review.txt',
      steps: 32,
      explainedClass: { name: 'cats', probability: 0.1875, predicted: false },
    });
    assert.equal(other.parameters[0], 'class "cats" (18.8 %)', 'only the predicted class says so');
    const neuron = saliencyCard(
      { ...result, target: 'layer 0 h neuron 5 (last token)', method: 'grad', completenessGap: undefined, baselineValue: undefined },
      text,
      { document: 'review.txt', steps: 32 },
    );
    assert.deepEqual(neuron.parameters, ['Gradient norm', 'window of 3 tokens']);
    assert.deepEqual(
      neuron.rows.map((r) => [r.label, r.figure]),
      [['tokens 3', 'target +2.500']],
    );
    assert.deepEqual(neuron.notes, ['Target value +2.5000.', 'Σ attributions +2.0000.']);
  });
});

describe('results messages', () => {
  const good = withId(maximizationCard(maximized([1, 2], 1), settings));
  const accepts = (cards: unknown[]) => parseToResults({ type: 'results', data: { cards } }) !== undefined;

  it('accepts what the builders make, and an error', () => {
    assert.ok(accepts([good]));
    assert.ok(accepts([]));
    assert.deepEqual(parseToResults({ type: 'error', message: 'no model' }), { type: 'error', message: 'no model' });
  });

  it('rejects malformed cards, whole', () => {
    const row = good.rows[0]!;
    const bad: [string, unknown[]][] = [
      ['an id with spaces', [{ ...good, id: 'card 1' }]],
      ['two cards with one id', [good, good]],
      ['an unknown kind', [{ ...good, kind: 'dream' }]],
      ['more cards than the cap', Array.from({ length: MAX_RESULT_CARDS + 1 }, (_, i) => ({ ...good, id: `c${i}` }))],
      ['a marked token past the row', [{ ...good, rows: [{ ...row, marked: [2] }] }]],
      ['values not one per token', [{ ...good, rows: [{ ...row, values: new Float32Array(3) }] }]],
      ['values as a plain array', [{ ...good, rows: [{ ...row, values: [0, 1] }] }]],
      ['a token that is not text', [{ ...good, rows: [{ ...row, tokens: ['a', 2] }] }]],
      ['an unknown action', [{ ...good, rows: [{ ...row, buttons: [{ action: 'delete', label: 'Delete' }] }] }]],
      ['a card button without a label', [{ ...good, buttons: [{ action: 'open' }] }]],
      ['a missing best flag', [{ ...good, rows: [{ ...row, best: undefined }] }]],
      ['a negative time', [{ ...good, elapsedMs: -1 }]],
      ['a scale that is not a number', [{ ...good, robustScale: Number.NaN }]],
      ['an unknown range', [{ ...good, range: 'log' }]],
      ['a table row without cells', [{ ...good, table: { columns: ['a'], rows: [{ label: 'x' }] } }]],
      ['rows that are not a list', [{ ...good, rows: {} }]],
    ];
    for (const [what, cards] of bad) assert.equal(accepts(cards), false, what);
    assert.equal(parseToResults({ type: 'results' }), undefined);
    assert.equal(parseToResults({ type: 'results', data: { cards: good } }), undefined);
    assert.equal(parseToResults({ type: 'error', message: 3 }), undefined);
    assert.equal(parseToResults(null), undefined);
  });

  it('the page’s button messages are checked before the extension sees them', () => {
    assert.deepEqual(parseFromWebview({ type: 'resultAction', card: 'card-3', action: 'open', row: 2 }), {
      type: 'resultAction',
      card: 'card-3',
      action: 'open',
      row: 2,
    });
    assert.deepEqual(parseFromWebview({ type: 'resultAction', card: 'card-3', action: 'openReport' }), {
      type: 'resultAction',
      card: 'card-3',
      action: 'openReport',
    });
    assert.deepEqual(parseFromWebview({ type: 'closeResult', card: 'card-1' }), { type: 'closeResult', card: 'card-1' });
    assert.deepEqual(parseFromWebview({ type: 'clearResults', extra: 1 }), { type: 'clearResults' });
    for (const m of [
      { type: 'resultAction', card: 'card-3', action: 'delete', row: 0 },
      { type: 'resultAction', card: 'card-3', action: 'open', row: -1 },
      { type: 'resultAction', card: 'card-3', action: 'open', row: 1.5 },
      { type: 'resultAction', card: '../x', action: 'open', row: 0 },
      { type: 'resultAction', action: 'open', row: 0 },
      { type: 'closeResult', card: 7 },
    ]) {
      assert.equal(parseFromWebview(m), undefined, JSON.stringify(m));
    }
  });
});
