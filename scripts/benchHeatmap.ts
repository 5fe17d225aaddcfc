/**
 * Heatmap panel rendering for `npm run bench`: the time from the data message to the painted
 * frame for 10,000 tokens × 256 and × 1,024 neurons, in headless Chromium (the page the browser
 * tests load). Skipped with a notice when Chromium is not installed.
 */
import * as fs from 'node:fs';
import { closeBrowser, openWebview } from '../test/browser/webviewHarness';

export interface HeatmapMeasure {
  what: string;
  ms: number;
}

const CHROMIUM = '/usr/bin/chromium';
const TOKENS = 10_000;

/**
 * Posts a heatmap of `units` neurons and resolves with the ms until the frame after it was drawn.
 * A string, so this file needs no DOM typings (it runs in the page).
 */
function paintScript(tokens: number, units: number): string {
  return `(async () => {
    const values = new Float32Array(${tokens} * ${units});
    for (let i = 0; i < values.length; i++) values[i] = Math.sin(i * 0.001) * Math.cos(i * 0.37);
    const texts = Array.from({ length: ${tokens} }, (_, i) => 'the whale, '[i % 11]);
    const before = Number(document.body.dataset.rendered || 0);
    const start = performance.now();
    const data = { title: 'bench', layer: 0, component: 'h', range: 'signed', robustScale: 1, tokens: texts, firstToken: 0, units: ${units}, values };
    window.postMessage({ type: 'heatmap', data }, '*');
    await new Promise((resolve) => {
      const check = () => (Number(document.body.dataset.rendered || 0) > before ? resolve() : requestAnimationFrame(check));
      check();
    });
    await new Promise((r) => requestAnimationFrame(() => r()));
    return performance.now() - start;
  })()`;
}

export async function measureHeatmap(repeats: number): Promise<HeatmapMeasure[]> {
  if (!fs.existsSync(CHROMIUM)) {
    console.log(`heatmap rendering skipped: ${CHROMIUM} not found (apt-get install chromium)`);
    return [];
  }
  const w = await openWebview('heatmap', { viewport: { width: 1400, height: 900 } });
  const out: HeatmapMeasure[] = [];
  try {
    for (const units of [256, 1024]) {
      const times: number[] = [];
      for (let k = 0; k < repeats; k++) {
        times.push((await w.page.evaluate(paintScript(TOKENS, units))) as number);
      }
      times.sort((a, b) => a - b);
      out.push({
        what: `heatmap panel: ${TOKENS.toLocaleString('en')} tokens × ${units} neurons, data → painted (median of ${repeats})`,
        ms: times[Math.floor((repeats - 1) / 2)]!,
      });
    }
  } finally {
    await w.close();
    await closeBrowser();
  }
  return out;
}
