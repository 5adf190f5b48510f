/**
 * What Envoy says when it compiles a RegexMatcher with google_re2 (and Istio's program-size limit): each refused
 * pattern is paired with a close neighbour RE2 accepts. Errors are RE2's words, as Envoy prints them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { envoyRegexError, ISTIO_RE2_MAX_PROGRAM_SIZE } from '../../src/validate/envoy-regex.js';

const PAIRS: [refused: string, says: string, accepted: string][] = [
  ['/(v2', 'missing ): /(v2', '/(v2)'],
  ['[a-z', 'missing ]: [a-z', '[a-z]'],
  ['a)', 'unexpected ): a)', 'a'],
  ['a(?=b)', 'invalid perl operator: (?=', 'a(?:b)'],
  ['(\\d+)\\1', 'invalid escape sequence: \\1', '(\\d+)\\d'],
  ['x{2,1}', 'invalid repetition size: {2,1}', 'x{1,2}'],
  ['x**', 'bad repetition operator: **', 'x*'],
  ['*x', 'no argument for repetition operator: *', '\\*x'],
  ['a\\', 'trailing \\', 'a\\\\'],
  ['(?P<a-b>x)', 'invalid named capture group: (?P<a-b>', '(?P<a_b>x)'],
  ['[z-a]', 'invalid character class range: z-a', '[a-z]'],
];

for (const [refused, says, accepted] of PAIRS) {
  test(`GIVEN regex ${JSON.stringify(refused)} WHEN compiled as Envoy does THEN refused (${says}); ${JSON.stringify(accepted)} compiles`, () => {
    assert.is(envoyRegexError(refused), says);
    assert.is(envoyRegexError(accepted), undefined);
  });
}

test('GIVEN RE2\'s any-byte escape \\C, which Go\'s syntax lacks WHEN compiled THEN accepted as Envoy accepts it; an escaped backslash before C is a literal', () => {
  assert.is(envoyRegexError('a\\Cb'), undefined);
  assert.is(envoyRegexError('\\C\\C'), undefined);
  assert.is(envoyRegexError('a\\\\C'), undefined);
  assert.is(envoyRegexError('a\\\\C('), 'missing ): a\\\\C(');
});

test(`GIVEN a regex whose program is larger than Istio's limit (${ISTIO_RE2_MAX_PROGRAM_SIZE}) WHEN compiled THEN refused in Envoy's words; one just within it compiles`, () => {
  const big = 'a{1000}'.repeat(33);
  assert.match(String(envoyRegexError(big)), /^regex 'a\{1000\}.*' RE2 program size of \d+ > max program size of 32768 set for the error level threshold/);
  assert.is(envoyRegexError('a{1000}'.repeat(30)), undefined);
});

test.run();
