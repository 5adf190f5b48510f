import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renameCalls, usesVariable } from '../../src/validate/cel-source.js';
import { parseGoDuration } from '../../src/validate/go-duration.js';
import { parseRequestUri } from '../../src/validate/k8s-url.js';

test('GIVEN durations Go accepts WHEN parsed THEN they give Go\'s nanoseconds', () => {
  const cases: [string, bigint][] = [
    ['0', 0n], ['1ms', 1_000_000n], ['1.5s', 1_500_000_000n], ['1h30m', 5_400_000_000_000n], ['-2m', -120_000_000_000n],
    ['+5s', 5_000_000_000n], ['.5s', 500_000_000n], ['1.s', 1_000_000_000n], ['1us', 1000n], ['1µs', 1000n], ['1μs', 1000n], ['2h45m30.5s', 9_930_500_000_000n],
  ];
  for (const [text, nanos] of cases) assert.is(parseGoDuration(text), nanos, text);
});

test('GIVEN durations Go rejects WHEN parsed THEN they throw', () => {
  for (const text of ['', 'ms', '5', '1d', '1e3ms', '.s', '1 s', '-', '9999999999h', 'abc']) {
    assert.throws(() => parseGoDuration(text), undefined, text);
  }
});

test('GIVEN URLs WHEN parsed like Go\'s ParseRequestURI THEN absolute URIs and paths are accepted, relative ones are not', () => {
  assert.is(parseRequestUri('https://auth.example.com:8443/jwks?x=1')?.scheme, 'https');
  assert.is(parseRequestUri('HTTP://x')?.scheme, 'http');
  assert.is(parseRequestUri('oci://ghcr.io/org/plugin:1.0')?.host, 'ghcr.io');
  assert.is(parseRequestUri('/local/path')?.scheme, '');
  for (const bad of ['', 'example.com/jwks', 'http://host:port/', 'http://x/%zz', 'http://x/a b\n', '://x']) {
    assert.is(parseRequestUri(bad), undefined, bad);
  }
});

test('GIVEN a rule with matches and duration calls WHEN renamed THEN string literals and field names are untouched', () => {
  assert.is(
    renameCalls(`self.matches("duration(x)") && duration(self.duration) > duration('matches(')`, { matches: 'k8sMatches', duration: 'k8sDuration' }),
    `self.k8sMatches("duration(x)") && k8sDuration(self.duration) > k8sDuration('matches(')`,
  );
  assert.is(renameCalls(String.raw`r"\d" + "a\"matches(" + """matches(""" + matches("x", ".")`, { matches: 'm2' }), String.raw`r"\d" + "a\"matches(" + """matches(""" + m2("x", ".")`);
});

test('GIVEN rules WHEN asked whether they read oldSelf THEN only the variable counts, not a field or a string', () => {
  assert.ok(usesVariable('self == oldSelf', 'oldSelf'));
  assert.ok(!usesVariable('self.oldSelf == 1 && self.x == "oldSelf"', 'oldSelf'));
});

test.run();
