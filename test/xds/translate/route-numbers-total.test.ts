/**
 * Translation is total over the numbers a route reads: a value the checks refuse (.inf, .nan, out of
 * the webhook's range) or one istiod converts with Go's implementation-defined float → uint32 gives
 * a clamped Envoy field, never an exception. One test per field; each builds the proxy's resources
 * and encodes them (the encoder is where an out-of-range uint32 used to throw).
 */
import { test } from 'uvu';
import { FractionalPercent_DenominatorType } from '../../../src/xds/gen/envoy/type/v3/percent_pb.js';
import * as assert from 'uvu/assert';
import { toBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import type { Route, RouteAction } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { RouteConfigurationSchema } from '../../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import { HTTPFaultSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/fault/v3/fault_pb.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { dr, route, svc, vs } from '../../mesh/view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const REVIEWS = 'reviews.prod.svc.cluster.local';
const MAX_U32 = 4_294_967_295;
const subsets = dr('reviews', 'prod', { host: 'reviews', subsets: [{ name: 'a', labels: { v: 'a' } }, { name: 'b', labels: { v: 'b' } }] });
const split = (wa: unknown = 50, wb: unknown = 50) => [{ ...route('reviews', { subset: 'a' }), weight: wa }, { ...route('reviews', { subset: 'b' }), weight: wb }];

/** The reviews route built from `rule` (one HTTPRoute), encoded to prove Envoy could carry it. */
function routeOf(rule: Record<string, unknown>): Route {
  const set = translateProxy(buildProxyView(graphOf([svc('reviews', 'prod'), subsets, vs('reviews', 'prod', { hosts: ['reviews'], http: [{ route: split(), ...rule }] })]), client), []);
  const rc = set.routes.find((r) => r.name === '9080')!;
  toBinary(RouteConfigurationSchema, rc);
  return rc.virtualHosts.find((v) => v.name === `${REVIEWS}:9080`)!.routes[0]!;
}
const action = (r: Route) => r.action.value as RouteAction;
const fault = (r: Route) => anyUnpack(r.typedPerFilterConfig['envoy.filters.http.fault']!, HTTPFaultSchema)!;
const mirrorNumerators = (r: Route) => action(r).requestMirrorPolicies.map((m) => m.runtimeFraction?.defaultValue?.numerator);

test('mirrorPercentage: .inf and 1e10 clamp to 2^32-1 millionths (Envoy: 100 %), .nan and negatives mirror nothing, 150 is kept as istiod sends it', () => {
  const mirror = (value: number) => mirrorNumerators(routeOf({ mirror: { host: 'reviews', subset: 'b' }, mirrorPercentage: { value } }));
  assert.equal(mirror(Number.POSITIVE_INFINITY), [MAX_U32]);
  assert.equal(mirror(1e10), [MAX_U32]);
  assert.equal(mirror(Number.NaN), []);
  assert.equal(mirror(-5), []);
  assert.equal(mirror(Number.NEGATIVE_INFINITY), []);
  assert.equal(mirror(150), [1_500_000]);
  assert.equal(mirror(0.57), [5699], 'truncated like Go uint32(0.57 * 10000) = uint32(5699.999999999999), not rounded');
});

test('mirrors[].percentage: .inf clamps, .nan mirrors nothing', () => {
  const mirror = (value: number) => mirrorNumerators(routeOf({ mirrors: [{ destination: { host: 'reviews', subset: 'b' }, percentage: { value } }] }));
  assert.equal(mirror(Number.POSITIVE_INFINITY), [MAX_U32]);
  assert.equal(mirror(Number.NaN), []);
});

test('fault.delay.percentage: .inf, .nan and negatives give a percentage Envoy can carry', () => {
  const delay = (value: number) => fault(routeOf({ fault: { delay: { fixedDelay: '1s', percentage: { value } } } })).delay!.percentage!.numerator;
  assert.equal([delay(Number.POSITIVE_INFINITY), delay(Number.NaN), delay(-1), delay(1e10)], [MAX_U32, 0, 0, MAX_U32]);
});

test('fault.delay.percent (deprecated integer): a negative one wraps like istiod\'s uint32 over a denominator of 100 (past 100 %: always injected)', () => {
  const p = fault(routeOf({ fault: { delay: { fixedDelay: '1s', percent: -5 } } })).delay!.percentage!;
  assert.equal([p.numerator, p.denominator], [2 ** 32 - 5, FractionalPercent_DenominatorType.HUNDRED]);
});

test('fault.abort.percentage and httpStatus: out-of-range values clamp', () => {
  const abort = (value: number, httpStatus: number) => fault(routeOf({ fault: { abort: { httpStatus, percentage: { value } } } })).abort!;
  const a = abort(Number.NaN, -1);
  assert.equal([a.percentage!.numerator, a.errorType.value], [0, 0]);
  const b = abort(-1, Number.POSITIVE_INFINITY);
  assert.equal([b.percentage!.numerator, b.errorType.value], [0, MAX_U32]);
});

test('fault.delay.fixedDelay past Envoy\'s Duration bound clamps to 315,576,000,000 s', () => {
  const d = fault(routeOf({ fault: { delay: { fixedDelay: `${'9'.repeat(400)}s`, percentage: { value: 50 } } } })).delay!.faultDelaySecifier.value as { seconds: bigint };
  assert.is(d.seconds, 315_576_000_000n);
});

test('route weights: negative, .nan, .inf and huge weights clamp to [0, 2^32-1]', () => {
  const weights = (wa: unknown) => {
    const set = translateProxy(buildProxyView(graphOf([svc('reviews', 'prod'), subsets, vs('reviews', 'prod', { hosts: ['reviews'], http: [{ route: split(wa, 50) }] })]), client), []);
    const rc = set.routes.find((r) => r.name === '9080')!;
    toBinary(RouteConfigurationSchema, rc);
    const cs = action(rc.virtualHosts.find((v) => v.name === `${REVIEWS}:9080`)!.routes[0]!).clusterSpecifier;
    return cs.case === 'weightedClusters' ? cs.value.clusters.map((c) => c.weight) : [];
  };
  assert.equal(weights(-5), [0, 50]);
  assert.equal(weights(Number.POSITIVE_INFINITY), [MAX_U32, 50]);
  assert.equal(weights(1e20), [MAX_U32, 50]);
});

test('timeout and retries.perTryTimeout past the Duration bound clamp; retries.attempts .inf clamps', () => {
  const huge = `${'9'.repeat(400)}s`;
  const a = action(routeOf({ timeout: huge, retries: { attempts: Number.POSITIVE_INFINITY, perTryTimeout: huge } }));
  assert.equal([a.timeout?.seconds, a.retryPolicy?.perTryTimeout?.seconds, a.retryPolicy?.numRetries], [315_576_000_000n, 315_576_000_000n, MAX_U32]);
});

test('directResponse.status and redirect.port: .inf and negatives clamp', () => {
  const status = (s: number) => (routeOf({ route: undefined, directResponse: { status: s } }).action.value as { status: number }).status;
  assert.equal([status(-1), status(Number.POSITIVE_INFINITY)], [0, MAX_U32]);
  const port = (p: number) => (routeOf({ route: undefined, redirect: { uri: '/x', port: p } }).action.value as { portRedirect: number }).portRedirect;
  assert.equal([port(-1), port(Number.POSITIVE_INFINITY)], [0, MAX_U32]);
});

test.run();
