import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ToWebview } from '../../src/shared/panelMessages';
import type { FromSidePanel, SidePanelModel, SidePanelNeurons, ToSidePanel } from '../../src/shared/sidePanelMessages';
import { type WebviewPage, closeBrowser, openUnderCsp, openWebview } from './webviewHarness';

/**
 * The side panel fed as the extension feeds it: a model summary, the selection, the experiment's
 * features and a neuron list whose sparklines are known shapes (flat, high, low, one spike), so
 * that the canvas can be checked row by row for what it should and should not show.
 */
const POINTS = 64;
const UNITS = 8;
const SPIKE_AT = 10;

const MODEL: SidePanelModel = {
  name: 'lstm-char-20250101-120000',
  dir: '/work/.neuron-lens/models/lstm-char-20250101-120000',
  cell: 'lstm',
  level: 'char',
  layers: [UNITS, UNITS],
  parameters: 1234,
  vocabulary: 65,
  components: [
    { id: 'h', label: 'hidden state' },
    { id: 'c', label: 'cell state' },
    { id: 'f', label: 'forget gate' },
  ],
  training: {
    corpus: 'moby-dick',
    steps: 300,
    targetSteps: 300,
    completed: true,
    validationBits: 2.104,
    unigramEntropyBits: 4.297,
    backend: 'wasm',
  },
  backend: 'wasm',
};

/**
 * Neuron 0 rests at 0 (only the baseline shows), 1 sits at +0.9 (red bars up), 2 at −0.9 (blue bars
 * down), 3 fires once, at point SPIKE_AT; the others wave with growing amplitude. Mean and spread
 * are chosen so that sorting by variance and by mean give known orders.
 */
function neurons(units = UNITS): SidePanelNeurons {
  const sparklines = new Float32Array(units * POINTS);
  for (let n = 0; n < units; n++) {
    for (let k = 0; k < POINTS; k++) {
      const v =
        n === 0 ? 0 : n === 1 ? 0.9 : n === 2 ? -0.9 : n === 3 ? (k === SPIKE_AT ? 1 : 0) : (0.1 + 0.1 * (n % 8)) * Math.sin(k / 3 + n);
      sparklines[n * POINTS + k] = v;
    }
  }
  // Variance order: 5, 4, 2, …; mean order: 1, 7, 6, ….
  const std = Float32Array.from({ length: units }, (_, n) => (n === 5 ? 0.8 : n === 4 ? 0.7 : n === 2 ? 0.6 : 0.1 + n / (10 * units)));
  const mean = Float32Array.from({ length: units }, (_, n) => (n === 1 ? 0.9 : n === 2 ? -0.9 : n / (2 * units)));
  return {
    document: 'sample.txt',
    layer: 0,
    component: 'h',
    units,
    tokens: 1000,
    truncated: false,
    points: POINTS,
    sparklines,
    lo: -1,
    hi: 1,
    baseline: 0,
    mean,
    std,
  };
}

const FEATURES: ToSidePanel = { type: 'features', features: [' ', '.', '/[?!]/'], file: '.neuron-lens/experiment.json', exists: true };

/** Posts a message as the extension does and returns once the page has handled it. */
async function send(w: WebviewPage, m: ToSidePanel): Promise<void> {
  await w.send(m as unknown as ToWebview);
  // Messages from one window arrive in order: when this marker does, the message before it has been handled.
  await w.page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const g = globalThis as unknown as {
          addEventListener(t: string, f: (e: { data: unknown }) => void): void;
          postMessage(m: unknown, o: string): void;
        };
        g.addEventListener('message', (e) => e.data === 'test:handled' && resolve());
        g.postMessage('test:handled', '*');
      }),
  );
}

async function posted(w: WebviewPage): Promise<FromSidePanel[]> {
  return (await w.posted()) as unknown as FromSidePanel[];
}

/** Resolves after two animation frames: the list paints its canvas on the next one. */
async function frames(w: WebviewPage): Promise<void> {
  await w.page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
}

interface RowPixels {
  /** Strongly red / blue pixels (the theme's charts-red and charts-blue at full opacity). */
  red: number;
  blue: number;
  /** Any other painted pixel (the baseline). */
  other: number;
  /** Horizontal extent of the red pixels, as fractions of the sparkline cell's width. */
  redFrom: number;
  redTo: number;
  /** Vertical centre of the red and blue pixels and of the baseline, in canvas pixels from the row's top. */
  redY: number;
  blueY: number;
  baseY: number;
}

/**
 * Counts the canvas pixels inside one neuron's sparkline cell. A string, not a function: tsx would
 * wrap the nested helpers in esbuild's __name, which the page does not have.
 */
function rowPixels(w: WebviewPage, neuron: number): Promise<RowPixels> {
  return w.page.evaluate(`(() => {
    const canvas = document.querySelector('canvas.sparklines');
    const row = document.getElementById('neuron-row-${neuron}');
    const cell = row.querySelector('.neuron-spark').getBoundingClientRect();
    const c = canvas.getBoundingClientRect();
    const ratio = canvas.width / c.width;
    const x0 = Math.round((cell.left - c.left) * ratio);
    const y0 = Math.round((row.getBoundingClientRect().top - c.top) * ratio);
    const width = Math.round(cell.width * ratio);
    const height = Math.round(row.getBoundingClientRect().height * ratio);
    const data = canvas.getContext('2d').getImageData(x0, y0, width, height).data;
    const out = { red: 0, blue: 0, other: 0, redFrom: 1, redTo: 0, redY: 0, blueY: 0, baseY: 0 };
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        if (a === 0) continue;
        if (a > 200 && r > 200 && g < 110 && b < 110) {
          out.red++;
          out.redY += y;
          out.redFrom = Math.min(out.redFrom, x / width);
          out.redTo = Math.max(out.redTo, (x + 1) / width);
        } else if (a > 200 && b > 200 && r < 110) {
          out.blue++;
          out.blueY += y;
        } else {
          out.other++;
          out.baseY += y;
        }
      }
    }
    out.redY = out.red ? out.redY / out.red : NaN;
    out.blueY = out.blue ? out.blueY / out.blue : NaN;
    out.baseY = out.other ? out.baseY / out.other : NaN;
    return out;
  })()`);
}

/** The neuron numbers of the rows in the DOM, top to bottom. */
async function rowOrder(w: WebviewPage): Promise<number[]> {
  const rows = await w.page.$$eval('.neuron-row', (els) =>
    els.map((e) => ({
      n: Number((e as unknown as { dataset: { neuron: string } }).dataset.neuron),
      top: (e as unknown as { offsetTop: number }).offsetTop,
    })),
  );
  return rows.sort((a, b) => a.top - b.top).map((r) => r.n);
}

/** Picks an option of a vscode-single-select the way a user does: open it, click the option. */
async function choose(w: WebviewPage, selector: string, option: string): Promise<void> {
  await w.page.click(selector);
  await w.page.click(`${selector} li[role="option"]:has-text("${option}")`);
}

/** The little of the page's DOM the tests read (this file is compiled without the DOM library). */
interface Page {
  document: { querySelectorAll(selector: string): { length: number } };
}

const text = async (w: WebviewPage, selector: string): Promise<string> => (await w.page.textContent(selector))!.trim();

describe('Side panel', () => {
  let w: WebviewPage;

  before(async () => {
    w = await openWebview('sidePanel', { viewport: { width: 340, height: 1000 } });
  });

  after(async () => {
    await w.close();
    await closeBrowser();
  });

  it('says ready, then shows the welcome with Train and Load until a model arrives', async () => {
    assert.deepEqual(await posted(w), [{ type: 'ready' }]);
    assert.equal(await w.page.isVisible('.welcome'), true);
    assert.equal(await w.page.isVisible('main'), false);
    assert.match(await text(w, '.welcome'), /trains small recurrent language models/);
    await w.page.click('.welcome [data-command="neuronLens.trainModel"]');
    await w.page.click('.welcome [data-command="neuronLens.loadModel"]');
    assert.deepEqual((await posted(w)).slice(1), [
      { type: 'runCommand', command: 'neuronLens.trainModel' },
      { type: 'runCommand', command: 'neuronLens.loadModel' },
    ]);
    await w.screenshot('sidePanel-welcome-dark.png');
  });

  it('while the configured model loads, says so instead of offering a second load', async () => {
    await send(w, { type: 'model', model: null, loading: 'moby-lstm' });
    assert.equal(await w.page.isVisible('.welcome vscode-progress-bar'), true);
    assert.equal(await text(w, '.loading p'), 'Loading moby-lstm…');
    assert.equal(await w.page.isVisible('.welcome-actions'), false);
    await send(w, { type: 'model', model: null });
    assert.equal(await w.page.isVisible('.welcome-actions'), true);
    assert.equal(await w.page.isVisible('.loading'), false);
  });

  it('summarises the model: architecture, vocabulary, training data and result, backend', async () => {
    await send(w, { type: 'model', model: MODEL });
    assert.equal(await w.page.isVisible('.welcome'), false);
    assert.equal(await text(w, '.model-name'), MODEL.name);
    const facts = await w.page.$$eval('.facts dt, .facts dd', (els) => els.map((e) => e.textContent));
    const pairs = Object.fromEntries(Array.from({ length: facts.length / 2 }, (_, i) => [facts[2 * i], facts[2 * i + 1]]));
    assert.deepEqual(pairs, {
      Architecture: 'LSTM · 2 layers × 8 units',
      Parameters: '1,234',
      Vocabulary: '65 characters',
      'Trained on': 'moby-dick · 300 steps',
      Result: '2.10 bits/char held out · unigram 4.30',
      Backend: 'wasm',
    });
    // Two layers: the layer selector shows; the components are the model's.
    assert.equal(await w.page.isVisible('#layer-select'), true);
    const components = await w.page.$$eval('#component-select vscode-option', (els) => els.map((e) => e.textContent));
    assert.deepEqual(components, ['hidden state (h)', 'cell state (c)', 'forget gate (f)']);
  });

  it('draws each neuron’s sparkline in its own row: flat, high, low, one spike', async () => {
    await send(w, { type: 'neurons', data: neurons() });
    await frames(w);
    assert.equal(await text(w, '.list-heading'), 'hidden state (h), layer 0 on sample.txt · 1,000 tokens');
    assert.deepEqual(await rowOrder(w), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(await text(w, '#neuron-row-1 .neuron-stats'), '+0.90 ± 0.11');
    assert.equal(await text(w, '#neuron-row-2 .neuron-stats'), '−0.90 ± 0.60');

    const flat = await rowPixels(w, 0);
    assert.equal(flat.red + flat.blue, 0, 'a neuron at rest draws no bars');
    assert.ok(flat.other > 50, `the baseline is drawn (${flat.other} px)`);

    const high = await rowPixels(w, 1);
    assert.ok(high.red > 500, `red bars for a positive neuron (${high.red} px)`);
    assert.equal(high.blue, 0);
    assert.ok(high.redY < high.baseY, 'positive bars rise above the baseline');

    const low = await rowPixels(w, 2);
    assert.ok(low.blue > 500, `blue bars for a negative neuron (${low.blue} px)`);
    assert.equal(low.red, 0);
    assert.ok(low.blueY > low.baseY, 'negative bars hang below the baseline');

    const spike = await rowPixels(w, 3);
    assert.ok(spike.red > 0 && spike.red < high.red / 20, `one narrow bar (${spike.red} px)`);
    assert.ok(
      spike.redFrom >= SPIKE_AT / POINTS - 0.01 && spike.redTo <= (SPIKE_AT + 1) / POINTS + 0.01,
      `the spike's bar sits at point ${SPIKE_AT} (${spike.redFrom.toFixed(3)}–${spike.redTo.toFixed(3)})`,
    );
    await w.screenshot('sidePanel-dark.png');
  });

  it('clicking a neuron asks the extension to select it, and marks it', async () => {
    await w.page.click('#neuron-row-5');
    const last = (await posted(w)).pop();
    assert.deepEqual(last, { type: 'selectNeuron', layer: 0, component: 'h', neuron: 5 });
    assert.equal(await w.page.getAttribute('#neuron-row-5', 'aria-selected'), 'true');
    assert.equal(await w.page.getAttribute('.neuron-scroller', 'aria-activedescendant'), 'neuron-row-5');
    assert.equal(await w.page.$eval('#neuron-field', (e) => (e as unknown as { value: string }).value), '5');
  });

  it('follows a selection made elsewhere; a neuron of another component marks no row', async () => {
    await send(w, { type: 'selection', selection: { layer: 0, component: 'h', neuron: 3 } });
    await frames(w);
    assert.equal(await w.page.getAttribute('#neuron-row-3', 'aria-selected'), 'true');
    assert.equal(await w.page.getAttribute('#neuron-row-5', 'aria-selected'), 'false');
    await send(w, { type: 'selection', selection: { layer: 1, component: 'c', neuron: 2 } });
    await frames(w);
    assert.equal(await w.page.$$eval('.neuron-row.selected', (els) => els.length), 0);
    assert.equal(await w.page.$eval('#component-select', (e) => (e as unknown as { value: string }).value), 'c');
    assert.equal(await w.page.$eval('#layer-select', (e) => (e as unknown as { value: string }).value), '1');
    await send(w, { type: 'selection', selection: { layer: 0, component: 'h', neuron: 3 } });
  });

  it('arrow keys step through the list in its order', async () => {
    await w.page.focus('.neuron-scroller');
    await w.page.keyboard.press('ArrowDown');
    assert.deepEqual((await posted(w)).pop(), { type: 'selectNeuron', layer: 0, component: 'h', neuron: 4 });
    await w.page.keyboard.press('Home');
    assert.deepEqual((await posted(w)).pop(), { type: 'selectNeuron', layer: 0, component: 'h', neuron: 0 });
  });

  it('the selectors pick a component or a neuron number', async () => {
    await choose(w, '#component-select', 'forget gate (f)');
    assert.deepEqual((await posted(w)).pop(), { type: 'selectNeuron', layer: 0, component: 'f', neuron: 0 });
    await choose(w, '#layer-select', 'Layer 1');
    assert.deepEqual((await posted(w)).pop(), { type: 'selectNeuron', layer: 1, component: 'f', neuron: 0 });
    const before = (await posted(w)).length;
    await w.page.fill('#neuron-field input', '9');
    await w.page.press('#neuron-field input', 'Enter');
    await w.page.locator('#neuron-field input').blur();
    assert.equal((await posted(w)).length, before, 'neuron 9 does not exist in a layer of 8');
    assert.equal(await w.page.$eval('#neuron-field', (e) => (e as unknown as { invalid: boolean }).invalid), true);
    await w.page.fill('#neuron-field input', '6');
    await w.page.locator('#neuron-field input').blur();
    assert.deepEqual((await posted(w)).pop(), { type: 'selectNeuron', layer: 1, component: 'f', neuron: 6 });
    await send(w, { type: 'selection', selection: { layer: 0, component: 'h', neuron: 3 } });
  });

  it('offers backward components only on the layers that read backwards (a Bidirectional import)', async () => {
    const options = () => w.page.$$eval('#component-select vscode-option', (els) => els.map((e) => e.getAttribute('value')));
    const bidirectional: SidePanelModel = {
      ...MODEL,
      components: [...MODEL.components, { id: 'backward/h', label: 'backward hidden state' }],
      backwardLayers: [0],
    };
    await send(w, { type: 'model', model: bidirectional });
    await send(w, { type: 'selection', selection: { layer: 0, component: 'h', neuron: 2 } });
    assert.deepEqual(await options(), ['h', 'c', 'f', 'backward/h']);
    await choose(w, '#component-select', 'backward hidden state (backward/h)');
    assert.deepEqual((await posted(w)).pop(), { type: 'selectNeuron', layer: 0, component: 'backward/h', neuron: 2 });
    // Layer 1 reads forwards only: the backward choice becomes its forward twin, and is not offered.
    await choose(w, '#layer-select', 'Layer 1');
    assert.deepEqual((await posted(w)).pop(), { type: 'selectNeuron', layer: 1, component: 'h', neuron: 2 });
    assert.deepEqual(await options(), ['h', 'c', 'f']);
    await send(w, { type: 'model', model: MODEL });
    await send(w, { type: 'selection', selection: { layer: 0, component: 'h', neuron: 3 } });
  });

  it('sorts by variance and by mean, and remembers the choice', async () => {
    await choose(w, '#sort-select', 'variance');
    await frames(w);
    assert.deepEqual((await rowOrder(w)).slice(0, 3), [5, 4, 2]);
    assert.deepEqual(await w.savedState(), { sort: 'variance' });
    // The rows moved and so did their sparklines: the high neuron's red bars are in its new row.
    assert.ok((await rowPixels(w, 1)).red > 500);
    assert.equal((await rowPixels(w, 0)).red, 0);
    await choose(w, '#sort-select', 'mean');
    await frames(w);
    assert.deepEqual((await rowOrder(w)).slice(0, 3), [1, 7, 6]);
    assert.equal((await rowOrder(w)).pop(), 2);
    await choose(w, '#sort-select', 'index');
    await frames(w);
    assert.deepEqual(await rowOrder(w), [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('lists the features of interest read-only, with the way to their relevance', async () => {
    await send(w, FEATURES);
    assert.deepEqual(await w.page.$$eval('.feature-chips .chip', (els) => els.map((e) => e.textContent)), ['⟨ ⟩', '.', '/[?!]/']);
    assert.equal(await text(w, '.feature-source'), 'From .neuron-lens/experiment.json');
    assert.equal(await w.page.$$eval('.features vscode-textfield, .features input', (els) => els.length), 0, 'nothing to edit here');
    await w.page.click('#open-relevance');
    assert.deepEqual((await posted(w)).pop(), { type: 'runCommand', command: 'neuronLens.showHeatmap' });
    await send(w, { ...FEATURES, exists: true, problem: 'unknown field "featurs"' } as ToSidePanel);
    assert.equal(await text(w, '.features .warning'), '.neuron-lens/experiment.json cannot be used: unknown field "featurs"');
    await send(w, { type: 'features', features: [' ', '.'], file: '.neuron-lens/experiment.json', exists: false });
    assert.match(await text(w, '.feature-source'), /^Defaults: .* does not exist yet/);
    assert.equal(await w.page.isVisible('.features .warning'), false);
    await send(w, FEATURES);
  });

  it('every button runs its command, by id', async () => {
    const start = (await posted(w)).length;
    const buttons = await w.page.$$('main [data-command]');
    for (const b of buttons) await b.click();
    const commands = (await posted(w)).slice(start).map((m) => (m.type === 'runCommand' ? m.command : m.type));
    assert.deepEqual(commands, [
      'neuronLens.trainModel',
      'neuronLens.loadModel',
      'neuronLens.showHeatmap',
      'neuronLens.openExperimentFile',
      'neuronLens.highlightActiveFile',
      'neuronLens.showHeatmap',
      'neuronLens.showSpectra',
      'neuronLens.showTrainingCurves',
      'neuronLens.findNeuronsForSelection',
      'neuronLens.generateText',
    ]);
    const labels = await w.page.$$eval('.analyses vscode-button', (els) => els.map((e) => e.textContent?.trim()));
    assert.deepEqual(labels, [
      'Highlight Active File by Neuron…',
      'Show Activation Heatmap',
      'Show Neuron Spectra',
      'Show Training Curves',
      'Find Neurons for Selection',
      'Generate Text…',
    ]);
  });

  it('says why there is no list, and dims the old one while a new one is computed', async () => {
    await send(w, { type: 'neuronsStatus', message: 'Reading sample.txt with lstm: hidden state (h), layer 0…', busy: true });
    assert.equal(await w.page.isVisible('.neurons vscode-progress-bar'), true);
    assert.equal(await w.page.isVisible('.neuron-list'), true);
    assert.equal(await w.page.$eval('.list-body', (e) => e.classList.contains('stale')), true);
    await send(w, { type: 'neurons', data: neurons() });
    assert.equal(await w.page.isVisible('.neurons vscode-progress-bar'), false);
    assert.equal(await w.page.$eval('.list-body', (e) => e.classList.contains('stale')), false);
    await send(w, { type: 'neuronsStatus', message: 'Open a text file to see how each neuron of the model responds to it.', busy: false });
    assert.equal(await w.page.isVisible('.neuron-list'), false);
    assert.equal(await text(w, '.list-status'), 'Open a text file to see how each neuron of the model responds to it.');
    await send(w, { type: 'neurons', data: neurons() });
    assert.equal(await w.page.isVisible('.list-status'), false);
  });

  it('ignores malformed messages and keeps what it shows, then draws the next valid one', async () => {
    const shown = async () => ({
      model: await text(w, '.model-name'),
      heading: await text(w, '.list-heading'),
      rows: (await rowOrder(w)).length,
      status: await w.page.isVisible('.list-status'),
      chips: await w.page.$$eval('.feature-chips .chip', (els) => els.map((e) => e.textContent)),
    });
    const before = await shown();
    assert.deepEqual(before, {
      model: MODEL.name,
      heading: 'hidden state (h), layer 0 on sample.txt · 1,000 tokens',
      rows: UNITS,
      status: false,
      chips: before.chips,
    });
    assert.equal(before.chips.length, 3);
    // Each would rename the model, replace the list, show a status or change the features if it were accepted.
    const other = { ...neurons(4), document: 'other.txt' };
    const bad = [
      null,
      'model',
      { type: 'model' },
      { type: 'model', model: { ...MODEL, name: 'other', layers: [] } },
      { type: 'model', model: { ...MODEL, name: 'other', components: [{ id: '<b>h</b>', label: 'hidden' }] } },
      { type: 'model', model: { ...MODEL, name: 'other', parameters: Number.NaN } },
      { type: 'neurons', data: { ...other, sparklines: other.sparklines.subarray(1) } },
      { type: 'neurons', data: { ...other, mean: Array.from(other.mean) } },
      { type: 'neurons', data: { ...other, std: Float64Array.from(other.std) } },
      { type: 'neurons', data: { ...other, units: 4.5 } },
      { type: 'neurons', data: { ...other, lo: Number.NaN } },
      { type: 'neuronsStatus', message: 'Reading other.txt…' },
      { type: 'neuronsStatus', message: 7, busy: false },
      { type: 'features', features: ['x', 1], file: 'x.json', exists: true },
      { type: 'selection', selection: { layer: 0, component: 'h', neuron: -3 } },
      { type: 'heatmap', data: other },
    ];
    for (const m of bad) await send(w, m as never);
    assert.deepEqual(await shown(), before);
    assert.deepEqual(await w.page.$$eval('.neuron-row.selected', (els) => els.map((e) => e.id)), ['neuron-row-3']);
    await send(w, { type: 'neurons', data: other });
    assert.deepEqual(await shown(), { ...before, heading: 'hidden state (h), layer 0 on other.txt · 1,000 tokens', rows: 4 });
    await send(w, { type: 'neurons', data: neurons() });
  });

  it('keeps only the rows in view in the page for a layer of 1,024 neurons, and paints them where they scroll to', async () => {
    await send(w, { type: 'neurons', data: neurons(1024) });
    await frames(w);
    const rows = await w.page.$$eval('.neuron-row', (els) => els.length);
    assert.ok(rows > 10 && rows < 60, `${rows} rows in the DOM`);
    await w.page.$eval('.neuron-scroller', (e) => ((e as unknown as { scrollTop: number }).scrollTop = 1e9));
    await frames(w);
    assert.equal(await w.page.isVisible('#neuron-row-1023'), true);
    assert.equal(await w.page.$$eval('#neuron-row-0', (els) => els.length), 0);
    // Neuron 1017 = 1 mod 8 waves; 1020 = 4 mod 8 too: both show bars, in their own rows.
    const p = await rowPixels(w, 1020);
    assert.ok(p.red > 20 && p.blue > 20, `bars of a scrolled-to row (${p.red} red, ${p.blue} blue)`);
    await send(w, { type: 'neurons', data: neurons() });
  });

  it('is drawn in the light theme too', async () => {
    const light = await openWebview('sidePanel', { theme: 'light', viewport: { width: 340, height: 1000 } });
    try {
      await send(light, { type: 'model', model: MODEL });
      await send(light, { type: 'selection', selection: { layer: 0, component: 'h', neuron: 3 } });
      await send(light, FEATURES);
      await send(light, { type: 'neurons', data: neurons() });
      await frames(light);
      const high = await rowPixels(light, 1);
      assert.ok(high.red > 500, `red bars in the light theme (${high.red} px)`);
      await light.screenshot('sidePanel-light.png');
      await send(light, { type: 'model', model: null });
      await light.screenshot('sidePanel-welcome-light.png');
    } finally {
      await light.close();
    }
  });

  it('shows markup in model, corpus, document and feature names literally, injecting nothing', async () => {
    const page = await openWebview('sidePanel', { viewport: { width: 340, height: 1000 } });
    try {
      const markup = {
        name: '<img src=x onerror="window.__pwned = 1">',
        corpus: '<script>window.__pwned = 2</script>',
        document: '</span><b>doc</b>',
        feature: '<i>x</i>',
      };
      await send(page, {
        type: 'model',
        model: { ...MODEL, name: markup.name, training: { ...MODEL.training!, corpus: markup.corpus } },
      });
      await send(page, { type: 'features', features: [markup.feature, '</span>'], file: '<u>experiment</u>.json', exists: true });
      await send(page, { type: 'neurons', data: { ...neurons(), document: markup.document } });
      await page.page.waitForSelector('main:not([hidden]) #neuron-row-1');
      assert.equal(await text(page, '.model-name'), markup.name);
      assert.deepEqual(await page.page.$$eval('.feature-chips .chip', (els) => els.map((e) => e.textContent)), [markup.feature, '</span>']);
      const body = (await page.page.textContent('body')) ?? '';
      for (const shown of [markup.corpus, markup.document, '<u>experiment</u>.json']) assert.ok(body.includes(shown), shown);
      const injected = await page.page.evaluate(() => ({
        elements: (globalThis as unknown as Page).document.querySelectorAll('img, b, i, u').length,
        scripts: (globalThis as unknown as Page).document.querySelectorAll('script').length,
        pwned: (globalThis as unknown as { __pwned?: number }).__pwned,
      }));
      assert.deepEqual(injected, { elements: 0, scripts: 2, pwned: undefined }, 'only the harness’s own two scripts');
    } finally {
      await page.close();
    }
  });

  it('runs under the extension’s Content Security Policy without violations', async () => {
    const csp = await openUnderCsp('sidePanel', 'Neuron Lens', { width: 340, height: 1000 });
    try {
      assert.match(csp.html, /default-src 'none'; script-src 'nonce-[^']+'; style-src file:/);
      assert.doesNotMatch(csp.html, /unsafe-inline|unsafe-eval/);
      await send(csp, { type: 'model', model: MODEL });
      await send(csp, { type: 'neurons', data: neurons() });
      await csp.page.waitForSelector('main:not([hidden]) #neuron-row-1');
      await frames(csp);
      const result = await csp.page.evaluate(() => {
        type Styled = { shadowRoot: { querySelector(s: string): unknown } | null };
        const g = globalThis as unknown as {
          __violations: string[];
          document: { body: unknown; querySelector(s: string): Styled };
          getComputedStyle(e: unknown): { paddingLeft: string; backgroundColor: string };
        };
        const button = g.document.querySelector('vscode-button').shadowRoot?.querySelector('.base');
        return {
          violations: g.__violations,
          stylesheet: g.getComputedStyle(g.document.body).paddingLeft,
          button: button ? g.getComputedStyle(button).backgroundColor : 'none',
        };
      });
      assert.deepEqual(csp.errors, []);
      assert.deepEqual(result.violations, []);
      assert.equal(result.stylesheet, '14px', 'media/sidePanel.css loaded');
      assert.notEqual(result.button, 'rgba(0, 0, 0, 0)', 'vscode-button styled: constructed stylesheets pass the CSP');
      assert.ok((await rowPixels(csp, 1)).red > 500, 'sparklines drawn under the CSP (rows positioned through the CSSOM)');
    } finally {
      await csp.close();
    }
  });
});
