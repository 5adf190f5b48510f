/** Timeout unit: route timeout, per-try timeout, gRPC deadline capping, max stream duration, attempt timers. */
import { create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RouteActionSchema, RetryPolicySchema } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { compileRetryPolicy } from '../../../src/proxy/policy/retry.js';
import { attemptTimer, compileRouteTimeouts, expectedTimeoutMs, finalTimeout, parseGrpcTimeout } from '../../../src/proxy/policy/timeout.js';

const ms = (n: number) => ({ seconds: BigInt(Math.floor(n / 1000)), nanos: (n % 1000) * 1e6 });
const route = (action: Record<string, unknown>, perTryMs?: number) => {
  const retry = perTryMs === undefined ? undefined : compileRetryPolicy(create(RetryPolicySchema, { retryOn: '5xx', perTryTimeout: ms(perTryMs) }));
  return compileRouteTimeouts(create(RouteActionSchema, action), retry);
};
const plain = { headers: {}, grpc: false };

test('GIVEN no timeout field THEN Envoy default 15 s; GIVEN timeout 0 THEN disabled', () => {
  assert.is(finalTimeout(route({}), plain).globalMs, 15_000);
  assert.is(finalTimeout(route({ timeout: ms(0) }), plain).globalMs, 0);
});

test('GIVEN timeout 2 s and per_try_timeout 500 ms THEN per-try 500, global 2000', () => {
  const p = finalTimeout(route({ timeout: ms(2000) }, 500), plain);
  assert.equal([p.globalMs, p.perTryMs], [2000, 500]);
});

test('GIVEN per_try_timeout >= route timeout THEN the per-try timeout is ignored (Envoy)', () => {
  assert.is(finalTimeout(route({ timeout: ms(500) }, 500), plain).perTryMs, 0);
  assert.is(finalTimeout(route({ timeout: ms(0) }, 500), plain).perTryMs, 500, 'with no global timeout the per-try one stands');
});

test('GIVEN x-envoy-upstream-rq-timeout-ms THEN it overrides the route timeout unless the caller is untrusted', () => {
  const r = route({ timeout: ms(2000) });
  const headers = { 'x-envoy-upstream-rq-timeout-ms': '300' };
  assert.is(finalTimeout(r, { headers, grpc: false }).globalMs, 300);
  assert.is(finalTimeout(r, { headers, grpc: false, honourEnvoyHeaders: false }).globalMs, 2000);
});

test('GIVEN a gRPC request and max_grpc_timeout THEN grpc-timeout is used, capped by the maximum (0 = no cap)', () => {
  const r = route({ timeout: ms(0), maxGrpcTimeout: ms(1000) });
  assert.is(finalTimeout(r, { headers: { 'grpc-timeout': '200m' }, grpc: true }).globalMs, 200);
  assert.is(finalTimeout(r, { headers: { 'grpc-timeout': '5S' }, grpc: true }).globalMs, 1000);
  assert.is(finalTimeout(r, { headers: {}, grpc: true }).globalMs, 1000);
  assert.is(finalTimeout(route({ maxGrpcTimeout: ms(0) }), { headers: {}, grpc: true }).globalMs, 0);
  assert.is(finalTimeout(r, { headers: { 'grpc-timeout': '200m' }, grpc: false }).globalMs, 0, 'not gRPC: the route timeout');
});

test('GIVEN grpc-timeout values THEN units H M S m u n parse; malformed ones are ignored', () => {
  assert.equal(['1H', '2M', '3S', '4m', '1500u', '1n', '123456789S', '5x', ''].map(parseGrpcTimeout), [3_600_000, 120_000, 3000, 4, 2, 1, undefined, undefined, undefined]);
});

test('GIVEN max_stream_duration and idle_timeout on the route THEN they are carried; grpc_timeout_header_max caps gRPC', () => {
  const r = route({ idleTimeout: ms(0), maxStreamDuration: { maxStreamDuration: ms(3000), grpcTimeoutHeaderMax: ms(1000) } });
  const p = finalTimeout(r, plain);
  assert.equal([p.idleMs, p.maxStreamDurationMs], [0, 3000]);
  assert.is(finalTimeout(r, { headers: { 'grpc-timeout': '5S' }, grpc: true }).maxStreamDurationMs, 1000);
  assert.is(finalTimeout(r, { headers: { 'grpc-timeout': '100m' }, grpc: true }).maxStreamDurationMs, 100);
});

test('GIVEN global 1000 and per-try 300 WHEN attempts start at 0, 800, 1200 ms THEN per-try, then the shorter global rest, then 0', () => {
  const p = finalTimeout(route({ timeout: ms(1000) }, 300), plain);
  assert.equal(attemptTimer(p, 0), { ms: 300, kind: 'per-try' });
  assert.equal(attemptTimer(p, 800), { ms: 200, kind: 'global' });
  assert.equal(attemptTimer(p, 1200), { ms: 0, kind: 'global' });
  assert.is(expectedTimeoutMs(p, 0), 300);
  assert.equal(attemptTimer(finalTimeout(route({ timeout: ms(0) }), plain), 5), { ms: undefined, kind: 'global' });
});

test('GIVEN a wrong config (timeout 0 instead of 1 s) THEN no deadline: the unit tells them apart', () => {
  assert.is(attemptTimer(finalTimeout(route({ timeout: ms(1000) }), plain), 0).ms, 1000);
  assert.is(attemptTimer(finalTimeout(route({ timeout: ms(0) }), plain), 0).ms, undefined);
});

test.run();
