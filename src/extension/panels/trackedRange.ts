/**
 * A range of document offsets kept pointing at the same text while the document is edited (the
 * heatmap of a selection follows its text, as the editor's own selection would).
 */

export interface OffsetChange {
  /** Offset of the replaced text in the document before this change. */
  rangeOffset: number;
  rangeLength: number;
  /** Length of the inserted text. */
  textLength: number;
}

/**
 * The range [start, end) after `changes`, applied one after the other (VS Code lists the changes
 * of one event so that each one's offsets hold after the previous ones). Text inserted at the
 * start goes before the range, at the end after it; an edit across a boundary widens the range to
 * take in the new text.
 */
export function shiftRange(range: readonly [number, number], changes: readonly OffsetChange[]): [number, number] {
  let [start, end] = range;
  for (const c of changes) {
    const a = c.rangeOffset;
    const b = c.rangeOffset + c.rangeLength;
    const delta = c.textLength - c.rangeLength;
    if (b <= start) {
      start += delta;
      end += delta;
    } else if (a >= end) {
      continue;
    } else {
      const newStart = Math.min(start, a);
      end = b >= end ? a + c.textLength : end + delta;
      start = newStart;
    }
  }
  return [start, Math.max(start, end)];
}
