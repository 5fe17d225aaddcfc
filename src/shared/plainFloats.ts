/**
 * Float32 values as plain JSON numbers, for state VS Code keeps as JSON across a window reload
 * (a page's setState, an extension's workspaceState): a Float32Array would come back as an object
 * of indexed keys. Each value is written with the fewest significant digits (6 to 9) that read
 * back as the same float32, so a restored array is bit-for-bit the one saved at about 10
 * characters a value, where a float32 widened to a double prints up to 20.
 */

/** Non-finite values are written as null (JSON has no NaN or Infinity) and read back as NaN. */
export function plainFloats(values: Float32Array): (number | null)[] {
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    let p = 6;
    let shortest = Number(v.toPrecision(p));
    // Nine significant digits always identify a float32.
    while (Math.fround(shortest) !== v && p < 9) shortest = Number(v.toPrecision(++p));
    out[i] = shortest;
  }
  return out;
}

/** The Float32Array of `plainFloats`'s output; undefined unless every item is a finite number or null. */
export function float32FromPlain(x: unknown): Float32Array | undefined {
  if (!Array.isArray(x)) return undefined;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v: unknown = x[i];
    if (v === null) out[i] = NaN;
    else if (typeof v === 'number' && Number.isFinite(v)) out[i] = v;
    else return undefined;
  }
  return out;
}
