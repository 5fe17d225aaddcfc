import { parseFeature } from '../../src/shared/featureOfInterest';

/**
 * Checks a feature of interest as the user types it, with the engine's own rules
 * (src/shared/featureOfInterest.ts): exact token text, or /regex/flags matched against whole
 * tokens. The engine checks again; this only lets the panel say what is wrong at once.
 */
const REGEX_SPEC = /^\/(.+)\/([imsu]*)$/s;
export const MAX_FEATURES = 64;
export const MAX_FEATURE_LENGTH = 200;

export function featureSpecError(spec: string, existing: readonly string[]): string | undefined {
  if (spec.length === 0) return 'Type a token (a single space counts) or a /regular expression/.';
  if (spec.length > MAX_FEATURE_LENGTH) return `A feature is at most ${MAX_FEATURE_LENGTH} characters.`;
  if (existing.includes(spec)) return 'That feature is already listed.';
  if (existing.length >= MAX_FEATURES) return `At most ${MAX_FEATURES} features.`;
  try {
    parseFeature(spec);
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

export function isRegexSpec(spec: string): boolean {
  return REGEX_SPEC.test(spec);
}
