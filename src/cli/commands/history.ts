import { NeuronLensError } from '../../engine/errors';
import { DEFAULT_EMERGENCE_THRESHOLD, type NeuronHistory, neuronHistory } from '../../engine/neuronHistory';
import { colourTokens, legend, printable } from '../ansi';
import { type Values, list, num, required, str } from '../args';
import type { CommandContext } from '../context';
import { RECORD_INPUT_OPTIONS, readInputText } from '../recordedInput';
import { normalisedTrace } from './generate';

export const HISTORY_OPTIONS = {
  ...RECORD_INPUT_OPTIONS,
  neuron: { type: 'string' },
  feature: { type: 'string', multiple: true },
  threshold: { type: 'string' },
} as const;

export const HISTORY_HELP = `neuron-lens history --model DIR (--text STR | --file PATH) --neuron N [--layer L] [--component NAME] [--feature F]... [--threshold T] [--json]
  One neuron across training: its activation on the text at every snapshot that training kept in DIR/snapshots
  (see train --snapshot-every) and at the model's final weights. Prints a table of step × (validation bits, mean,
  std, Cohen's d per feature of interest) and, per feature, the step from which |d| stays above T (default
  ${DEFAULT_EMERGENCE_THRESHOLD}): when the neuron's relevance emerged. In a terminal, the start of the text coloured once per
  snapshot, on one colour scale for all rows. --json adds each row's full trace.`;

const SHOWN_TOKENS = 100;

export async function historyCommand(v: Values, ctx: CommandContext): Promise<number> {
  const dir = required(v, 'model');
  const text = readInputText(v);
  const neuron = num(v, 'neuron', undefined, { int: true, min: 0 });
  if (neuron === undefined) throw new NeuronLensError('--neuron is required');
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  let h: NeuronHistory;
  try {
    h = await neuronHistory(dir, {
      text,
      neuron,
      layer: num(v, 'layer', 0, { int: true })!,
      component: str(v, 'component', 'h')!,
      features: list(v, 'feature'),
      threshold: num(v, 'threshold', DEFAULT_EMERGENCE_THRESHOLD, { min: 0 }),
      signal: controller.signal,
      onProgress: ctx.verbose ? (done, total) => ctx.io.err(`weights ${done}/${total}`) : undefined,
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
  }

  if (v.json === true) {
    ctx.io.out(
      JSON.stringify({
        model: dir,
        layer: h.layer,
        component: h.component,
        neuron: h.neuron,
        threshold: h.threshold,
        features: h.features,
        tokens: h.tokens.map((t) => ({ text: t.text, start: t.start, end: t.end })),
        rows: h.rows.map((r) => ({
          step: r.step,
          source: r.source,
          validationBits: r.validationBits,
          mean: r.mean,
          std: r.std,
          d: Object.fromEntries(h.features.map((f, j) => [f.feature, r.d[j]])),
          trace: Array.from(r.trace, (x) => Number(x.toPrecision(7))),
        })),
      }),
    );
    return 0;
  }

  const snapshots = h.rows.filter((r) => r.source === 'snapshot').length;
  ctx.io.out(
    `layer ${h.layer} ${h.component} neuron ${h.neuron}: ${snapshots} snapshot${snapshots === 1 ? '' : 's'}` +
      `${h.rows.some((r) => r.source === 'model') ? ' + the final model' : ''}, ${h.tokens.length} tokens`,
  );
  if (snapshots === 0) ctx.io.out(`(${dir} has no snapshots: train with --snapshot-every N to keep some)`);
  const featureNames = h.features.map((f) => printable(JSON.stringify(f.feature)));
  const width = Math.max(8, ...featureNames.map((n) => n.length + 2));
  ctx.io.out(
    [
      'step'.padStart(8),
      'val bits'.padStart(9),
      'mean'.padStart(8),
      'std'.padStart(8),
      ...featureNames.map((n) => `d ${n}`.padStart(width)),
    ].join(' '),
  );
  for (const r of h.rows) {
    ctx.io.out(
      [
        `${r.step}${r.source === 'model' ? '*' : ''}`.padStart(8),
        (r.validationBits === undefined ? '-' : r.validationBits.toFixed(3)).padStart(9),
        r.mean.toFixed(3).padStart(8),
        r.std.toFixed(3).padStart(8),
        ...r.d.map((d) => d.toFixed(2).padStart(width)),
      ].join(' '),
    );
  }
  if (h.rows.some((r) => r.source === 'model')) ctx.io.out("* the model folder's own weights");
  h.features.forEach((f, j) => {
    const when =
      f.matches === 0 || f.matches === h.tokens.length
        ? `not measurable (${f.matches} of ${h.tokens.length} tokens match)`
        : f.emergedAt === null
          ? `not emerged (|d| is not above ${h.threshold} at the end)`
          : `emerged at step ${f.emergedAt} (|d| > ${h.threshold} from then on)`;
    ctx.io.out(`${featureNames[j]}: ${when}`);
  });

  if (ctx.io.colour && h.rows.length > 0) {
    const shown = h.tokens.slice(0, SHOWN_TOKENS);
    // One scale for all rows, so a neuron that grows stronger over training looks stronger.
    const all = new Float32Array(h.rows.length * shown.length);
    h.rows.forEach((r, i) => all.set(r.trace.subarray(0, shown.length), i * shown.length));
    const normalised = normalisedTrace(all, h.range);
    ctx.io.out(`\n${legend()}  -1 … 1`);
    h.rows.forEach((r, i) => {
      const line = colourTokens(shown, normalised.subarray(i * shown.length, (i + 1) * shown.length)).replace(/\n/g, '↵');
      ctx.io.out(`${String(r.step).padStart(8)} ${line}`);
    });
  }
  return 0;
}
