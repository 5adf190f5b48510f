/**
 * The `previous_priorities` retry priority (Envoy `envoy.retry_priorities.previous_priorities`, what
 * Istio sends for `retryRemoteLocalities`): retries go to priorities not attempted yet. RetryState's
 * priority load, the route's config checks, and over real sockets a cluster whose priority 0 fails.
 */
import { create } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClusterLoadAssignmentSchema } from '../../../src/xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { RetryPolicySchema } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { PreviousPrioritiesConfigSchema } from '../../../src/xds/gen/envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config_pb.js';
import { DurationSchema } from '@bufbuild/protobuf/wkt';
import { ConfigError } from '../../../src/proxy/config/config-error.js';
import { PREVIOUS_PRIORITIES, RetryState, compileRetryPolicy } from '../../../src/proxy/policy/retry.js';
import { edsCluster, startEcho } from '../_harness.js';
import { vhost, withProxy } from './_e2e.js';
import { scripted } from './_helpers.js';

const retryPriority = (updateFrequency: number) => ({ name: PREVIOUS_PRIORITIES, configType: { case: 'typedConfig' as const, value: anyPack(PreviousPrioritiesConfigSchema, create(PreviousPrioritiesConfigSchema, { updateFrequency })) } });
const policy = (updateFrequency: number, numRetries = 4) => compileRetryPolicy(create(RetryPolicySchema, { retryOn: '5xx', numRetries, retryPriority: retryPriority(updateFrequency) }))!;

/**
 * The load of the pick after each of the attempts on `priorities` (each answered 503 and retried),
 * as the router asks for it: the host set's `health` and `original` load stay the same throughout.
 */
function loadsAfter(updateFrequency: number, priorities: readonly number[], health: readonly number[], original: readonly number[]): (readonly number[])[] {
  const rs = new RetryState(policy(updateFrequency), scripted(0));
  assert.equal(rs.priorityLoadForRetry(health, original), original, 'the first attempt');
  return priorities.map((p) => {
    rs.onHostAttempted(`10.0.${p}.1:80`, p);
    assert.ok(rs.shouldRetry({ kind: 'response', status: 503, headers: [] } as never).retry, 'a 503 is retried');
    return rs.priorityLoadForRetry(health, original);
  });
}

test('GIVEN previous_priorities with update_frequency 1 WHEN priority 0 was attempted THEN the retry\'s load moves to the other priorities by their health; then off the next attempted one too', () => {
  assert.equal(loadsAfter(1, [0], [100, 100, 40], [100, 0, 0]), [[0, 100, 0]], 'priority 1 (health 100) takes everything: the availability is capped at 100');
  assert.equal(loadsAfter(1, [0, 1], [100, 60, 40], [100, 0, 0]), [[0, 60, 40], [0, 0, 100]]);
  assert.equal(loadsAfter(1, [0], [100, 30, 40], [100, 0, 0]), [[0, 43, 57]], 'rounding: 42 + 57, the rest to the first available priority');
});

test('GIVEN update_frequency 2 (Istio\'s) WHEN one host was attempted THEN the original load; after two, their priorities are excluded; after three, the load computed at two; after four, recomputed', () => {
  assert.equal(loadsAfter(2, [0, 0, 1, 1], [100, 100, 100], [100, 0, 0]), [[100, 0, 0], [0, 100, 0], [0, 100, 0], [0, 0, 100]]);
});

test('GIVEN every priority attempted WHEN the load is recomputed THEN the original load (Envoy falls back rather than routing nowhere), and it stays so', () => {
  assert.equal(loadsAfter(1, [0, 1, 0], [100, 100], [100, 0]), [[0, 100], [100, 0], [100, 0]]);
  assert.equal(loadsAfter(1, [0], [100, 0], [100, 0]), [[100, 0]], 'the only other priority has no healthy host');
});

test('GIVEN a route\'s retry_priority WHEN it is not previous_priorities, or its update_frequency is 0 THEN the route is refused at retry_priority, naming what is supported', () => {
  const compile = (rp: unknown) => () => compileRetryPolicy(create(RetryPolicySchema, { retryOn: '5xx', retryPriority: rp as never }));
  for (const [rp, at, what] of [
    [{ name: 'envoy.retry_priorities.other', configType: { case: 'typedConfig', value: anyPack(DurationSchema, create(DurationSchema, { seconds: 1n })) } }, 'retry_priority', /unsupported retry priority "type.googleapis.com\/google.protobuf.Duration"; the only one supported is envoy.retry_priorities.previous_priorities/],
    [{ name: PREVIOUS_PRIORITIES }, 'retry_priority', /unsupported retry priority "envoy.retry_priorities.previous_priorities"; .*typed_config of type.googleapis.com\/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig/],
    [retryPriority(0), 'retry_priority.typed_config.update_frequency', /must be greater than 0, got 0/],
  ] as const) {
    try {
      compile(rp)();
      assert.unreachable(`accepted ${at}`);
    } catch (e) {
      assert.instance(e, ConfigError);
      assert.is((e as ConfigError).path, at);
      assert.match((e as Error).message, what);
    }
  }
  assert.equal(compileRetryPolicy(create(RetryPolicySchema, { retryOn: '5xx', retryPriority: retryPriority(2) }))!.retryPriority, { updateFrequency: 2 });
});

/** A cluster `svc` with one endpoint at priority 0 (`failing`) and one at priority 1 (`healthy`). */
function twoPriorities(failingPort: number, healthyPort: number) {
  const endpoint = (port: number) => ({ hostIdentifier: { case: 'endpoint' as const, value: { address: { address: { case: 'socketAddress' as const, value: { address: '127.0.0.1', portSpecifier: { case: 'portValue' as const, value: port } } } } } } });
  return create(ClusterLoadAssignmentSchema, {
    clusterName: 'svc',
    endpoints: [
      { locality: { region: 'r', zone: 'a' }, priority: 0, lbEndpoints: [endpoint(failingPort)] },
      { locality: { region: 'r', zone: 'b' }, priority: 1, lbEndpoints: [endpoint(healthyPort)] },
    ],
  });
}

test('GIVEN a cluster whose priority 0 answers 503 and priority 1 answers 200, retry_on 5xx with one retry WHEN previous_priorities (update_frequency 1) is configured THEN every request ends 200 on priority 1 after one attempt on priority 0; WHEN it is not THEN every retry stays on priority 0 (healthy, so it has all the load) and the client gets 503', async () => {
  let p0 = 0;
  const failing = await startEcho('p0', { handler: (_req, res) => { p0++; res.writeHead(503); res.end('p0'); return true; } });
  const healthy = await startEcho('p1');
  try {
    for (const withPriority of [true, false]) {
      const before = { p0, p1: healthy.received.length };
      await withProxy({
        clusters: [edsCluster('svc')], endpoints: [twoPriorities(failing.port, healthy.port)],
        vhosts: [vhost('svc', { retryPolicy: { retryOn: '5xx', numRetries: 1, ...(withPriority ? { retryPriority: retryPriority(1) } : {}) } })],
      }, async (env) => {
        const statuses = [];
        for (let i = 0; i < 5; i++) statuses.push((await env.request()).status);
        assert.equal(statuses, Array(5).fill(withPriority ? 200 : 503), withPriority ? 'retried on priority 1' : 'retried on priority 0');
      });
      assert.is(p0 - before.p0, withPriority ? 5 : 10, 'attempts on priority 0');
      assert.is(healthy.received.length - before.p1, withPriority ? 5 : 0, 'attempts on priority 1');
    }
  } finally {
    await failing.close();
    await healthy.close();
  }
});

test.run();
