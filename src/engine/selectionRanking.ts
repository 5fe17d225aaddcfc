import type { NeuronRanking } from '../shared/protocol';
import { NeuronLensError } from './errors';
import { RELEVANCE_STATISTICS } from '../shared/relevanceStatistics';
import { standardizedMeanDifference } from './relevance';
import type { Token } from './tokenizer';

/**
 * "Which neurons respond to this?" for text selected in the editor: the selected tokens' texts
 * define a feature (every token with one of those texts, anywhere in the document), and neurons
 * are ranked by Cohen's d between feature tokens and all other tokens.
 */

/** Tokens overlapping [start, end); an empty range means the token containing `start`. */
export function selectedTokens(tokens: readonly Token[], start: number, end: number): number[] {
  const selected: number[] = [];
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t]!;
    const hit = start === end ? token.start <= start && start < token.end : token.start < end && token.end > start;
    if (hit) selected.push(t);
    if (token.start >= Math.max(end, start + 1)) break;
  }
  return selected;
}

/**
 * Ranks the neurons of `values` (tokens × units, one row per entry of `tokens`) by how
 * specifically they respond to the texts of the tokens selected by [start, end).
 */
export function rankNeuronsForSelection(
  values: Float32Array,
  units: number,
  tokens: readonly Token[],
  start: number,
  end: number,
): NeuronRanking {
  const selected = selectedTokens(tokens, start, end);
  if (selected.length === 0) {
    throw new NeuronLensError(
      tokens.length === 0
        ? 'The document has no analysed tokens yet'
        : `The selection (${start}–${end}) covers no analysed token: only the first ${tokens.length} tokens (up to offset ${tokens[tokens.length - 1]!.end}) are analysed`,
    );
  }
  const texts = new Set(selected.map((t) => tokens[t]!.text));
  const isFeature = Uint8Array.from(tokens, (t) => (texts.has(t.text) ? 1 : 0));
  const matches = isFeature.reduce((a, b) => a + b, 0);
  const shown = [...texts]
    .slice(0, 5)
    .map((t) => JSON.stringify(t))
    .join(', ');
  if (matches === tokens.length) {
    throw new NeuronLensError(
      `Every analysed token is ${texts.size === 1 ? '' : 'one of '}${shown}${texts.size > 5 ? ', …' : ''}: there are no other tokens to compare with`,
    );
  }
  const d = standardizedMeanDifference(values, units, isFeature);
  const sums = [new Float64Array(units), new Float64Array(units)];
  for (let t = 0; t < tokens.length; t++) {
    const s = sums[isFeature[t]!]!;
    for (let i = 0; i < units; i++) s[i]! += values[t * units + i]!;
  }
  const neurons = Array.from({ length: units }, (_, neuron) => ({
    neuron,
    score: d[neuron]!,
    meanIn: sums[1]![neuron]! / matches,
    meanOut: sums[0]![neuron]! / (tokens.length - matches),
  }));
  neurons.sort((a, b) => Math.abs(b.score) - Math.abs(a.score) || a.neuron - b.neuron);
  return { matches, neurons, statistic: RELEVANCE_STATISTICS['cohen-d'].label };
}
