/**
 * The comparison panel's target as kept in workspace state, for its serializer after a window
 * reload: the document, the first neuron (of the target's layer and component), the second one,
 * and the other model folder when the second lane is the same neuron in another model. Pure (no
 * VS Code), so what is accepted back from storage is unit-tested; anything malformed is ignored.
 */
import type { StoredTarget } from './documentPanelController';

export interface StoredNeuron {
  layer: number;
  component: string;
  neuron: number;
}

export interface StoredComparison extends StoredTarget {
  neuron: number;
  second: StoredNeuron;
  secondModel?: { dir: string; name: string };
}

const isIndex = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
const isName = (x: unknown, max: number): x is string => typeof x === 'string' && x.length > 0 && x.length <= max;

function parseNeuron(x: unknown): StoredNeuron | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const n = x as Record<string, unknown>;
  return isIndex(n.layer) && isName(n.component, 100) && isIndex(n.neuron)
    ? { layer: n.layer, component: n.component, neuron: n.neuron }
    : undefined;
}

/** The plain copy of a target to store (no range: a comparison is of the whole document). */
export function storedComparison(t: {
  uri: { toString(): string };
  layer: number;
  component: string;
  neuron: number;
  second: StoredNeuron;
  secondModel?: { dir: string; name: string };
}): StoredComparison {
  return {
    uri: t.uri.toString(),
    layer: t.layer,
    component: t.component,
    neuron: t.neuron,
    second: { layer: t.second.layer, component: t.second.component, neuron: t.second.neuron },
    ...(t.secondModel ? { secondModel: { dir: t.secondModel.dir, name: t.secondModel.name } } : {}),
  };
}

/** A stored comparison read back, or undefined when anything in it is missing or malformed. */
export function parseStoredComparison(x: unknown): StoredComparison | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const t = x as Record<string, unknown>;
  if (!isName(t.uri, 10_000) || !isIndex(t.layer) || !isName(t.component, 100) || !isIndex(t.neuron)) return undefined;
  const second = parseNeuron(t.second);
  if (!second) return undefined;
  let secondModel: StoredComparison['secondModel'];
  if (t.secondModel !== undefined) {
    const m = t.secondModel as Record<string, unknown> | null;
    if (typeof m !== 'object' || m === null || !isName(m.dir, 10_000) || !isName(m.name, 1_000)) return undefined;
    secondModel = { dir: m.dir, name: m.name };
  }
  return { uri: t.uri, layer: t.layer, component: t.component, neuron: t.neuron, second, ...(secondModel ? { secondModel } : {}) };
}
