/**
 * The panels' engine analyses on a real recording (tokens × 256 hidden units): relevance of every
 * neuron to three features with each statistic, spectra with peaks and band ranking, and pattern
 * search over 1 MB of text.
 */
import { featureRelevance } from '../src/engine/featureRelevance';
import { findPeaks, neuronSpectra, rankByBand } from '../src/engine/fourier';
import type { StreamingRunner } from '../src/engine/inference/streamingRunner';
import { type SearchDocument, proposeNeurons, searchPattern } from '../src/engine/patternSearch';
import { RecordingIndex } from '../src/engine/recordingIndex';
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
    const ms = medianMs(() => featureRelevance(values, units, texts, FEATURES, statistic, 5));
    out.push({ what: `relevance (${statistic}), ${FEATURES.length} features, ${label}`, ms });
  }
  const ms = medianMs(() => {
    const spectra = neuronSpectra(values, units);
    for (let row = 0; row < units; row++) findPeaks(spectra, row);
    rankByBand(spectra, 0.4, 0.5);
  });
  out.push({ what: `spectra + peaks + band ranking, ${label}`, ms });
  out.push(...measurePatternSearch(values, units, tokens));
  return out;
}

/** The median of three runs: one run of a sub-second analysis is at the mercy of a GC pause or a busy core. */
function medianMs(run: () => void): number {
  const times = [0, 1, 2].map(() => {
    const started = performance.now();
    run();
    return performance.now() - started;
  });
  return times.sort((a, b) => a - b)[1]!;
}

const SEARCH_TOKENS = 1 << 20;

/**
 * Pattern search over 1 MB of char tokens: the recording is repeated until the index holds 2^20
 * tokens (recording that much would dominate the bench; the search's cost depends on the length,
 * not the content). Indexing and searching are timed separately; the model run is excluded. The
 * bench model is untrained and its activations small, so the threshold is their 80th percentile.
 */
function measurePatternSearch(values: Float32Array, units: number, tokens: Token[]): AnalysisMeasure[] {
  const rows = tokens.length;
  const threshold = Float32Array.from(values).sort()[Math.floor(values.length * 0.8)]!;
  let started = performance.now();
  const index = new RecordingIndex(units, threshold, SEARCH_TOKENS);
  while (index.tokenCount < SEARCH_TOKENS) index.append(values, Math.min(rows, SEARCH_TOKENS - index.tokenCount));
  const indexMs = performance.now() - started;
  const all = Array.from({ length: SEARCH_TOKENS }, (_, t) => tokens[t % rows]!);
  const doc: SearchDocument = { name: 'bench', tokens: all, index };
  const from = Math.floor(rows / 2);
  const out: AnalysisMeasure[] = [{ what: `pattern search index (80th-percentile threshold), 1 MB × ${units} neurons`, ms: indexMs }];
  for (const length of [8, 40]) {
    const neurons = proposeNeurons(doc, from, from + length, 5);
    started = performance.now();
    searchPattern([doc], { document: doc, from, to: from + length, neurons }, { top: 10 });
    out.push({
      what: `pattern search, ${neurons.length} neurons × ${length}-token span, top 10 over 1 MB`,
      ms: performance.now() - started,
    });
  }
  return out;
}
