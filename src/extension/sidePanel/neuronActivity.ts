/**
 * Fetches what the side panel's neuron list shows, through the engine worker: every neuron's mean
 * and spread (describeNeurons) and its sparkline over the document (componentMatrix, compressed
 * by SparklineBuckets). Work is split into short requests, a few thousand tokens of analysis or a
 * few megabytes of matrix each: the worker serves requests one at a time, and the highlighter's
 * requests (what the user is looking at in the editor) must get their turn in between.
 */
import type { SidePanelNeurons } from '../../shared/sidePanelMessages';
import type { EngineMethods, MethodName } from '../../shared/protocol';
import { SparklineBuckets, restingValue, sparklineAxis } from './sparklineBuckets';

/** EngineClient.request, or a stand-in with the same contract (tests call an EngineSession directly). */
export type EngineRequest = <M extends MethodName>(
  method: M,
  params: EngineMethods[M]['params'],
  options?: { signal?: AbortSignal },
) => Promise<EngineMethods[M]['result']>;

export interface ActivityInput {
  /** The engine session to analyse in: the side panel keeps its own, so it never disturbs the highlighter's. */
  docId: string;
  /** The document's name, for the heading. */
  name: string;
  version: number;
  /** The text to analyse (already cut to what maxTokens can use), not empty. */
  text: string;
  /** The text was cut before it was sent. */
  cut: boolean;
  layer: number;
  component: string;
  maxTokens: number;
}

export interface ActivityLimits {
  /** Tokens analysed per request. */
  analysisTokens: number;
  /** Matrix values (tokens × units) fetched per request. */
  matrixValues: number;
  points: number;
}

export const DEFAULT_LIMITS: ActivityLimits = { analysisTokens: 4096, matrixValues: 1 << 20, points: 64 };

/**
 * The neuron list's data for a document, or undefined when the active model changed while it was
 * computed (the answers would mix two models; the caller asks again for the new one).
 */
export async function neuronActivity(
  request: EngineRequest,
  input: ActivityInput,
  signal?: AbortSignal,
  limits: ActivityLimits = DEFAULT_LIMITS,
): Promise<SidePanelNeurons | undefined> {
  const { docId, text, layer, component, maxTokens, version } = input;
  // The first request learns where the tokens are; later ones stop a fixed number of tokens further on.
  let untilOffset: number | undefined = Math.min(text.length - 1, limits.analysisTokens);
  let analysis = await request('analyze', { docId, version, text, layer, component, maxTokens, untilOffset }, { signal });
  const modelId = analysis.modelId;
  for (;;) {
    const total = analysis.starts.length;
    if (analysis.computed >= total) break;
    const next = analysis.computed + limits.analysisTokens;
    untilOffset = next < total ? analysis.starts[next] : undefined;
    analysis = await request('analyze', { docId, version, text, layer, component, maxTokens, untilOffset }, { signal });
    if (analysis.modelId !== modelId) return undefined;
  }
  const tokens = analysis.computed;
  const units = analysis.units;

  const described = await request('describeNeurons', { docId, topTokens: 0 }, { signal });
  if (described.modelId !== modelId) return undefined;
  const mean = Float32Array.from(described.neurons, (n) => n.mean);
  const std = Float32Array.from(described.neurons, (n) => n.std);

  const rowsPerRequest = Math.max(1, Math.floor(limits.matrixValues / Math.max(1, units)));
  let buckets: SparklineBuckets | undefined;
  let range: EngineMethods['componentMatrix']['result']['range'] = 'signed';
  for (let from = 0; from < tokens; from += rowsPerRequest) {
    const to = Math.min(tokens, from + rowsPerRequest);
    const matrix = await request('componentMatrix', { docId, from, to }, { signal });
    if (matrix.modelId !== modelId) return undefined;
    range = matrix.range;
    buckets ??= new SparklineBuckets(units, tokens, restingValue(range), limits.points);
    buckets.add(matrix.values, from);
  }
  const sparklines = buckets?.values ?? new Float32Array(0);
  return {
    document: input.name,
    layer,
    component,
    units,
    tokens,
    truncated: analysis.truncated || input.cut,
    points: buckets?.points ?? 0,
    sparklines,
    ...sparklineAxis(range, sparklines),
    mean,
    std,
  };
}
