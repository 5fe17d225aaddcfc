import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ImageDreamResult, ImageInputData, ImageInvertResult } from '../../src/engine/vision/imageRequests';
import { dreamSection, inversionSection } from '../../src/extension/panels/visionSections';
import type { VisionImage, VisionModelInfo, VisionSection } from '../../src/shared/visionMessages';
import { integerZoom, pictureZoom } from '../../webview/vision/imagePixels';
import { type CspPage, closeBrowser, openUnderCsp } from './webviewHarness';

/**
 * The image-model panel in headless Chromium, loaded from the extension's own HTML shell under its
 * CSP: the images it draws (canvas pixels at the zoomed positions), the pixel value on hover, the
 * requests and exports it posts, and that malformed messages change nothing.
 */

// The functions given to page.evaluate run in Chromium; this file is type-checked without the DOM
// library, so the browser globals used are declared here as far as they are used.
interface PageElement {
  readonly dataset: Record<string, string | undefined>;
  readonly textContent: string | null;
  readonly hidden: boolean;
  readonly value: number;
  readonly width: number;
  readonly height: number;
  getBoundingClientRect(): { left: number; top: number; width: number; height: number };
  getContext(type: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}
declare const document: {
  body: PageElement;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
};
declare const window: { postMessage(message: unknown, targetOrigin: string): void; __posted: unknown[] };

const SIDE = 5;
const DIM = 0.2;
const BRIGHT = { filter: 2, x: 3, y: 1 };

const MODEL: VisionModelInfo = {
  title: 'digits-cnn',
  classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  layers: [
    { name: 'conv1', units: 4 },
    { name: 'dense1', units: 16 },
  ],
  testDigits: 10_000,
};

/** Four dim filter images; filter 2 has one full-white pixel. */
function gallery(): VisionSection {
  const images: VisionImage[] = [0, 1, 2, 3].map((f) => {
    const pixels = new Float32Array(SIDE * SIDE).fill(DIM);
    if (f === BRIGHT.filter) pixels[BRIGHT.y * SIDE + BRIGHT.x] = 1;
    return { label: `filter ${f}`, width: SIDE, height: SIDE, channels: 1, range: [0, 1], pixels };
  });
  return { id: 'gallery', title: 'Filters of conv1', note: 'L2 decay 0.001 · jitter 1 px · blur every 10 steps', images };
}

/** A 6×6 input, dark but for one bright pixel, as the engine returns it with a test digit. */
const INPUT_SIDE = 6;
const INPUT_BRIGHT = { x: 1, y: 4 };
function input(): ImageInputData {
  const pixels = new Float32Array(INPUT_SIDE * INPUT_SIDE);
  pixels[INPUT_BRIGHT.y * INPUT_SIDE + INPUT_BRIGHT.x] = 1;
  return { label: 'test digit 3', trueClass: 5, pixels, shape: [INPUT_SIDE, INPUT_SIDE, 1] };
}

/** A result image of grey 0.5 with one pixel at 0.25 at (x, y). */
function resultImage(x: number, y: number): Float32Array {
  const pixels = new Float32Array(INPUT_SIDE * INPUT_SIDE).fill(0.5);
  pixels[y * INPUT_SIDE + x] = 0.25;
  return pixels;
}

const INVERSION: ImageInvertResult = {
  input: input(),
  layer: 'conv1',
  image: resultImage(4, 2),
  initialRelativeError: 1.25,
  finalRelativeError: 0.0625,
  distance: 0.5,
  featureNorm: 8,
  steps: 300,
  settings: { steps: 300, learningRate: 0.05, l2: 1e-4, tv: 1e-3, range: [0, 1], noise: 0.1, seed: 1 },
  elapsedMs: 2_500,
  cancelled: false,
};

const DREAM: ImageDreamResult = {
  input: input(),
  layer: 'dense1',
  image: resultImage(0, 5),
  initialObjective: 2,
  finalObjective: 9.5,
  steps: 20,
  settings: { steps: 20, learningRate: 0.02, jitter: 1, range: [0, 1], seed: 1 },
  elapsedMs: 40,
  cancelled: false,
};

async function open(): Promise<CspPage> {
  const w = await openUnderCsp('vision', 'Image Model', { width: 1000, height: 800 });
  await w.page.waitForFunction(() => window.__posted.length > 0);
  return w;
}

function renders(w: CspPage): Promise<number> {
  return w.page.evaluate(() => Number(document.body.dataset.rendered ?? 0));
}

async function sendSection(w: CspPage, section: VisionSection): Promise<void> {
  const before = await renders(w);
  await w.page.evaluate(
    (s) => window.postMessage({ type: 'visionSection', section: s }, '*'),
    section as unknown as Record<string, unknown>,
  );
  await w.page.waitForFunction((n) => Number(document.body.dataset.rendered ?? 0) > n, before);
}

/** The RGB of canvas pixel (x, y) of the n-th image canvas (canvas pixels, not CSS pixels). */
function canvasPixel(w: CspPage, n: number, x: number, y: number): Promise<number[]> {
  return w.page.evaluate(
    ([n, x, y]) => Array.from(document.querySelectorAll('canvas.image')[n!]!.getContext('2d').getImageData(x!, y!, 1, 1).data.slice(0, 3)),
    [n, x, y],
  );
}

describe('vision panel', () => {
  after(() => closeBrowser());

  it('under the CSP, draws a gallery at integer zoom with the bright filter pixel white at its zoomed block', async () => {
    const w = await open();
    try {
      assert.deepEqual(await w.posted(), [{ type: 'ready' }]);
      await w.page.evaluate((m) => window.postMessage({ type: 'visionModel', model: m }, '*'), MODEL as unknown as Record<string, unknown>);
      await sendSection(w, gallery());
      const zoom = integerZoom(SIDE, SIDE, 168);
      const shown = await w.page.evaluate(() => ({
        canvases: Array.from(document.querySelectorAll('canvas.image'), (c) => [c.width, c.height, Number(c.dataset.zoom)]),
        captions: Array.from(document.querySelectorAll('figcaption'), (c) => c.textContent),
        note: document.querySelector('.note')?.textContent,
        title: document.querySelector('h1')?.textContent,
      }));
      assert.ok(zoom > 1);
      assert.deepEqual(shown.canvases, Array(4).fill([SIDE * zoom, SIDE * zoom, zoom]));
      assert.deepEqual(shown.captions, ['filter 0', 'filter 1', 'filter 2', 'filter 3']);
      assert.equal(shown.note, 'L2 decay 0.001 · jitter 1 px · blur every 10 steps');
      assert.equal(shown.title, 'digits-cnn');

      const grey = Math.round(DIM * 255);
      const [bx, by] = [BRIGHT.x * zoom, BRIGHT.y * zoom];
      // The whole zoom × zoom block is white and its neighbours stay grey: no smoothing across the edge.
      assert.deepEqual(await canvasPixel(w, BRIGHT.filter, bx, by), [255, 255, 255]);
      assert.deepEqual(await canvasPixel(w, BRIGHT.filter, bx + zoom - 1, by + zoom - 1), [255, 255, 255]);
      assert.deepEqual(await canvasPixel(w, BRIGHT.filter, bx - 1, by), [grey, grey, grey]);
      assert.deepEqual(await canvasPixel(w, BRIGHT.filter, bx + zoom, by + zoom), [grey, grey, grey]);
      // The other filters have no bright pixel there.
      assert.deepEqual(await canvasPixel(w, 1, bx, by), [grey, grey, grey]);
      assert.deepEqual(w.errors, []);
      assert.deepEqual(await w.violations(), []);
    } finally {
      await w.close();
    }
  });

  it('shows the value of the pixel under the pointer', async () => {
    const w = await open();
    try {
      await sendSection(w, gallery());
      const box = await w.page.evaluate((n) => {
        const r = document.querySelectorAll('canvas.image')[n]!.getBoundingClientRect();
        return { left: r.left, top: r.top, width: r.width };
      }, BRIGHT.filter);
      const cell = box.width / SIDE;
      await w.page.mouse.move(box.left + (BRIGHT.x + 0.5) * cell, box.top + (BRIGHT.y + 0.5) * cell);
      assert.equal(await w.page.textContent('.pixel-readout'), 'filter 2 (3, 1) = 1.000');
      await w.page.mouse.move(box.left + 0.5 * cell, box.top + 4.5 * cell);
      assert.equal(await w.page.textContent('.pixel-readout'), 'filter 2 (0, 4) = 0.2000');
    } finally {
      await w.close();
    }
  });

  it('draws RGB images in colour and replaces a section sent again with the same id', async () => {
    const w = await open();
    try {
      await sendSection(w, gallery());
      const red = new Float32Array([2, -1, -1]);
      await sendSection(w, {
        id: 'gallery',
        title: 'Filters of conv2',
        images: [{ label: 'red', width: 1, height: 1, channels: 3, range: [-1, 1], pixels: red }],
      });
      const sections = await w.page.evaluate(() => Array.from(document.querySelectorAll('section h2'), (e) => e.textContent));
      assert.deepEqual(sections, ['Filters of conv2']);
      assert.deepEqual(await canvasPixel(w, 0, 0, 0), [255, 0, 0]);
    } finally {
      await w.close();
    }
  });

  it('draws a dense layer as a strip of tall integer blocks, each unit hoverable', async () => {
    const w = await open();
    try {
      const units = new Float32Array(10).fill(-1);
      units[7] = 1;
      await sendSection(w, {
        id: 'layer-dense1',
        title: 'dense1',
        images: [{ label: 'dense1 units', width: 10, height: 1, channels: 1, range: [-1, 1], pixels: units }],
      });
      const zoom = pictureZoom(10, 1, 168);
      assert.ok(zoom.y > zoom.x / 4 && zoom.y >= 8, `strip blocks ${zoom.x}×${zoom.y}`);
      const size = await w.page.evaluate(() => {
        const c = document.querySelectorAll('canvas.image')[0]!;
        return [c.width, c.height];
      });
      assert.deepEqual(size, [10 * zoom.x, zoom.y]);
      assert.deepEqual(await canvasPixel(w, 0, 7 * zoom.x, zoom.y - 1), [255, 255, 255]);
      assert.deepEqual(await canvasPixel(w, 0, 7 * zoom.x - 1, 0), [0, 0, 0]);
      const box = await w.page.evaluate(() => {
        const r = document.querySelectorAll('canvas.image')[0]!.getBoundingClientRect();
        return { left: r.left, top: r.top, width: r.width, height: r.height };
      });
      await w.page.mouse.move(box.left + 7.5 * (box.width / 10), box.top + box.height / 2);
      assert.equal(await w.page.textContent('.pixel-readout'), 'dense1 units (7, 0) = 1.000');
    } finally {
      await w.close();
    }
  });

  it('ignores malformed messages and keeps what it shows', async () => {
    const w = await open();
    try {
      await sendSection(w, gallery());
      const before = await renders(w);
      const good = gallery().images[0]!;
      const bad: unknown[] = [
        null,
        'visionSection',
        { type: 'visionSection' },
        { type: 'visionSection', section: { id: 'x', title: 't', images: [{ ...good, pixels: new Float32Array(3) }] } },
        { type: 'visionSection', section: { id: 'x', title: 't', images: [{ ...good, pixels: Array.from(good.pixels) }] } },
        { type: 'visionSection', section: { id: 'x', title: 't', images: [{ ...good, channels: 2 }] } },
        { type: 'visionSection', section: { id: 'x"]', title: 't', images: [good] } },
        { type: 'visionModel', model: { title: 't', classes: [1, 2], layers: [], testDigits: 0 } },
        { type: 'error', message: 42 },
      ];
      for (const m of bad) await w.page.evaluate((x) => window.postMessage(x, '*'), m as Record<string, unknown>);
      await w.page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
      assert.equal(await renders(w), before);
      assert.equal(await w.page.evaluate(() => document.querySelectorAll('section').length), 1);
      assert.equal(await w.page.isVisible('.error'), false);
      assert.deepEqual(w.errors, []);
    } finally {
      await w.close();
    }
  });

  it('posts the requests of its controls and a PNG export of a section', async () => {
    const w = await open();
    try {
      await w.page.evaluate((m) => window.postMessage({ type: 'visionModel', model: m }, '*'), MODEL as unknown as Record<string, unknown>);
      await sendSection(w, gallery());
      await w.page.fill('#digit', '42');
      await w.page.locator('vscode-button', { hasText: 'Show' }).click();
      await w.page.selectOption('#layer', 'dense1');
      await w.page.locator('vscode-button', { hasText: 'Gallery' }).click();
      await w.page.selectOption('#target', '7');
      await w.page.locator('vscode-button', { hasText: 'Fool' }).click();
      await w.page.locator('vscode-button', { hasText: 'PNG' }).click();
      const posted = (await w.posted()) as unknown as Record<string, unknown>[];
      assert.deepEqual(posted.slice(1, 4), [
        { type: 'visionDigit', index: 42 },
        { type: 'visionMaximize', layer: 'dense1' },
        { type: 'visionFool', target: 7 },
      ]);
      const exported = posted[4]!;
      assert.equal(exported.type, 'export');
      assert.equal(exported.format, 'png');
      assert.equal(exported.name, 'digits-cnn Filters of conv1.png');
      assert.match(String(exported.content), /^data:image\/png;base64,/);
    } finally {
      await w.close();
    }
  });

  it('draws the inversion and DeepDream rows as original | result, each pixel at its zoomed block, with hover and PNG export', async () => {
    const w = await open();
    try {
      await w.page.evaluate((m) => window.postMessage({ type: 'visionModel', model: m }, '*'), MODEL as unknown as Record<string, unknown>);
      await sendSection(w, inversionSection(INVERSION));
      await sendSection(w, dreamSection(DREAM));
      const zoom = integerZoom(INPUT_SIDE, INPUT_SIDE, 168);
      assert.ok(zoom > 1);
      const shown = await w.page.evaluate(() => ({
        titles: Array.from(document.querySelectorAll('section h2'), (e) => e.textContent),
        notes: Array.from(document.querySelectorAll('.note'), (e) => e.textContent),
        captions: Array.from(document.querySelectorAll('figcaption'), (c) => c.textContent),
        canvases: Array.from(document.querySelectorAll('canvas.image'), (c) => [c.width, c.height]),
      }));
      assert.deepEqual(shown.titles, ['Feature inversion of conv1', 'DeepDream at dense1']);
      assert.deepEqual(shown.notes, [
        'relative error 1.25 (noise) → 0.0625 · ‖φ(x) − φ(x₀)‖ = 0.500 of ‖φ(x₀)‖ = 8.00 · 300 Adam steps, learning rate 0.05 · L2 0.0001 · TV 0.001 · noise 0.1, seed 1 · 2.5 s',
        '½‖dense1‖² 2.00 → 9.50 · 20 steps of 0.02 · jitter 1 px · seed 1 · 40 ms',
      ]);
      assert.deepEqual(shown.captions, ['test digit 3', 'reconstruction from conv1', 'test digit 3', 'dream at dense1']);
      assert.deepEqual(shown.canvases, Array(4).fill([INPUT_SIDE * zoom, INPUT_SIDE * zoom]));

      const block = async (n: number, x: number, y: number): Promise<number[][]> => [
        await canvasPixel(w, n, x * zoom, y * zoom),
        await canvasPixel(w, n, x * zoom + zoom - 1, y * zoom + zoom - 1),
      ];
      const quarter = Math.round(0.25 * 255);
      const half = Math.round(0.5 * 255);
      // The originals: white at the bright pixel's whole block, black beside it.
      for (const n of [0, 2]) {
        assert.deepEqual(await block(n, INPUT_BRIGHT.x, INPUT_BRIGHT.y), [
          [255, 255, 255],
          [255, 255, 255],
        ]);
        assert.deepEqual(await canvasPixel(w, n, (INPUT_BRIGHT.x + 1) * zoom, INPUT_BRIGHT.y * zoom), [0, 0, 0]);
      }
      // The reconstruction's dark pixel at (4, 2) and the dream's at (0, 5), on the 0…1 range.
      assert.deepEqual(await block(1, 4, 2), [
        [quarter, quarter, quarter],
        [quarter, quarter, quarter],
      ]);
      assert.deepEqual(await canvasPixel(w, 1, 4 * zoom - 1, 2 * zoom), [half, half, half]);
      assert.deepEqual(await block(3, 0, 5), [
        [quarter, quarter, quarter],
        [quarter, quarter, quarter],
      ]);
      assert.deepEqual(await canvasPixel(w, 3, zoom, 5 * zoom), [half, half, half]);

      const box = await w.page.evaluate(() => {
        const r = document.querySelectorAll('canvas.image')[1]!.getBoundingClientRect();
        return { left: r.left, top: r.top, width: r.width };
      });
      const cell = box.width / INPUT_SIDE;
      await w.page.mouse.move(box.left + 4.5 * cell, box.top + 2.5 * cell);
      assert.equal(await w.page.textContent('.pixel-readout'), 'reconstruction from conv1 (4, 2) = 0.2500');

      await w.page.locator('section[data-id="dream"] vscode-button', { hasText: 'PNG' }).click();
      const exported = ((await w.posted()) as unknown as Record<string, unknown>[]).at(-1)!;
      assert.equal(exported.type, 'export');
      assert.equal(exported.name, 'digits-cnn DeepDream at dense1.png');
      assert.match(String(exported.content), /^data:image\/png;base64,/);
      assert.deepEqual(w.errors, []);
      assert.deepEqual(await w.violations(), []);
    } finally {
      await w.close();
    }
  });

  it('posts inversion and DeepDream requests for the chosen layers, and shows their progress with Cancel', async () => {
    const w = await open();
    try {
      await w.page.evaluate((m) => window.postMessage({ type: 'visionModel', model: m }, '*'), MODEL as unknown as Record<string, unknown>);
      await w.page.selectOption('#invert-layer', 'dense1');
      await w.page.locator('vscode-button', { hasText: 'Invert' }).click();
      await w.page.selectOption('#dream-layer', 'conv1');
      await w.page.locator('vscode-button', { hasText: 'Dream' }).click();
      const posted = (await w.posted()) as unknown as Record<string, unknown>[];
      assert.deepEqual(posted.slice(1), [
        { type: 'visionInvert', layer: 'dense1' },
        { type: 'visionDream', layer: 'conv1' },
      ]);

      await w.page.evaluate(() =>
        window.postMessage({ type: 'visionBusy', message: 'Inverting dense1: step 120 of 300…', fraction: 0.4 }, '*'),
      );
      await w.page.waitForFunction(() => !document.querySelector('.busy')!.hidden);
      const busy = await w.page.evaluate(() => ({
        text: document.querySelector('.busy')!.textContent,
        bar: document.querySelector('.busy progress')!.hidden,
        value: document.querySelector('.busy progress')!.value,
      }));
      assert.deepEqual(busy, { text: 'Inverting dense1: step 120 of 300… ', bar: false, value: 0.4 });
      await w.page.locator('vscode-button', { hasText: 'Cancel' }).click();
      assert.deepEqual(((await w.posted()) as unknown as Record<string, unknown>[]).at(-1), { type: 'visionCancel' });
      // A job without a fraction (running the model) hides the bar; the end of the job hides the line.
      await w.page.evaluate(() => window.postMessage({ type: 'visionBusy', message: 'Running the model…' }, '*'));
      await w.page.waitForFunction(() => document.querySelector('.busy progress')!.hidden);
      await w.page.evaluate(() => window.postMessage({ type: 'visionBusy', message: null }, '*'));
      await w.page.waitForFunction(() => document.querySelector('.busy')!.hidden);
      assert.equal(await w.page.isVisible('vscode-button:has-text("Cancel")'), false);
      assert.deepEqual(w.errors, []);
    } finally {
      await w.close();
    }
  });
});
