import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { emergenceStep } from '../../src/engine/neuronHistory';
import { Random } from '../../src/engine/random';
import type { FromWebview, HistoryData } from '../../src/shared/panelMessages';
import { type CspPage, closeBrowser, openUnderCsp } from './webviewHarness';

/**
 * The neuron-across-training panel, loaded from the extension's own HTML shell under its CSP and
 * fed a seeded history: five checkpoints of a tanh neuron over 60 tokens, with planted values at
 * known cells, and two features whose d rises (emerging at step 300) or never leaves the band.
 */
const T = 60;
const STEPS = [0, 100, 200, 300, 400];
const MARKUP = '<b>bold</b>&amp;';
const MARKED = 7;
const SPACE = 2;
const NEWLINE = 10;
// The theme the harness's CSP page falls back to (dark): background, blue, red.
const BACKGROUND = [0x1f, 0x1f, 0x1f];
const BLUE = [0x37, 0x94, 0xff];
const RED = [0xf1, 0x4c, 0x4c];
// The small multiples' geometry (webview/history/smallMultiples.ts): 60 tokens fit at the widest cell.
const LABEL_WIDTH = 76;
const ROW_HEIGHT = 16;
const ROW_GAP = 4;
const CELL = 12;
const D_SPACE = [0.2, 1.5, 0.4, 1.3, 2];
const D_X = [0.1, -0.2, 0.3, 0.5, 0.8];

function fixture(): HistoryData {
  const rng = new Random(11);
  const values = new Float32Array(STEPS.length * T);
  for (let i = 0; i < values.length; i++) values[i] = Math.tanh(rng.normal());
  // Token 1 goes from fully negative to fully positive over training; token 3 is the reverse at half strength.
  STEPS.forEach((_, r) => {
    values[r * T + 1] = (r - 2) / 2;
    values[r * T + 3] = -(r - 2) / 4;
  });
  const tokens = Array.from({ length: T }, (_, t) => (t === MARKED ? MARKUP : t === SPACE ? ' ' : t === NEWLINE ? '\n' : `w${t}`));
  const rows = STEPS.map((step, r) => {
    const trace = values.subarray(r * T, (r + 1) * T);
    const mean = trace.reduce((a, b) => a + b, 0) / T;
    const std = Math.sqrt(trace.reduce((a, b) => a + (b - mean) ** 2, 0) / T);
    return {
      step,
      source: r === STEPS.length - 1 ? ('model' as const) : ('snapshot' as const),
      ...(r > 0 ? { validationBits: 3 - r * 0.25 } : {}),
      mean,
      std,
      d: [D_SPACE[r]!, D_X[r]!],
    };
  });
  return {
    title: 'synthetic.txt, characters 1–60',
    label: 'L0 h #3',
    model: 'tiny-model',
    range: 'signed',
    robustScale: 1,
    tokens,
    rows,
    values,
    features: [
      { feature: ' ', matches: 1, emergedAt: emergenceStep(STEPS, D_SPACE, 1) },
      { feature: 'x', matches: 3, emergedAt: emergenceStep(STEPS, D_X, 1) },
    ],
    threshold: 1,
  };
}

/** The palette's colour for a normalised value in [-1, 1]: the background blended towards blue or red. */
function expectedColour(v: number): number[] {
  const end = v < 0 ? BLUE : RED;
  const a = Math.abs(Math.round(Math.max(-1, Math.min(1, v)) * 255) / 255);
  return BACKGROUND.map((bg, c) => Math.round(bg + (end[c]! - bg) * a));
}

function assertColour(actual: number[], expected: number[], what: string): void {
  assert.ok(
    expected.every((c, i) => Math.abs(actual[i]! - c) <= 2),
    `${what}: got rgb(${actual.slice(0, 3).join(', ')}), expected rgb(${expected.join(', ')})`,
  );
}

interface CanvasProbe {
  width: number;
  getBoundingClientRect(): { width: number };
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

async function pixel(w: CspPage, selector: string, x: number, y: number): Promise<number[]> {
  return w.page.$eval(
    selector,
    (element, at) => {
      const canvas = element as unknown as CanvasProbe;
      const ratio = canvas.width / canvas.getBoundingClientRect().width;
      return Array.from(canvas.getContext('2d')!.getImageData(Math.floor(at.x * ratio), Math.floor(at.y * ratio), 1, 1).data);
    },
    { x, y },
  );
}

/** Centre of token t's cell in checkpoint row r of the small multiples (CSS px). */
function cellCentre(t: number, r: number): { x: number; y: number } {
  return { x: LABEL_WIDTH + t * CELL + CELL / 2 - 0.5, y: ROW_GAP + r * (ROW_HEIGHT + ROW_GAP) + ROW_HEIGHT / 2 };
}

/** The computed background of every token span, as [r, g, b]. */
async function spanColours(w: CspPage): Promise<number[][]> {
  return w.page.$$eval('.tok', (spans) => {
    // Runs in the page, where globalThis is the window.
    const page = globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } };
    return spans.map((s) => (page.getComputedStyle(s).backgroundColor.match(/\d+/g) ?? []).slice(0, 3).map(Number));
  });
}

/** RFC 4180 records (quoted fields may hold commas, quotes and line ends). */
function parseCsv(content: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < content.length; i++) {
    const c = content[i]!;
    if (quoted) {
      if (c === '"' && content[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  return records;
}

async function text(w: CspPage, selector: string): Promise<string> {
  return (await w.page.textContent(selector)) ?? '';
}

describe('neuron history panel', () => {
  const data = fixture();
  let w: CspPage;

  before(async () => {
    w = await openUnderCsp('history', 'Neuron Across Training', { width: 1200, height: 1400 });
    await w.send({ type: 'history', data });
    await w.page.waitForSelector('main.layout:not([hidden])');
  });

  after(async () => {
    await w.close();
    await closeBrowser();
  });

  it('loads under the extension CSP without violations or errors, and says ready', async () => {
    assert.deepEqual(await w.violations(), []);
    assert.deepEqual(w.errors, []);
    assert.deepEqual((await w.posted())[0], { type: 'ready' });
    assert.equal(await text(w, 'h1'), 'L0 h #3 across training');
    assert.equal(await text(w, '.subtitle'), 'synthetic.txt, characters 1–60 · model tiny-model · 5 checkpoints · 60 tokens');
  });

  it('starts at the latest checkpoint, its tokens coloured by their values there', async () => {
    assert.equal(await w.page.inputValue('#checkpoint'), '4');
    assert.equal(await text(w, '#checkpoint-step'), 'step 400 (the final weights 5 of 5)');
    const colours = await spanColours(w);
    assert.equal(colours.length, T);
    assertColour(colours[1]!, expectedColour(1), 'token 1 at step 400');
    assertColour(colours[3]!, expectedColour(-0.5), 'token 3 at step 400');
  });

  it('the slider (by keyboard) recolours every token span to the chosen checkpoint and shows its figures', async () => {
    await w.page.focus('#checkpoint');
    await w.page.keyboard.press('Home');
    assert.equal(await w.page.inputValue('#checkpoint'), '0');
    assert.equal(await text(w, '#checkpoint-step'), 'step 0 (snapshot 1 of 5)');
    let colours = await spanColours(w);
    for (let t = 0; t < T; t++) assertColour(colours[t]!, expectedColour(data.values[t]!), `token ${t} at step 0`);
    assertColour(colours[1]!, BLUE, 'token 1 is fully negative at step 0');
    const r0 = data.rows[0]!;
    assert.equal(
      await text(w, '#checkpoint-stats'),
      `validation loss not measured · mean ${Number(r0.mean.toPrecision(3))} · std ${Number(r0.std.toPrecision(3))} · d " " = 0.20 · d "x" = 0.10`,
    );
    await w.page.keyboard.press('ArrowRight');
    await w.page.keyboard.press('ArrowRight');
    assert.equal(await text(w, '#checkpoint-step'), 'step 200 (snapshot 3 of 5)');
    assert.match(await text(w, '#checkpoint-stats'), /^validation 2\.500 bits\/token · .* · d " " = 0\.40 · d "x" = 0\.30$/);
    colours = await spanColours(w);
    for (let t = 0; t < T; t++) assertColour(colours[t]!, expectedColour(data.values[2 * T + t]!), `token ${t} at step 200`);
    assertColour(colours[1]!, BACKGROUND, 'token 1 is neutral at step 200');
  });

  it('draws one lane per checkpoint on the same scale, the known cells in their colours', async () => {
    const box = await w.page.$eval('#multiples', (c) => c.getBoundingClientRect().width);
    assert.equal(box, LABEL_WIDTH + T * CELL + 2);
    for (let r = 0; r < STEPS.length; r++) {
      const { x, y } = cellCentre(1, r);
      assertColour(await pixel(w, '#multiples', x, y), expectedColour((r - 2) / 2), `token 1, step ${STEPS[r]}`);
      const c3 = cellCentre(3, r);
      assertColour(await pixel(w, '#multiples', c3.x, c3.y), expectedColour(-(r - 2) / 4), `token 3, step ${STEPS[r]}`);
    }
    // The gap between the first two lanes (away from the selected third lane's outline) is the page background.
    assertColour(await pixel(w, '#multiples', cellCentre(1, 0).x, ROW_GAP + ROW_HEIGHT + ROW_GAP / 2), BACKGROUND, 'gap between lanes');
  });

  it('clicking a lane selects its checkpoint; the arrow keys on the lanes move the selection', async () => {
    await w.page.click('#multiples', { position: cellCentre(20, 1) });
    assert.equal(await w.page.inputValue('#checkpoint'), '1');
    assert.equal(await text(w, '#checkpoint-step'), 'step 100 (snapshot 2 of 5)');
    assertColour((await spanColours(w))[1]!, expectedColour(-0.5), 'token 1 at step 100');
    // The selected lane's marker sits in the label margin.
    assertColour(await pixel(w, '#multiples', 1, cellCentre(0, 1).y), [0x00, 0x78, 0xd4], 'marker of the selected lane');
    assertColour(await pixel(w, '#multiples', 1, cellCentre(0, 0).y), BACKGROUND, 'no marker on another lane');
    await w.page.focus('#multiples');
    await w.page.keyboard.press('ArrowDown');
    assert.equal(await w.page.inputValue('#checkpoint'), '2');
    await w.page.keyboard.press('End');
    assert.equal(await w.page.inputValue('#checkpoint'), '4');
  });

  it("says when each feature's relevance emerged and marks it on the chart", async () => {
    assert.deepEqual(await w.page.$$eval('#emergence li', (els) => els.map((e) => e.textContent)), [
      '" ": emerged at step 300 (|d| > 1 from then on)',
      '"x": not yet emerged (|d| is not above 1 at the last checkpoint)',
    ]);
    const chart = await w.page.evaluate(() => {
      type Dataset = { label: string; data: { x: number; y: number }[] };
      const c = (
        globalThis as unknown as {
          __neuronLensCharts: {
            emergence: {
              data: { datasets: Dataset[] };
              getDatasetMeta(i: number): { data: { x: number; y: number }[] };
              scales: Record<string, { getPixelForValue(v: number): number }>;
            };
          };
        }
      ).__neuronLensCharts.emergence;
      const sets = c.data.datasets;
      const marker = sets.findIndex((d) => d.label === 'emerged');
      return {
        labels: sets.map((d) => d.label),
        features: sets.slice(0, 2).map((d) => d.data.map((p) => [p.x, p.y])),
        threshold: sets.find((d) => d.label === '|d| threshold')!.data.map((p) => [p.x, p.y]),
        marker: sets[marker]!.data.map((p) => [p.x, p.y]),
        placed: c.getDatasetMeta(marker).data.map((p) => [p.x, p.y]),
        expected: [c.scales.x!.getPixelForValue(300), c.scales.y!.getPixelForValue(1.3)],
      };
    });
    assert.deepEqual(chart.labels, ['d " "', 'd "x"', '|d| threshold', '−threshold', 'emerged', 'checkpoint shown']);
    assert.deepEqual(
      chart.features[0],
      STEPS.map((s, r) => [s, D_SPACE[r]]),
    );
    assert.deepEqual(chart.threshold, [
      [0, 1],
      [400, 1],
    ]);
    assert.deepEqual(chart.marker, [[300, 1.3]]);
    const [[px, py]] = chart.placed as [[number, number]];
    assert.ok(Math.abs(px - chart.expected[0]!) < 0.5 && Math.abs(py - chart.expected[1]!) < 0.5);
    const [, , , alpha] = await pixel(w, '#emergence-chart', px, py);
    assert.ok(alpha! > 0, 'the marker is painted');
  });

  it('shows token markup literally and whitespace visibly; a clicked token is revealed in the editor', async () => {
    const shown = await w.page.$$eval('.tok', (els) => els.map((e) => e.textContent));
    assert.equal(shown[MARKED], MARKUP);
    assert.equal(shown[SPACE], '·');
    assert.equal(shown[NEWLINE], '⏎');
    assert.equal(await w.page.$$eval('main b', (els) => els.length), 0, 'no element was made from token text');
    assert.equal(await w.page.$eval(`.tok[data-index="${NEWLINE}"]`, (e) => e.nextElementSibling?.tagName), 'BR');
    await w.page.click(`.tok[data-index="${MARKED}"]`);
    const reveals = (await w.posted()).filter((m) => m.type === 'revealToken');
    assert.deepEqual(reveals.at(-1), { type: 'revealToken', index: MARKED });
  });

  it('exports every checkpoint as CSV (step, token index, token, value) and the lanes as a PNG', async () => {
    await w.page.click('vscode-button:has-text("CSV")');
    await w.page.click('vscode-button:has-text("Small multiples PNG")');
    const exportsPosted = (await w.posted()).filter((m): m is Extract<FromWebview, { type: 'export' }> => m.type === 'export');
    const [csv, png] = exportsPosted.slice(-2);
    assert.equal(csv!.format, 'csv');
    assert.equal(csv!.name, 'synthetic.txt characters 1 60 L0 h 3 history.csv');
    const records = parseCsv(csv!.content);
    assert.equal(records.length, STEPS.length * T + 1);
    assert.deepEqual(records[0], ['step', 'token_index', 'token', 'value']);
    assert.deepEqual(records[1 + 1], ['0', '1', 'w1', '-1']);
    assert.deepEqual(records[1 + 4 * T + 1], ['400', '1', 'w1', '1']);
    assert.deepEqual(records[1 + 2 * T + MARKED], ['200', String(MARKED), MARKUP, String(data.values[2 * T + MARKED])]);
    // A line-end token is one quoted field, not a broken record.
    assert.ok(csv!.content.includes(`\n0,${NEWLINE},"\n",${data.values[NEWLINE]}\n`));
    assert.deepEqual(records[1 + NEWLINE], ['0', String(NEWLINE), '\n', String(data.values[NEWLINE])]);
    assert.equal(png!.format, 'png');
    assert.equal(png!.name, 'synthetic.txt characters 1 60 L0 h 3 history.png');
    assert.ok(png!.content.startsWith('data:image/png;base64,'));
  });

  it('ignores malformed messages and keeps what it shows; without features it says so', async () => {
    const title = await text(w, 'h1');
    const other = { ...data, label: 'other' };
    const bad = [
      null,
      'history',
      { type: 'history' },
      { type: 'history', data: { ...other, tokens: data.tokens.slice(1) } },
      { type: 'history', data: { ...other, values: Array.from(data.values) } },
      { type: 'history', data: { ...other, rows: [...data.rows].reverse() } },
      { type: 'history', data: { ...other, features: [{ ...data.features[0]!, emergedAt: 250 }, data.features[1]] } },
      { type: 'error', message: 42 },
    ];
    for (const m of bad) await w.send(m as never);
    assert.equal(await text(w, 'h1'), title);
    assert.equal(await w.page.isHidden('.error'), true);
    assert.deepEqual(w.errors, []);
    await w.send({ type: 'error', message: '/models/m has no training snapshots' });
    assert.equal(await text(w, '.error'), '/models/m has no training snapshots');
    await w.send({ type: 'history', data: { ...other, features: [], rows: data.rows.map((r) => ({ ...r, d: [] })) } });
    assert.equal(await text(w, 'h1'), 'other across training');
    assert.equal(await w.page.isHidden('.error'), true);
    assert.equal(await w.page.isHidden('.chart-box'), true);
    assert.match(await text(w, '.emergence-block .note'), /^No features of interest in the experiment file/);
    assert.equal(await w.page.$$eval('#emergence li', (els) => els.length), 0);
    // The lanes and the text still show the activations.
    assertColour((await spanColours(w))[1]!, expectedColour(1), 'token 1 at the latest checkpoint');
  });
});
