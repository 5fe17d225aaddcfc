/**
 * The editor's latencies, measured through the real engine worker and message protocol (the same
 * path as the extension): highlighting a 10,000-character file, re-highlighting the visible part
 * after a keystroke in the middle (from the causal cache), and the same text recomputed from
 * scratch. Also the largest event-loop delay the host thread saw meanwhile.
 */
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EngineClient } from '../src/extension/engineClient';
import { planDecorations } from '../src/extension/decorationPlan';
import type { LanguageModel } from '../src/engine/languageModel';
import { saveModel } from '../src/engine/modelFolder';
import type { ModelTokenizer } from '../src/engine/modelTokenizer';

export interface EditorMeasure {
  what: string;
  value: number;
  unit: string;
}

/** Characters an editor shows around the cursor: about 40 lines of 70 characters. */
const VISIBLE_CHARS = 2800;

export async function measureEditor(model: LanguageModel, tokenizer: ModelTokenizer, text: string, dir: string): Promise<EditorMeasure[]> {
  await saveModel(dir, { model, tokenizer });
  // No inherited flags: under tsx (how the bench runs) the worker would load tsx's loader first,
  // about 300 ms the extension host never pays.
  const engine = new EngineClient(path.join(__dirname, '..', 'dist', 'worker.js'), () => 'wasm', undefined, []);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const out: EditorMeasure[] = [];
  const time = async (what: string, run: () => Promise<unknown>): Promise<void> => {
    const started = performance.now();
    await run();
    out.push({ what, value: performance.now() - started, unit: 'ms' });
  };
  const highlight = async (docId: string, version: number, content: string, untilOffset?: number) => {
    const analysed = await engine.request('analyze', {
      docId,
      version,
      text: content,
      layer: 0,
      component: 'h',
      maxTokens: 200_000,
      untilOffset,
    });
    const { values } = await engine.request('neuronValues', { docId, neuron: 0 });
    // What the host does with the answer: bucket every token and group the ranges per colour.
    const buckets = Int8Array.from(values, (v) => Math.round(Math.max(-1, Math.min(1, v)) * 10));
    planDecorations(content, analysed.starts, analysed.ends, buckets, 0, analysed.computed, 10);
    return analysed;
  };
  try {
    await time('editor: start worker and load the model', () => engine.request('loadModel', { dir }));
    delay.enable();
    await time(`editor: highlight ${text.length.toLocaleString('en')} chars`, () => highlight('doc', 1, text));
    const middle = Math.floor(text.length / 2);
    const edited = text.slice(0, middle) + 'x' + text.slice(middle);
    let recomputed = 0;
    await time('editor: keystroke mid-file, visible part re-highlighted', async () => {
      const r = await highlight('doc', 2, edited, middle + VISIBLE_CHARS / 2);
      recomputed = r.computed - r.recomputedFrom;
    });
    await time('editor: keystroke mid-file, rest of the file', () => highlight('doc', 2, edited));
    // Median of three fresh documents: one run of a few hundred ms swings by 10 % with the machine.
    const fresh: number[] = [];
    for (const id of ['fresh-1', 'fresh-2', 'fresh-3']) {
      const started = performance.now();
      await highlight(id, 1, edited);
      fresh.push(performance.now() - started);
    }
    out.push({ what: 'editor: full recompute of the edited text (no cache)', value: fresh.sort((a, b) => a - b)[1]!, unit: 'ms' });
    delay.disable();
    out.push({ what: 'editor: tokens recomputed for the visible part', value: recomputed, unit: 'tokens' });
    out.push({ what: 'editor: host event loop, max delay meanwhile', value: delay.max / 1e6, unit: 'ms' });
  } finally {
    engine.dispose();
  }
  return out;
}
