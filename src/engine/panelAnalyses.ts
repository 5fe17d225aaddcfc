import type { EngineMethods } from '../shared/protocol';
import { robustScale } from './colourScale';
import type { DocumentSession } from './documentSession';
import { NeuronLensError } from './errors';
import { featureRelevance } from './featureRelevance';
import { findPeaks, neuronSpectra, rankByBand } from './fourier';
import {
  DEFAULT_FDR,
  DEFAULT_PERMUTATIONS,
  NULL_MODELS,
  RELEVANCE_STATISTICS,
  type RelevanceStatistic,
} from '../shared/relevanceStatistics';
import { requireInteger, requireNumber, requireOneOf } from './requestChecks';
import { MAX_PERMUTATIONS } from './significance';

type Result<M extends keyof EngineMethods> = EngineMethods[M]['result'];

/** Tokens a spectrum covers at most. */
export const MAX_SPECTRUM_TOKENS = 50_000;

/** Most values a robust scale looks at: a strided sample keeps it fast on a 10,000 × 1,024 matrix. */
const SCALE_SAMPLE = 200_000;

/** The heatmap's matrix: tokens [from, to) of an analysed document, copied for transfer. */
export function componentMatrix(doc: DocumentSession, from = 0, to = doc.computed): Result<'componentMatrix'> {
  const start = requireInteger(from, 'from', 0, doc.computed);
  const end = requireInteger(to, 'to', start, doc.computed);
  const values = doc.values.slice(start * doc.units, end * doc.units);
  const stride = Math.max(1, Math.floor(values.length / SCALE_SAMPLE));
  const sample = stride === 1 ? values : values.filter((_, i) => i % stride === 0);
  return {
    modelId: doc.analysedWith,
    layer: doc.layer,
    component: doc.component,
    range: doc.range,
    robustScale: robustScale(sample),
    tokens: doc.tokens.slice(start, end).map((t) => t.text),
    firstToken: start,
    units: doc.units,
    values,
  };
}

export function relevanceTable(
  doc: DocumentSession,
  features: string[],
  statistic: string,
  topK: number,
  test: Omit<EngineMethods['relevanceTable']['params'], 'docId' | 'features' | 'statistic' | 'topK'> = {},
): Result<'relevanceTable'> {
  if (!Array.isArray(features) || features.some((f) => typeof f !== 'string'))
    throw new NeuronLensError('features must be a list of strings');
  if (!(statistic in RELEVANCE_STATISTICS)) {
    throw new NeuronLensError(`Unknown relevance statistic "${statistic}": choose ${Object.keys(RELEVANCE_STATISTICS).join(', ')}`);
  }
  const texts = doc.tokens.slice(0, doc.computed).map((t) => t.text);
  const table = featureRelevance(doc.values, doc.units, texts, features, statistic as RelevanceStatistic, requireInteger(topK, 'topK', 1), {
    permutations: requireInteger(test.permutations ?? DEFAULT_PERMUTATIONS, 'permutations', 0, MAX_PERMUTATIONS),
    fdr: requireNumber(test.fdr ?? DEFAULT_FDR, 'fdr', Number.MIN_VALUE, 0.999999),
    nullModel: requireOneOf(test.nullModel ?? 'shuffle', 'nullModel', NULL_MODELS),
    seed: test.seed === undefined ? undefined : requireInteger(test.seed, 'seed', Number.MIN_SAFE_INTEGER),
  });
  return {
    modelId: doc.analysedWith,
    statistic: table.statistic,
    statisticLabel: RELEVANCE_STATISTICS[table.statistic].label,
    neutral: table.neutral,
    ...(table.significance && { significance: table.significance }),
    features: table.features.map((f) => ({ ...f, scores: Float32Array.from(f.scores) })),
  };
}

export function documentSpectra(doc: DocumentSession, params: EngineMethods['spectra']['params']): Result<'spectra'> {
  if (doc.computed < 2) throw new NeuronLensError('A spectrum needs at least 2 analysed tokens');
  const neurons = params.neurons?.length ? params.neurons : Array.from({ length: doc.units }, (_, i) => i);
  // Spectra have T/2 bins per neuron: beyond this many tokens the first ones stand for the file
  // (the result's `tokens` says how many), so a huge file cannot produce a huge message.
  const tokens = Math.min(doc.computed, MAX_SPECTRUM_TOKENS);
  const values = doc.values.subarray(0, tokens * doc.units);
  const spectra = neuronSpectra(values, doc.units, neurons, { window: params.window, scale: params.scale });
  const [lo, hi] = params.band;
  return {
    modelId: doc.analysedWith,
    tokens: spectra.tokens,
    frequencies: spectra.frequencies,
    neurons: spectra.neurons,
    values: spectra.values,
    scale: spectra.scale,
    window: params.window,
    band: [lo, hi],
    ranking: rankByBand(spectra, lo, hi).map(({ neuron, score }) => ({ neuron, score })),
    peaks: spectra.neurons.map((neuron, row) => ({
      neuron,
      peaks: findPeaks(spectra, row).map(({ frequency, period, value, ratio }) => ({ frequency, period, value, ratio })),
    })),
  };
}
