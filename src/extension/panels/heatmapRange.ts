/**
 * Which tokens the heatmap shows. The page draws 10,000 tokens × 1,024 neurons smoothly, and every
 * value crosses to the webview in one message, so a long document is shown in a window of at most
 * MAX_HEATMAP_VALUES values: the selection's tokens, or the document's from the first visible one.
 */

/** 10,000 tokens × 1,024 neurons, the size the page is built and tested for. */
export const MAX_HEATMAP_VALUES = 10_240_000;
/** Token labels are strings, one per column: beyond this even narrow layers get long to send. */
export const MAX_HEATMAP_TOKENS = 50_000;

export interface TokenWindow {
  from: number;
  to: number;
  /** Fewer tokens than wanted are shown. */
  capped: boolean;
}

/**
 * Tokens [from, to) to show out of `wanted` (all `total` analysed tokens when undefined), for a
 * layer of `units` neurons; when they do not fit, the window starts at `anchor` (the first visible
 * token), moved back so that it stays full.
 */
export function heatmapTokenWindow(
  total: number,
  units: number,
  wanted: { from: number; to: number } | undefined,
  anchor = 0,
): TokenWindow {
  const lo = Math.max(0, Math.min(wanted?.from ?? 0, total));
  const hi = Math.max(lo, Math.min(wanted?.to ?? total, total));
  const limit = Math.max(1, Math.min(MAX_HEATMAP_TOKENS, Math.floor(MAX_HEATMAP_VALUES / Math.max(1, units))));
  if (hi - lo <= limit) return { from: lo, to: hi, capped: false };
  // A selection starts where it starts; a whole document where the user is looking.
  const start = wanted ? lo : Math.max(lo, Math.min(anchor, hi - limit));
  return { from: start, to: start + limit, capped: true };
}
