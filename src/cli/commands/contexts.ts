import { DEFAULT_CORPUS } from '../../engine/corpus';
import { loadModel } from '../../engine/modelFolder';
import { type TopContext, corpusDocuments, topContexts } from '../../engine/topContexts';
import { type Values, num, required, str } from '../args';
import { colourTokens, printable } from '../ansi';
import type { CommandContext } from '../context';
import { normalisedTrace } from './generate';

export const CONTEXTS_OPTIONS = {
  model: { type: 'string' },
  neuron: { type: 'string' },
  layer: { type: 'string' },
  component: { type: 'string' },
  corpus: { type: 'string' },
  top: { type: 'string' },
  window: { type: 'string' },
} as const;

export const CONTEXTS_HELP = `neuron-lens contexts --model DIR --neuron N [--layer L] [--component NAME] [--corpus FILE|DIR|moby-dick] [--top K] [--window W] [--json]
  The K places of a corpus (default ${DEFAULT_CORPUS}; a folder means every file in it) where one neuron is most
  and least active, each with W characters of context either side (defaults: K 10, W 40). Results never overlap.
  --json prints {"layer","component","neuron","tokens","files","skipped","most":[...],"least":[...]}, each
  context {"value","file","tokenIndex","start","end","token","snippet","snippetStart","markStart","markEnd",
  "snippetTokens"}; snippetTokens are the snippet's tokens [{"start","end","value"}] (offsets inside the snippet).`;

export async function contextsCommand(v: Values, ctx: CommandContext): Promise<number> {
  const dir = required(v, 'model');
  const neuron = num(v, 'neuron', undefined, { int: true, min: 0 });
  if (neuron === undefined) required(v, 'neuron', 'which neuron of the layer');
  const k = num(v, 'top', 10, { int: true, min: 1, max: 1000 })!;
  const window = num(v, 'window', 40, { int: true, min: 0, max: 10_000 })!;
  const documents = corpusDocuments(str(v, 'corpus', DEFAULT_CORPUS)!);
  const loaded = await loadModel(dir);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    let shown = -1;
    const r = await topContexts(loaded, documents, {
      layer: num(v, 'layer', 0, { int: true })!,
      component: str(v, 'component', 'h')!,
      neuron: neuron!,
      k,
      window,
      signal: controller.signal,
      onProgress: (p) => {
        if (v.json === true) return;
        const tenth = Math.floor(10 * p.fraction);
        if (tenth > shown) {
          shown = tenth;
          ctx.io.err(`${10 * tenth}%  ${p.file}  ${p.tokensDone} tokens`);
        }
      },
    });
    for (const s of r.skipped) ctx.io.err(`skipped ${s.file}: ${s.reason}`);
    if (v.json === true) {
      const round = (c: TopContext) => ({ ...c, value: Number(c.value.toPrecision(7)) });
      ctx.io.out(
        JSON.stringify({
          layer: r.layer,
          component: r.component,
          neuron: r.neuron,
          tokens: r.tokens,
          files: r.files,
          skipped: r.skipped,
          most: r.most.map(round),
          least: r.least.map(round),
        }),
      );
      return 0;
    }
    const info = loaded.model.components(r.layer).find((c) => c.id === r.component)!;
    const shownValues = Float32Array.from([...r.most, ...r.least].map((c) => c.value));
    const normalised = normalisedTrace(shownValues, info.range);
    const line = (c: TopContext, i: number): string => {
      const flat = (s: string) => printable(s.replace(/\r\n|\n|\r/g, '⏎').replace(/\t/g, ' '));
      const before = flat(c.snippet.slice(0, c.markStart));
      const token = flat(c.token);
      const after = flat(c.snippet.slice(c.markEnd));
      const marked = ctx.io.colour ? colourTokens([{ text: token }], [normalised[i]!]) : `⟪${token}⟫`;
      return `${c.value.toFixed(4).padStart(9)}  ${before.padStart(window)}${marked}${after}   ${c.file}:${c.tokenIndex}`;
    };
    ctx.io.out(
      `layer ${r.layer} ${info.label} neuron ${r.neuron} over ${r.tokens} tokens of ${r.files.length} file${r.files.length === 1 ? '' : 's'}`,
    );
    ctx.io.out(`most active:`);
    r.most.forEach((c, i) => ctx.io.out(line(c, i)));
    ctx.io.out(`least active:`);
    r.least.forEach((c, i) => ctx.io.out(line(c, r.most.length + i)));
    return 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
    loaded.model.dispose();
  }
}
