import type { NeuronSort } from './sidePanelViewState';

/**
 * The order of the neuron list: by index, or by variance or mean over the document, largest
 * first (the neurons that move most, or sit highest, are the ones to look at), ties by index so
 * the order is stable. NaN statistics (a neuron that never produced a number) sort last.
 */
export function neuronOrder(sort: NeuronSort, mean: Float32Array, std: Float32Array): Uint32Array {
  const order = Uint32Array.from({ length: mean.length }, (_, i) => i);
  if (sort === 'index') return order;
  const key = sort === 'variance' ? Float64Array.from(std, (s) => s * s) : Float64Array.from(mean);
  const value = (i: number): number => (Number.isNaN(key[i]!) ? -Infinity : key[i]!);
  return order.sort((a, b) => value(b) - value(a) || a - b);
}
