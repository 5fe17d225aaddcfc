import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TrainingRunStore } from '../../src/extension/panels/trainingRunStore';
import type { FromWebview, TrainingRunData } from '../../src/shared/panelMessages';
import type { TrainProgressData } from '../../src/shared/protocol';
import { type WebviewPage, closeBrowser, openUnderCsp, openWebview } from './webviewHarness';

/**
 * The training panel fed the way the extension feeds it: a TrainingRunStore takes the worker's
 * per-step progress (validation repeated on every step after each evaluation, tokens/s averaged
 * over the whole run) and the page gets the whole run on open, then one point per step.
 */
const TOTAL = 200;
const TOKENS_PER_STEP = 1024;
const EVAL_EVERY = 20;

/** Worker-style progress: loss falling from 4.5 bits with a deterministic wobble; `msPerStep` sets the speed of each step. */
function worker(totalSteps = TOTAL): (step: number, msPerStep: number) => TrainProgressData {
  let elapsedMs = 0;
  let validationBits: number | undefined;
  return (step, msPerStep) => {
    elapsedMs += msPerStep;
    const trainBits = 2.2 + 2.3 * Math.exp(-step / 40) + 0.15 * Math.sin(step * 1.7);
    if (step % EVAL_EVERY === 0) validationBits = 2.3 + 2.3 * Math.exp(-step / 45);
    return {
      step,
      totalSteps,
      trainBits,
      validationBits,
      tokensPerSecond: (step * TOKENS_PER_STEP) / (elapsedMs / 1000),
      elapsedMs,
    };
  };
}

interface ChartView {
  lengths: number[];
  last: ({ x: number; y: number } | undefined)[];
  smoothedVisible: boolean;
  xMax: number;
  yTitle: string;
}

async function chartView(w: WebviewPage): Promise<ChartView> {
  // Charts draw on the next animation frame; the data arrays are already current.
  await w.page.evaluate(() => {
    const page = globalThis as unknown as { requestAnimationFrame(f: () => void): number };
    return new Promise<void>((resolve) => page.requestAnimationFrame(() => page.requestAnimationFrame(resolve)));
  });
  return w.page.evaluate(() => {
    type Data = { x: number; y: number }[];
    const chart = (
      globalThis as unknown as {
        __neuronLensCharts: {
          loss: {
            data: { datasets: { data: Data }[] };
            isDatasetVisible(i: number): boolean;
            options: { scales: { x: { max: number }; y: { title: { text: string } } } };
          };
        };
      }
    ).__neuronLensCharts.loss;
    return {
      lengths: chart.data.datasets.map((d) => d.data.length),
      last: chart.data.datasets.map((d) => d.data[d.data.length - 1]),
      smoothedVisible: chart.isDatasetVisible(1),
      xMax: chart.options.scales.x.max,
      yTitle: chart.options.scales.y.title.text,
    };
  });
}

const text = async (w: WebviewPage, selector: string): Promise<string> => (await w.page.textContent(selector))!.trim();

describe('Training panel', () => {
  const store = new TrainingRunStore();
  const progress = worker();
  let w: WebviewPage;
  let step = 0;

  before(async () => {
    store.start({ title: 'moby-dick char lstm', unit: 'bits/char', totalSteps: TOTAL, learningRate: 0.01 });
    while (step < 40) store.add(progress(++step, 1000));
    w = await openWebview('training');
    // What the panel does with the store: the whole run once the page is ready, then every change.
    store.onChange(
      (c) => void w.send(c.kind === 'run' ? { type: 'training', run: c.run } : { type: 'trainingPoint', runId: c.runId, point: c.point }),
    );
    await w.send({ type: 'training', run: store.current! });
    await w.page.waitForSelector('.layout:not([hidden])');
  });
  after(async () => {
    await w.close();
    await closeBrowser();
  });

  it('announces itself ready', async () => {
    assert.deepEqual((await w.posted())[0], { type: 'ready' });
  });

  it('draws everything the run has so far when it opens', async () => {
    const chart = await chartView(w);
    assert.deepEqual(chart.lengths, [40, 40, 2], 'training, smoothed, validation (measured at steps 20 and 40 only)');
    const p40 = store.current!.points[39]!;
    assert.deepEqual(chart.last[0], { x: 40, y: p40.trainBits });
    assert.deepEqual(chart.last[2], { x: 40, y: p40.validationBits });
    assert.equal(chart.xMax, TOTAL);
    assert.equal(chart.yTitle, 'bits/char');
    assert.equal(await text(w, '#fig-step'), '40 / 200');
    assert.equal(await text(w, '#fig-lr'), '0.01');
    assert.equal(await text(w, '#run-state'), 'Running');
    assert.equal(await text(w, '#fig-validation'), `${p40.validationBits!.toFixed(3)} bits/char`);
    assert.match(await text(w, 'div:has(> #fig-validation) .detail'), /perplexity \d+\.\d\d · step 40/);
  });

  it('appends streamed points and estimates the time left from the recent speed', async () => {
    while (step < 50) store.add(progress(++step, 1000));
    // Training slows to 2 s a step: the estimate must follow the last 20 s, not the run's average.
    while (step < 60) store.add(progress(++step, 2000));
    await w.page.locator('#fig-step', { hasText: /^60 \/ 200$/ }).waitFor();
    const chart = await chartView(w);
    assert.deepEqual(chart.lengths, [60, 60, 3]);
    assert.deepEqual(chart.last[0], { x: 60, y: store.current!.points[59]!.trainBits });
    assert.equal(chart.last[2]!.x, 60);
    assert.equal(await text(w, '#fig-eta'), '4 min 40 s', '140 steps left at 2 s a step');
    assert.equal(await text(w, '#fig-speed'), '512', '1024 tokens a step, one step every 2 s');
    assert.equal(await text(w, '#fig-elapsed'), '1 min 10 s');
  });

  it('draws the smoothed training loss as a debiased moving average', async () => {
    const points = store.current!.points;
    let average = 0;
    let weight = 0;
    for (const p of points) {
      average = 0.9 * average + 0.1 * p.trainBits;
      weight = 0.9 * weight + 0.1;
    }
    const chart = await chartView(w);
    assert.ok(Math.abs(chart.last[1]!.y - average / weight) < 1e-9);
    assert.equal(chart.smoothedVisible, true);
    await w.page.fill('#smoothing', '0');
    const off = await chartView(w);
    assert.equal(off.smoothedVisible, false);
    assert.deepEqual(await w.savedState(), { smoothing: 0 });
    await w.page.fill('#smoothing', '0.9');
  });

  it('ignores points of another run and points it already has', async () => {
    await w.send({ type: 'trainingPoint', runId: 'some-other-run', point: { step: 61, trainBits: 9, tokensPerSecond: 1, elapsedMs: 1 } });
    await w.send({ type: 'trainingPoint', runId: store.current!.id, point: { step: 60, trainBits: 9, tokensPerSecond: 1, elapsedMs: 1 } });
    const chart = await chartView(w);
    assert.deepEqual(chart.lengths, [60, 60, 3]);
    assert.notEqual(chart.last[0]!.y, 9);
  });

  it('ignores malformed runs and points, then draws the next valid point', async () => {
    const run = store.current!;
    const point = { step: 61, trainBits: 9, tokensPerSecond: 1, elapsedMs: 1 };
    // Each would retitle the panel, restart the chart or add a point if it were accepted.
    const other = { ...run, id: 'other-run', title: 'other run', points: run.points.slice(0, 5) };
    const bad = [
      null,
      { type: 'training' },
      { type: 'training', run: { ...other, learningRate: Number.NaN } },
      { type: 'training', run: { ...other, state: 'paused' } },
      { type: 'training', run: { ...other, points: [other.points[1], other.points[0]] } },
      { type: 'training', run: { ...other, points: [{ ...other.points[0]!, trainBits: '4.5' }] } },
      { type: 'training', run: { ...other, totalSteps: -1 } },
      { type: 'trainingPoint', runId: run.id, point: { ...point, trainBits: Number.NaN } },
      { type: 'trainingPoint', runId: run.id, point: { ...point, step: 61.5 } },
      { type: 'trainingPoint', runId: run.id, point: { ...point, elapsedMs: -1 } },
      { type: 'trainingPoint', runId: run.id },
      { type: 'error', message: { text: 'x' } },
      { type: 'spectra', data: other },
    ];
    for (const m of bad) await w.send(m as never);
    assert.deepEqual((await chartView(w)).lengths, [60, 60, 3]);
    assert.equal(await text(w, 'h1'), 'moby-dick char lstm');
    assert.equal(await text(w, '#fig-step'), '60 / 200');
    assert.equal(await w.page.isHidden('.error'), true);
    store.add(progress(++step, 2000));
    await w.page.locator('#fig-step', { hasText: /^61 \/ 200$/ }).waitFor();
    const chart = await chartView(w);
    assert.deepEqual(chart.lengths, [61, 61, 3]);
    assert.deepEqual(chart.last[0], { x: 61, y: store.current!.points[60]!.trainBits });
  });

  it('restores the whole run in a reopened panel, mid-training', async () => {
    while (step < 70) store.add(progress(++step, 2000));
    const again = await openWebview('training', { state: await w.savedState() });
    try {
      await again.send({ type: 'training', run: store.current! });
      await again.page.waitForSelector('.layout:not([hidden])');
      const chart = await chartView(again);
      assert.deepEqual(chart.lengths, [70, 70, 3]);
      assert.deepEqual(chart.last[0], { x: 70, y: store.current!.points[69]!.trainBits });
      assert.equal(await text(again, '#fig-step'), '70 / 200');
      assert.equal(await text(again, '#fig-eta'), '4 min 20 s');
      assert.equal(await again.page.inputValue('#smoothing'), '0.9');
    } finally {
      await again.close();
    }
  });

  it('shows how the run ended', async () => {
    store.end('failed', 'Training diverged at step 71: the loss became NaN.');
    await w.page.locator('#run-state', { hasText: /^Failed$/ }).waitFor();
    assert.equal(await text(w, '#run-message'), 'Training diverged at step 71: the loss became NaN.');
    assert.equal(await text(w, '#fig-eta'), '–');
    assert.equal((await chartView(w)).lengths[0], 70);
  });

  it('runs under the extension’s Content Security Policy without violations', async () => {
    const csp = await openUnderCsp('training', 'Neuron Lens Training');
    try {
      assert.match(csp.html, /default-src 'none'; script-src 'nonce-[^']+'; style-src file:/);
      await csp.send({ type: 'training', run: store.current! });
      await csp.page.waitForSelector('.layout:not([hidden])');
      const chart = await chartView(csp);
      const violations = await csp.violations();
      assert.deepEqual(csp.errors, []);
      assert.deepEqual(violations, []);
      assert.equal(chart.lengths[0], store.current!.points.length, 'chart.js drew the run under the CSP');
      const padding = await csp.page.evaluate(() => {
        const g = globalThis as unknown as { document: { body: unknown }; getComputedStyle(e: unknown): { paddingTop: string } };
        return g.getComputedStyle(g.document.body).paddingTop;
      });
      assert.equal(padding, '12px', 'media/panel.css loaded');
    } finally {
      await csp.close();
    }
  });

  it('exports the chart as PNG and every step as CSV', async () => {
    await w.page.click('vscode-button:has-text("PNG")');
    await w.page.click('vscode-button:has-text("CSV")');
    const exports = (await w.posted()).filter((m): m is Extract<FromWebview, { type: 'export' }> => m.type === 'export');
    const [png, csv] = exports as [(typeof exports)[0], (typeof exports)[0]];
    assert.equal(png.name, 'moby-dick char lstm loss.png');
    assert.match(png.content, /^data:image\/png;base64,/);
    const lines = csv.content.trim().split('\n');
    assert.equal(
      lines[0],
      'step,train_bits_per_char,train_perplexity,validation_bits_per_char,validation_perplexity,tokens_per_second,elapsed_ms',
    );
    assert.equal(lines.length, 71);
    const step20 = lines[20]!.split(',');
    assert.equal(step20[0], '20');
    assert.ok(Math.abs(Number(step20[4]) - 2 ** Number(step20[3])) < 1e-9);
    assert.equal(lines[21]!.split(',')[3], '', 'no validation measured at step 21');
  });
});

describe('Training panel screenshots', () => {
  after(closeBrowser);

  function longRun(): TrainingRunData {
    const store = new TrainingRunStore();
    store.start({ title: 'moby-dick char lstm 128', unit: 'bits/char', totalSteps: 600, learningRate: 0.01 });
    const progress = worker(600);
    for (let s = 1; s <= 380; s++) store.add(progress(s, 450));
    return store.current!;
  }

  for (const theme of ['dark', 'light'] as const) {
    it(`renders in the ${theme} theme`, async () => {
      const w = await openWebview('training', { theme, viewport: { width: 1200, height: 720 } });
      try {
        await w.send({ type: 'training', run: longRun() });
        await w.page.waitForSelector('.layout:not([hidden])');
        await chartView(w);
        await w.screenshot(`training-${theme}.png`);
      } finally {
        await w.close();
      }
    });
  }
});
