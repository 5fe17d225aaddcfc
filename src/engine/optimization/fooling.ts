import * as tf from '@tensorflow/tfjs-core';
import { BoundedHeap } from '../boundedHeap';
import { argMax } from '../classifier/classifierMetrics';
import { classProbabilities, classifierArchitecture, encodeForClassifier, padBatch, pooledLogits } from '../classifier/classifierBatch';
import { NeuronLensError, throwIfAborted } from '../errors';
import { checkPositiveInt } from './inputRelaxation';
import type { LanguageModel } from '../languageModel';
import type { ModelTokenizer } from '../modelTokenizer';
import { Random } from '../random';
import { type Token, tokenize } from '../tokenizer';
import { inputSpace, tokenInputs } from './tokenInputs';

export interface FoolOptions {
  /** Class index to reach; absent: any class other than the one predicted now. */
  targetClass?: number;
  /** At most this many token substitutions (each at a different position). */
  maxFlips?: number;
  /** Partial edit sequences kept between rounds. */
  beamWidth?: number;
  /** Per kept sequence and round, the substitutions with the best first-order gain that are re-scored for real. */
  candidatesPerStep?: number;
  /** Token ids never inserted (default: id 0, `<unk>`, which has no text of its own). */
  excludeTokens?: readonly number[];
  /** Breaks ties between equal first-order gains in a seeded order. */
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (flips: number, maxFlips: number) => void;
}

export interface FoolEdit {
  /** Token index in the text. */
  position: number;
  /** Character span of the replaced token in the original text. */
  start: number;
  end: number;
  oldToken: string;
  newToken: string;
  oldId: number;
  newId: number;
}

export interface FoolStep {
  edit: FoolEdit;
  /** The first-order (gradient) estimate of the objective's change that ranked this edit. */
  estimatedGain: number;
  /** Real class probabilities after this edit and the ones before it, in the model's class order. */
  probabilities: number[];
  predicted: string;
}

export interface FoolResult {
  classes: string[];
  originalClass: string;
  /** The class asked for, when one was. */
  targetClass?: string;
  probabilitiesBefore: number[];
  probabilitiesAfter: number[];
  /** The edits of the best sequence found, in the order they were made. */
  steps: FoolStep[];
  /** The original text with the edited token spans replaced; the input string itself is never changed. */
  text: string;
  /** Whether the prediction changed (to targetClass, when given). */
  flipped: boolean;
  predicted: string;
  /** One sentence for a person: what was found, or why nothing was. */
  summary: string;
  /** Sequences scored with a real forward pass. */
  evaluated: number;
  /** Tokens the classifier reads (the first maxTokens of the text); only these are edited. */
  classifiedTokens: number;
}

interface BeamState {
  ids: Int32Array;
  steps: FoolStep[];
  probs: Float32Array;
  objective: number;
}

interface Candidate {
  state: number;
  position: number;
  id: number;
  gain: number;
  order: number;
}

type Loaded = { model: LanguageModel; tokenizer: ModelTokenizer };

/**
 * HotFlip-style fooling inputs for a text classifier: a few token substitutions that change its
 * prediction. Each round takes the gradient of a log-odds objective with respect to every token's
 * input (one backward pass for the whole beam), estimates the effect of every possible substitution
 * to first order — (e_new − e_old)·∇, for one-hot models ∇_new − ∇_old — and re-scores only the
 * best few with real forward passes, because the linear estimate is often wrong by a lot for a
 * recurrent model; the beam keeps the best real sequences for the next round.
 */
export async function foolClassifier(loaded: Loaded, text: string, options: FoolOptions = {}): Promise<FoolResult> {
  const { model, tokenizer } = loaded;
  const arch = classifierArchitecture(model);
  const maxFlips = options.maxFlips ?? 5;
  const beamWidth = options.beamWidth ?? 3;
  const perStep = options.candidatesPerStep ?? 16;
  checkPositiveInt('maximum number of flips', maxFlips);
  checkPositiveInt('beam width', beamWidth);
  checkPositiveInt('number of candidates per step', perStep);
  if (text.trim().length === 0) throw new NeuronLensError('The text is empty: there is nothing to fool the classifier with');
  const classes = arch.classes;
  const target = options.targetClass;
  if (target !== undefined && (!Number.isInteger(target) || target < 0 || target >= classes.length)) {
    throw new NeuronLensError(`Class ${target} does not exist: the classifier has ${classes.length} classes (0–${classes.length - 1})`);
  }
  const tokens = tokenizer.tokenize(text);
  const original = encodeForClassifier(tokenizer, text, arch.maxTokens);
  const n = original.length;
  const banned = new Set(options.excludeTokens ?? [0]);
  const vocabulary = tokenizer.vocabulary;
  const allowed = Array.from({ length: model.vocabSize }, (_, id) => id).filter((id) => !banned.has(id));
  if (allowed.length === 0) throw new NeuronLensError('Every token is excluded: there is nothing to substitute');
  // Word-level texts keep their token boundaries only if words replace words and other tokens other tokens.
  const kindOf = (token: string): boolean => tokenizer.level === 'word' && isWord(token);
  const vocabKind = Array.from({ length: model.vocabSize }, (_, id) => kindOf(vocabulary.token(id)));

  const before = classProbabilities(model, [original]);
  const originalClass = argMax(before);
  let evaluated = 1;
  const goal = { target, original: originalClass };
  const result = (best: BeamState, flipped: boolean, summary: string): FoolResult => ({
    classes: [...classes],
    originalClass: classes[originalClass]!,
    targetClass: target === undefined ? undefined : classes[target],
    probabilitiesBefore: Array.from(before),
    probabilitiesAfter: Array.from(best.probs),
    steps: best.steps,
    text: editedText(text, tokens, best.steps),
    flipped,
    predicted: classes[argMax(best.probs)]!,
    summary,
    evaluated,
    classifiedTokens: n,
  });
  const start: BeamState = { ids: original, steps: [], probs: before, objective: objectiveOf(before, goal) };
  if (isFooled(before, goal)) return result(start, true, `The text is already classified as "${classes[originalClass]}"`);

  // Positions are ranked in a seeded random order among equal gains, so ties do not always favour the start.
  const rng = new Random(options.seed ?? 0);
  const positionOrder = Array.from({ length: n }, () => rng.next());
  let beam: BeamState[] = [start];
  let best = start;
  for (let round = 0; round < maxFlips; round++) {
    throwIfAborted(options.signal, 'Fooling search');
    const gains = substitutionGains(model, beam, goal);
    const trials: { state: number; ids: Int32Array; edit: FoolEdit; gain: number }[] = [];
    beam.forEach((state, s) => {
      const edited = new Set(state.steps.map((st) => st.edit.position));
      const heap = new BoundedHeap<Candidate>(4 * perStep, betterCandidate);
      const g = gains[s]!;
      const scratch: Candidate = { state: 0, position: 0, id: 0, gain: 0, order: 0 };
      const width = model.vocabSize;
      for (let t = 0; t < n; t++) {
        if (edited.has(t)) continue;
        const old = state.ids[t]!;
        const kind = kindOf(tokens[t]!.text);
        for (const id of allowed) {
          if (id === old || vocabKind[id] !== kind) continue;
          // One scratch object for the comparison: a large vocabulary makes millions of candidates per round.
          scratch.state = s;
          scratch.position = t;
          scratch.id = id;
          scratch.gain = g[t * width + id]! - g[t * width + old]!;
          scratch.order = positionOrder[t]!;
          if (heap.wouldKeep(scratch)) heap.offer({ ...scratch });
        }
      }
      let kept = 0;
      for (const c of heap.sorted()) {
        if (kept >= perStep) break;
        const newToken = vocabulary.token(c.id);
        if (!keepsTokenization(state, tokens, c.position, newToken, tokenizer.level)) continue;
        const ids = Int32Array.from(state.ids);
        ids[c.position] = c.id;
        const tok = tokens[c.position]!;
        trials.push({
          state: s,
          ids,
          gain: c.gain,
          edit: {
            position: c.position,
            start: tok.start,
            end: tok.end,
            oldToken: tok.text,
            newToken,
            oldId: original[c.position]!,
            newId: c.id,
          },
        });
        kept++;
      }
    });
    if (trials.length === 0) break;
    const probs = classProbabilities(
      model,
      trials.map((t) => t.ids),
    );
    evaluated += trials.length;
    const C = classes.length;
    const next: BeamState[] = trials.map((trial, k) => {
      const p = probs.slice(k * C, (k + 1) * C);
      const step: FoolStep = { edit: trial.edit, estimatedGain: trial.gain, probabilities: Array.from(p), predicted: classes[argMax(p)]! };
      return { ids: trial.ids, steps: [...beam[trial.state]!.steps, step], probs: p, objective: objectiveOf(p, goal) };
    });
    next.sort((a, b) => b.objective - a.objective);
    beam = dedupe(next).slice(0, beamWidth);
    if (beam[0]!.objective > best.objective) best = beam[0]!;
    options.onProgress?.(round + 1, maxFlips);
    const fooled = next.find((s) => isFooled(s.probs, goal));
    if (fooled) {
      const flips = fooled.steps.length;
      return result(
        fooled,
        true,
        `${flips} substitution${flips === 1 ? '' : 's'} changed the prediction to "${classes[argMax(fooled.probs)]}"`,
      );
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const aim = target === undefined ? `away from "${classes[originalClass]}"` : `to "${classes[target]}"`;
  return result(
    best,
    false,
    `No sequence of up to ${maxFlips} substitution${maxFlips === 1 ? '' : 's'} found changed the prediction ${aim}; the closest is reported`,
  );
}

/**
 * What the search pushes up, from class probabilities: the log-odds of the target class, or of
 * "not the original class". Log-odds rather than probabilities, because a confident model's
 * probabilities saturate and their gradient vanishes.
 */
export function foolingObjective(probs: ArrayLike<number>, goal: { target?: number; original: number }): number {
  const eps = 1e-12;
  const c = goal.target ?? goal.original;
  const p = Math.min(1 - eps, Math.max(eps, probs[c]!));
  const odds = Math.log(p) - Math.log(1 - p);
  return goal.target === undefined ? -odds : odds;
}

const objectiveOf = foolingObjective;

function isFooled(probs: ArrayLike<number>, goal: { target?: number; original: number }): boolean {
  const predicted = argMax(probs);
  return goal.target === undefined ? predicted !== goal.original : predicted === goal.target;
}

/**
 * Per beam state, [steps × vocab] row-major: ∂objective/∂(weight of token v at position t), i.e.
 * for embedding models ∇_t · e_v. The gain of substituting v for the token at t is then
 * G[t, v] − G[t, old] to first order.
 */
function substitutionGains(model: LanguageModel, beam: readonly BeamState[], goal: { target?: number; original: number }): Float32Array[] {
  const batch = padBatch(beam.map((s) => s.ids));
  const { classes } = classifierArchitecture(model);
  const space = inputSpace(model);
  const c = goal.target ?? goal.original;
  const onehot = new Float32Array(classes.length);
  onehot[c] = 1;
  const x = tokenInputs(model, batch.ids);
  try {
    const gains = tf.tidy(() => {
      const pick = tf.tensor1d(onehot);
      const mask = tf.mul(pick, -1e9);
      const objective = (input: tf.Tensor): tf.Scalar => {
        const z = pooledLogits(model, batch, {
          inputWeights: space === 'one-hot' ? (input as tf.Tensor2D) : undefined,
          inputEmbeddings: space === 'embedding' ? (input as tf.Tensor2D) : undefined,
        });
        // log p_c − log(1 − p_c) = z_c − logsumexp of the other classes.
        const odds = tf.sub(tf.sum(tf.mul(z, pick), 1), tf.logSumExp(tf.add(z, mask), 1));
        return tf.sum(goal.target === undefined ? tf.neg(odds) : odds) as tf.Scalar;
      };
      const grad = tf.grad(objective)(x) as tf.Tensor2D;
      return space === 'one-hot' ? grad : tf.matMul(grad, model.weight('embedding') as tf.Tensor2D, false, true);
    });
    const flat = gains.dataSync() as Float32Array;
    gains.dispose();
    const width = model.vocabSize;
    return beam.map((_, b) => flat.slice(b * batch.steps * width, (b + 1) * batch.steps * width));
  } finally {
    x.dispose();
  }
}

function betterCandidate(a: Candidate, b: Candidate): boolean {
  if (a.gain !== b.gain) return a.gain > b.gain;
  if (a.order !== b.order) return a.order > b.order;
  if (a.position !== b.position) return a.position < b.position;
  return a.id < b.id;
}

function isWord(token: string): boolean {
  return /^[\p{L}\p{M}\p{N}\p{Pc}]+$/u.test(token);
}

/**
 * Whether the edited text still splits into the same tokens around `position` (e.g. a space put
 * between two spaces would merge with them), so the reported text is the sequence that was scored.
 */
function keepsTokenization(
  state: BeamState,
  tokens: readonly Token[],
  position: number,
  newToken: string,
  level: 'char' | 'word',
): boolean {
  const at = (t: number): string => {
    const edit = state.steps.find((s) => s.edit.position === t);
    return edit ? edit.edit.newToken : (tokens[t]?.text ?? '');
  };
  const parts = [at(position - 1), newToken, at(position + 1)].filter((p) => p.length > 0);
  const split = tokenize(parts.join(''), level).map((t) => t.text);
  return split.length === parts.length && split.every((s, i) => s === parts[i]);
}

/** The original text with each edited token's span replaced by its new token. */
export function editedText(text: string, tokens: readonly Token[], steps: readonly FoolStep[]): string {
  const replacements = new Map(steps.map((s) => [s.edit.position, s.edit.newToken]));
  let out = '';
  let from = 0;
  tokens.forEach((tok, t) => {
    const r = replacements.get(t);
    if (r === undefined) return;
    out += text.slice(from, tok.start) + r;
    from = tok.end;
  });
  return out + text.slice(from);
}

function dedupe(states: readonly BeamState[]): BeamState[] {
  const seen = new Set<string>();
  return states.filter((s) => {
    const key = s.ids.join(',');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
