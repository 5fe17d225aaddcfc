import { NeuronLensError } from '../../engine/errors';
import { DEFAULT_EXPERIMENT, type Experiment, readExperiment } from '../../engine/experiment';
import { featureRelevance } from '../../engine/featureRelevance';
import { RELEVANCE_STATISTICS, type RelevanceStatistic } from '../../shared/relevanceStatistics';
import { type Values, list, num, oneOf, str } from '../args';
import type { CommandContext } from '../context';
import { RECORD_INPUT_OPTIONS, withRecordedComponent } from '../recordedInput';

export const RELEVANCE_OPTIONS = {
  ...RECORD_INPUT_OPTIONS,
  experiment: { type: 'string' },
  feature: { type: 'string', multiple: true },
  statistic: { type: 'string' },
  top: { type: 'string' },
} as const;

export const RELEVANCE_HELP = `neuron-lens relevance --model DIR (--text STR | --file PATH) [--experiment FILE] [--feature F]... [--statistic cohen-d|auroc|reference] [--top K] [--layer L] [--component NAME] [--json]
  Scores every neuron for each feature of interest (exact token text, or /regex/ matched against whole tokens)
  and proposes the top K neurons per feature. Flags override the experiment file's choices.
  cohen-d: standardized mean difference (default); auroc: probability a feature token outranks another;
  reference: the Visualization-of-RNNs relevance (spike prominence + level difference, best neuron = 1).`;

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
  return withRecordedComponent(v, experiment, (r) => {
    const table = featureRelevance(
      r.values,
      r.units,
      r.tokens.map((t) => t.text),
      experiment.features,
      experiment.statistic,
      experiment.topK,
    );
    if (v.json === true) {
      ctx.io.out(
        JSON.stringify({
          tokens: r.tokens.length,
          layer: r.layer,
          component: r.component,
          neurons: r.units,
          statistic: table.statistic,
          neutral: table.neutral,
          features: table.features.map((f) => ({
            feature: f.feature,
            matches: f.matches,
            top: f.top.map((t) => ({ neuron: t.neuron, score: round(t.score) })),
            scores: Array.from(f.scores, round),
          })),
        }),
      );
      return 0;
    }
    ctx.io.out(
      `${r.tokens.length} tokens, layer ${r.layer} ${r.component}, ${r.units} neurons; ${RELEVANCE_STATISTICS[table.statistic].label}`,
    );
    for (const f of table.features) {
      const hypotheses = f.top.map((t) => `${t.neuron} (${t.score.toFixed(3)})`).join(', ');
      const why = f.matches === 0 ? 'no token matches' : f.matches === r.tokens.length ? 'every token matches' : hypotheses;
      ctx.io.out(`${JSON.stringify(f.feature).padEnd(10)} ${String(f.matches).padStart(6)} tokens  ${why}`);
    }
    return 0;
  });
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}
