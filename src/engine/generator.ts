import { NeuronLensError, throwIfAborted } from './errors';
import type { LanguageModel } from './languageModel';
import type { ModelTokenizer } from './modelTokenizer';
import { Random } from './random';
import { ActivationSink, type RecordOptions, type Recording, selection } from './recorder';
import { sampleLogits } from './sampling';
import type { Token } from './tokenizer';

export interface GenerateOptions extends Pick<RecordOptions, 'layers' | 'components' | 'signal'> {
  prime?: string;
  /** Number of tokens to sample. */
  length?: number;
  temperature?: number;
  seed?: number;
  onToken?: (text: string, index: number) => void;
}

export interface Generation extends Recording {
  text: string;
  /** Tokens [0, primeTokens) are the prime; the rest were sampled. */
  primeTokens: number;
}

export const MAX_GENERATE_LENGTH = 100_000;

/**
 * Samples text from the model and records its internals for every token, prime included, with
 * the same alignment as recordActivations: token t's values are those after consuming token t.
 * `<unk>` is never sampled (it has no text).
 */
export async function generate(
  loaded: { model: LanguageModel; tokenizer: ModelTokenizer },
  options: GenerateOptions = {},
): Promise<Generation> {
  const { model, tokenizer } = loaded;
  if (model.architecture.task === 'classifier') throw new NeuronLensError('This model is a text classifier: it predicts classes, not text');
  const length = options.length ?? 200;
  const temperature = options.temperature ?? 1;
  if (!Number.isInteger(length) || length < 1 || length > MAX_GENERATE_LENGTH) {
    throw new NeuronLensError(`Length must be an integer from 1 to ${MAX_GENERATE_LENGTH}`);
  }
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new NeuronLensError('Temperature must be a number ≥ 0');
  const rng = new Random(options.seed ?? 1);
  const vocab = tokenizer.vocabulary;
  // Without a prime, start as if after a line break (or the most frequent token).
  const prime = options.prime ?? '';
  const primed = prime.length > 0 ? tokenizer.encode(prime) : undefined;
  const startText = vocab.has('\n') ? '\n' : vocab.token(1);
  const tokens: Token[] = primed ? [...primed.tokens] : [];
  const ids: number[] = primed ? [...primed.ids] : [];
  let text = prime;
  const sink = new ActivationSink(model, selection(model, options), (primed?.ids.length ?? 0) + length + 1);
  try {
    let logits = sink.feed(primed ? primed.ids : Int32Array.of(vocab.id(startText)), true)!;
    for (let i = 0; i < length; i++) {
      throwIfAborted(options.signal, 'Generation');
      const id = sampleLogits(logits, temperature, rng, 0);
      const piece = vocab.token(id);
      tokens.push({ text: piece, start: text.length, end: text.length + piece.length });
      ids.push(id);
      text += piece;
      options.onToken?.(piece, i);
      logits = sink.feed(Int32Array.of(id), true)!;
    }
    const layers = sink.finish();
    // Without a prime the first recorded row belongs to the invisible start token: drop it.
    const drop = primed ? 0 : 1;
    const trimmed = layers.map((l) => ({
      ...l,
      components: Object.fromEntries(Object.entries(l.components).map(([c, v]) => [c, v.slice(drop * l.units)])),
    }));
    return { text, tokens, ids: Int32Array.from(ids), layers: trimmed, primeTokens: primed?.tokens.length ?? 0 };
  } catch (e) {
    sink.finish();
    throw e;
  }
}
