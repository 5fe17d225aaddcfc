import { NeuronLensError, throwIfAborted } from '../errors';
import type { LanguageModel } from '../languageModel';
import type { ModelTokenizer } from '../modelTokenizer';
import { neuronTrace, recordActivations } from '../recorder';
import { scoreSequences } from './sequenceScoring';
import type { Target } from './targets';

export interface CorpusSnippet {
  /** Index of the snippet's first token in the corpus. */
  token: number;
  tokens: string[];
  text: string;
  /** The target on this snippet alone, from a zero state (comparable with maximised sequences). */
  activation: number;
  trace: number[];
}

export interface SnippetOptions {
  /** How many snippets to return, best first. */
  top?: number;
  /** Neuron targets: how many in-context leaders are re-scored alone. */
  candidates?: number;
  /** Logit targets: at most this many evenly spaced windows are scored. */
  maxWindows?: number;
  /** Neuron targets: the neuron's in-context values over the corpus if already recorded. */
  inContextTrace?: Float32Array;
  signal?: AbortSignal;
}

/**
 * The real corpus windows of `length` tokens that drive the target highest: what a maximised
 * sequence must beat to show the optimiser found more than the data already contains. Windows are
 * scored alone from a zero state, like the optimised sequences. For a neuron, one recording pass
 * over the whole corpus (in context) proposes the leaders cheaply and only those are re-scored;
 * logits are not recorded, so for them evenly spaced windows are scored directly.
 */
export async function topCorpusSnippets(
  loaded: { model: LanguageModel; tokenizer: ModelTokenizer },
  target: Target,
  text: string,
  length: number,
  options: SnippetOptions = {},
): Promise<CorpusSnippet[]> {
  const top = options.top ?? 5;
  const { tokens, ids } = loaded.tokenizer.encode(text);
  if (ids.length < length) throw new NeuronLensError(`The corpus has ${ids.length} tokens, fewer than the snippet length ${length}`);
  const windows = ids.length - length + 1;
  let starts: number[];
  const spec = target.spec;
  if (spec.kind === 'neuron') {
    const trace = options.inContextTrace ?? (await recordNeuron(loaded, text, spec, options.signal));
    if (trace.length !== ids.length) throw new Error(`topCorpusSnippets: the trace has ${trace.length} values for ${ids.length} tokens`);
    const inContext = new Float64Array(windows);
    let sum = 0;
    for (let t = 0; t < ids.length; t++) {
      sum += trace[t]!;
      if (t >= length) sum -= trace[t - length]!;
      if (t >= length - 1) inContext[t - length + 1] = spec.position === 'last' ? trace[t]! : spec.position === 'mean' ? sum / length : sum;
    }
    starts = leaders(inContext, options.candidates ?? 256);
  } else {
    const count = Math.min(windows, options.maxWindows ?? 4096);
    starts = Array.from({ length: count }, (_, k) => Math.floor((k * (windows - 1)) / Math.max(1, count - 1)));
  }
  throwIfAborted(options.signal, 'Corpus scan');
  const scores = scoreSequences(
    loaded.model,
    target,
    starts.map((s) => ids.slice(s, s + length)),
  );
  return starts
    .map((s, k) => {
      const texts = tokens.slice(s, s + length).map((t) => t.text);
      return { token: s, tokens: texts, text: texts.join(''), activation: scores.values[k]!, trace: Array.from(scores.traces[k]!) };
    })
    .sort((a, b) => b.activation - a.activation)
    .slice(0, top);
}

/** Indices of the `k` largest values, largest first. */
function leaders(values: Float64Array, k: number): number[] {
  return Array.from(values.keys())
    .sort((a, b) => values[b]! - values[a]!)
    .slice(0, k);
}

async function recordNeuron(
  loaded: { model: LanguageModel; tokenizer: ModelTokenizer },
  text: string,
  spec: { layer: number; component: string; neuron: number },
  signal: AbortSignal | undefined,
): Promise<Float32Array> {
  const rec = await recordActivations(loaded, text, { layers: [spec.layer], components: [spec.component], signal });
  return neuronTrace(rec.layers[0]!, spec.component, spec.neuron);
}
