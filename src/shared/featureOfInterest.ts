import { NeuronLensError } from './errors';

/**
 * A feature of interest: the tokens a user wants to study, named by their exact text (`" "`,
 * `"."`, `"whale"`) or by a regular expression written `/…/flags` that must match a whole token
 * (the reference project's fullmatch: `/[?!.]/` matches "?" but not "a.").
 */
export interface FeatureOfInterest {
  /** As the user wrote it; also its display name. */
  spec: string;
  matches: (tokenText: string) => boolean;
}

const REGEX_SPEC = /^\/(.+)\/([imsu]*)$/s;

/** Longer patterns are almost certainly pasted by mistake, and cost time on every token. */
export const MAX_FEATURE_PATTERN_LENGTH = 500;

/**
 * Backreferences and lookarounds, outside character classes: the two constructs V8's linear-time
 * regex engine cannot run, so a pattern using them could backtrack exponentially on a long token.
 */
function exponentialConstruct(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || (next === 'k' && source[i + 2] === '<'))) return 'a backreference';
      i++;
    } else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (!inClass && c === '(' && /^\?<?[=!]/.test(source.slice(i + 1, i + 4))) return 'a lookaround';
  }
  return undefined;
}

export function parseFeature(spec: string): FeatureOfInterest {
  if (spec.length === 0) throw new NeuronLensError('A feature of interest cannot be empty');
  const m = REGEX_SPEC.exec(spec);
  if (!m) return { spec, matches: (text) => text === spec };
  if (m[1]!.length > MAX_FEATURE_PATTERN_LENGTH) {
    throw new NeuronLensError(
      `Feature ${spec.slice(0, 40)}… is a regular expression of ${m[1]!.length} characters; the limit is ${MAX_FEATURE_PATTERN_LENGTH}`,
    );
  }
  const risky = exponentialConstruct(m[1]!);
  if (risky) {
    throw new NeuronLensError(`Feature ${spec} uses ${risky}, which can take exponential time on long tokens; write it without one`);
  }
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${m[1]})$`, m[2]);
  } catch (e) {
    throw new NeuronLensError(`Feature ${spec} is not a valid regular expression: ${(e as Error).message}`);
  }
  return { spec, matches: (text) => re.test(text) };
}

/**
 * Which tokens are feature tokens, and how many. A text has far fewer distinct tokens than
 * tokens, so each distinct text is matched once.
 */
export function featureMask(feature: FeatureOfInterest, tokenTexts: readonly string[]): { mask: Uint8Array; count: number } {
  const mask = new Uint8Array(tokenTexts.length);
  const seen = new Map<string, boolean>();
  let count = 0;
  tokenTexts.forEach((t, i) => {
    let hit = seen.get(t);
    if (hit === undefined) {
      hit = feature.matches(t);
      seen.set(t, hit);
    }
    if (hit) {
      mask[i] = 1;
      count++;
    }
  });
  return { mask, count };
}
