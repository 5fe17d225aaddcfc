/**
 * The field checks shared by the message parsers (panelMessages, sidePanelMessages, visionMessages). A message
 * crossing between the extension and a page is untrusted on arrival: each parser rebuilds it from
 * fields that pass these, and drops it otherwise. Compiled into the webviews too: imports nothing.
 */

/** A whole number in [0, max): an index, a count, a step. */
export const isInt = (x: unknown, max = 1e9): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < max;

/** Text of at most `max` UTF-16 units: the caps bound the work a malformed post can cause. */
export const isStr = (x: unknown, max = 1_000): x is string => typeof x === 'string' && x.length <= max;

/** A number that can be drawn and printed: NaN and ±Infinity would put a hole or a wall in a chart. */
export const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

export const isStrList = (x: unknown, maxItems: number, maxLength: number): x is string[] =>
  Array.isArray(x) && x.length <= maxItems && x.every((s) => isStr(s, maxLength));

/** Indices below `max`, at most `maxItems` of them. */
export const isIntList = (x: unknown, maxItems: number, max = 1e9): x is number[] =>
  Array.isArray(x) && x.length <= maxItems && x.every((n) => isInt(n, max));

export function isOneOf<T extends string>(x: unknown, options: readonly T[]): x is T {
  return typeof x === 'string' && (options as readonly string[]).includes(x);
}

/** A plain object whose fields can be read; not null, not an array. */
export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * A typed array of exactly this class and length. The class matters: a plain array of the same
 * numbers would be copied value by value into canvases and charts that index typed arrays.
 */
export function isArrayOf<T extends ArrayLike<number>>(x: unknown, kind: abstract new (...args: never[]) => T, length: number): x is T {
  return x instanceof kind && x.length === length;
}

/**
 * A model component id: a cell's short lowercase name (h, c, i, f, g, o, z, r, n, pre), or a
 * bidirectional layer's backward twin (`backward/h`).
 */
export function isComponentId(x: unknown): x is string {
  return typeof x === 'string' && /^(?:backward\/)?[a-z]{1,16}$/.test(x);
}
