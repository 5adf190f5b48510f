import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { RE2JS } from 're2js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Duration } from '../../src/constructs/duration.js';
import { translateHttpRoute, translateRequestMatch } from '../../src/constructs/http-route.js';
import { Percent } from '../../src/constructs/percent.js';
import { StringMatch } from '../../src/constructs/string-match.js';

const reviews = { host: 'reviews.default.svc.cluster.local', namespace: 'default', subsetNames: ['v1', 'v2', 'v3'], portNumbers: [9080] };
const scope = () => new Construct(Testing.chart(), 'r');
/** The object as it would be serialized: undefined fields dropped. */
const plain = (x: unknown) => JSON.parse(JSON.stringify(x));

test('GIVEN a match with uri, method, headers, query, withoutHeaders and source conditions WHEN translated THEN each maps to its Istio field', () => {
  const out = translateRequestMatch(scope(), {
    name: 'api',
    uri: StringMatch.prefix('/api/'),
    ignoreUriCase: true,
    method: 'GET',
    authority: StringMatch.regex('.*\\.example\\.com'),
    headers: { 'end-user': 'jason', 'x-tier': StringMatch.prefix('gold') },
    withoutHeaders: { 'x-debug': StringMatch.regex('.+') },
    queryParams: { beta: 'true' },
    sourceLabels: { app: 'productpage' },
    sourceNamespace: 'frontend',
    gateways: ['mesh'],
    port: 9080,
  }, 'match[0]');
  assert.equal(plain(out), {
    name: 'api',
    uri: { prefix: '/api/' },
    ignoreUriCase: true,
    method: { exact: 'GET' },
    authority: { regex: '.*\\.example\\.com' },
    headers: { 'end-user': { exact: 'jason' }, 'x-tier': { prefix: 'gold' } },
    withoutHeaders: { 'x-debug': { regex: '.+' } },
    queryParams: { beta: { exact: 'true' } },
    sourceLabels: { app: 'productpage' },
    sourceNamespace: 'frontend',
    gateways: ['mesh'],
    port: 9080,
  });
});

test('GIVEN a cookie condition WHEN translated THEN it is a cookie-header regex that matches the cookie anywhere in the header', () => {
  const out = translateRequestMatch(scope(), { cookie: { name: 'user', value: 'jason' } }, 'match[0]');
  assert.equal(out.headers, { cookie: { regex: '^(.*?;\\s*)?(user=jason)(;.*)?$' } });
  const re = RE2JS.compile(out.headers!.cookie!.regex!);
  for (const yes of ['user=jason', 'a=1; user=jason', 'a=1;user=jason; b=2']) assert.ok(re.matches(yes), yes);
  for (const no of ['user=jasonx', 'xuser=jason', 'a=1; user=bob']) assert.not.ok(re.matches(no), no);
});

test('GIVEN a cookie prefix with regex metacharacters WHEN translated THEN the literal part is escaped', () => {
  const out = translateRequestMatch(scope(), { cookie: { name: 'grp', value: StringMatch.prefix('a.b') } }, 'm');
  assert.equal(out.headers, { cookie: { regex: '^(.*?;\\s*)?(grp=a\\.b[^;]*)(;.*)?$' } });
  assert.ok(RE2JS.compile(out.headers!.cookie!.regex!).matches('x=1; grp=a.bcd; y=2'));
  assert.not.ok(RE2JS.compile(out.headers!.cookie!.regex!).matches('grp=aXbcd'));
});

test('GIVEN a forwarding route with every policy WHEN translated THEN the Istio HTTPRoute is exact', () => {
  const out = translateHttpRoute(scope(), {
    name: 'reviews-v2',
    match: [{ headers: { 'end-user': 'jason' } }, { uri: '/beta' }],
    route: [
      { destination: reviews, subset: 'v1', weight: 75, headers: { response: { remove: ['x-internal'] } } },
      { destination: { host: 'reviews.default.svc.cluster.local', subset: 'v2', port: 9080 }, weight: 25 },
    ],
    timeout: Duration.seconds(10),
    retries: { attempts: 3, perTryTimeout: '2s', retryOn: ['5xx', 'connect-failure', '503'], retryRemoteLocalities: true },
    mirror: { destination: reviews, subset: 'v3' },
    mirrorPercentage: Percent.of(12.5),
    rewrite: { uri: '/' },
    corsPolicy: {
      allowOrigins: [StringMatch.exact('https://a.example.com'), StringMatch.regex('https://.*\\.b\\.com')],
      allowMethods: ['GET', 'POST'],
      allowHeaders: ['Authorization'],
      exposeHeaders: ['x-request-id'],
      maxAge: Duration.hours(24),
      allowCredentials: true,
    },
    headers: { request: { set: { 'x-route': 'v2' }, add: { 'x-trace': '1' } } },
  }, 'routes[0]');
  assert.equal(plain(out), {
    name: 'reviews-v2',
    match: [{ headers: { 'end-user': { exact: 'jason' } } }, { uri: { exact: '/beta' } }],
    route: [
      { destination: { host: 'reviews.default.svc.cluster.local', subset: 'v1' }, weight: 75, headers: { response: { remove: ['x-internal'] } } },
      { destination: { host: 'reviews.default.svc.cluster.local', subset: 'v2', port: { number: 9080 } }, weight: 25 },
    ],
    timeout: '10s',
    retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,connect-failure,503', retryRemoteLocalities: true },
    mirror: { host: 'reviews.default.svc.cluster.local', subset: 'v3' },
    mirrorPercentage: { value: 12.5 },
    rewrite: { uri: '/' },
    corsPolicy: {
      allowOrigins: [{ exact: 'https://a.example.com' }, { regex: 'https://.*\\.b\\.com' }],
      allowMethods: ['GET', 'POST'],
      allowHeaders: ['Authorization'],
      exposeHeaders: ['x-request-id'],
      maxAge: '24h',
      allowCredentials: true,
    },
    headers: { request: { set: { 'x-route': 'v2' }, add: { 'x-trace': '1' } } },
  });
});

test('GIVEN a fault WHEN translated THEN it uses percentage.value and never the deprecated percent', () => {
  const out = translateHttpRoute(scope(), {
    route: [{ destination: reviews, subset: 'v1' }],
    fault: { delay: { fixedDelay: '7s', percentage: 100 }, abort: { httpStatus: 500, percentage: Percent.of(0.1) } },
  }, 'routes[0]');
  assert.equal(plain(out.fault), {
    delay: { fixedDelay: '7s', percentage: { value: 100 } },
    abort: { httpStatus: 500, percentage: { value: 0.1 } },
  });
});

test('GIVEN several mirror targets WHEN translated THEN mirrors lists each with its percentage', () => {
  const out = translateHttpRoute(scope(), {
    route: [{ destination: reviews, subset: 'v1' }],
    mirrors: [{ destination: reviews, subset: 'v2', percentage: 50 }, { destination: reviews, subset: 'v3' }],
  }, 'routes[0]');
  assert.equal(plain(out.mirrors), [
    { destination: { host: 'reviews.default.svc.cluster.local', subset: 'v2' }, percentage: { value: 50 } },
    { destination: { host: 'reviews.default.svc.cluster.local', subset: 'v3' } },
  ]);
});

test('GIVEN a redirect and a direct response WHEN translated THEN they map to redirect and directResponse.body.string', () => {
  const redirect = translateHttpRoute(scope(), { match: [{ uri: '/old' }], redirect: { uri: '/new', authority: 'b.example.com', scheme: 'https', port: 8443, redirectCode: 308 } }, 'r');
  assert.equal(plain(redirect), {
    match: [{ uri: { exact: '/old' } }],
    redirect: { uri: '/new', authority: 'b.example.com', scheme: 'https', port: 8443, redirectCode: 308 },
  });
  const direct = translateHttpRoute(scope(), { directResponse: { status: 503, body: 'maintenance' } }, 'r');
  assert.equal(plain(direct), { directResponse: { status: 503, body: { string: 'maintenance' } } });
});

test('GIVEN a regex rewrite WHEN translated THEN uriRegexRewrite carries match and rewrite', () => {
  const out = translateHttpRoute(scope(), {
    route: [{ destination: reviews }],
    rewrite: { authority: 'internal', uriRegexRewrite: { match: '^/v1/(.*)$', rewrite: '/\\1' } },
  }, 'r');
  assert.equal(plain(out.rewrite), { authority: 'internal', uriRegexRewrite: { match: '^/v1/(.*)$', rewrite: '/\\1' } });
});

test('GIVEN a route with both route and redirect WHEN translated THEN it is refused', () => {
  assert.throws(() => translateHttpRoute(scope(), { route: [{ destination: reviews }], redirect: { uri: '/' } }, 'routes[0]'), /exactly one action/);
});

test('GIVEN a fault, a timeout and retries on one route WHEN translated THEN all three are written (Istio applies the timeout and retries to the requests the fault does not hit)', () => {
  const out = translateHttpRoute(scope(), {
    route: [{ destination: reviews }], timeout: '1s', retries: { attempts: 2 }, fault: { abort: { httpStatus: 503, percentage: 10 } },
  }, 'routes[0]');
  assert.equal([out.timeout, out.retries?.attempts, out.fault?.abort?.httpStatus], ['1s', 2, 503]);
});

test('GIVEN a prefix match on a query parameter WHEN translated THEN it is refused (Istio supports exact and regex only)', () => {
  assert.throws(() => translateRequestMatch(scope(), { queryParams: { v: StringMatch.prefix('2') } }, 'm'), /m\.queryParams\.v/);
});

test('GIVEN a route to a multi-port service without a port WHEN translated THEN it asks for the port', () => {
  const multi = { ...reviews, portNumbers: [9080, 9090] };
  assert.throws(() => translateHttpRoute(scope(), { route: [{ destination: multi }] }, 'r'), /r\.route\[0\]\.destination\.port.*9080, 9090/);
});

test.run();
