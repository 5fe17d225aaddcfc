import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spearman } from '../../src/engine/correlation';
import { compareTraces } from '../../src/engine/neuronComparison';
import { Random } from '../../src/engine/random';
import type { ComparisonData, FromWebview } from '../../src/shared/panelMessages';
import { type CspPage, closeBrowser, openUnderCsp } from './webviewHarness';

/**
 * The comparison panel, loaded from the extension's own HTML shell under its CSP, fed two seeded
 * traces compared by the engine's compareTraces (as the controller does): a tanh neuron (signed)
 * and a gate (unit, centred on 0.5) that loosely follows it, with planted values at known tokens.
 */
const T = 400;
const MARKUP = '<b>bold</b>&amp;';
const MARKED = 7;
// The theme the harness's CSP page falls back to (dark): background, blue, red.
const BACKGROUND = [0x1f, 0x1f, 0x1f];
const BLUE = [0x37, 0x94, 0xff];
const RED = [0xf1, 0x4c, 0x4c];
const LANE_HEIGHT = 28;
const LANE_GAP = 6;
const CELL = 10;

function fixture(): ComparisonData {
  const rng = new Random(5);
  const a = new Float32Array(T);
  const b = new Float32Array(T);
  for (let t = 0; t < T; t++) {
    a[t] = Math.tanh(rng.normal());
    b[t] = 1 / (1 + Math.exp(-(2 * a[t]! + 0.5 * rng.normal())));
  }
  // Known cells: full positive / negative / half on the signed lane; open / neutral / closed on the gate lane.
  [a[1], a[2], a[3]] = [1, -1, 0.5];
  [b[1], b[2], b[3]] = [1, 0.5, 0];
  // The markup token is where the two disagree most.
  a[MARKED] = 1;
  b[MARKED] = 0;
  const tokens = Array.from({ length: T }, (_, t) => (t === MARKED ? MARKUP : `w${t}`));
  const c = compareTraces(a, b, { disagreements: 20, sampleSize: 0 });
  return {
    title: 'synthetic.txt',
    tokens,
    a: { label: 'L0 h #3', range: 'signed', robustScale: 1, values: a },
    b: { label: 'L0 o #9', range: 'unit', robustScale: 1, values: b },
    pearson: c.pearson,
    spearman: c.spearman,
    disagreements: c.disagreements,
  };
}

/** Pearson's r written out here, independently of the engine's. */
function pearsonOf(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** The palette's colour for a normalised value in [-1, 1]: the background blended towards blue or red. */
function expectedColour(v: number): number[] {
  const end = v < 0 ? BLUE : RED;
  const a = Math.abs(Math.round(v * 255) / 255);
  return BACKGROUND.map((bg, c) => Math.round(bg + (end[c]! - bg) * a));
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

function assertColour(actual: number[], expected: number[], what: string): void {
  assert.ok(
    expected.every((c, i) => Math.abs(actual[i]! - c) <= 2),
    `${what}: got rgb(${actual.slice(0, 3).join(', ')}), expected rgb(${expected.join(', ')})`,
  );
}

/** Centre of token t's cell in lane 0 or 1 (CSS px of the lane canvas, scrolled to the start). */
function cellCentre(t: number, lane: number): { x: number; y: number } {
  return { x: t * CELL + CELL / 2 - 0.5, y: lane * (LANE_HEIGHT + LANE_GAP) + LANE_HEIGHT / 2 };
}

async function text(w: CspPage, selector: string): Promise<string> {
  return (await w.page.textContent(selector)) ?? '';
}

describe('comparison panel', () => {
  const data = fixture();
  let w: CspPage;

  before(async () => {
    w = await openUnderCsp('comparison', 'Neuron Comparison', { width: 1200, height: 900 });
    await w.send({ type: 'comparison', data });
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
  });

  it('colours both lanes with the diverging palette, each on its own scale', async () => {
    const expected: [number, number, number[]][] = [
      [1, 0, expectedColour(1)],
      [2, 0, expectedColour(-1)],
      [3, 0, expectedColour(0.5)],
      // The gate lane is centred on 0.5: 0 is fully blue, 0.5 the background, 1 fully red.
      [1, 1, expectedColour(1)],
      [2, 1, expectedColour(0)],
      [3, 1, expectedColour(-1)],
    ];
    assert.deepEqual(expected[2]![2], [136, 54, 54], 'half way from the background to red');
    for (const [t, lane, colour] of expected) {
      const { x, y } = cellCentre(t, lane);
      assertColour(await pixel(w, '#lanes', x, y), colour, `token ${t}, lane ${lane}`);
    }
    // Between the lanes is the page background.
    assertColour(await pixel(w, '#lanes', cellCentre(1, 0).x, LANE_HEIGHT + LANE_GAP / 2), BACKGROUND, 'gap between lanes');
  });

  it('shows Pearson and Spearman as computed from the traces', async () => {
    const r = pearsonOf(data.a.values, data.b.values);
    assert.ok(r > 0.5 && r < 1, `the fixture's neurons co-vary (r = ${r})`);
    assert.equal(await text(w, '#pearson'), r.toFixed(3));
    assert.equal(await text(w, '#spearman'), spearman(data.a.values, data.b.values).toFixed(3));
  });

  it('draws one scatter point per token where the scales put it', async () => {
    const points = await w.page.evaluate(() => {
      type Meta = { data: { x: number; y: number }[] };
      const chart = (
        globalThis as unknown as {
          __neuronLensCharts: {
            scatter: {
              data: { datasets: { data: { x: number; y: number }[] }[] };
              getDatasetMeta(i: number): Meta;
              scales: Record<string, { getPixelForValue(v: number): number }>;
            };
          };
        }
      ).__neuronLensCharts.scatter;
      const d = chart.data.datasets[0]!.data;
      const meta = chart.getDatasetMeta(0).data;
      return {
        count: d.length,
        first: { x: d[1]!.x, y: d[1]!.y },
        placed: { x: meta[1]!.x, y: meta[1]!.y },
        expected: { x: chart.scales.x!.getPixelForValue(d[1]!.x), y: chart.scales.y!.getPixelForValue(d[1]!.y) },
      };
    });
    assert.equal(points.count, T);
    assert.deepEqual(points.first, { x: 1, y: 1 });
    assert.ok(Math.abs(points.placed.x - points.expected.x) < 0.5 && Math.abs(points.placed.y - points.expected.y) < 0.5);
    const [, , , alpha] = await pixel(w, '#scatter', points.placed.x, points.placed.y);
    assert.ok(alpha! > 0, 'the point is painted on the scatter canvas');
  });

  it('lists the largest disagreements first and shows token markup literally', async () => {
    const tokens = await w.page.$$eval('.disagreement .token', (els) => els.map((e) => e.textContent));
    assert.equal(tokens.length, 20);
    assert.equal(data.disagreements[0]!.token, MARKED);
    assert.equal(tokens[0], MARKUP);
    assert.equal(await w.page.$$eval('main b', (els) => els.length), 0, 'no element was made from token text');
    // Hovering the cell names the token, also literally.
    const { x, y } = cellCentre(MARKED, 0);
    const box = (await w.page.$('#lanes'))!;
    await box.hover({ position: { x, y } });
    assert.match(await text(w, '.readout'), new RegExp(`^token ${MARKED}: ${MARKUP.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('clicking a disagreement or a lane cell asks the editor to reveal that token', async () => {
    await w.page.click('.disagreement >> nth=2');
    await w.page.click('#lanes', { position: cellCentre(12, 1) });
    const reveals = (await w.posted()).filter((m) => m.type === 'revealToken');
    assert.deepEqual(reveals.slice(-2), [
      { type: 'revealToken', index: data.disagreements[2]!.token },
      { type: 'revealToken', index: 12 },
    ]);
  });

  it('exports both traces as CSV with the token text quoted', async () => {
    await w.page.click('vscode-button:has-text("CSV")');
    const csv = (await w.posted()).filter((m): m is Extract<FromWebview, { type: 'export' }> => m.type === 'export').pop()!;
    assert.equal(csv.format, 'csv');
    assert.equal(csv.name, 'synthetic.txt comparison.csv');
    const lines = csv.content.trimEnd().split('\n');
    assert.equal(lines.length, T + 1);
    assert.equal(lines[0], 'token_index,token,L0 h #3,L0 o #9');
    assert.equal(lines[1 + MARKED], `${MARKED},${MARKUP},1,0`);
  });

  it('ignores malformed messages and keeps what it shows', async () => {
    const title = await text(w, 'h1');
    // Each would retitle the panel if it were accepted.
    const other = { ...data, a: { ...data.a, label: 'other' } };
    const bad = [
      null,
      'comparison',
      { type: 'comparison' },
      { type: 'comparison', data: { ...other, tokens: data.tokens.slice(1) } },
      { type: 'comparison', data: { ...other, a: { ...other.a, values: Array.from(data.a.values) } } },
      { type: 'comparison', data: { ...other, b: { ...data.b, range: 'log' } } },
      { type: 'comparison', data: { ...other, pearson: 3 } },
      { type: 'comparison', data: { ...other, disagreements: [{ token: T, a: 0, b: 0, difference: 1 }] } },
      { type: 'error', message: 42 },
    ];
    for (const m of bad) await w.send(m as never);
    assert.equal(await text(w, 'h1'), title);
    assert.equal(await w.page.isHidden('.error'), true);
    assert.deepEqual(w.errors, []);
    await w.send({ type: 'error', message: 'The model has no neuron 99 of h in layer 0' });
    assert.equal(await text(w, '.error'), 'The model has no neuron 99 of h in layer 0');
    // The same message well-formed is shown.
    await w.send({ type: 'comparison', data: other });
    assert.equal(await text(w, 'h1'), 'other vs L0 o #9');
  });
});
