/**
 * Options over their defaults, where an option given as undefined (a CLI flag not passed, a
 * JSON field left out) keeps its default instead of erasing it as a plain spread would.
 */
export function withDefaults<T extends object>(defaults: T, partial: Partial<T> = {}): T {
  const out = { ...defaults };
  for (const [key, value] of Object.entries(partial)) if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  return out;
}
