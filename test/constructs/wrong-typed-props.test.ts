/**
 * Value-object props (StringMatch, Duration, Percent) given a wrong type from plain JavaScript or
 * `as any` are refused with a PropError naming the field and how to build the value, never a
 * TypeError such as "value.toIstio is not a function".
 */
import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PropError } from '../../src/constructs/_errors.js';
import { translateHttpRoute, translateRequestMatch } from '../../src/constructs/http-route.js';
import { StringMatch } from '../../src/constructs/string-match.js';
import { throwsProp } from '../_synth.js';

const reviews = { host: 'reviews.default.svc.cluster.local', namespace: 'default', subsetNames: ['v1'], portNumbers: [9080] };
const scope = () => new Construct(Testing.chart(), 'r');
const bad = (x: unknown) => x as any; // eslint-disable-line @typescript-eslint/no-explicit-any

for (const [what, props, field] of [
  ['uri { prefix } object', { uri: bad({ prefix: '/api' }) }, 'match[0].uri'],
  ['header value { exact } object', { headers: { 'x-tier': bad({ exact: 'gold' }) } }, 'match[0].headers.x-tier'],
  ['query param number', { queryParams: { page: bad(2) } }, 'match[0].queryParams.page'],
  ['cookie value { regex } object', { cookie: { name: 'canary', value: bad({ regex: 'y.*' }) } }, 'match[0].cookie.value'],
  ['method null', { method: bad(null) }, 'match[0].method'],
] as const) {
  test(`GIVEN a request match with a ${what} WHEN translated THEN a PropError names ${field} and how to build a StringMatch`, () => {
    const err = throwsProp(() => translateRequestMatch(scope(), props, 'match[0]'), { code: 'MP_INVALID_PROP', field });
    assert.match(err.message, /StringMatch\.exact\('…'\), StringMatch\.prefix\('…'\) or StringMatch\.regex\('…'\)/);
    assert.not.match(err.message, /is not a function/);
  });
}

test('GIVEN a real StringMatch WHEN translated THEN it is still accepted', () => {
  const out = translateRequestMatch(scope(), { uri: StringMatch.prefix('/api'), cookie: { name: 'c', value: StringMatch.exact('y') } }, 'match[0]');
  assert.equal(out.uri, { prefix: '/api' });
});

test('GIVEN timeout { seconds: 5 } WHEN a route is translated THEN MP_INVALID_DURATION names the field and the Duration factories', () => {
  const err = throwsProp(() => translateHttpRoute(scope(), { route: [{ destination: reviews }], timeout: bad({ seconds: 5 }) }, 'http[0]'),
    { code: 'MP_INVALID_DURATION', field: 'http[0].timeout' });
  assert.match(err.message, /Duration\.seconds\(…\)/);
});

test('GIVEN mirrorPercentage { value: 10 } or "10" WHEN a route is translated THEN MP_INVALID_PERCENT names the field and Percent.of', () => {
  for (const v of [{ value: 10 }, '10']) {
    const err = throwsProp(() => translateHttpRoute(scope(), { route: [{ destination: reviews }], mirror: { destination: reviews }, mirrorPercentage: bad(v) }, 'http[0]'),
      { code: 'MP_INVALID_PERCENT', field: 'http[0].mirrorPercentage' });
    assert.ok(err instanceof PropError);
    assert.match(err.message, /Percent\.of\(…\)/);
  }
});

test.run();
