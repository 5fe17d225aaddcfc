import * as tf from '@tensorflow/tfjs-core';
import { outputSize } from '../architecture';
import { NeuronLensError } from '../errors';
import type { LanguageModel, RunResult } from '../languageModel';
import { resolveComponent, resolveLayer } from '../recorder';

/**
 * Where along the sequence a quantity is read: after the last token, summed over every token, or
 * averaged over them (a mean-pooled classifier's class score is its logit averaged over tokens).
 */
export type TargetPosition = 'last' | 'every' | 'mean';
export const TARGET_POSITIONS: readonly TargetPosition[] = ['last', 'every', 'mean'];
const POSITION_WORDS: Record<TargetPosition, string> = {
  last: 'last token',
  every: 'summed over every token',
  mean: 'averaged over every token',
};

export type TargetSpec =
  | { kind: 'neuron'; layer: number; component: string; neuron: number; position: TargetPosition }
  /**
   * Output logit `token`, read after the last token (or summed): the next-token score of a
   * language model, or a classifier's class score (its head reads the same per-position states).
   */
  | { kind: 'logit'; token: number; position: TargetPosition };

/**
 * A scalar the optimisers push up or explain, as a function of one model run. It is a function
 * of the run result (not of a layer) so a different head, e.g. a classifier's class logit, plugs
 * in by implementing the same interface.
 */
export interface Target {
  readonly spec: TargetSpec;
  /** What `run` must collect for `trace`. */
  collect(layer: number, component: string): boolean;
  readonly needsLogits: boolean;
  /** [batch, steps]: the quantity at every position (internals or logits), differentiable. */
  trace(result: RunResult, batch: number, steps: number): tf.Tensor2D;
  /** [batch]: the objective, from the trace (last position or the sum over positions). */
  value(result: RunResult, batch: number, steps: number): tf.Tensor1D;
  /** Short human description: `layer 0 h neuron 5 (last token)`. */
  readonly label: string;
}

/** Validates a spec against a model (clear messages for out-of-range choices) and builds the target. */
export function resolveTarget(model: LanguageModel, spec: TargetSpec): Target {
  if (!TARGET_POSITIONS.includes(spec.position)) {
    throw new NeuronLensError(`Unknown target position "${String(spec.position)}" (choose ${TARGET_POSITIONS.join(', ')})`);
  }
  const where = POSITION_WORDS[spec.position];
  if (spec.kind === 'logit') {
    const arch = model.architecture;
    const v = outputSize(arch);
    if (!Number.isInteger(spec.token) || spec.token < 0 || spec.token >= v) {
      const what =
        arch.task === 'classifier'
          ? `Class ${spec.token} does not exist: the classifier has ${v} classes`
          : `Token id ${spec.token} does not exist: the vocabulary has ${v} tokens`;
      throw new NeuronLensError(`${what} (0–${v - 1})`);
    }
    return makeTarget(
      spec,
      `${arch.task === 'classifier' ? `class "${arch.classes[spec.token]}" logit` : `next-token logit ${spec.token}`} (${where})`,
      () => false,
      true,
      (r, batch, steps) => {
        if (!r.logits) throw new Error('The run returned no logits');
        return tf.reshape(tf.slice(r.logits, [0, spec.token], [-1, 1]), [batch, steps]);
      },
    );
  }
  const layer = resolveLayer(model, spec.layer);
  const component = resolveComponent(model, layer, spec.component);
  const units = model.layerUnits(layer);
  if (!Number.isInteger(spec.neuron) || spec.neuron < 0 || spec.neuron >= units) {
    throw new NeuronLensError(`Neuron ${spec.neuron} does not exist: layer ${layer} has ${units} neurons (0–${units - 1})`);
  }
  const resolved = { ...spec, layer, component };
  return makeTarget(
    resolved,
    `layer ${layer} ${component} neuron ${spec.neuron} (${where})`,
    (l, c) => l === layer && c === component,
    false,
    (r, batch, steps) => {
      const values = r.internals[layer]?.[component];
      if (!values) throw new Error(`The run did not collect layer ${layer} ${component}`);
      return tf.reshape(tf.slice(values, [0, 0, spec.neuron], [batch, steps, 1]), [batch, steps]);
    },
  );
}

function makeTarget(
  spec: TargetSpec,
  label: string,
  collect: (layer: number, component: string) => boolean,
  needsLogits: boolean,
  trace: (r: RunResult, batch: number, steps: number) => tf.Tensor2D,
): Target {
  return {
    spec,
    label,
    collect,
    needsLogits,
    trace,
    value: (r, batch, steps) =>
      tf.tidy(() => {
        const t = trace(r, batch, steps);
        if (spec.position === 'last') return tf.reshape(tf.slice(t, [0, steps - 1], [batch, 1]), [batch]) as tf.Tensor1D;
        return spec.position === 'mean' ? tf.mean(t, 1) : tf.sum(t, 1);
      }),
  };
}
