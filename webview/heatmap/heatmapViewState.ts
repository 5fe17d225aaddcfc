/**
 * What the heatmap panel remembers across reloads (VS Code keeps it with setState while the tab
 * is hidden or the window reloads; the data itself is sent again by the extension). Positions are
 * kept in cells, not pixels, so they survive a resize.
 */
export type NeuronSort = { kind: 'index' } | { kind: 'variance' } | { kind: 'relevance'; feature: string };

export const STATISTICS = [
  { id: 'cohen-d', label: "Cohen's d" },
  { id: 'auroc', label: 'AUROC' },
  { id: 'reference', label: 'Reference (Visualization of RNNs)' },
] as const;

export interface HeatmapViewState {
  /** CSS pixels per token and per neuron; 0 until data has been shown (the first data is fitted to the panel). */
  cellWidth: number;
  cellHeight: number;
  /** Token column and neuron row at the top-left corner (fractional: scrolling is smooth). */
  scrollColumn: number;
  scrollRow: number;
  sort: NeuronSort;
  features: string[];
  statistic: string;
}

export const DEFAULT_STATISTIC = 'cohen-d';

const finite = (x: unknown, lo: number, hi: number): x is number => typeof x === 'number' && Number.isFinite(x) && x >= lo && x <= hi;

function isSort(x: unknown): x is NeuronSort {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Record<string, unknown>;
  return s.kind === 'index' || s.kind === 'variance' || (s.kind === 'relevance' && typeof s.feature === 'string');
}

/** Saved state comes back from storage the page does not control, so it is checked like input. */
export function isHeatmapViewState(x: unknown): x is HeatmapViewState {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Record<string, unknown>;
  return (
    finite(s.cellWidth, 0, 1e3) &&
    finite(s.cellHeight, 0, 1e3) &&
    finite(s.scrollColumn, 0, 1e9) &&
    finite(s.scrollRow, 0, 1e9) &&
    isSort(s.sort) &&
    Array.isArray(s.features) &&
    s.features.length <= 64 &&
    s.features.every((f) => typeof f === 'string' && f.length > 0 && f.length <= 200) &&
    STATISTICS.some((st) => st.id === s.statistic)
  );
}
