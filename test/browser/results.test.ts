import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Random } from '../../src/engine/random';
import { contextsCard, foolingCard, inversionCard, maximizationCard, saliencyCard } from '../../src/extension/resultCards';
import type { ResultCard, ResultsData } from '../../src/shared/panelMessages';
import type { EngineMethods, FoolResult, SaliencyResult, TopContextsResult } from '../../src/shared/protocol';
import { type CspPage, closeBrowser, openUnderCsp } from './webviewHarness';

/**
 * The results panel, loaded from the extension's own HTML shell under its CSP, fed one card of
 * each kind built by the extension's own card builders from seeded engine-shaped results, with
 * planted values at known tokens.
 */
const MARKUP = '<b>bold</b>&amp;';
// The theme the harness's CSP page falls back to (dark): background, blue, red.
const BACKGROUND = [0x1f, 0x1f, 0x1f];
const BLUE = [0x37, 0x94, 0xff];
const RED = [0xf1, 0x4c, 0x4c];

/** The palette's colour for a normalised value in [-1, 1]: the background blended towards blue or red. */
function expectedColour(v: number): number[] {
  const end = v < 0 ? BLUE : RED;
  const a = Math.abs(Math.round(v * 255) / 255);
  return BACKGROUND.map((bg, c) => Math.round(bg + (end[c]! - bg) * a));
}

function maximization(): EngineMethods['maximize']['result'] {
  const rng = new Random(11);
  const sequences = Array.from({ length: 5 }, (_, s) => {
    const tokens = Array.from({ length: 6 }, () => 'abcdefgh'[Math.floor(rng.next() * 8)]!);
    const trace = tokens.map(() => Math.tanh(rng.normal()));
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
  // Start 3 (index 2) is the best; its tokens carry the planted values, whitespace and markup.
  Object.assign(sequences[2]!, { tokens: ['x', ' ', '\n', MARKUP, 'y', 'z'], trace: [1, -1, 0.5, 0, -0.5, 0.99], activation: 0.99 });
  sequences[2]!.text = sequences[2]!.tokens.join('');
  const best = sequences.reduce((b, q, i) => (q.activation > sequences[b]!.activation ? i : b), 0);
  return {
    target: 'layer 0 h neuron 14 (last token)',
    length: 6,
    steps: 200,
    sequences,
    best,
    elapsedMs: 2345,
    stepsPerSecond: 85.3,
    modelId: 1,
    range: 'signed',
  };
}

function contexts(): TopContextsResult {
  const context = (file: string, value: number, snippet: string, mark: number, values: number[]): TopContextsResult['most'][number] => ({
    value,
    file,
    tokenIndex: 100 + mark,
    start: 100 + mark,
    end: 101 + mark,
    token: snippet[mark]!,
    snippet,
    snippetStart: 100,
    markStart: mark,
    markEnd: mark + 1,
    snippetTokens: values.map((v, i) => ({ start: i, end: i + 1, value: v })),
  });
  return {
    modelId: 1,
    most: [context('a.txt', 1, 'cat', 1, [0.5, 1, 0.75]), context('b.txt', 0.9, 'dog', 2, [0.5, 0.5, 0.9])],
    least: [context('a.txt', 0, 'mat', 0, [0, 0.5, 0.5])],
    tokens: 5000,
    skipped: [],
    range: 'unit',
  };
}

const SALIENCY_TEXT = 'the cat sat';
function saliency(): SaliencyResult {
  const starts = Int32Array.from(SALIENCY_TEXT, (_, i) => i);
  const scores = Float32Array.from(SALIENCY_TEXT, (_, i) => (i === 4 ? 0.8 : i === 8 ? -0.4 : 0.01 * i));
  const total = scores.reduce((s, v) => s + v, 0);
  return {
    modelId: 1,
    starts,
    ends: Int32Array.from(starts, (s) => s + 1),
    scores,
    target: 'layer 0 h neuron 3 (last token)',
    method: 'ig',
    targetValue: 0.6,
    // Σ attributions − (target − baseline) = 0.002, the gap the engine reports.
    baselineValue: 0.6 - total + 0.002,
    completenessGap: 0.002,
  };
}

const FOOL_TEXT = 'a good film, truly good';
function fooling(): FoolResult {
  return {
    classes: ['neg', 'pos'],
    originalClass: 'pos',
    probabilitiesBefore: [0.2, 0.8],
    probabilitiesAfter: [0.7, 0.3],
    steps: [
      {
        edit: { position: 2, start: 2, end: 6, oldToken: 'good', newToken: 'dull', oldId: 5, newId: 9 },
        estimatedGain: 1,
        probabilities: [0.45, 0.55],
        predicted: 'pos',
      },
      {
        edit: { position: 9, start: 19, end: 23, oldToken: 'good', newToken: 'bad', oldId: 5, newId: 7 },
        estimatedGain: 1,
        probabilities: [0.7, 0.3],
        predicted: 'neg',
      },
    ],
    text: 'a dull film, truly bad',
    flipped: true,
    predicted: 'neg',
    summary: 'Two substitutions change the prediction from pos to neg.',
    evaluated: 64,
    classifiedTokens: 10,
  };
}

function inversion(): EngineMethods['invert']['result'] {
  const seq = (start: number, tokens: string[], distance: number, cosine: number) => ({
    start,
    ids: [],
    tokens,
    text: tokens.join(''),
    distance,
    cosine,
    relaxedDistance: distance,
    step: 200,
  });
  return {
    layer: 0,
    component: 'h',
    targetTokens: 3,
    targetNorm: 1.5,
    reference: { distance: 0, cosine: 1 },
    length: 2,
    steps: 200,
    sequences: [seq(0, ['a', 't'], 0.4, 0.9), seq(1, ['c', 't'], 0.1, 0.99), seq(2, ['x', 'y'], 0.7, 0.5)],
    best: 1,
    elapsedMs: 900,
    modelId: 1,
    textTokens: ['c', 'a', 't'],
    range: 'signed',
  };
}

/** Cards as the controller numbers them: newest (the inversion) first. */
function fixture(): ResultsData {
  const made = [
    maximizationCard(maximization(), { position: 'last', length: 6, starts: 5, steps: 200 }),
    contextsCard(
      contexts(),
      { neuron: 'L0 h #14', corpus: 'this workspace', top: 2, window: 1 },
      (c) => `${c.file} · token ${c.tokenIndex}`,
    ),
    saliencyCard(saliency(), SALIENCY_TEXT, { document: 'cat.txt', steps: 32 }),
    foolingCard(fooling(), FOOL_TEXT, { document: 'review.txt', maxFlips: 5 }),
    inversionCard(inversion(), { document: 'cat.txt, line 1', starts: 3, steps: 200 }),
  ];
  return { cards: made.map((c, i): ResultCard => ({ ...c, id: `card-${i + 1}` })).reverse() };
}

const card = (kind: string) => `.result-card[data-kind="${kind}"]`;

async function backgroundOf(w: CspPage, selector: string): Promise<number[]> {
  // Runs in the page, where globalThis is the window.
  const css = await w.page.$eval(
    selector,
    (e) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(e).backgroundColor,
  );
  return (css.match(/\d+/g) ?? []).slice(0, 3).map(Number);
}

function assertColour(actual: number[], expected: number[], what: string): void {
  assert.ok(
    expected.every((c, i) => Math.abs(actual[i]! - c) <= 2),
    `${what}: got rgb(${actual.join(', ')}), expected rgb(${expected.join(', ')})`,
  );
}

async function texts(w: CspPage, selector: string): Promise<string[]> {
  return w.page.$$eval(selector, (els) => els.map((e) => e.textContent ?? ''));
}

describe('results panel', () => {
  const data = fixture();
  let w: CspPage;

  before(async () => {
    w = await openUnderCsp('results', 'Neuron Lens Results', { width: 1100, height: 900 });
  });

  after(async () => {
    await w.close();
    await closeBrowser();
  });

  it('loads under the extension CSP without violations, says ready and shows that nothing is there yet', async () => {
    assert.deepEqual(await w.violations(), []);
    assert.deepEqual(w.errors, []);
    assert.deepEqual((await w.posted())[0], { type: 'ready' });
    assert.equal(await w.page.isVisible('.empty'), true);
    assert.equal(await w.page.$$eval('.result-card', (els) => els.length), 0);
  });

  it('shows the cards newest first, each with its kind, title, source, parameters and timing', async () => {
    await w.send({ type: 'results', data });
    await w.page.waitForSelector('.result-card');
    assert.deepEqual(await w.page.$$eval('.result-card', (els) => els.map((e) => e.getAttribute('data-kind'))), [
      'inversion',
      'fooling',
      'saliency',
      'contexts',
      'maximization',
    ]);
    assert.equal(await w.page.isHidden('.empty'), true);
    assert.equal(await w.page.textContent('.subtitle'), '5 results, newest first');
    assert.equal(await w.page.textContent(`${card('maximization')} .card-title`), 'layer 0 h neuron 14 (last token)');
    assert.deepEqual(await texts(w, `${card('maximization')} .parameters li`), [
      '5 starts × 200 steps',
      'length 6',
      'at the last token',
      '85.3 steps/s',
      '2.3 s',
    ]);
    assert.equal(await w.page.textContent(`${card('fooling')} .source`), 'review.txt');
  });

  it('orders the maximisation rows by real activation and marks the best', async () => {
    const figures = (await texts(w, `${card('maximization')} .row-figure`)).map(Number);
    assert.equal(figures.length, 5);
    assert.deepEqual(
      figures,
      [...figures].sort((a, b) => b - a),
    );
    assert.equal(figures[0], 0.99);
    assert.deepEqual(await w.page.$$eval(`${card('maximization')} .result-row.best`, (els) => els.map((e) => e.getAttribute('data-row'))), [
      '0',
    ]);
    assert.deepEqual(await texts(w, `${card('maximization')} .result-row.best .best-badge`), ['best']);
    assert.equal(await w.page.textContent(`${card('maximization')} .result-row.best .row-label`), 'start 3');
  });

  it('colours each token by its value on the card’s scale; the hover gives the value', async () => {
    const best = `${card('maximization')} .result-row.best`;
    const planted: [number, number][] = [
      [0, 1],
      [1, -1],
      [2, 0.5],
      [3, 0],
    ];
    assert.deepEqual(expectedColour(0.5), [136, 54, 54], 'half way from the background to red');
    for (const [t, v] of planted) assertColour(await backgroundOf(w, `${best} .token[data-token="${t}"]`), expectedColour(v), `token ${t}`);
    assert.equal(await w.page.getAttribute(`${best} .token[data-token="2"]`, 'title'), '⏎ · activation 0.5');
    // The gate-valued contexts are centred on 0.5: 1 is full red, 0.75 half, 0.5 the background.
    const most = `${card('contexts')} .result-row[data-row="0"]`;
    assertColour(await backgroundOf(w, `${most} .token[data-token="1"]`), expectedColour(1), 'context token at 1');
    assertColour(await backgroundOf(w, `${most} .token[data-token="2"]`), expectedColour(0.5), 'context token at 0.75');
    assertColour(await backgroundOf(w, `${most} .token[data-token="0"]`), expectedColour(0), 'context token at 0.5');
    // Attributions are unbounded: the largest |score| is the full colour.
    const window = `${card('saliency')} .result-row`;
    assertColour(await backgroundOf(w, `${window} .token[data-token="4"]`), expectedColour(1), 'largest attribution');
    assertColour(await backgroundOf(w, `${window} .token[data-token="8"]`), expectedColour(-0.5), 'half the largest, negative');
    assert.equal(await w.page.getAttribute(`${window} .token[data-token="4"]`, 'title'), 'c · attribution 0.8');
  });

  it('shows whitespace and token markup literally', async () => {
    const tokens = await texts(w, `${card('maximization')} .result-row.best .token`);
    assert.deepEqual(tokens, ['x', '·', '⏎', MARKUP, 'y', 'z']);
    assert.equal(await w.page.$$eval('main b', (els) => els.length), 0, 'no element was made from token text');
  });

  it('marks the context’s token under its group, and the edited tokens before and after a fooling edit', async () => {
    assert.deepEqual(await texts(w, `${card('contexts')} .row-group`), ['Most active', 'Least active']);
    assert.deepEqual(await texts(w, `${card('contexts')} .token.marked`), ['a', 'g', 'm']);
    assert.deepEqual(await texts(w, `${card('fooling')} .result-row[data-row="0"] .token.marked`), ['good', 'good']);
    assert.deepEqual(await texts(w, `${card('fooling')} .result-row[data-row="1"] .token.marked`), ['dull', 'bad']);
    assert.deepEqual(await texts(w, `${card('fooling')} .result-row[data-row="1"] .token`), [
      'a',
      '·',
      'dull',
      '·',
      'film,',
      '·',
      'truly',
      '·',
      'bad',
    ]);
    const table = await w.page.$$eval(`${card('fooling')} .result-table tr`, (rows) =>
      rows.map((r) => Array.from(r.children as ArrayLike<{ textContent: string | null }>, (c) => c.textContent ?? '')),
    );
    assert.deepEqual(table, [
      ['', 'neg', 'pos'],
      ['before', '20.0 %', '80.0 %'],
      ['1: good → dull (token 2)', '45.0 %', '55.0 %'],
      ['2: good → bad (token 9)', '70.0 %', '30.0 %'],
    ]);
  });

  it('shows the completeness check of integrated gradients and the inversion’s distances, closest first', async () => {
    const notes = await texts(w, `${card('saliency')} .note`);
    assert.equal(notes[0], 'Target value +0.6000.');
    assert.match(
      notes[1]!,
      /^Completeness: Σ attributions \+0\.8300 vs target − baseline \+0\.8280 \(baseline -0\.2280; gap \+0\.0020\)\.$/,
    );
    const [, sum, difference] = notes[1]!.match(/Σ attributions ([-+][\d.]+) vs target − baseline ([-+][\d.]+)/)!;
    assert.ok(Math.abs(Number(sum) - Number(difference) - 0.002) < 2e-4, notes[1]);
    assert.deepEqual(await texts(w, `${card('inversion')} .row-figure`), [
      'distance 0.0000 · cosine 1.0000',
      'distance 0.1000 · cosine 0.9900',
      'distance 0.4000 · cosine 0.9000',
      'distance 0.7000 · cosine 0.5000',
    ]);
    assert.deepEqual(await texts(w, `${card('inversion')} .result-row.best .token`), ['c', 't']);
  });

  it('every button posts its card and row; closing, clearing and CSV too', async () => {
    const before = (await w.posted()).length;
    await w.page.click(`${card('maximization')} .result-row[data-row="2"] vscode-button[data-action="open"]`);
    await w.page.click(`${card('contexts')} .result-row[data-row="2"] vscode-button[data-action="goTo"]`);
    await w.page.click(`${card('saliency')} .result-row[data-row="0"] vscode-button[data-action="reveal"]`);
    await w.page.click(`${card('fooling')} .card-tools vscode-button[data-action="openReport"]`);
    await w.page.click(`${card('fooling')} .card-tools vscode-button[data-action="open"]`);
    await w.page.click(`${card('inversion')} .result-row.best vscode-button[data-action="open"]`);
    await w.page.click(`${card('saliency')} .close-card`);
    await w.page.click('#clear-results');
    assert.deepEqual((await w.posted()).slice(before), [
      { type: 'resultAction', card: 'card-1', action: 'open', row: 2 },
      { type: 'resultAction', card: 'card-2', action: 'goTo', row: 2 },
      { type: 'resultAction', card: 'card-3', action: 'reveal', row: 0 },
      { type: 'resultAction', card: 'card-4', action: 'openReport' },
      { type: 'resultAction', card: 'card-4', action: 'open' },
      { type: 'resultAction', card: 'card-5', action: 'open', row: 1 },
      { type: 'closeResult', card: 'card-3' },
      { type: 'clearResults' },
    ]);
    assert.equal(
      await w.page.$$eval(`${card('inversion')} .result-row[data-row="0"] vscode-button`, (els) => els.length),
      0,
      'the text itself has no button',
    );

    await w.page.click(`${card('maximization')} vscode-button.csv`);
    const csv = (await w.posted()).pop()!;
    assert.ok(csv.type === 'export' && csv.format === 'csv');
    assert.equal(csv.name, 'maximization layer 0 h neuron 14 last token results.csv');
    const lines = csv.content.trimEnd().split('\n');
    assert.equal(lines[0], 'row,group,label,figure,best,token_index,token,activation,marked');
    // One line per token, and the line end token's field is quoted over two lines.
    assert.equal(lines.length, 1 + 5 * 6 + 1);
    assert.equal(lines[1 + 1], '0,,start 3,+0.990,1,1, ,-1,0');
    assert.equal(`${lines[1 + 2]}\n${lines[1 + 3]}`, '0,,start 3,+0.990,1,2,"\n",0.5,0');
    assert.equal(lines[1 + 4], '0,,start 3,+0.990,1,3,<b>bold</b>&amp;,0,0');
  });

  it('ignores malformed messages and keeps what it shows; a new list replaces it', async () => {
    const good = data.cards[4]!;
    const other = { ...good, title: 'other' };
    const bad = [
      null,
      { type: 'results' },
      { type: 'results', data: { cards: [{ ...other, kind: 'dream' }] } },
      { type: 'results', data: { cards: [{ ...other, id: 'a b' }] } },
      { type: 'results', data: { cards: [other, other] } },
      { type: 'results', data: { cards: [{ ...other, rows: [{ ...other.rows[0]!, marked: [6] }] }] } },
      { type: 'results', data: { cards: [{ ...other, rows: [{ ...other.rows[0]!, values: Array.from(other.rows[0]!.values!) }] }] } },
      { type: 'results', data: { cards: [{ ...other, buttons: [{ action: 'delete', label: 'x' }] }] } },
      { type: 'error', message: 42 },
    ];
    for (const m of bad) await w.send(m as never);
    assert.equal(await w.page.$$eval('.result-card', (els) => els.length), 5);
    assert.deepEqual(w.errors, []);
    await w.send({ type: 'results', data: { cards: [other] } });
    assert.deepEqual(await texts(w, '.card-title'), ['other']);
    assert.equal(await w.page.textContent('.subtitle'), '1 result, newest first');
    await w.send({ type: 'results', data: { cards: [] } });
    assert.equal(await w.page.isVisible('.empty'), true);
  });
});
