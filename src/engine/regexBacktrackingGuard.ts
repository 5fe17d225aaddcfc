import { setFlagsFromString } from 'node:v8';

let enabled = false;

/**
 * Features of interest can be user-written regular expressions, and V8's backtracking engine
 * takes exponential time on patterns such as /(a+)+b/ against a long run of "a": one such
 * feature would freeze the engine. V8 can switch a match that backtracks excessively over to its
 * linear-time engine, which gives the same answers for every pattern it supports (all but
 * backreferences and lookarounds; `parseFeature` refuses backreferences). The flag is
 * process-wide, so in the editor it also covers the extension host's other regexes; it changes
 * only how a runaway match is computed, never its result.
 */
export function enableRegexBacktrackingGuard(): void {
  if (enabled) return;
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  enabled = true;
}
