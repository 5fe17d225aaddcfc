import { NeuronLensError } from '../../engine/errors';
import {
  INTERVENTION_MODES,
  type Intervention,
  type InterventionMode,
  classEffect,
  generationEffect,
  lossEffect,
  nextTokenEffect,
  unitMeans,
} from '../../engine/intervention';
import { loadModel } from '../../engine/modelFolder';
import { recordActivations, resolveComponent, resolveLayer } from '../../engine/recorder';
import { parseFeature } from '../../shared/featureOfInterest';
import { type Values, list, num, oneOf, required, str } from '../args';
import type { CommandContext } from '../context';
import { readInputText } from '../recordedInput';

export const INTERVENE_OPTIONS = {
  model: { type: 'string' },
  text: { type: 'string' },
  file: { type: 'string' },
  layer: { type: 'string' },
  component: { type: 'string' },
  units: { type: 'string', multiple: true },
  mode: { type: 'string' },
  value: { type: 'string' },
  where: { type: 'string' },
  feature: { type: 'string' },
  at: { type: 'string' },
  top: { type: 'string' },
  generate: { type: 'string' },
  prime: { type: 'string' },
  temperature: { type: 'string' },
  seed: { type: 'string' },
} as const;

export const INTERVENE_HELP = `neuron-lens intervene --model DIR (--text STR | --file PATH) --units U[,U...] [--layer L] [--component h|c] [--mode zero|mean|clamp] [--value V] [--where all|feature --feature F] [--at OFFSET] [--top K] [--generate N] [--prime STR] [--temperature T] [--seed S] [--json]
  Ablates or clamps units of a layer's state while the model reads the text and shows the effect.
  Language model: the loss in bits per token and per character without and with the intervention and the
  predictions that changed most; the top K next tokens after character OFFSET (default: the end of the
  text) before and after; N tokens generated from the same seed without and with it (0 skips; default 200).
  Classifier: its class probabilities before and after.
  zero sets the units to 0; mean to their mean over the text (without intervention); clamp to --value.
  --where feature applies it only right after tokens matching --feature (" ", ".", /regex/).
  Only state can be held (h; c for an LSTM): gates are recomputed every step. The model on disk is never changed.`;

function parseUnits(v: Values): number[] {
  const raw = list(v, 'units').flatMap((s) => s.split(','));
  if (raw.length === 0) throw new NeuronLensError('--units is required: the unit indices to intervene on, e.g. --units 3,17');
  return raw.map((s) => {
    const n = Number(s.trim());
    if (s.trim() === '' || !Number.isInteger(n) || n < 0)
      throw new NeuronLensError(`--units must be unit indices (integers ≥ 0), not "${s}"`);
    return n;
  });
}

export async function interveneCommand(v: Values, ctx: CommandContext): Promise<number> {
  const dir = required(v, 'model');
  const text = readInputText(v);
  const units = parseUnits(v);
  const mode = oneOf<InterventionMode>(v, 'mode', INTERVENTION_MODES, 'zero');
  const value = num(v, 'value');
  if (mode === 'clamp' && value === undefined) throw new NeuronLensError('--mode clamp needs --value');
  if (mode !== 'clamp' && value !== undefined) throw new NeuronLensError('--value only goes with --mode clamp');
  const whereChoice = oneOf(v, 'where', ['all', 'feature'] as const, str(v, 'feature') === undefined ? 'all' : 'feature');
  const featureSpec = str(v, 'feature');
  if (whereChoice === 'feature' && featureSpec === undefined) throw new NeuronLensError('--where feature needs --feature F');
  const length = num(v, 'generate', 200, { int: true, min: 0, max: 100_000 })!;
  const loaded = await loadModel(dir);
  try {
    const layer = resolveLayer(loaded.model, num(v, 'layer', 0, { int: true })!);
    const component = resolveComponent(loaded.model, layer, str(v, 'component', 'h')!);
    if (component !== 'h' && component !== 'c') {
      throw new NeuronLensError(
        `Only a state component can be held (h, or c for an LSTM), not "${component}": gates are recomputed from the state at every step`,
      );
    }
    let means: Float64Array | undefined;
    if (mode === 'mean') {
      const rec = await recordActivations(loaded, text, { layers: [layer], components: [component] });
      const recorded = rec.layers[0]!;
      for (const u of units) {
        if (u >= recorded.units)
          throw new NeuronLensError(`Unit ${u} does not exist (layer ${layer} has ${recorded.units}: 0–${recorded.units - 1})`);
      }
      means = unitMeans(recorded.components[component]!, recorded.units, units);
    }
    const intervention: Intervention = {
      layer,
      component,
      units,
      mode,
      value,
      means,
      where: whereChoice === 'all' ? 'all' : { feature: parseFeature(featureSpec!) },
    };
    const described = describe(intervention, featureSpec);
    if (loaded.model.architecture.task === 'classifier') {
      const effect = classEffect(loaded, text, [intervention]);
      if (v.json === true) {
        ctx.io.out(
          JSON.stringify({
            intervention: {
              layer,
              component,
              units,
              mode,
              ...(value !== undefined && { value }),
              ...(means && { means: Array.from(means, round) }),
            },
            where: whereChoice === 'all' ? 'all' : { feature: featureSpec },
            classes: effect.classes.map((name, c) => ({ class: name, before: round(effect.before[c]!), after: round(effect.after[c]!) })),
            tokens: effect.tokens,
          }),
        );
        return 0;
      }
      ctx.io.out(`${described}; the model's weights are untouched`);
      ctx.io.out(`Class probabilities over the first ${effect.tokens} tokens, before → after:`);
      const width = Math.max(...effect.classes.map((c) => c.length));
      effect.classes.forEach((name, c) => {
        const d = effect.after[c]! - effect.before[c]!;
        ctx.io.out(
          `  ${name.padEnd(width)}  ${effect.before[c]!.toFixed(4)} → ${effect.after[c]!.toFixed(4)} (${d >= 0 ? '+' : ''}${d.toFixed(4)})`,
        );
      });
      return 0;
    }
    const top = num(v, 'top', 5, { int: true, min: 1 })!;
    const loss = lossEffect(loaded, text, [intervention], { top });
    const next = nextTokenEffect(loaded, text, [intervention], { offset: num(v, 'at', text.length, { int: true, min: 0 }), k: top });
    const seed = num(v, 'seed', 1, { int: true })!;
    const temperature = num(v, 'temperature', 0.8, { min: 0 })!;
    const generation =
      length > 0 ? generationEffect(loaded, [intervention], { prime: str(v, 'prime', ''), length, temperature, seed }) : undefined;
    if (v.json === true) {
      ctx.io.out(
        JSON.stringify({
          intervention: {
            layer,
            component,
            units,
            mode,
            ...(value !== undefined && { value }),
            ...(means && { means: Array.from(means, round) }),
          },
          where: whereChoice === 'all' ? 'all' : { feature: featureSpec },
          loss: {
            predicted: loss.predicted,
            baselineBitsPerToken: round(loss.baselineBits),
            intervenedBitsPerToken: round(loss.intervenedBits),
            deltaBitsPerToken: round(loss.intervenedBits - loss.baselineBits),
            baselineBitsPerChar: round(loss.baselineBitsPerChar),
            intervenedBitsPerChar: round(loss.intervenedBitsPerChar),
            changed: loss.changed,
            largest: loss.largest.map((c) => ({ ...c, baselineBits: round(c.baselineBits), intervenedBits: round(c.intervenedBits) })),
          },
          nextToken: {
            position: next.position,
            context: next.context,
            before: next.before.map((t) => ({ token: t.token, probability: round(t.probability) })),
            after: next.after.map((t) => ({ token: t.token, probability: round(t.probability) })),
            klBits: round(next.klBits),
          },
          ...(generation && { generation: { seed, temperature, ...generation } }),
        }),
      );
      return 0;
    }
    ctx.io.out(`${described}; the model's weights are untouched`);
    const delta = loss.intervenedBits - loss.baselineBits;
    ctx.io.out(
      `Loss over ${loss.predicted} predicted tokens: ${loss.baselineBits.toFixed(4)} → ${loss.intervenedBits.toFixed(4)} bits/token ` +
        `(${delta >= 0 ? '+' : ''}${delta.toFixed(4)}), ${loss.baselineBitsPerChar.toFixed(4)} → ${loss.intervenedBitsPerChar.toFixed(4)} bits/char; ` +
        `${loss.changed} predictions changed`,
    );
    for (const c of loss.largest) {
      ctx.io.out(
        `  token ${String(c.position).padStart(6)} ${JSON.stringify(c.token).padEnd(8)} ${c.baselineBits.toFixed(3)} → ${c.intervenedBits.toFixed(3)} bits`,
      );
    }
    ctx.io.out(
      `Next token after ${JSON.stringify(next.context)} (token ${next.position}); KL(before ‖ after) ${next.klBits.toFixed(4)} bits`,
    );
    const width = Math.max(...next.before.map((t) => JSON.stringify(t.token).length + 9));
    ctx.io.out(`  ${'before'.padEnd(width)}  after`);
    next.before.forEach((b, i) => {
      const a = next.after[i]!;
      ctx.io.out(
        `  ${`${JSON.stringify(b.token)} ${b.probability.toFixed(4)}`.padEnd(width)}  ${JSON.stringify(a.token)} ${a.probability.toFixed(4)}`,
      );
    });
    if (generation) {
      ctx.io.out(
        `Generated from seed ${seed}, temperature ${temperature}${generation.prime ? `, prime ${JSON.stringify(generation.prime)}` : ''}:`,
      );
      ctx.io.out(`  without: ${JSON.stringify(generation.baseline)}`);
      ctx.io.out(`  with:    ${JSON.stringify(generation.intervened)}`);
      ctx.io.out(generation.firstDifference < 0 ? '  identical' : `  first difference at sampled token ${generation.firstDifference}`);
    }
    return 0;
  } finally {
    loaded.model.dispose();
  }
}

function describe(iv: Intervention, feature: string | undefined): string {
  const what = iv.mode === 'zero' ? 'set to 0' : iv.mode === 'clamp' ? `clamped at ${iv.value}` : 'set to their mean over the text';
  const where = iv.where === 'all' ? 'at every token' : `after every ${JSON.stringify(feature)} token`;
  return `Layer ${iv.layer} ${iv.component} unit${iv.units.length > 1 ? 's' : ''} ${iv.units.join(', ')} ${what} ${where}`;
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}
