/** Fault unit: delay and abort by FractionalPercent, header-controlled faults, filters, local replies. */
import { create } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HTTPFaultSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/fault/v3/fault_pb.js';
import { RouteSchema } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { FractionalPercent_DenominatorType as D } from '../../../src/xds/gen/envoy/type/v3/percent_pb.js';
import { FaultInjector } from '../../../src/proxy/policy/fault.js';
import { scripted, seeded } from './_helpers.js';

const fault = (f: Record<string, unknown>) => new FaultInjector(create(HTTPFaultSchema, f));
const pct = (numerator: number, denominator = D.HUNDRED) => ({ numerator, denominator });
const delay = (ms: number, p: ReturnType<typeof pct>) => ({ faultDelaySecifier: { case: 'fixedDelay', value: { seconds: 0n, nanos: ms * 1e6 } }, percentage: p });
const req = { headers: {} };

test('GIVEN abort 503 at 25/100 WHEN 4000 seeded requests THEN ~25 % abort (binomial 4 sigma), each 503', () => {
  const f = fault({ abort: { errorType: { case: 'httpStatus', value: 503 }, percentage: pct(25) } });
  const r = seeded(7);
  let n = 0;
  for (let i = 0; i < 4000; i++) {
    const a = f.abort(req, r);
    if (a) { n++; assert.equal(a, { httpStatus: 503 }); }
  }
  const sigma = Math.sqrt(4000 * 0.25 * 0.75);
  assert.ok(Math.abs(n - 1000) < 4 * sigma, `aborted ${n}`);
});

test('GIVEN each denominator THEN draw x fires iff floor(x*d) < numerator', () => {
  for (const [d, den] of [[D.HUNDRED, 100], [D.TEN_THOUSAND, 10_000], [D.MILLION, 1_000_000]] as const) {
    const f = fault({ abort: { errorType: { case: 'httpStatus', value: 500 }, percentage: pct(5, d) } });
    assert.ok(f.abort(req, scripted(4.99 / den)), `${den}: just below fires`);
    assert.not.ok(f.abort(req, scripted(5 / den)), `${den}: at the numerator does not`);
  }
});

test('GIVEN a delay of 100 ms at 100 % and an abort at 0 % THEN the request is delayed, then continues', () => {
  const f = fault({ delay: delay(100, pct(100)), abort: { errorType: { case: 'httpStatus', value: 500 }, percentage: pct(0) } });
  assert.is(f.delayMs(req, scripted(0.5)), 100);
  assert.is(f.abort(req, scripted(0.5)), undefined);
});

test('GIVEN no percentage THEN the fault never fires (proto default 0 %)', () => {
  const f = fault({ delay: { faultDelaySecifier: { case: 'fixedDelay', value: { seconds: 1n } } }, abort: { errorType: { case: 'httpStatus', value: 500 } } });
  assert.is(f.delayMs(req, scripted(0)), undefined);
  assert.is(f.abort(req, scripted(0)), undefined);
});

test('GIVEN header-controlled faults THEN headers give status, delay and a percentage capped by the configured one', () => {
  const f = fault({ delay: { faultDelaySecifier: { case: 'headerDelay', value: {} }, percentage: pct(50) }, abort: { errorType: { case: 'headerAbort', value: {} }, percentage: pct(50) } });
  const h = { 'x-envoy-fault-abort-request': '429', 'x-envoy-fault-delay-request': '30' };
  assert.equal(f.abort({ headers: h }, scripted(0.1)), { httpStatus: 429 });
  assert.is(f.delayMs({ headers: h }, scripted(0.1)), 30);
  assert.is(f.abort({ headers: {} }, scripted(0.1)), undefined, 'no header: no abort');
  assert.is(f.abort({ headers: { ...h, 'x-envoy-fault-abort-request-percentage': '80' } }, scripted(0.6)), undefined, 'header 80 capped at 50');
  assert.equal(f.abort({ headers: { ...h, 'x-envoy-fault-abort-request-percentage': '20' } }, scripted(0.15)), { httpStatus: 429 });
  assert.is(f.abort({ headers: { ...h, 'x-envoy-fault-abort-request-percentage': '20' } }, scripted(0.25)), undefined);
  assert.equal(f.abort({ headers: { 'x-envoy-fault-abort-grpc-request': '14' } }, scripted(0)), { grpcStatus: 14 });
  assert.is(f.abort({ headers: { 'x-envoy-fault-abort-request': '700' } }, scripted(0)), undefined, 'status outside [200, 600)');
});

test('GIVEN upstream_cluster, headers and max_active_faults THEN the fault applies only where they match', () => {
  const f = fault({ upstreamCluster: 'a', headers: [{ name: 'x-test', headerMatchSpecifier: { case: 'stringMatch', value: { matchPattern: { case: 'exact', value: 'yes' } } } }], maxActiveFaults: 1 });
  assert.ok(f.applies({ headers: { 'x-test': 'yes' }, cluster: 'a' }));
  assert.not.ok(f.applies({ headers: { 'x-test': 'no' }, cluster: 'a' }));
  assert.not.ok(f.applies({ headers: { 'x-test': 'yes' }, cluster: 'b' }));
  f.active = 1;
  assert.not.ok(f.applies({ headers: { 'x-test': 'yes' }, cluster: 'a' }));
});

test('GIVEN an abort status 999 THEN a ConfigError at abort.http_status', () => {
  assert.throws(() => fault({ abort: { errorType: { case: 'httpStatus', value: 999 }, percentage: pct(1) } }), /abort\.http_status: 999 is not an HTTP status/);
});

test('GIVEN the Any Istio puts in typed_per_filter_config THEN it unpacks; a wrong type is a ConfigError', () => {
  const any = anyPack(HTTPFaultSchema, create(HTTPFaultSchema, { abort: { errorType: { case: 'grpcStatus', value: 14 }, percentage: pct(100) } }));
  assert.equal(FaultInjector.fromTypedConfig(any).abort(req, scripted(0)), { grpcStatus: 14 });
  assert.throws(() => FaultInjector.fromTypedConfig(anyPack(RouteSchema, create(RouteSchema, {}))), /is not type\.googleapis\.com\/envoy\.extensions\.filters\.http\.fault\.v3\.HTTPFault/);
});

test('GIVEN a wrong config (10 % instead of 100 %) THEN far fewer aborts: the unit tells them apart', () => {
  const r = seeded(3);
  const full = fault({ abort: { errorType: { case: 'httpStatus', value: 503 }, percentage: pct(100) } });
  const tenth = fault({ abort: { errorType: { case: 'httpStatus', value: 503 }, percentage: pct(10) } });
  const count = (f: FaultInjector) => Array.from({ length: 200 }, () => f.abort(req, r)).filter(Boolean).length;
  assert.is(count(full), 200);
  assert.ok(count(tenth) < 50);
});

test.run();
