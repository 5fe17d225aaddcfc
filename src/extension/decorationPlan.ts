/**
 * Which tokens go into which colour bucket, without VS Code. Line breaks need their own kind of
 * decoration: a background on a range that ends on the next line has no width in the editor,
 * so a line-break token is drawn as a small block after the end of its line instead.
 */

export type LineBreakKind = 'none' | 'break' | 'hidden';

/**
 * `break` for a token made only of CR/LF characters; `hidden` for the CR of a CRLF that the
 * tokenizer split from its LF (both sit at the same spot at the end of the line, where only one
 * block can be seen: the LF's) and for empty tokens.
 */
export function lineBreakKind(text: string, start: number, end: number): LineBreakKind {
  if (end <= start) return 'hidden';
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 10 && c !== 13) return 'none';
  }
  if (end - start === 1 && text.charCodeAt(start) === 13 && text.charCodeAt(end) === 10) return 'hidden';
  return 'break';
}

export interface DecorationPlan {
  /** Per bucket (index bucket + levels): tokens drawn as a background behind their text. */
  spans: number[][];
  /** Per bucket: line-break tokens drawn as a block after the end of their line. */
  lineEnds: number[][];
}

/**
 * Groups tokens [from, to) by bucket. Whitespace tokens are spans like any other, so a space's
 * colour is visible as a coloured gap.
 */
export function planDecorations(
  text: string,
  starts: ArrayLike<number>,
  ends: ArrayLike<number>,
  buckets: ArrayLike<number>,
  from: number,
  to: number,
  levels: number,
): DecorationPlan {
  const spans: number[][] = Array.from({ length: 2 * levels + 1 }, () => []);
  const lineEnds: number[][] = Array.from({ length: 2 * levels + 1 }, () => []);
  for (let t = from; t < to; t++) {
    const slot = Math.max(-levels, Math.min(levels, buckets[t]!)) + levels;
    const kind = lineBreakKind(text, starts[t]!, ends[t]!);
    if (kind === 'none') spans[slot]!.push(t);
    else if (kind === 'break') lineEnds[slot]!.push(t);
  }
  return { spans, lineEnds };
}
