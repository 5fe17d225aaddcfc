import type { ValueRange } from '../../engine/cells/recurrentCell';
import { NeuronLensError } from '../../engine/errors';
import { type LoadedModel, loadModel } from '../../engine/modelFolder';
import { compareTraces } from '../../engine/neuronComparison';
import { neuronTrace, recordActivations, resolveComponent, resolveLayer } from '../../engine/recorder';
import type { Token } from '../../engine/tokenizer';
import { colourTokens, legend, printable } from '../ansi';
import { type Values, num, required, str } from '../args';
import type { CommandContext } from '../context';
import { RECORD_INPUT_OPTIONS, readInputText } from '../recordedInput';
import { normalisedTrace } from './generate';

export const COMPARE_OPTIONS = {
  ...RECORD_INPUT_OPTIONS,
  neuron: { type: 'string' },
  with: { type: 'string' },
  'model-b': { type: 'string' },
  'layer-b': { type: 'string' },
  'component-b': { type: 'string' },
  bins: { type: 'string' },
} as const;

export const COMPARE_HELP = `neuron-lens compare --model DIR (--text STR | --file PATH) --neuron N [--with M] [--model-b DIR] [--layer L] [--component NAME] [--layer-b L] [--component-b NAME] [--bins B] [--json]
  Two neurons on the same text: neuron N against neuron M (default N) of --model-b (default --model), with the
  second's layer and component defaulting to the first's. Prints Pearson and Spearman correlation, a 2-D
  histogram of the two activations (B × B bins, default 12 here and 20 in --json) and the tokens where their
  z-scores differ most; in a terminal, the start of the text as two colour lanes. --json adds both traces and a
  seeded sample of 1,000 points for a scatter plot.`;

const SHOWN_TOKENS = 160;
const SHADES = ' .:-=+*#%@';

interface Side {
  dir: string;
  layer: number;
  component: string;
  neuron: number;
  values: Float32Array;
  range: ValueRange;
  tokens: Token[];
}

export async function compareCommand(v: Values, ctx: CommandContext): Promise<number> {
  const text = readInputText(v);
  const dirA = required(v, 'model');
  const dirB = str(v, 'model-b', dirA)!;
  const neuronA = num(v, 'neuron', undefined, { int: true, min: 0 });
  if (neuronA === undefined) throw new NeuronLensError('--neuron is required');
  const layerA = num(v, 'layer', 0, { int: true })!;
  const componentA = str(v, 'component', 'h')!;
  const b = {
    neuron: num(v, 'with', neuronA, { int: true, min: 0 })!,
    layer: num(v, 'layer-b', layerA, { int: true })!,
    component: str(v, 'component-b', componentA)!,
  };
  if (dirB === dirA && b.neuron === neuronA && b.layer === layerA && b.component === componentA) {
    throw new NeuronLensError('Both sides are the same neuron: choose another with --with, --layer-b, --component-b or --model-b');
  }
  const bins = num(v, 'bins', v.json === true ? 20 : 12, { int: true, min: 1, max: 1000 })!;

  const models = new Map<string, LoadedModel>();
  let sideA: Side;
  let sideB: Side;
  try {
    for (const dir of new Set([dirA, dirB])) models.set(dir, await loadModel(dir));
    sideA = await record(models.get(dirA)!, dirA, text, layerA, componentA, neuronA);
    sideB = await record(models.get(dirB)!, dirB, text, b.layer, b.component, b.neuron);
  } finally {
    for (const m of models.values()) m.model.dispose();
  }
  if (sideA.tokens.length !== sideB.tokens.length || sideA.tokens.some((t, i) => t.start !== sideB.tokens[i]!.start)) {
    throw new NeuronLensError(
      `${dirA} and ${dirB} split the text into different tokens (${sideA.tokens.length} and ${sideB.tokens.length}): compare models of the same token level`,
    );
  }
  const c = compareTraces(sideA.values, sideB.values, { bins });
  const describe = (s: Side) => `${s.dir === dirA && dirA === dirB ? '' : `${s.dir} `}layer ${s.layer} ${s.component} neuron ${s.neuron}`;

  if (v.json === true) {
    const side = (s: Side) => ({
      model: s.dir,
      layer: s.layer,
      component: s.component,
      neuron: s.neuron,
      values: Array.from(s.values, round),
    });
    ctx.io.out(
      JSON.stringify({
        tokens: sideA.tokens.map((t) => ({ text: t.text, start: t.start, end: t.end })),
        a: side(sideA),
        b: side(sideB),
        pearson: round(c.pearson),
        spearman: round(c.spearman),
        histogram: {
          bins,
          aRange: c.histogram.aRange.map(round),
          bRange: c.histogram.bRange.map(round),
          counts: Array.from({ length: bins }, (_, i) => Array.from(c.histogram.counts.subarray(i * bins, (i + 1) * bins))),
        },
        sample: { index: Array.from(c.sample.index), a: Array.from(c.sample.a, round), b: Array.from(c.sample.b, round) },
        disagreements: c.disagreements.map((d) => ({
          ...d,
          text: sideA.tokens[d.token]!.text,
          a: round(d.a),
          b: round(d.b),
          difference: round(d.difference),
        })),
      }),
    );
    return 0;
  }
  ctx.io.out(
    `A: ${describe(sideA)}\nB: ${describe(sideB)}\n${c.tokens} tokens; Pearson r ${c.pearson.toFixed(3)}, Spearman ρ ${c.spearman.toFixed(3)}`,
  );
  ctx.io.out(`\nB ↑ ${c.histogram.bRange[1].toPrecision(3)}  (tokens per cell: ' ' none … '@' most)`);
  // Rows from the top of B's range down, so the grid reads like a scatter plot.
  const max = Math.max(...c.histogram.counts);
  for (let j = bins - 1; j >= 0; j--) {
    let row = '';
    for (let i = 0; i < bins; i++) {
      const count = c.histogram.counts[i * bins + j]!;
      row += count === 0 ? ' ' : SHADES[Math.max(1, Math.ceil((count / max) * (SHADES.length - 1)))]!;
    }
    ctx.io.out(`    |${row}|`);
  }
  ctx.io.out(
    `B ↓ ${c.histogram.bRange[0].toPrecision(3)}   A → ${c.histogram.aRange[0].toPrecision(3)} … ${c.histogram.aRange[1].toPrecision(3)}`,
  );
  ctx.io.out('\nwhere they differ most (z-score of A − z-score of B):');
  for (const d of c.disagreements.slice(0, 5)) {
    const t = sideA.tokens[d.token]!;
    ctx.io.out(
      `  token ${String(d.token).padStart(6)} ${JSON.stringify(printable(t.text)).padEnd(10)} A ${d.a.toFixed(3).padStart(7)}  B ${d.b.toFixed(3).padStart(7)}  Δz ${d.difference.toFixed(2)}`,
    );
  }
  if (ctx.io.colour) {
    const shown = sideA.tokens.slice(0, SHOWN_TOKENS).map((t) => ({ text: t.text.replace(/\r\n|\n|\r/g, '↵') }));
    ctx.io.out(`\nA ${colourTokens(shown, normalisedTrace(sideA.values, sideA.range))}`);
    ctx.io.out(`B ${colourTokens(shown, normalisedTrace(sideB.values, sideB.range))}`);
    ctx.io.out(`\n${legend()}  (blue −, red +)`);
  }
  return 0;
}

async function record(
  loaded: LoadedModel,
  dir: string,
  text: string,
  layerChoice: number,
  componentChoice: string,
  neuron: number,
): Promise<Side> {
  const layer = resolveLayer(loaded.model, layerChoice);
  const component = resolveComponent(loaded.model, layer, componentChoice);
  const rec = await recordActivations(loaded, text, { layers: [layer], components: [component] });
  const range = loaded.model.components(layer).find((c) => c.id === component)!.range;
  return { dir, layer, component, neuron, values: neuronTrace(rec.layers[0]!, component, neuron), range, tokens: rec.tokens };
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}
