import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { featureRelevance } from '../../src/engine/featureRelevance';
import type { FromWebview, HeatmapData, RelevanceData } from '../../src/shared/panelMessages';
import { ARTIFACTS, type WebviewPage, closeBrowser, openUnderCsp, openWebview } from './webviewHarness';

/**
 * The heatmap panel in headless Chromium with fixture activations: what it draws (canvas pixels),
 * what it shows on hover, what it posts when clicked or exported, what it restores, how fast it
 * paints 10,000 tokens × 256 neurons, and that it runs under the extension's real CSP.
 */

// The functions given to page.evaluate run in Chromium, but this file is type-checked with Node's
// libraries (no DOM, on purpose): the browser globals they use are declared here, module-scoped
// and only as far as they are used.
interface PageElement {
  readonly style: { width: string; height: string };
  readonly dataset: Record<string, string | undefined>;
  readonly textContent: string | null;
  readonly hidden: boolean;
  readonly children: ArrayLike<PageElement>;
  readonly shadowRoot: { querySelector(selector: string): PageElement | null; firstElementChild: PageElement | null } | null;
  scrollLeft: number;
  scrollTop: number;
  width: number;
  height: number;
  getBoundingClientRect(): { left: number; top: number; width: number; height: number };
  getContext(type: '2d'): {
    drawImage(image: PageImage, x: number, y: number): void;
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  };
  querySelector(selector: string): PageElement | null;
}
interface PageImage {
  src: string;
  width: number;
  height: number;
  decode(): Promise<void>;
}
declare const document: {
  body: PageElement;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  createElement(tag: 'canvas'): PageElement;
  addEventListener(type: 'securitypolicyviolation', listener: (e: { violatedDirective: string; blockedURI: string }) => void): void;
};
declare const window: { devicePixelRatio: number; postMessage(message: unknown, targetOrigin: string): void };
declare const Image: new () => PageImage;
declare function requestAnimationFrame(callback: () => void): number;
declare function getComputedStyle(element: PageElement): { display: string; backgroundColor: string };
declare const PerformanceObserver: new (callback: (list: { getEntries(): { duration: number }[] }) => void) => {
  observe(options: { type: string }): void;
  disconnect(): void;
};

const TEXT =
  'Call me Ishmael. Some years ago, never mind how long precisely, having little money in my purse,\n' +
  'and nothing particular to interest me on shore,\tI thought I would sail about a little.';
const TOKENS = Array.from(TEXT);
const UNITS = 8;
const FIRST_TOKEN = 100;
const POSITIVE = { column: 20, neuron: 1 };
const NEGATIVE = { column: 10, neuron: 6 };
const SPACE_NEURON = 2;
const DOT_NEURON = 4;
const ALTERNATING_NEURON = 5;

/** Small noise everywhere, plus planted neurons whose cells the tests look for. */
function fixtureValues(): Float32Array {
  let seed = 42;
  const noise = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return (seed / 2 ** 31 - 0.5) * 0.16;
  };
  const values = new Float32Array(TOKENS.length * UNITS);
  TOKENS.forEach((t, i) => {
    for (let n = 0; n < UNITS; n++) values[i * UNITS + n] = noise();
    values[i * UNITS + SPACE_NEURON] = (t === ' ' ? 0.9 : -0.3) + noise();
    if (t === '.') values[i * UNITS + DOT_NEURON] = 0.8;
    values[i * UNITS + ALTERNATING_NEURON] = i % 2 ? 0.9 : -0.9;
  });
  values[POSITIVE.column * UNITS + POSITIVE.neuron] = 0.95;
  values[NEGATIVE.column * UNITS + NEGATIVE.neuron] = -0.95;
  return values;
}

const VALUES = fixtureValues();

function heatmapData(): HeatmapData {
  return {
    title: 'moby.txt',
    layer: 0,
    component: 'h',
    range: 'signed',
    robustScale: 1,
    tokens: TOKENS,
    firstToken: FIRST_TOKEN,
    units: UNITS,
    values: VALUES,
  };
}

function relevanceData(features: string[]): RelevanceData {
  const table = featureRelevance(VALUES, UNITS, TOKENS, features, 'cohen-d', 3);
  return {
    statistic: 'cohen-d',
    statisticLabel: "Cohen's d",
    neutral: table.neutral,
    features: table.features.map((f) => ({ ...f, scores: Float32Array.from(f.scores) })),
  };
}

async function open(options: Parameters<typeof openWebview>[1] = {}): Promise<WebviewPage> {
  const w = await openWebview('heatmap', options);
  // tsx names the functions it compiles with a helper that does not exist inside the page.
  await w.page.evaluate('globalThis.__name = (f) => f');
  return w;
}

function renders(w: WebviewPage): Promise<number> {
  return w.page.evaluate(() => Number(document.body.dataset.rendered ?? 0));
}

/** Resolves once the page has drawn a frame after `before` renders, and the browser has painted it. */
async function rendered(w: WebviewPage, before = 0): Promise<void> {
  await w.page.waitForFunction((n) => Number(document.body.dataset.rendered ?? 0) > n, before);
  await settle(w);
}

/** Two animation frames: anything scheduled for the next frame has been drawn. */
function settle(w: WebviewPage): Promise<void> {
  return w.page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
}

async function showFixture(w: WebviewPage): Promise<void> {
  const before = await renders(w);
  await w.send({ type: 'heatmap', data: heatmapData() });
  await rendered(w, before);
}

interface Geometry {
  cellWidth: number;
  cellHeight: number;
  scrollLeft: number;
  scrollTop: number;
  /** The cells canvas in the page (CSS px). */
  left: number;
  top: number;
  dpr: number;
}

/** Cell size from the scroll area (it is exactly tokens × neurons cells large) and the canvas position. */
function geometry(w: WebviewPage, tokens = TOKENS.length, units = UNITS): Promise<Geometry> {
  return w.page.evaluate(
    ([tokens, units]) => {
      const spacer = document.querySelector('.spacer')!;
      const scroller = document.querySelector('.scroller')!;
      const r = document.querySelector('.cells-canvas')!.getBoundingClientRect();
      return {
        cellWidth: parseFloat(spacer.style.width) / tokens!,
        cellHeight: parseFloat(spacer.style.height) / units!,
        scrollLeft: scroller.scrollLeft,
        scrollTop: scroller.scrollTop,
        left: r.left,
        top: r.top,
        dpr: window.devicePixelRatio,
      };
    },
    [tokens, units],
  );
}

/** Page coordinates of the centre of a cell (row = position in the current sort). */
function cellCentre(g: Geometry, column: number, row: number): { x: number; y: number } {
  return { x: g.left + (column + 0.5) * g.cellWidth - g.scrollLeft, y: g.top + (row + 0.5) * g.cellHeight - g.scrollTop };
}

async function pixel(w: WebviewPage, selector: string, x: number, y: number): Promise<[number, number, number]> {
  return w.page.evaluate(
    ([selector, x, y]) => {
      const canvas = document.querySelector(selector as string)!;
      const r = canvas.getBoundingClientRect();
      const scale = canvas.width / r.width;
      const d = canvas
        .getContext('2d')!
        .getImageData(Math.floor(((x as number) - r.left) * scale), Math.floor(((y as number) - r.top) * scale), 1, 1).data;
      return [d[0]!, d[1]!, d[2]!] as [number, number, number];
    },
    [selector, x, y],
  );
}

async function cellPixel(w: WebviewPage, column: number, row: number): Promise<[number, number, number]> {
  const { x, y } = cellCentre(await geometry(w), column, row);
  return pixel(w, '.cells-canvas', x, y);
}

const isRed = ([r, g, b]: [number, number, number]): boolean => r > 150 && r - g > 80 && r - b > 80;
const isBlue = ([r, g, b]: [number, number, number]): boolean => b > 150 && b - r > 80 && b - g > 40;

async function tooltip(w: WebviewPage): Promise<string> {
  return w.page.evaluate(() => {
    const t = document.querySelector('.tooltip')!;
    return t.hidden ? '' : Array.from(t.children, (c) => c.textContent).join('\n');
  });
}

async function hoverCell(w: WebviewPage, column: number, row: number, tokens = TOKENS.length, units = UNITS): Promise<string> {
  const { x, y } = cellCentre(await geometry(w, tokens, units), column, row);
  await w.page.mouse.move(x, y);
  return tooltip(w);
}

/** Chooses an option of a vscode-single-select the way a user does: open the list, click the entry. */
async function choose(w: WebviewPage, selectId: string, label: string): Promise<void> {
  await w.page.click(`#${selectId}`);
  await w.page.locator(`#${selectId} >> .options li`, { hasText: label }).first().click();
  await settle(w);
}

async function postedSince(w: WebviewPage, count: number): Promise<FromWebview[]> {
  return (await w.posted()).slice(count);
}

/** RFC 4180: fields in double quotes may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',' || c === '\n') {
      row.push(field);
      field = '';
      if (c === '\n') {
        rows.push(row);
        row = [];
      }
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

describe('heatmap panel', () => {
  after(() => closeBrowser());

  it('says ready, then draws strong positive cells red and strong negative ones blue where they belong', async () => {
    const w = await open();
    assert.deepEqual(await w.posted(), [{ type: 'ready' }]);
    await showFixture(w);
    assert.ok(isRed(await cellPixel(w, POSITIVE.column, POSITIVE.neuron)), `${await cellPixel(w, POSITIVE.column, POSITIVE.neuron)}`);
    assert.ok(isBlue(await cellPixel(w, NEGATIVE.column, NEGATIVE.neuron)), `${await cellPixel(w, NEGATIVE.column, NEGATIVE.neuron)}`);
    // A near-zero cell is (close to) the editor background #1f1f1f.
    const [r, g, b] = await cellPixel(w, 3, 0);
    assert.ok(Math.max(Math.abs(r - 0x1f), Math.abs(g - 0x1f), Math.abs(b - 0x1f)) < 30, `${[r, g, b]}`);
    // The neighbours of the planted cell are not red: the colour is in the right place.
    assert.ok(!isRed(await cellPixel(w, POSITIVE.column + 1, POSITIVE.neuron)));
    assert.ok(!isRed(await cellPixel(w, POSITIVE.column, POSITIVE.neuron + 1)));
    await w.close();
  });

  it('shows token text with visible whitespace, neuron and value on hover', async () => {
    const w = await open();
    await showFixture(w);
    const space = TOKENS.indexOf(' ');
    assert.equal(
      await hoverCell(w, space, SPACE_NEURON),
      `⟨ ⟩\ntoken ${FIRST_TOKEN + space} · neuron ${SPACE_NEURON}\nvalue ${fmt(space, SPACE_NEURON)}`,
    );
    assert.equal(
      await hoverCell(w, POSITIVE.column, POSITIVE.neuron),
      `${TOKENS[POSITIVE.column]}\ntoken ${FIRST_TOKEN + POSITIVE.column} · neuron ${POSITIVE.neuron}\nvalue 0.95`,
    );
    const newline = TOKENS.indexOf('\n');
    assert.match(await hoverCell(w, newline, 0), /^⏎\n/);
    const tab = TOKENS.indexOf('\t');
    assert.match(await hoverCell(w, tab, 0), /^→\n/);
    await w.close();
  });

  it('shows token text with markup literally: title, hover and features, no element injected', async () => {
    const w = await open();
    const tokens = ['<script>window.__pwned = 1</script>', '</span>', '&amp;', '"q"', '<img src=x onerror="window.__pwned = 2">'];
    const units = 2;
    const values = Float32Array.from({ length: tokens.length * units }, (_, i) => (i % 2 ? 0.5 : -0.5));
    const before = await renders(w);
    await w.send({
      type: 'heatmap',
      data: { title: '<b>bold?</b>', layer: 0, component: 'h', range: 'signed', robustScale: 1, tokens, firstToken: 0, units, values },
    });
    await rendered(w, before);
    for (let column = 0; column < tokens.length; column++) {
      // Tokens with spaces are shown between ⟨ ⟩ so their spaces can be seen.
      const shown = (await hoverCell(w, column, 0, tokens.length, units)).split('\n')[0]!;
      assert.ok([tokens[column], `⟨${tokens[column]}⟩`].includes(shown), shown);
    }
    const page = await w.page.evaluate(() => ({
      title: (document.body.textContent ?? '').includes('<b>bold?</b>'),
      bold: document.querySelectorAll('b').length,
      images: document.querySelectorAll('img').length,
      scripts: document.querySelectorAll('script').length,
      pwned: (globalThis as unknown as { __pwned?: number }).__pwned,
    }));
    assert.deepEqual(page, { title: true, bold: 0, images: 0, scripts: 2, pwned: undefined });
    await w.close();
  });

  it('posts highlightNeuron for a clicked cell or row label and revealToken (document index) for a clicked token', async () => {
    const w = await open();
    await showFixture(w);
    const g = await geometry(w);
    let seen = (await w.posted()).length;
    const cell = cellCentre(g, 7, 3);
    await w.page.mouse.click(cell.x, cell.y);
    assert.deepEqual(await postedSince(w, seen), [{ type: 'highlightNeuron', neuron: 3 }]);

    seen = (await w.posted()).length;
    const axis = await w.page.locator('.neuron-axis').boundingBox();
    await w.page.mouse.click(axis!.x + axis!.width / 2, cellCentre(g, 0, 5).y);
    assert.deepEqual(await postedSince(w, seen), [{ type: 'highlightNeuron', neuron: 5 }]);

    seen = (await w.posted()).length;
    const tokenAxis = await w.page.locator('.token-axis').boundingBox();
    await w.page.mouse.click(cellCentre(g, 12, 0).x, tokenAxis!.y + tokenAxis!.height - 20);
    assert.deepEqual(await postedSince(w, seen), [{ type: 'revealToken', index: FIRST_TOKEN + 12 }]);

    seen = (await w.posted()).length;
    await w.page.mouse.dblclick(cellCentre(g, 30, 1).x, cellCentre(g, 30, 1).y);
    assert.deepEqual(
      (await postedSince(w, seen)).filter((m) => m.type === 'revealToken'),
      [{ type: 'revealToken', index: FIRST_TOKEN + 30 }],
    );

    // The keyboard reaches the same actions: arrows move a cursor from the last clicked cell (30, 1),
    // Enter highlights its neuron, Shift+Enter reveals its token.
    await w.page.mouse.move(0, 0);
    await w.page.evaluate(() => (document.querySelector('.scroller') as unknown as { focus(): void }).focus());
    seen = (await w.posted()).length;
    for (const key of ['ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowDown', 'ArrowDown']) await w.page.keyboard.press(key);
    await w.page.keyboard.press('Enter');
    await w.page.keyboard.press('Shift+Enter');
    assert.deepEqual(await postedSince(w, seen), [
      { type: 'highlightNeuron', neuron: 3 },
      { type: 'revealToken', index: FIRST_TOKEN + 33 },
    ]);
    assert.equal(
      await w.page.locator('[aria-live]').textContent(),
      `${TOKENS[33]}, token ${FIRST_TOKEN + 33} · neuron 3, value ${fmt(33, 3)}`,
    );

    // Dragging pans instead of clicking.
    await w.page.click('#zoom-tokens-in');
    await w.page.click('#zoom-tokens-in');
    await settle(w);
    seen = (await w.posted()).length;
    const before = (await geometry(w)).scrollLeft;
    const box = (await w.page.locator('.cells-canvas').boundingBox())!;
    const from = { x: box.x + box.width / 2, y: box.y + 20 };
    await w.page.mouse.move(from.x, from.y);
    await w.page.mouse.down();
    await w.page.mouse.move(from.x - 150, from.y, { steps: 5 });
    await w.page.mouse.up();
    assert.ok((await geometry(w)).scrollLeft >= before + 140, `${(await geometry(w)).scrollLeft} after ${before}`);
    assert.deepEqual(await postedSince(w, seen), []);
    await w.close();
  });

  it('sorts neuron rows by variance, putting the most variable neuron on top', async () => {
    const w = await open();
    await showFixture(w);
    await choose(w, 'sort', 'by variance');
    // The alternating neuron (±0.9) is on the top row now: blue, red, blue, red.
    assert.ok(isBlue(await cellPixel(w, 0, 0)));
    assert.ok(isRed(await cellPixel(w, 1, 0)));
    assert.ok(isBlue(await cellPixel(w, 2, 0)));
    const axis = await w.page.locator('.neuron-axis').boundingBox();
    await w.page.mouse.move(axis!.x + axis!.width / 2, cellCentre(await geometry(w), 0, 0).y);
    assert.match(await tooltip(w), new RegExp(`^neuron ${ALTERNATING_NEURON}\\nvariance 0.81`));
    const seen = (await w.posted()).length;
    await w.page.mouse.click(axis!.x + axis!.width / 2, cellCentre(await geometry(w), 0, 0).y);
    assert.deepEqual(await postedSince(w, seen), [{ type: 'highlightNeuron', neuron: ALTERNATING_NEURON }]);
    await w.close();
  });

  it('edits features of interest, draws relevance around neutral and lists the planted neuron first', async () => {
    const w = await open({ viewport: { width: 1200, height: 860 } });
    await showFixture(w);
    let seen = (await w.posted()).length;
    const input = w.page.locator('#feature-input input');
    await input.fill(' ');
    await input.press('Enter');
    await input.fill('/(/');
    await input.press('Enter');
    assert.match(await w.page.locator('.feature-error').innerText(), /regular expression/);
    await input.fill('.');
    await input.press('Enter');
    assert.deepEqual(await postedSince(w, seen), [
      { type: 'setFeatures', features: [' '] },
      { type: 'setFeatures', features: [' ', '.'] },
    ]);
    seen = (await w.posted()).length;
    await choose(w, 'statistic', 'AUROC');
    assert.deepEqual(await postedSince(w, seen), [{ type: 'setStatistic', statistic: 'auroc' }]);
    await choose(w, 'statistic', "Cohen's d");

    await w.send({ type: 'relevance', data: relevanceData([' ', '.']) });
    await settle(w);
    const firstChips = await w.page.evaluate(() =>
      Array.from(document.querySelectorAll('.hypothesis'), (li) => [
        li.querySelector('.hypothesis-feature')!.textContent,
        li.querySelector('.neuron-chip')?.dataset.neuron,
      ]),
    );
    assert.deepEqual(firstChips, [
      ['⟨ ⟩', String(SPACE_NEURON)],
      ['.', String(DOT_NEURON)],
    ]);

    // In each feature's row of the relevance heatmap, the reddest cell is its planted neuron.
    const canvas = (await w.page.locator('.relevance-canvas').boundingBox())!;
    for (const [row, neuron] of [
      [0, SPACE_NEURON],
      [1, DOT_NEURON],
    ] as const) {
      const y = canvas.y + 20 + row * 20 + 10;
      let best = { x: 0, red: -1 };
      for (let x = canvas.x; x < canvas.x + canvas.width; x += 2) {
        const [r, g, b] = await pixel(w, '.relevance-canvas', x, y);
        if (r - (g + b) / 2 > best.red) best = { x, red: r - (g + b) / 2 };
      }
      await w.page.mouse.move(best.x, y);
      assert.match(await tooltip(w), new RegExp(`\\nneuron ${neuron}\\n`));
      assert.ok(best.red > 100, `row ${row}: ${best.red}`);
    }
    await w.page.mouse.move(0, 0);
    seen = (await w.posted()).length;
    await w.page.locator('.neuron-chip').first().click();
    assert.deepEqual(await postedSince(w, seen), [{ type: 'highlightNeuron', neuron: SPACE_NEURON }]);

    // Rows sorted by relevance to " " put the space neuron on top.
    await choose(w, 'sort', 'by relevance to ⟨ ⟩');
    const axis = (await w.page.locator('.neuron-axis').boundingBox())!;
    await w.page.mouse.move(axis.x + axis.width / 2, cellCentre(await geometry(w), 0, 0).y);
    assert.match(await tooltip(w), new RegExp(`^neuron ${SPACE_NEURON}\\n`));

    await hoverCell(w, TOKENS.indexOf(' '), 0);
    await w.screenshot('heatmap-dark.png');

    // Removing every feature hides the relevance view and tells the extension.
    seen = (await w.posted()).length;
    await w.page.locator('.feature-chip-remove').first().click();
    await w.page.locator('.feature-chip-remove').first().click();
    assert.deepEqual(await postedSince(w, seen), [
      { type: 'setFeatures', features: ['.'] },
      { type: 'setFeatures', features: [] },
    ]);
    assert.equal(await w.page.locator('.relevance').isHidden(), true);
    await w.close();
  });

  it('marks the significant neurons of a permutation test in the relevance heatmap, chips and caption', async () => {
    const w = await open({ viewport: { width: 1200, height: 860 } });
    await showFixture(w);
    const table = featureRelevance(VALUES, UNITS, TOKENS, [' '], 'cohen-d', 3, { permutations: 999, seed: 4 });
    const f = table.features[0]!;
    const data: RelevanceData = {
      ...relevanceData([' ']),
      significance: table.significance,
      features: [{ ...f, scores: Float32Array.from(f.scores) }],
    };
    await w.send({ type: 'relevance', data });
    await settle(w);
    assert.match(
      await w.page.locator('.relevance-statistic').innerText(),
      /significant: Benjamini–Hochberg q ≤ 0\.05 across neurons, permutation p from 999 shuffles .*p < 0\.001/,
    );
    const chip = w.page.locator(`.neuron-chip[data-neuron="${SPACE_NEURON}"]`);
    assert.equal(await chip.evaluate((e) => e.classList.contains('significant')), true);
    assert.match(await chip.innerText(), /● p < 0\.001/);
    assert.match((await chip.getAttribute('title'))!, /p = 0\.001, Benjamini–Hochberg q = .*: significant/);
    const count = f.significant!.reduce((a, b) => a + b, 0);
    assert.match(await w.page.locator('.hypothesis-significant').innerText(), new RegExp(`^${count} significant at q ≤ 0\\.05`));
    // A dot in the foreground colour sits at the centre of each significant cell, and only there.
    const canvas = (await w.page.locator('.relevance-canvas').boundingBox())!;
    // Which neuron each x of the row belongs to, from the hover tooltip.
    const spans = new Map<number, { from: number; to: number }>();
    const y = canvas.y + 20 + 10;
    for (let x = Math.ceil(canvas.x); x < canvas.x + canvas.width; x += 2) {
      await w.page.mouse.move(x, y);
      const n = /\nneuron (\d+)\n/.exec(await tooltip(w))?.[1];
      if (n === undefined) continue;
      const span = spans.get(Number(n));
      spans.set(Number(n), { from: span?.from ?? x, to: x });
    }
    await w.page.mouse.move(0, 0);
    await settle(w);
    const centres: { neuron: number; dot: boolean }[] = [];
    for (const [neuron, { from, to }] of [...spans].sort((a, b) => a[0] - b[0])) {
      const [r, g, b] = await pixel(w, '.relevance-canvas', (from + to) / 2, y);
      centres.push({ neuron, dot: r > 200 && g > 200 && b > 200 });
    }
    assert.equal(centres.length, UNITS);
    assert.deepEqual(
      centres.map((c) => c.dot),
      Array.from(f.significant!, (s) => s === 1),
    );
    assert.equal(centres[SPACE_NEURON]!.dot, true);
    await w.close();
  });

  it('exports the view as a PNG data URL and every value as CSV', async () => {
    const w = await open();
    await showFixture(w);
    let seen = (await w.posted()).length;
    await w.page.click('#export-png');
    const [png] = await postedSince(w, seen);
    assert.ok(png?.type === 'export' && png.format === 'png');
    assert.match(png.name, /^[\w .-]+\.png$/);
    assert.match(png.content, /^data:image\/png;base64,/);
    const bytes = Buffer.from(png.content.slice('data:image/png;base64,'.length), 'base64');
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    fs.writeFileSync(path.join(ARTIFACTS, 'heatmap-export.png'), bytes);
    // The image holds the heatmap: the planted positive cell is red at its place below the title and token axis.
    const g = await geometry(w);
    const exported = await w.page.evaluate(
      async ([url, x, y]) => {
        const img = new Image();
        img.src = url as string;
        await img.decode();
        const c = document.createElement('canvas');
        c.width = img.width;
        c.height = img.height;
        const ctx = c.getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        return Array.from(ctx.getImageData(x as number, y as number, 1, 1).data.slice(0, 3));
      },
      [png.content, Math.floor(56 + (POSITIVE.column + 0.5) * g.cellWidth), Math.floor(26 + 84 + (POSITIVE.neuron + 0.5) * g.cellHeight)],
    );
    assert.ok(isRed(exported as [number, number, number]), `${exported}`);

    seen = (await w.posted()).length;
    await w.page.click('#export-csv');
    const [csv] = await postedSince(w, seen);
    assert.ok(csv?.type === 'export' && csv.format === 'csv');
    assert.match(csv.name, /^[\w .-]+\.csv$/);
    const rows = parseCsv(csv.content);
    assert.deepEqual(rows[0], ['index', 'token', ...Array.from({ length: UNITS }, (_, n) => `n${n}`)]);
    assert.equal(rows.length, TOKENS.length + 1);
    rows.slice(1).forEach((row, t) => {
      assert.equal(row[0], String(FIRST_TOKEN + t));
      assert.equal(row[1], TOKENS[t]);
      assert.deepEqual(
        row.slice(2).map((v) => Math.fround(Number(v))),
        Array.from(VALUES.subarray(t * UNITS, (t + 1) * UNITS)),
      );
    });
    assert.equal(rows[1 + POSITIVE.column]![2 + POSITIVE.neuron], '0.95');
    await w.close();
  });

  it('saves zoom, scroll, sort, features and statistic, and restores them in a new page', async () => {
    const w = await open();
    await showFixture(w);
    await w.page.click('#zoom-tokens-in');
    await w.page.click('#zoom-tokens-in');
    await w.page.click('#zoom-neurons-in');
    await w.page.evaluate(() => (document.querySelector('.scroller')!.scrollLeft = 333));
    await choose(w, 'sort', 'by variance');
    const input = w.page.locator('#feature-input input');
    await input.fill(' ');
    await input.press('Enter');
    await choose(w, 'statistic', 'AUROC');
    await settle(w);
    const before = await geometry(w);
    const state = (await w.savedState()) as Record<string, unknown>;
    assert.deepEqual(
      { sort: state.sort, features: state.features, statistic: state.statistic },
      { sort: { kind: 'variance' }, features: [' '], statistic: 'auroc' },
    );
    await w.close();

    const again = await open({ state });
    // After ready, the page reminds the extension what it was studying.
    assert.deepEqual(await again.posted(), [
      { type: 'ready' },
      { type: 'setStatistic', statistic: 'auroc' },
      { type: 'setFeatures', features: [' '] },
    ]);
    await showFixture(again);
    const after = await geometry(again);
    assert.ok(Math.abs(after.cellWidth - before.cellWidth) < 1e-6);
    assert.ok(Math.abs(after.cellHeight - before.cellHeight) < 1e-6);
    assert.ok(Math.abs(after.scrollLeft - before.scrollLeft) <= 1, `${after.scrollLeft} vs ${before.scrollLeft}`);
    assert.deepEqual(await again.page.locator('.feature-chip-text').allInnerTexts(), ['⟨ ⟩']);
    // Still sorted by variance: the alternating neuron's row is on top.
    const top = Math.floor(after.scrollLeft / after.cellWidth) + 1;
    const colours = [await cellPixel(again, top, 0), await cellPixel(again, top + 1, 0)];
    assert.ok(colours.some(isRed) && colours.some(isBlue), `${colours}`);
    await again.close();
  });

  it('paints 10,000 tokens × 256 neurons within a second of the data arriving, and scrolls 10,000 × 1,024 smoothly', async () => {
    const w = await open();
    const measure = (units: number): Promise<number> =>
      w.page.evaluate(async (units) => {
        const tokens = 10_000;
        const values = new Float32Array(tokens * units);
        for (let i = 0; i < values.length; i++) values[i] = Math.sin(i * 0.001) * Math.cos(i * 0.37);
        const texts = Array.from({ length: tokens }, (_, i) => 'the whale, '[i % 11]!);
        const before = Number(document.body.dataset.rendered ?? 0);
        const start = performance.now();
        window.postMessage(
          {
            type: 'heatmap',
            data: { title: 'big', layer: 0, component: 'h', range: 'signed', robustScale: 1, tokens: texts, firstToken: 0, units, values },
          },
          '*',
        );
        await new Promise<void>((resolve) => {
          const check = (): void => void (Number(document.body.dataset.rendered ?? 0) > before ? resolve() : requestAnimationFrame(check));
          check();
        });
        // The frame after the one that drew: the drawing has been painted.
        await new Promise<void>((r) => requestAnimationFrame(() => r()));
        return performance.now() - start;
      }, units);
    const ms = await measure(256);
    console.log(`heatmap 10,000 tokens × 256 neurons: data message → painted in ${ms.toFixed(0)} ms`);
    assert.ok(ms < 1000, `${ms} ms`);

    const ms1024 = await measure(1024);
    console.log(`heatmap 10,000 tokens × 1,024 neurons: data message → painted in ${ms1024.toFixed(0)} ms`);
    // Zoomed in so that both axes scroll, 40 scroll steps: no long animation frame (> 50 ms), i.e. no stutter.
    await w.page.click('#zoom-tokens-in');
    await w.page.click('#zoom-tokens-in');
    await w.page.click('#zoom-neurons-in');
    await settle(w);
    const frames = await w.page.evaluate(async () => {
      const scroller = document.querySelector('.scroller')!;
      const long: number[] = [];
      const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => long.push(Math.round(e.duration))));
      observer.observe({ type: 'long-animation-frame' });
      const intervals: number[] = [];
      let last = performance.now();
      for (let k = 0; k < 40; k++) {
        scroller.scrollTop += 9;
        scroller.scrollLeft += 23;
        await new Promise<void>((r) => requestAnimationFrame(() => r()));
        const now = performance.now();
        intervals.push(now - last);
        last = now;
      }
      await new Promise((r) => setTimeout(r, 100));
      observer.disconnect();
      return { long, worst: Math.max(...intervals), median: intervals.sort((a, b) => a - b)[20]! };
    });
    console.log(
      `scrolling 10,000 × 1,024: median frame ${frames.median.toFixed(1)} ms, worst ${frames.worst.toFixed(1)} ms, long frames [${frames.long}]`,
    );
    assert.ok(frames.median < 50, `median frame ${frames.median} ms`);
    assert.ok(frames.long.length <= 2, `long animation frames: ${frames.long}`);
    await w.close();
  });

  it('draws seamlessly across the image tiles of a long text', async () => {
    // 5,000 tokens at 2 px each: the full-resolution image is cut into tiles 4,096 tokens wide.
    const tokens = 5000;
    const state = {
      cellWidth: 2,
      cellHeight: 12,
      scrollColumn: 3900,
      scrollRow: 0,
      sort: { kind: 'index' },
      features: [],
      statistic: 'cohen-d',
    };
    const w = await open({ state });
    const before = await renders(w);
    await w.send({
      type: 'heatmap',
      data: {
        ...heatmapData(),
        tokens: Array.from({ length: tokens }, () => 'a'),
        units: 2,
        values: new Float32Array(tokens * 2).fill(0.9),
      },
    });
    await rendered(w, before);
    const g = await geometry(w, tokens, 2);
    assert.equal(g.cellWidth, 2);
    assert.equal(g.scrollLeft, 7800);
    const box = (await w.page.locator('.cells-canvas').boundingBox())!;
    const row = await w.page.evaluate(
      (y) => {
        const canvas = document.querySelector('.cells-canvas')!;
        return Array.from(canvas.getContext('2d')!.getImageData(0, y, canvas.width, 1).data);
      },
      Math.floor(g.dpr * 6),
    );
    const lastColumn = Math.floor((tokens * 2 - g.scrollLeft) * g.dpr) - 1;
    for (let x = 0; x <= Math.min(lastColumn, box.width * g.dpr - 1); x++) {
      assert.ok(
        isRed([row[4 * x]!, row[4 * x + 1]!, row[4 * x + 2]!]),
        `pixel ${x} (token ${3900 + x / 2 / g.dpr}): ${row.slice(4 * x, 4 * x + 3)}`,
      );
    }
    await w.close();
  });

  it('looks right in the light theme and zoomed in (screenshots)', async () => {
    const light = await open({ theme: 'light', viewport: { width: 1200, height: 860 } });
    await showFixture(light);
    await light.send({ type: 'relevance', data: relevanceData([' ', '.', '/[,;]/']) });
    await light.send({ type: 'selectNeuron', neuron: SPACE_NEURON });
    await settle(light);
    // Light theme: positive cells are red on white, negative blue, zero white.
    assert.ok(isRed(await cellPixel(light, POSITIVE.column, POSITIVE.neuron)));
    assert.ok(isBlue(await cellPixel(light, NEGATIVE.column, NEGATIVE.neuron)));
    const [r, g, b] = await cellPixel(light, 3, 0);
    assert.ok(Math.min(r, g, b) > 215, `${[r, g, b]}`);
    await light.screenshot('heatmap-light.png');
    await light.close();

    const zoomed = await open();
    await showFixture(zoomed);
    for (let i = 0; i < 2; i++) await zoomed.page.click('#zoom-tokens-in');
    await settle(zoomed);
    const centre = await geometry(zoomed);
    await hoverCell(zoomed, Math.floor((centre.scrollLeft + 400) / centre.cellWidth), SPACE_NEURON);
    await zoomed.screenshot('heatmap-zoomed-dark.png');
    await zoomed.close();
  });

  it('ignores malformed messages and keeps what it shows, then draws the next valid one', async () => {
    const w = await open();
    await showFixture(w);
    const shown = async () => ({
      title: await w.page.textContent('h1.title'),
      subtitle: await w.page.textContent('.subtitle'),
      banner: await w.page.isHidden('.banner'),
      relevance: await w.page.isHidden('.relevance'),
    });
    const before = await shown();
    assert.deepEqual(before, {
      title: 'moby.txt',
      subtitle: `layer 0 · h · ${TOKENS.length} tokens × 8 neurons`,
      banner: true,
      relevance: true,
    });
    // Each would retitle the panel, raise the banner or show relevance if it were accepted.
    const other = { ...heatmapData(), title: 'other.txt' };
    const scores = relevanceData([' ']);
    const bad = [
      null,
      'heatmap',
      { type: 'heatmap' },
      { type: 'heatmap', data: { ...other, values: VALUES.subarray(1) } },
      { type: 'heatmap', data: { ...other, values: Array.from(VALUES) } },
      { type: 'heatmap', data: { ...other, units: 0 } },
      { type: 'heatmap', data: { ...other, range: 'log' } },
      { type: 'heatmap', data: { ...other, selectedNeuron: UNITS } },
      { type: 'heatmap', data: { ...other, firstToken: -1 } },
      { type: 'relevance', data: { ...scores, neutral: Number.NaN } },
      {
        type: 'relevance',
        data: { ...scores, features: [{ ...scores.features[0]!, scores: Float64Array.from(scores.features[0]!.scores) }] },
      },
      // Well-formed, but for a layer of 9 neurons while 8 are shown.
      { type: 'relevance', data: { ...scores, features: [{ ...scores.features[0]!, scores: new Float32Array(UNITS + 1) }] } },
      { type: 'relevance', data: { ...scores, features: [{ ...scores.features[0]!, top: [{ neuron: UNITS, score: 1 }] }] } },
      { type: 'selectNeuron', neuron: -1 },
      { type: 'error', message: 42 },
      { type: 'spectra', data: other },
    ];
    for (const m of bad) await w.send(m as never);
    await settle(w);
    assert.deepEqual(await shown(), before);
    // The same messages well-formed are drawn.
    const rendersBefore = await renders(w);
    await w.send({ type: 'heatmap', data: other });
    await rendered(w, rendersBefore);
    await w.send({ type: 'relevance', data: scores });
    await settle(w);
    assert.deepEqual(await shown(), { ...before, title: 'other.txt', relevance: false });
    await w.send({ type: 'error', message: 'The model changed.' });
    assert.equal(await w.page.textContent('.banner'), 'The model changed.');
    await w.close();
  });

  it('runs under the extension’s Content Security Policy, components styled, without violations', async () => {
    const csp = await openUnderCsp('heatmap', 'Neuron Heatmap', { width: 1000, height: 700 });
    try {
      assert.match(csp.html, /default-src 'none'; script-src 'nonce-[^']+'; style-src file:; img-src file: data:; font-src file:/);
      assert.doesNotMatch(csp.html, /unsafe-inline|unsafe-eval/);
      await csp.page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
      await csp.page.evaluate(
        (data) => window.postMessage({ type: 'heatmap', data }, '*'),
        heatmapData() as unknown as Record<string, unknown>,
      );
      await csp.page.waitForFunction(() => Number(document.body.dataset.rendered ?? 0) > 0);
      const result = await csp.page.evaluate(() => {
        const button = document.querySelector('#export-png')!;
        const inner = button.shadowRoot?.querySelector('.base') ?? button.shadowRoot?.firstElementChild;
        return {
          violations: (window as unknown as { __violations: string[] }).__violations,
          stylesheetApplied: getComputedStyle(document.body).display,
          buttonBackground: inner ? getComputedStyle(inner).backgroundColor : 'none',
          cells: document.querySelector('.cells-canvas')!.width,
        };
      });
      assert.deepEqual(csp.errors, []);
      assert.deepEqual(result.violations, []);
      assert.equal(result.stylesheetApplied, 'flex', 'media/heatmap.css loaded');
      assert.notEqual(result.buttonBackground, 'rgba(0, 0, 0, 0)', 'vscode-button styled (constructed stylesheets pass the CSP)');
      assert.ok(result.cells > 100);
    } finally {
      await csp.close();
    }
  });
});

function fmt(column: number, neuron: number): string {
  const v = VALUES[column * UNITS + neuron]!;
  return String(Number(v.toPrecision(3)));
}
