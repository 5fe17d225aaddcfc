import { NeuronLensError } from '../../engine/errors';
import { DEFAULT_EXPERIMENT, type Experiment, readExperiment } from '../../engine/experiment';
import { type SignificanceRequest, featureRelevance } from '../../engine/featureRelevance';
import { MAX_PERMUTATIONS } from '../../engine/significance';
import {
  DEFAULT_FDR,
  DEFAULT_PERMUTATIONS,
  NULL_MODELS,
  RELEVANCE_STATISTICS,
  type RelevanceStatistic,
} from '../../shared/relevanceStatistics';
import { type Values, list, num, oneOf, str } from '../args';
import type { CommandContext } from '../context';
import { RECORD_INPUT_OPTIONS, withRecordedComponent } from '../recordedInput';

export const RELEVANCE_OPTIONS = {
  ...RECORD_INPUT_OPTIONS,
  experiment: { type: 'string' },
  feature: { type: 'string', multiple: true },
  statistic: { type: 'string' },
  top: { type: 'string' },
  permutations: { type: 'string' },
  fdr: { type: 'string' },
  null: { type: 'string' },
  seed: { type: 'string' },
} as const;

export const RELEVANCE_HELP = `neuron-lens relevance --model DIR (--text STR | --file PATH) [--experiment FILE] [--feature F]... [--statistic cohen-d|auroc|reference] [--top K] [--layer L] [--component NAME] [--permutations N] [--fdr Q] [--null shuffle|circular-shift] [--seed S] [--json]
  Scores every neuron for each feature of interest (exact token text, or /regex/ matched against whole tokens)
  and proposes the top K neurons per feature. Flags override the experiment file's choices.
  cohen-d: standardized mean difference (default); auroc: probability a feature token outranks another;
  reference: the Visualization-of-RNNs relevance (spike prominence + level difference, best neuron = 1).
  Significance (asked for by any of --permutations, --fdr, --null): a two-sided permutation p-value per neuron
  from N seeded random feature masks (default ${DEFAULT_PERMUTATIONS}; 0 = off), Benjamini–Hochberg q-values across
  neurons per feature, and "significant" where q ≤ Q (default ${DEFAULT_FDR}). --null shuffle (default) draws random
  positions and assumes exchangeable tokens, so it is too optimistic for slowly varying neurons;
  circular-shift rotates the feature mask instead, keeping the activations' autocorrelation.`;

/** The permutation test the flags ask for, or undefined. */
export function significanceFromFlags(v: Values): SignificanceRequest | undefined {
  if (v.permutations === undefined && v.fdr === undefined && v.null === undefined) return undefined;
  const permutations = num(v, 'permutations', DEFAULT_PERMUTATIONS, { int: true, min: 0, max: MAX_PERMUTATIONS })!;
  const fdr = num(v, 'fdr', DEFAULT_FDR)!;
  if (!(fdr > 0 && fdr < 1)) throw new NeuronLensError(`--fdr must be between 0 and 1 (exclusive), not ${fdr}`);
  return {
    permutations,
    fdr,
    nullModel: oneOf(v, 'null', NULL_MODELS, 'shuffle'),
    seed: num(v, 'seed', 1, { int: true }),
  };
}

/** The experiment file's choices (or the defaults), with the command's flags on top. */
export function experimentFromFlags(v: Values): Experiment {
  const file = str(v, 'experiment');
  const base = file ? readExperiment(file) : DEFAULT_EXPERIMENT;
  const features = list(v, 'feature');
  return {
    ...base,
    layer: num(v, 'layer', base.layer, { int: true, min: 0 })!,
    component: str(v, 'component', base.component)!,
    features: features.length ? features : base.features,
    statistic: oneOf(v, 'statistic', Object.keys(RELEVANCE_STATISTICS) as RelevanceStatistic[], base.statistic),
    topK: num(v, 'top', base.topK, { int: true, min: 1 })!,
  };
}

export async function relevanceCommand(v: Values, ctx: CommandContext): Promise<number> {
  const experiment = experimentFromFlags(v);
  if (experiment.features.length === 0) throw new NeuronLensError('Name at least one feature of interest with --feature');
  const test = significanceFromFlags(v);
  return withRecordedComponent(v, experiment, (r) => {
    const table = featureRelevance(
      r.values,
      r.units,
      r.tokens.map((t) => t.text),
      experiment.features,
      experiment.statistic,
      experiment.topK,
      test,
    );
    const tested = table.significance;
    if (v.json === true) {
      ctx.io.out(
        JSON.stringify({
          tokens: r.tokens.length,
          layer: r.layer,
          component: r.component,
          neurons: r.units,
          statistic: table.statistic,
          neutral: table.neutral,
          ...(tested && { significance: tested }),
          features: table.features.map((f) => ({
            feature: f.feature,
            matches: f.matches,
            top: f.top.map((t) => ({
              neuron: t.neuron,
              score: round(t.score),
              ...(f.pValues && {
                p: round(f.pValues[t.neuron]!),
                q: round(f.qValues![t.neuron]!),
                significant: f.significant![t.neuron] === 1,
              }),
            })),
            scores: Array.from(f.scores, round),
            ...(f.pValues && {
              p: Array.from(f.pValues, round),
              q: Array.from(f.qValues!, round),
              significant: Array.from(f.significant!, (s) => s === 1),
            }),
          })),
        }),
      );
      return 0;
    }
    ctx.io.out(
      `${r.tokens.length} tokens, layer ${r.layer} ${r.component}, ${r.units} neurons; ${RELEVANCE_STATISTICS[table.statistic].label}`,
    );
    if (tested) {
      ctx.io.out(
        `p: two-sided permutation test, ${tested.permutations} ${tested.nullModel} draws (seed ${tested.seed}), smallest possible p ${formatP(1 / (tested.permutations + 1))}; ` +
          `q: Benjamini–Hochberg across the ${r.units} neurons; * = significant at FDR ${tested.fdr}`,
      );
    }
    for (const f of table.features) {
      const hypotheses = f.top
        .map((t) => {
          const score = `${t.neuron} (${t.score.toFixed(3)}`;
          if (!f.pValues) return `${score})`;
          const mark = f.significant![t.neuron] === 1 ? '*' : '';
          return `${score}, p ${formatP(f.pValues[t.neuron]!)}, q ${formatP(f.qValues![t.neuron]!)})${mark}`;
        })
        .join(', ');
      const why = f.matches === 0 ? 'no token matches' : f.matches === r.tokens.length ? 'every token matches' : hypotheses;
      const found = f.significant ? `  ${f.significant.reduce((a, b) => a + b, 0)} significant` : '';
      ctx.io.out(`${JSON.stringify(f.feature).padEnd(10)} ${String(f.matches).padStart(6)} tokens${found}  ${why}`);
    }
    return 0;
  });
}

function formatP(p: number): string {
  return p < 0.001 ? p.toExponential(2) : p.toFixed(3);
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}
