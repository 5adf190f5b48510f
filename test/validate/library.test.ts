import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileCel, k8sIsIp } from '../../src/validate/cel-library.js';
import { renameCalls, rewriteFormatCalls, rewriteHasOfExpressions, usesVariable } from '../../src/validate/cel-source.js';
import { escapePropertyName } from '../../src/validate/cel.js';
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

test('GIVEN has() of a field of an indexed value WHEN rewritten THEN it tests that key; has() of identifier chains and strings stay', () => {
  assert.is(rewriteHasOfExpressions("!has(self.matches[0].path) || has(self.a.b) || 'has(x[0].y)' == ''", 'H'),
    "!H(self.matches[0], 'path') || has(self.a.b) || 'has(x[0].y)' == ''");
  assert.is(rewriteHasOfExpressions('has(self[f(1)].m)', 'H'), "H(self[f(1)], 'm')");
  const run = (rule: string, self: unknown) => compileCel(rule)({ self });
  assert.is(run('has(self[0].matches)', [{ matches: [] }]), true);
  assert.is(run('has(self[0].matches)', [{}]), false);
  assert.is(run('size(self) == 0 || !has(self[0].matches)', []), true);
  assert.throws(() => run('has(self[1].matches)', [{}]), /index out of bounds/);
});

test('GIVEN addresses WHEN judged by isIP THEN IPv4 and IPv6 pass; leading zeros, zones, IPv4-mapped IPv6 and names fail (Kubernetes ip library)', () => {
  for (const ok of ['1.2.3.4', '255.255.255.255', '::1', '2001:db8::1', 'fe80::1']) assert.ok(k8sIsIp(ok), ok);
  for (const bad of ['01.2.3.4', '1.2.3', '1.2.3.4.5', 'fe80::1%eth0', '::ffff:1.2.3.4', '::ffff:102:304', 'a.example.com', '', '[::1]']) assert.not.ok(k8sIsIp(bad), bad);
  // As Gateway API v1.6's TLSRoute hostnames rule uses it.
  const rule = compileCel('self.all(h, !isIP(h))');
  assert.is(rule({ self: ['a.example.com'] }), true);
  assert.is(rule({ self: ['a.example.com', '10.0.0.1'] }), false);
});

test('GIVEN format.dns1123Label().validate as Gateway API v1.6 writes it WHEN evaluated THEN a label passes and anything else fails', () => {
  const rule = compileCel('size(self) == 0 || format.dns1123Label().validate(self) == null');
  for (const ok of ['', 'http', 'a-1', 'x'.repeat(63)]) assert.is(rule({ self: ok }), true, ok);
  for (const bad of ['HTTP', 'a_b', '-a', 'a-', 'x'.repeat(64)]) assert.is(rule({ self: bad }), false, bad);
  assert.is(rewriteFormatCalls("format.dns1123Label().validate(self) == 'format.x()' && self.format.y()", 'k_'), "k_dns1123Label().validate(self) == 'format.x()' && self.format.y()");
});

test('GIVEN property names that are not CEL identifiers WHEN escaped THEN they follow Kubernetes\' Escape', () => {
  const cases: [string, string][] = [
    ['namespace', '__namespace__'], ['in', '__in__'], ['name', 'name'], ['x-y', 'x__dash__y'], ['a.b', 'a__dot__b'],
    ['a/b', 'a__slash__b'], ['a__b', 'a__underscores__b'], ['namespaces', 'namespaces'],
  ];
  for (const [name, escaped] of cases) assert.is(escapePropertyName(name), escaped, name);
});

test.run();
