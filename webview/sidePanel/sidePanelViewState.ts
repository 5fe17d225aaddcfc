/** What the side panel remembers across being hidden and shown (the extension resends the data). */
export type NeuronSort = 'index' | 'variance' | 'mean';

export interface SidePanelViewState {
  sort: NeuronSort;
}

export const NEURON_SORTS: readonly { id: NeuronSort; label: string }[] = [
  { id: 'index', label: 'index' },
  { id: 'variance', label: 'variance' },
  { id: 'mean', label: 'mean' },
];

export function isSidePanelViewState(x: unknown): x is SidePanelViewState {
  if (typeof x !== 'object' || x === null) return false;
  const sort = (x as { sort?: unknown }).sort;
  return NEURON_SORTS.some((s) => s.id === sort);
}
