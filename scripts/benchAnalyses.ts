/**
 * The panels' engine analyses on a real recording (tokens × 256 hidden units): relevance of every
 * neuron to three features with each statistic, and spectra with peaks and band ranking.
 */
import { featureRelevance } from '../src/engine/featureRelevance';
import { findPeaks, neuronSpectra, rankByBand } from '../src/engine/fourier';
import type { StreamingRunner } from '../src/engine/inference/streamingRunner';
import { RELEVANCE_STATISTICS, type RelevanceStatistic } from '../src/shared/relevanceStatistics';
import type { Token } from '../src/engine/tokenizer';

export interface AnalysisMeasure {
  what: string;
  ms: number;
}

const FEATURES = [' ', '.', '/[?!,;]/'];

export function measureAnalyses(runner: StreamingRunner, tokens: Token[], ids: Int32Array): AnalysisMeasure[] {
  const units = runner.layerUnits[0]!;
  const values = new Float32Array(ids.length * units);
  runner.run(ids, runner.zeroState(), [{ layer: 0, component: 'h', out: values }]);
  const texts = tokens.map((t) => t.text);
  const label = `${ids.length.toLocaleString('en')} tokens × ${units} neurons`;
  const out: AnalysisMeasure[] = [];
  for (const statistic of Object.keys(RELEVANCE_STATISTICS) as RelevanceStatistic[]) {
    const started = performance.now();
    featureRelevance(values, units, texts, FEATURES, statistic, 5);
    out.push({ what: `relevance (${statistic}), ${FEATURES.length} features, ${label}`, ms: performance.now() - started });
  }
  const started = performance.now();
  const spectra = neuronSpectra(values, units);
  for (let row = 0; row < units; row++) findPeaks(spectra, row);
  rankByBand(spectra, 0.4, 0.5);
  out.push({ what: `spectra + peaks + band ranking, ${label}`, ms: performance.now() - started });
  return out;
}
