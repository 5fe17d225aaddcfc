import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enableRegexBacktrackingGuard } from '../../src/engine/regexBacktrackingGuard';
import { MAX_FEATURE_PATTERN_LENGTH, featureMask, parseFeature } from '../../src/shared/featureOfInterest';
import { featureSpecError } from '../../webview/heatmap/featureSpec';

describe('features of interest against hostile patterns', () => {
  it('matches a catastrophic-backtracking pattern against long tokens in linear time once guarded', { timeout: 20_000 }, () => {
    enableRegexBacktrackingGuard();
    // Unguarded, /(a+)+b/ against 40 "a"s takes about 2^40 steps: the test would time out.
    const feature = parseFeature('/(a+)+b/');
    const tokens = ['a'.repeat(40), 'a'.repeat(5000), 'aab', 'b', 'a'.repeat(39) + 'c', 'a'.repeat(3000) + 'b'];
    const { mask, count } = featureMask(feature, tokens);
    assert.deepEqual([...mask], [0, 0, 1, 0, 0, 1]);
    assert.equal(count, 2);
  });

  it('refuses backreferences and lookarounds, which the linear-time engine cannot run', () => {
    assert.throws(() => parseFeature('/(a)\\1/'), /Feature \/\(a\)\\1\/ uses a backreference/);
    assert.throws(() => parseFeature('/(?<x>a)\\k<x>/'), /uses a backreference/);
    assert.throws(() => parseFeature('/a(?=b)/'), /uses a lookaround/);
    assert.throws(() => parseFeature('/(?<!x)a/'), /uses a lookaround/);
    // The same characters inside a class, or escaped, are ordinary.
    assert.equal(parseFeature('/[\\1(?=]+/').matches('(?='), true);
    assert.equal(parseFeature('/\\(\\?=/').matches('(?='), true);
    assert.equal(parseFeature('/(?<word>[a-z]+)/').matches('whale'), true, 'named groups are fine');
  });

  it('limits the pattern length and says so', () => {
    const long = `/${'a'.repeat(MAX_FEATURE_PATTERN_LENGTH + 1)}/`;
    assert.throws(
      () => parseFeature(long),
      new RegExp(`regular expression of ${MAX_FEATURE_PATTERN_LENGTH + 1} characters; the limit is ${MAX_FEATURE_PATTERN_LENGTH}`),
    );
    assert.equal(parseFeature(`/${'a'.repeat(MAX_FEATURE_PATTERN_LENGTH)}/`).matches('a'.repeat(MAX_FEATURE_PATTERN_LENGTH)), true);
  });

  it('matches each distinct token text once', () => {
    let calls = 0;
    const counting = { spec: 'x', matches: (t: string) => (calls++, t === 'x') };
    const { mask, count } = featureMask(counting, ['x', 'y', 'x', 'x', 'y']);
    assert.deepEqual([...mask], [1, 0, 1, 1, 0]);
    assert.equal(count, 3);
    assert.equal(calls, 2);
  });

  it('gives the heatmap panel the engine’s own message while the user types', () => {
    assert.match(featureSpecError('/(a)\\1/', []) ?? '', /uses a backreference/);
    assert.match(featureSpecError('/(/', []) ?? '', /is not a valid regular expression/);
    assert.equal(featureSpecError('/[?!.]/', []), undefined);
  });
});
