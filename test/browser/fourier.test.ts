import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findPeaks, neuronSpectra, rankByBand } from '../../src/engine/fourier';
import { Random } from '../../src/engine/random';
import type { FromWebview, SpectraData } from '../../src/shared/panelMessages';
import { type WebviewPage, closeBrowser, openUnderCsp, openWebview } from './webviewHarness';

/**
 * The Fourier panel drawn from spectra the real engine computed for three synthetic neurons:
 * 0 alternates every token (all its power at 0.5 cycles/token), 1 is a cosine with period 8
 * (0.125), 2 is noise. 0 and 1 carry a little noise too, as any real neuron does.
 */
const T = 256;
const BAND: [number, number] = [0.4, 0.5];
const HOTTEST = [253, 231, 37];
const COLDEST = [68, 1, 84];

function fixture(band: [number, number] = BAND): SpectraData {
  const rng = new Random(11);
  const values = new Float32Array(T * 3);
  for (let t = 0; t < T; t++) {
    values[t * 3] = (t % 2 === 0 ? 1 : -1) + 0.02 * rng.normal();
    values[t * 3 + 1] = 0.6 * Math.cos(2 * Math.PI * 0.125 * t) + 0.02 * rng.normal();
    values[t * 3 + 2] = 0.3 * rng.normal();
  }
  const s = neuronSpectra(values, 3, [0, 1, 2], { scale: 'power' });
  return {
    title: 'synthetic layer 0 h',
    tokens: T,
    frequencies: s.frequencies,
    neurons: s.neurons,
    values: s.values,
    scale: 'power',
    window: 'none',
    band,
    ranking: rankByBand(s, band[0], band[1]).map(({ neuron, score }) => ({ neuron, score })),
    peaks: s.neurons.map((neuron, row) => ({
      neuron,
      peaks: findPeaks(s, row).map(({ frequency, period, value, ratio }) => ({ frequency, period, value, ratio })),
    })),
  };
}

interface Plot {
  left: number;
  top: number;
  width: number;
  height: number;
}

async function plot(w: WebviewPage): Promise<Plot> {
  const [left, top, width, height] = (await w.page.getAttribute('#heat-surface', 'data-plot'))!.split(',').map(Number) as [
    number,
    number,
    number,
    number,
  ];
  return { left, top, width, height };
}

/** Canvas coordinates (CSS px) of a cell: frequencies run from half a bin below 0 to half a bin above 0.5. */
function cell(p: Plot, row: number, rows: number, frequency: number): { x: number; y: number } {
  const half = 0.5 / T;
  return { x: p.left + ((frequency + half) / (0.5 + 2 * half)) * p.width, y: p.top + ((row + 0.5) * p.height) / rows };
}

/** The parts of a canvas element the pixel probe uses (the tests compile without the DOM library). */
interface CanvasProbe {
  width: number;
  getBoundingClientRect(): { width: number };
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

async function pixel(w: WebviewPage, at: { x: number; y: number }): Promise<number[]> {
  return w.page.$eval(
    '#heat-surface',
    (element, { x, y }) => {
      const canvas = element as unknown as CanvasProbe;
      const ratio = canvas.width / canvas.getBoundingClientRect().width;
      return Array.from(
        canvas
          .getContext('2d')!
          .getImageData(Math.floor(x * ratio), Math.floor(y * ratio), 1, 1)
          .data.slice(0, 3),
      );
    },
    at,
  );
}

function assertColour(actual: number[], expected: number[], what: string): void {
  assert.ok(
    actual.every((c, i) => Math.abs(c - expected[i]!) <= 3),
    `${what}: got rgb(${actual.join(', ')}), expected rgb(${expected.join(', ')})`,
  );
}

interface ChartView {
  lengths: number[];
  peaks: { x: number; y: number }[];
  yType: string;
}

async function chartView(w: WebviewPage): Promise<ChartView> {
  return w.page.evaluate(() => {
    type Data = { x: number; y: number }[];
    const chart = (
      globalThis as unknown as {
        __neuronLensCharts: { spectrum: { data: { datasets: { data: Data }[] }; options: { scales: { y: { type: string } } } } };
      }
    ).__neuronLensCharts.spectrum;
    return {
      lengths: chart.data.datasets.map((d) => d.data.length),
      peaks: chart.data.datasets[1]!.data.map((p) => ({ x: p.x, y: p.y })),
      yType: chart.options.scales.y.type,
    };
  });
}

/** A property of one of the toolbar's @vscode-elements controls. */
async function control(w: WebviewPage, selector: string, property: 'value' | 'invalid' | 'checked'): Promise<unknown> {
  return w.page.$eval(selector, (e, p) => (e as unknown as Record<string, unknown>)[p], property);
}

/** Picks an option of a vscode-single-select the way a user does: open it, click the option. */
async function choose(w: WebviewPage, selector: string, option: string): Promise<void> {
  await w.page.click(selector);
  await w.page.click(`${selector} li[role="option"]:has-text("${option}")`);
}

async function lastPosted(w: WebviewPage, type: FromWebview['type']): Promise<FromWebview | undefined> {
  return (await w.posted()).filter((m) => m.type === type).pop();
}

describe('Fourier panel', () => {
  const data = fixture();
  const bins = data.frequencies.length;
  let w: WebviewPage;

  before(async () => {
    w = await openWebview('fourier');
    await w.send({ type: 'spectra', data });
    await w.page.waitForSelector('.layout:not([hidden])');
  });
  after(async () => {
    await w.close();
    await closeBrowser();
  });

  it('announces itself ready', async () => {
    assert.deepEqual((await w.posted())[0], { type: 'ready' });
  });

  it('draws the alternating neuron hottest at 0.5 cycles/token and cold elsewhere', async () => {
    const p = await plot(w);
    assertColour(await pixel(w, cell(p, 0, 3, 0.5)), HOTTEST, 'neuron 0 at 0.5');
    assertColour(await pixel(w, cell(p, 0, 3, 0.25)), COLDEST, 'neuron 0 at 0.25');
    const cosineAtPeak = await pixel(w, cell(p, 1, 3, 0.125));
    const cosineElsewhere = await pixel(w, cell(p, 1, 3, 0.3));
    assert.notDeepEqual(cosineAtPeak, COLDEST, 'the cosine neuron shows its power at 0.125');
    assertColour(cosineElsewhere, COLDEST, 'neuron 1 at 0.3');
  });

  it('plots the top-ranked neuron first, with its peak at 0.5 marked', async () => {
    const chart = await chartView(w);
    assert.equal(chart.lengths[0], bins);
    assert.equal(chart.peaks.length, 1);
    assert.equal(chart.peaks[0]!.x, 0.5);
    assert.ok(Math.abs(chart.peaks[0]!.y - 1) < 0.01, 'an alternating ±1 signal has power 1 at the Nyquist bin');
    assert.equal(await w.page.textContent('.spectrum h2'), 'Neuron 0');
    assert.match((await w.page.textContent('.peak-table tbody'))!, /0\.500every 2 tokens/);
    await w.page.click('vscode-button:has-text("Highlight in editor")');
    assert.deepEqual(await lastPosted(w, 'highlightNeuron'), { type: 'highlightNeuron', neuron: 0 });
  });

  it('lists neurons in the engine’s band order', async () => {
    const shown = await w.page.$$eval('.ranking-list [data-neuron]', (items) => items.map((i) => Number(i.getAttribute('data-neuron'))));
    assert.deepEqual(
      shown,
      data.ranking.map((r) => r.neuron),
    );
    assert.equal(shown[0], 0);
  });

  it('plots a neuron when its row of the surface is clicked', async () => {
    const p = await plot(w);
    const at = cell(p, 1, 3, 0.2);
    await w.page.click('#heat-surface', { position: at });
    const chart = await chartView(w);
    assert.equal(await w.page.textContent('.spectrum h2'), 'Neuron 1');
    assert.deepEqual(
      chart.peaks.map((q) => q.x),
      [0.125],
    );
    assert.match((await w.page.textContent('.peak-table tbody'))!, /every 8 tokens/);
    assert.equal((await w.savedState()) && ((await w.savedState()) as { selectedNeuron: number }).selectedNeuron, 1);
  });

  it('asks the extension to highlight a neuron picked from the ranking', async () => {
    const second = data.ranking[1]!.neuron;
    await w.page.click(`.ranking-list [data-neuron="${second}"]`);
    assert.deepEqual(await lastPosted(w, 'highlightNeuron'), { type: 'highlightNeuron', neuron: second });
    assert.equal(await w.page.textContent('.spectrum h2'), `Neuron ${second}`);
    assert.equal(await w.page.getAttribute(`.ranking-list li:has([data-neuron="${second}"])`, 'class'), 'selected');
  });

  it('posts the band typed into the two fields', async () => {
    await w.page.fill('#band-lo input', '0.1');
    await w.page.locator('#band-lo input').blur();
    await w.page.fill('#band-hi input', '0.2');
    await w.page.locator('#band-hi input').blur();
    assert.deepEqual(await lastPosted(w, 'setSpectrumOptions'), {
      type: 'setSpectrumOptions',
      band: [0.1, 0.2],
      window: 'none',
      scale: 'power',
    });
    assert.match((await w.page.textContent('.ranking .note'))!, /waiting for the extension to rank 0\.100–0\.200/);
  });

  it('refuses a reversed band instead of posting it', async () => {
    const before = (await w.posted()).length;
    await w.page.fill('#band-lo input', '0.3');
    await w.page.locator('#band-lo input').blur();
    assert.equal((await w.posted()).length, before);
    assert.equal(await control(w, '#band-lo', 'invalid'), true);
  });

  it('posts the band dragged on the strip under the surface', async () => {
    const p = await plot(w);
    const box = (await w.page.locator('#heat-surface').boundingBox())!;
    const stripY = box.y + p.top + p.height + 10;
    const x = (f: number): number => box.x + cell(p, 0, 3, f).x;
    await w.page.mouse.move(x(0.05), stripY);
    await w.page.mouse.down();
    await w.page.mouse.move(x(0.15), stripY, { steps: 4 });
    await w.page.mouse.move(x(0.25), stripY, { steps: 4 });
    await w.page.mouse.up();
    const m = (await lastPosted(w, 'setSpectrumOptions')) as Extract<FromWebview, { type: 'setSpectrumOptions' }>;
    assert.ok(Math.abs(m.band[0] - 0.05) <= 0.003 && Math.abs(m.band[1] - 0.25) <= 0.003, `dragged band ${m.band}`);
    assert.equal(await control(w, '#band-lo', 'value'), String(m.band[0]));
  });

  it('redraws and re-ranks when the extension sends spectra for the new band', async () => {
    const moved = fixture([0.1, 0.2]);
    await w.send({ type: 'spectra', data: moved });
    const shown = await w.page.$$eval('.ranking-list [data-neuron]', (items) => items.map((i) => Number(i.getAttribute('data-neuron'))));
    assert.deepEqual(
      shown,
      moved.ranking.map((r) => r.neuron),
    );
    assert.equal(shown[0], 1, 'the period-8 neuron owns the 0.1–0.2 band');
    assert.doesNotMatch((await w.page.textContent('.ranking .note'))!, /waiting/);
    await w.send({ type: 'spectra', data });
  });

  it('posts window and value-scale changes', async () => {
    await choose(w, '#window', 'Hann');
    assert.deepEqual(await lastPosted(w, 'setSpectrumOptions'), {
      type: 'setSpectrumOptions',
      band: [0.4, 0.5],
      window: 'hann',
      scale: 'power',
    });
    await choose(w, '#scale', 'amplitude');
    assert.deepEqual(await lastPosted(w, 'setSpectrumOptions'), {
      type: 'setSpectrumOptions',
      band: [0.4, 0.5],
      window: 'hann',
      scale: 'amplitude',
    });
    await w.send({ type: 'spectra', data });
  });

  it('switches to log colours, lifting the quiet noise neuron off the floor', async () => {
    const p = await plot(w);
    const noise = cell(p, 2, 3, 0.3);
    const linear = await pixel(w, noise);
    await w.page.click('#log-colour');
    const logged = await pixel(w, noise);
    assertColour(await pixel(w, cell(p, 0, 3, 0.5)), HOTTEST, 'the maximum stays hottest');
    // Viridis brightens monotonically (the green channel rises from 1 to 231).
    assert.ok(logged[1]! > linear[1]! + 40, `noise brighter on a log scale: ${linear} → ${logged}`);
    assert.equal((await chartView(w)).yType, 'logarithmic');
    assert.match((await w.page.locator('.rule').textContent())!, /log2\(128 bins \/ 0\.05\)/);
  });

  it('exports the surface and the chart as PNG and the spectra as CSV', async () => {
    await w.page.click('vscode-button:has-text("PNG: surface")');
    await w.page.click('vscode-button:has-text("PNG: spectrum")');
    await w.page.click('vscode-button:has-text("CSV")');
    const exports = (await w.posted()).filter((m): m is Extract<FromWebview, { type: 'export' }> => m.type === 'export');
    assert.equal(exports.length, 3);
    const [surface, spectrum, csv] = exports as [(typeof exports)[0], (typeof exports)[0], (typeof exports)[0]];
    assert.equal(surface.format, 'png');
    assert.match(surface.content, /^data:image\/png;base64,/);
    assert.match(surface.name, /^synthetic layer 0 h heat surface\.png$/);
    assert.match(spectrum.name, /spectrum\.png$/);
    const lines = csv.content.trim().split('\n');
    assert.equal(lines[0], 'frequency,period_tokens,neuron_0,neuron_1,neuron_2');
    assert.equal(lines.length, bins + 1);
    const nyquist = lines[bins]!.split(',').map(Number);
    assert.equal(nyquist[0], 0.5);
    assert.equal(nyquist[1], 2);
    assert.ok(Math.abs(nyquist[2]! - 1) < 0.01);
  });

  it('restores the selected neuron, band and log colours in a reloaded page', async () => {
    await w.page.click('.ranking-list [data-neuron="1"]');
    const saved = await w.savedState();
    assert.deepEqual(saved, { band: [0.4, 0.5], window: 'none', scale: 'power', logColour: true, selectedNeuron: 1 });
    const again = await openWebview('fourier', { state: saved });
    try {
      assert.equal(await control(again, '#band-lo', 'value'), '0.4');
      assert.equal(await control(again, '#log-colour', 'checked'), true);
      await again.send({ type: 'spectra', data });
      await again.page.waitForSelector('.layout:not([hidden])');
      assert.equal(await again.page.textContent('.spectrum h2'), 'Neuron 1');
      assert.equal((await chartView(again)).yType, 'logarithmic');
    } finally {
      await again.close();
    }
  });

  it('follows a theme switch without a reload', async () => {
    await w.page.evaluate(() => {
      const body = (
        globalThis as unknown as { document: { body: { className: string; style: { setProperty(n: string, v: string): void } } } }
      ).document.body;
      body.className = 'vscode-light';
      body.style.setProperty('--vscode-editor-foreground', '#123456');
    });
    await w.page.waitForFunction(() => {
      const charts = (
        globalThis as unknown as { __neuronLensCharts: { spectrum: { options: { scales: { x: { ticks: { color: string } } } } } } }
      ).__neuronLensCharts;
      return charts.spectrum.options.scales.x.ticks.color === '#123456';
    });
  });

  it('runs under the extension’s Content Security Policy without violations', async () => {
    const csp = await openUnderCsp('fourier', 'Neuron Spectra', { width: 1100, height: 900 });
    try {
      assert.match(csp.html, /default-src 'none'; script-src 'nonce-[^']+'; style-src file:/);
      assert.doesNotMatch(csp.html, /unsafe-inline|unsafe-eval/);
      await csp.send({ type: 'spectra', data });
      await csp.page.waitForSelector('.layout:not([hidden])');
      const result = await csp.page.evaluate(() => {
        type Styled = { shadowRoot: { querySelector(s: string): unknown } | null };
        const g = globalThis as unknown as {
          __violations: string[];
          document: { body: unknown; querySelector(s: string): Styled };
          getComputedStyle(e: unknown): { paddingTop: string; backgroundColor: string };
        };
        const button = g.document.querySelector('vscode-button').shadowRoot?.querySelector('.base');
        return {
          violations: g.__violations,
          stylesheet: g.getComputedStyle(g.document.body).paddingTop,
          button: button ? g.getComputedStyle(button).backgroundColor : 'none',
        };
      });
      assert.deepEqual(csp.errors, []);
      assert.deepEqual(result.violations, []);
      assert.equal(result.stylesheet, '12px', 'media/panel.css loaded');
      assert.notEqual(result.button, 'rgba(0, 0, 0, 0)', 'vscode-button styled: constructed stylesheets pass the CSP');
      assertColour(await pixel(csp, cell(await plot(csp), 0, 3, 0.5)), HOTTEST, 'heat surface drawn under the CSP');
      assert.equal((await chartView(csp)).lengths[0], bins, 'chart.js drawn under the CSP');
    } finally {
      await csp.close();
    }
  });

  it('ignores malformed messages and keeps what it shows, then draws the next valid one', async () => {
    const shown = async () => ({
      title: await w.page.textContent('h1'),
      ranking: await w.page.$$eval('.ranking-list [data-neuron]', (items) => items.map((i) => Number(i.getAttribute('data-neuron')))),
      spectrum: await w.page.textContent('.spectrum h2'),
      errorHidden: await w.page.isHidden('.error'),
    });
    const before = await shown();
    const ranked = data.ranking.map((r) => r.neuron);
    assert.deepEqual(before, { title: data.title, ranking: ranked, spectrum: before.spectrum, errorHidden: true });
    // Each would retitle the panel or re-rank it if it were accepted.
    const other = { ...data, title: 'other layer', ranking: [...data.ranking].reverse() };
    const bad = [
      null,
      'spectra',
      { type: 'spectra' },
      { type: 'spectra', data: { ...other, values: data.values.subarray(1) } },
      { type: 'spectra', data: { ...other, frequencies: Float32Array.from(data.frequencies) } },
      { type: 'spectra', data: { ...other, neurons: [0, -1, 2] } },
      { type: 'spectra', data: { ...other, ranking: [{ neuron: 5, score: 1 }] } },
      { type: 'spectra', data: { ...other, ranking: [{ neuron: 0, score: Number.NaN }] } },
      { type: 'spectra', data: { ...other, band: [0.5, 0.4] } },
      { type: 'spectra', data: { ...other, scale: 'decibel' } },
      { type: 'spectra', data: { ...other, tokens: 1.5 } },
      { type: 'selectNeuron', neuron: '2' },
      { type: 'error', message: null },
      { type: 'heatmap', data: other },
    ];
    for (const m of bad) await w.send(m as never);
    assert.deepEqual(await shown(), before);
    await w.send({ type: 'spectra', data: other });
    await w.send({ type: 'selectNeuron', neuron: 2 });
    assert.deepEqual(await shown(), { title: 'other layer', ranking: [...ranked].reverse(), spectrum: 'Neuron 2', errorHidden: true });
    await w.send({ type: 'spectra', data });
  });

  it('shows an error from the extension', async () => {
    await w.send({ type: 'error', message: 'The document has fewer than 2 tokens.' });
    assert.equal(await w.page.textContent('.error'), 'The document has fewer than 2 tokens.');
    assert.equal(await w.page.isVisible('.error'), true);
  });
});

/** 48 neurons over 2,000 tokens, like a real layer: slow drifts, a few periodic units, noise. */
function layerFixture(): SpectraData {
  const tokens = 2000;
  const units = 48;
  const rng = new Random(3);
  const values = new Float32Array(tokens * units);
  const drift = new Float64Array(units);
  for (let t = 0; t < tokens; t++) {
    for (let n = 0; n < units; n++) {
      drift[n] = 0.97 * drift[n]! + 0.2 * rng.normal();
      const period = [2, 3, 5, 8, 12][n % 5]!;
      const periodic = n % 6 === 0 ? 0.5 * Math.cos((2 * Math.PI * t) / period) : 0;
      values[t * units + n] = Math.tanh(drift[n]! * (n % 3 === 0 ? 1 : 0.3) + periodic + 0.2 * rng.normal());
    }
  }
  const s = neuronSpectra(values, units, undefined, { scale: 'power', window: 'hann' });
  const band: [number, number] = [0.3, 0.5];
  return {
    title: 'moby-dick layer 0 hidden',
    tokens,
    frequencies: s.frequencies,
    neurons: s.neurons,
    values: s.values,
    scale: 'power',
    window: 'hann',
    band,
    ranking: rankByBand(s, band[0], band[1]).map(({ neuron, score }) => ({ neuron, score })),
    peaks: s.neurons.map((neuron, row) => ({
      neuron,
      peaks: findPeaks(s, row).map(({ frequency, period, value, ratio }) => ({ frequency, period, value, ratio })),
    })),
  };
}

describe('Fourier panel screenshots', () => {
  after(closeBrowser);

  it('renders a 48-neuron layer with log colours', async () => {
    const state = { band: [0.3, 0.5], window: 'hann', scale: 'power', logColour: true, selectedNeuron: 12 };
    const w = await openWebview('fourier', { theme: 'dark', state, viewport: { width: 1200, height: 1400 } });
    try {
      await w.send({ type: 'spectra', data: layerFixture() });
      await w.page.waitForSelector('.layout:not([hidden])');
      assert.equal(await w.page.textContent('.spectrum h2'), 'Neuron 12');
      await w.screenshot('fourier-layer-dark.png');
    } finally {
      await w.close();
    }
  });

  for (const theme of ['dark', 'light'] as const) {
    it(`renders in the ${theme} theme`, async () => {
      const w = await openWebview('fourier', { theme, viewport: { width: 1200, height: 1100 } });
      try {
        await w.send({ type: 'spectra', data: fixture() });
        await w.page.waitForSelector('.layout:not([hidden])');
        await w.screenshot(`fourier-${theme}.png`);
      } finally {
        await w.close();
      }
    });
  }
});
