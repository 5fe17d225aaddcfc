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

export function parseFeature(spec: string): FeatureOfInterest {
  if (spec.length === 0) throw new NeuronLensError('A feature of interest cannot be empty');
  const m = REGEX_SPEC.exec(spec);
  if (!m) return { spec, matches: (text) => text === spec };
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${m[1]})$`, m[2]);
  } catch (e) {
    throw new NeuronLensError(`Feature ${spec} is not a valid regular expression: ${(e as Error).message}`);
  }
  return { spec, matches: (text) => re.test(text) };
}

/** Which tokens are feature tokens, and how many. */
export function featureMask(feature: FeatureOfInterest, tokenTexts: readonly string[]): { mask: Uint8Array; count: number } {
  const mask = new Uint8Array(tokenTexts.length);
  let count = 0;
  tokenTexts.forEach((t, i) => {
    if (feature.matches(t)) {
      mask[i] = 1;
      count++;
    }
  });
  return { mask, count };
}
