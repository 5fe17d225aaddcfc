import { DEFAULT_EXPERIMENT } from '../../engine/experiment';
import { CLUSTER_METHODS, type ClusterMethod, clusterNeurons } from '../../engine/neuronClusters';
import { colourTokens, legend } from '../ansi';
import { type Values, list, num, oneOf, str } from '../args';
import type { CommandContext } from '../context';
import { RECORD_INPUT_OPTIONS, withRecordedComponent } from '../recordedInput';
import { normalisedTrace } from './generate';

export const CLUSTERS_OPTIONS = {
  ...RECORD_INPUT_OPTIONS,
  k: { type: 'string' },
  method: { type: 'string' },
  seed: { type: 'string' },
  feature: { type: 'string', multiple: true },
  cluster: { type: 'string' },
} as const;

const DEFAULT_K = 8;
/** Tokens of coloured text shown per cluster in a terminal. */
const SHOWN_TOKENS = 240;

export const CLUSTERS_HELP = `neuron-lens clusters --model DIR (--text STR | --file PATH) [--k K] [--method kmeans|nmf] [--seed S] [--feature F]... [--cluster C] [--layer L] [--component NAME] [--json]
  Groups the neurons by their activity over the text and names each group by the tokens where it is highest and
  the features of interest (default ${DEFAULT_EXPERIMENT.features.map((f) => JSON.stringify(f)).join(', ')}) it correlates with.
  kmeans (default): k-means++ (seeded, 4 restarts) on z-scored profiles, i.e. by correlation distance 1 − r.
  nmf: non-negative factorisation of the neurons' positive and negative halves (max(x,0), max(−x,0)).
  --k defaults to ${DEFAULT_K} (at most the number of neurons). The text is coloured by cluster --cluster's factor
  (its neurons' mean z-score, or the NMF factor); --json gives every cluster's factor per token.`;

export async function clustersCommand(v: Values, ctx: CommandContext): Promise<number> {
  const method = oneOf<ClusterMethod>(v, 'method', CLUSTER_METHODS, 'kmeans');
  const seed = num(v, 'seed', 1, { int: true })!;
  const features = list(v, 'feature').length ? list(v, 'feature') : DEFAULT_EXPERIMENT.features;
  const choice = { layer: num(v, 'layer', 0, { int: true })!, component: str(v, 'component', 'h')! };
  return withRecordedComponent(v, choice, (r) => {
    const k = num(v, 'k', Math.min(DEFAULT_K, r.units), { int: true, min: 1, max: r.units })!;
    const shown = num(v, 'cluster', 0, { int: true, min: 0, max: k - 1 })!;
    const texts = r.tokens.map((t) => t.text);
    const result = clusterNeurons(r.values, r.units, texts, { k, method, seed, features });
    if (v.json === true) {
      ctx.io.out(
        JSON.stringify({
          tokens: r.tokens.length,
          layer: r.layer,
          component: r.component,
          neurons: r.units,
          method,
          k,
          seed,
          ...(result.inertia !== undefined ? { inertia: round(result.inertia) } : {}),
          ...(result.errors ? { errors: result.errors.map(round), updates: result.updates } : {}),
          assignments: Array.from(result.assignments),
          clusters: result.clusters.map((c, id) => ({
            id,
            label: c.label,
            neurons: c.neurons,
            topTokens: c.topTokens.map((t) => ({ ...t, mean: round(t.mean) })),
            features: c.features.map((f) => ({ ...f, correlation: round(f.correlation) })),
            factor: Array.from(c.factor, round),
          })),
        }),
      );
      return 0;
    }
    const fit = result.errors
      ? `reconstruction error ${result.errors.at(-1)!.toPrecision(4)} after ${result.updates} updates`
      : `inertia ${result.inertia!.toPrecision(4)}`;
    ctx.io.out(
      `${r.tokens.length} tokens, layer ${r.layer} ${r.component}, ${r.units} neurons in ${k} clusters (${method}, seed ${seed}); ${fit}`,
    );
    result.clusters.forEach((c, id) => {
      const members = c.neurons.length > 12 ? `${c.neurons.slice(0, 12).join(', ')}, …` : c.neurons.join(', ');
      ctx.io.out(
        `cluster ${String(id).padStart(2)}  ${String(c.neurons.length).padStart(4)} neurons  ${c.label || '(no token occurs often enough)'}`,
      );
      ctx.io.out(`            neurons ${members || 'none'}`);
    });
    if (ctx.io.colour) {
      const factor = normalisedTrace(result.clusters[shown]!.factor, 'unbounded');
      ctx.io.out(`\n${colourTokens(r.tokens.slice(0, SHOWN_TOKENS), factor)}`);
      ctx.io.out(
        `\ncluster ${shown} factor${r.tokens.length > SHOWN_TOKENS ? ` (first ${SHOWN_TOKENS} tokens)` : ''}  ${legend()}  (blue −, red +)`,
      );
    }
    return 0;
  });
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}
