import { NeuronLensError } from '../../engine/errors';
import { loadModel } from '../../engine/modelFolder';
import { IG_BASELINES, type IgBaseline, integratedGradients } from '../../engine/optimization/integratedGradients';
import { gradientSaliency } from '../../engine/optimization/saliency';
import { colourTokens, printable } from '../ansi';
import { type Values, num, oneOf, required, str } from '../args';
import type { CommandContext } from '../context';
import { readInputText } from '../recordedInput';
import { TARGET_HELP, TARGET_OPTIONS, targetFromFlags } from './maximize';

export const SALIENCY_METHODS = ['grad', 'grad-x-input', 'ig'] as const;
export type SaliencyMethod = (typeof SALIENCY_METHODS)[number];

export const SALIENCY_OPTIONS = {
  ...TARGET_OPTIONS,
  text: { type: 'string' },
  file: { type: 'string' },
  method: { type: 'string' },
  steps: { type: 'string' },
  baseline: { type: 'string' },
} as const;

export const SALIENCY_HELP = `neuron-lens saliency --model DIR (--text STR | --file PATH) (--neuron N | --logit TOKEN) [--method grad|grad-x-input|ig]
                     [--steps N] [--baseline zero|uniform] [--json]
  One score per token for how much it drives the target, printed as the text coloured by score.
  grad: L2 norm of the gradient of the raw target with respect to the token's input (one-hot row or embedding);
  grad-x-input: gradient · input; ig: integrated gradients from a baseline over N steps (default 32, trapezoid
  rule). Baselines: uniform (default for one-hot models: an average token) or zero (default for embedding models).
${TARGET_HELP}`;

export async function saliencyCommand(v: Values, ctx: CommandContext): Promise<number> {
  const dir = required(v, 'model');
  const text = readInputText(v);
  const method = oneOf<SaliencyMethod>(v, 'method', SALIENCY_METHODS, 'grad-x-input');
  const loaded = await loadModel(dir);
  try {
    const target = targetFromFlags(v, loaded.model, loaded.tokenizer);
    const { tokens, ids } = loaded.tokenizer.encode(text);
    if (ids.length === 0) throw new NeuronLensError('The text has no tokens: there is nothing to explain');
    let scores: Float32Array;
    let summary: Record<string, unknown>;
    if (method === 'ig') {
      const baseline = str(v, 'baseline') === undefined ? undefined : oneOf<IgBaseline>(v, 'baseline', IG_BASELINES, 'zero');
      const ig = integratedGradients(loaded.model, target, ids, {
        steps: num(v, 'steps', 32, { int: true, min: 1, max: 10_000 }),
        baseline,
      });
      scores = ig.attributions;
      summary = {
        targetValue: ig.targetValue,
        baseline: ig.baseline,
        baselineValue: ig.baselineValue,
        steps: ig.steps,
        completenessGap: ig.completenessGap,
      };
    } else {
      const s = gradientSaliency(loaded.model, target, ids);
      scores = method === 'grad' ? s.gradientNorm : s.gradientTimesInput;
      summary = { targetValue: s.targetValue, inputSpace: s.space };
    }
    if (v.json === true) {
      ctx.io.out(
        JSON.stringify({
          target: target.label,
          method,
          ...summary,
          tokens: tokens.map((t, i) => ({ text: t.text, start: t.start, end: t.end, score: scores[i] })),
          backend: ctx.backend,
        }),
      );
      return 0;
    }
    const gap = typeof summary.completenessGap === 'number' ? `, completeness gap ${summary.completenessGap.toExponential(2)}` : '';
    ctx.io.out(`${target.label} = ${(summary.targetValue as number).toFixed(4)}; ${method}, ${tokens.length} tokens${gap}`);
    const scale = scores.reduce((m, x) => Math.max(m, Math.abs(x)), 1e-12);
    if (ctx.io.colour) {
      ctx.io.out(
        colourTokens(
          tokens,
          Array.from(scores, (x) => x / scale),
        ),
      );
    } else {
      for (let t = 0; t < tokens.length; t++)
        ctx.io.out(`${JSON.stringify(printable(tokens[t]!.text)).padEnd(10)} ${scores[t]!.toFixed(5).padStart(10)}`);
    }
    return 0;
  } finally {
    loaded.model.dispose();
  }
}
