import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Random } from '../../src/engine/random';
import { MAX_SAVED_HISTORY_VALUES, savedHistory } from '../../src/shared/historyState';
import type { HistoryData } from '../../src/shared/panelMessages';
import { type WebviewPage, closeBrowser, openWebview } from './webviewHarness';

/**
 * The neuron-across-training page after a window reload: VS Code hands a new page the state the
 * old one saved (as JSON), and the page must draw the same history at the same checkpoint
 * without the extension computing anything; a malformed state is ignored, and a history too
 * large to keep is named.
 */
const T = 40;
const STEPS = [0, 50, 100, 150];

function fixture(): HistoryData {
  const rng = new Random(21);
  const values = Float32Array.from({ length: STEPS.length * T }, () => Math.tanh(rng.normal()));
  return {
    title: 'notes.txt, characters 1–40',
    label: 'L0 h #5',
    model: 'seeded',
    range: 'signed',
    robustScale: 1,
    tokens: Array.from({ length: T }, (_, t) => (t % 5 === 4 ? ' ' : `t${t}`)),
    rows: STEPS.map((step, r) => ({ step, source: 'snapshot' as const, validationBits: 3 - r / 4, mean: r / 10, std: 0.5, d: [r / 2] })),
    values,
    features: [{ feature: ' ', matches: T / 5, emergedAt: 100 }],
    threshold: 1,
  };
}

/** What the page last saved, as VS Code keeps it: JSON. */
async function savedJson(w: WebviewPage): Promise<unknown> {
  return JSON.parse(await w.page.evaluate(() => JSON.stringify((globalThis as unknown as { __state: unknown }).__state)));
}

/** Everything the page draws that a restore must reproduce. */
async function drawn(w: WebviewPage) {
  return {
    title: await w.page.textContent('h1'),
    subtitle: await w.page.textContent('.subtitle'),
    checkpoint: await w.page.inputValue('#checkpoint'),
    step: await w.page.textContent('#checkpoint-step'),
    stats: await w.page.textContent('#checkpoint-stats'),
    tokens: await w.page.$$eval('.tok', (spans) => spans.map((s) => [s.textContent, s.getAttribute('style')])),
    multiples: await w.page.$eval('#multiples', (c) => (c as unknown as { toDataURL(): string }).toDataURL()),
    emergence: await w.page.$$eval('#emergence li', (els) => els.map((e) => e.textContent)),
  };
}

const viewport = { width: 1100, height: 1200 };

describe('neuron history panel restored after a reload', () => {
  const data = fixture();
  let first: WebviewPage;
  let before1: Awaited<ReturnType<typeof drawn>>;

  before(async () => {
    first = await openWebview('history', { viewport });
    await first.send({ type: 'history', data });
    await first.page.waitForSelector('main.layout:not([hidden])');
    await first.page.focus('#checkpoint');
    await first.page.keyboard.press('Home');
    await first.page.keyboard.press('ArrowRight');
    before1 = await drawn(first);
  });

  after(async () => {
    await first.close();
    await closeBrowser();
  });

  it('keeps the history as plain JSON with the checkpoint shown', async () => {
    assert.equal(before1.checkpoint, '1');
    assert.equal(before1.step, 'step 50 (snapshot 2 of 4)');
    const state = (await savedJson(first)) as { selected: number; data: { values: unknown[]; tokens: string[] } };
    assert.equal(state.selected, 1);
    assert.ok(Array.isArray(state.data.values) && state.data.values.length === STEPS.length * T);
    assert.ok(state.data.values.every((v) => typeof v === 'number'));
    assert.deepEqual(state.data.tokens, data.tokens);
  });

  it('a new page given that state draws the same, before the extension sends anything', async () => {
    const again = await openWebview('history', { viewport, state: await savedJson(first) });
    try {
      await again.page.waitForSelector('main.layout:not([hidden])');
      assert.deepEqual(await drawn(again), before1);
      assert.deepEqual(await again.posted(), [{ type: 'ready' }]);
      // A clicked token still asks the editor to show it.
      await again.page.click('.tok[data-index="6"]');
      assert.deepEqual((await again.posted()).at(-1), { type: 'revealToken', index: 6 });
      // The extension sends the same history on ready: the checkpoint stays; another history starts at its latest.
      await again.send({ type: 'history', data });
      assert.equal(await again.page.inputValue('#checkpoint'), '1');
      await again.send({ type: 'history', data: { ...data, label: 'L0 h #6' } });
      assert.equal(await again.page.inputValue('#checkpoint'), String(STEPS.length - 1));
      assert.equal(((await savedJson(again)) as { data: { label: string } }).data.label, 'L0 h #6');
    } finally {
      await again.close();
    }
  });

  it('ignores a malformed saved state and waits for the extension', async () => {
    const state = (await savedJson(first)) as { selected: number; data: Record<string, unknown> };
    const broken = [
      { ...state, selected: STEPS.length },
      { ...state, data: { ...state.data, values: (state.data.values as number[]).slice(1) } },
      { ...state, data: { ...state.data, rows: [] } },
      { selected: 0 },
      'history',
    ];
    for (const s of broken) {
      const w = await openWebview('history', { viewport, state: s });
      try {
        assert.equal(await w.page.isHidden('main.layout'), true, JSON.stringify(s).slice(0, 60));
        assert.equal(await w.page.textContent('.subtitle'), 'Waiting for the neuron’s history from the extension…');
        assert.equal(await w.page.isHidden('.error'), true);
        await w.send({ type: 'history', data });
        assert.equal(await w.page.textContent('h1'), 'L0 h #5 across training');
      } finally {
        await w.close();
      }
    }
  });

  it('a history too large to keep is named, with what to do', async () => {
    const rows = Math.floor(MAX_SAVED_HISTORY_VALUES / T) + 1;
    const big: HistoryData = {
      ...data,
      rows: Array.from({ length: rows }, (_, r) => ({ step: r, source: 'snapshot' as const, mean: 0, std: 0, d: [0] })),
      features: [{ feature: ' ', matches: T / 5, emergedAt: null }],
      values: new Float32Array(rows * T),
    };
    const w = await openWebview('history', { viewport, state: JSON.parse(JSON.stringify(savedHistory(big, 0))) });
    try {
      assert.equal(
        await w.page.textContent('.error'),
        `The history of L0 h #5 on notes.txt, characters 1–40 (${(rows * T).toLocaleString('en')} values) was too large to keep across a window reload: run "Neuron Lens: Show Neuron Across Training…" again.`,
      );
      assert.equal(await w.page.isHidden('main.layout'), true);
    } finally {
      await w.close();
    }
  });
});
