/** Istio's retry policy (retry.go DefaultPolicy / ConvertPolicy) as the translator emits it. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import type { RetryPolicy, RouteAction } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { PreviousHostsPredicateSchema } from '../../../src/xds/gen/envoy/extensions/retry/host/previous_hosts/v3/previous_hosts_pb.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { dr, route, svc, vs } from '../../mesh/view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'prod', labels: { app: 'client' } });
const REVIEWS = 'reviews.prod.svc.cluster.local';

/** The retry policy of each named route of the reviews virtual host on port 9080. */
function policies(bodies: Record<string, unknown>[]): Map<string, RetryPolicy | undefined> {
  const set = translateProxy(buildProxyView(graphOf(bodies), client), []);
  const vh = set.routes.find((r) => r.name === '9080')!.virtualHosts.find((v) => v.name === `${REVIEWS}:9080`)!;
  return new Map(vh.routes.map((r) => [r.name, (r.action.value as RouteAction).retryPolicy]));
}

const shape = (p: RetryPolicy | undefined) => p && {
  retryOn: p.retryOn, numRetries: p.numRetries, retriableStatusCodes: p.retriableStatusCodes,
  hostSelectionRetryMaxAttempts: p.hostSelectionRetryMaxAttempts, predicates: p.retryHostPredicate.map((h) => h.name),
};

test('GIVEN routes with no retries, only attempts, an explicit retryOn and attempts 0 WHEN translated THEN each matches istiod (DefaultPolicy kept where the user set nothing)', () => {
  const p = policies([svc('reviews', 'prod'), vs('reviews', 'prod', {
    hosts: ['reviews'],
    http: [
      { name: 'attempts-only', match: [{ uri: { prefix: '/a' } }], route: [route('reviews')], retries: { attempts: 3 } },
      { name: 'explicit', match: [{ uri: { prefix: '/e' } }], route: [route('reviews')], retries: { attempts: 1, retryOn: 'gateway-error,504' } },
      { name: 'off', match: [{ uri: { prefix: '/o' } }], route: [route('reviews')], retries: { attempts: 0 } },
      { name: 'default', route: [route('reviews')] },
    ],
  })]);
  const defaults = { retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', retriableStatusCodes: [], hostSelectionRetryMaxAttempts: 5n, predicates: ['envoy.retry_host_predicates.previous_hosts'] };
  assert.equal(shape(p.get('default')), { ...defaults, numRetries: 2 });
  assert.equal(shape(p.get('attempts-only')), { ...defaults, numRetries: 3 });
  // Istio >= 1.24's default lists no status code (no 503). retryOn given: its codes are listed, retriable-status-codes is appended; the predicate stays.
  assert.equal(shape(p.get('explicit')), { ...defaults, numRetries: 1, retryOn: 'gateway-error,retriable-status-codes', retriableStatusCodes: [504] });
  assert.is(p.get('off'), undefined);
  const predicate = p.get('default')!.retryHostPredicate[0]!;
  assert.ok(predicate.configType.case === 'typedConfig' && anyUnpack(predicate.configType.value, PreviousHostsPredicateSchema), 'typed_config is a PreviousHostsPredicate');
});

test('GIVEN a single destination with consistent hashing WHEN translated THEN no previous_hosts predicate (DefaultConsistentHashPolicy: retries stay on the hashed host)', () => {
  const p = policies([svc('reviews', 'prod'), dr('reviews', 'prod', { host: 'reviews', trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } } }), vs('reviews', 'prod', {
    hosts: ['reviews'], http: [{ name: 'hashed', route: [route('reviews')], retries: { attempts: 3 } }],
  })]);
  const hashed = shape(p.get('hashed'));
  assert.equal([hashed?.numRetries, hashed?.retriableStatusCodes, hashed?.predicates], [3, [], []]);
});

test('GIVEN routes whose retries set backoff and retryIgnorePreviousHosts WHEN translated THEN ConvertPolicy\'s fields follow: the back-off base interval (none when unset: Envoy\'s 25 ms), and the previous_hosts predicate as written, consistent hashing or not', () => {
  const p = policies([svc('reviews', 'prod'), dr('reviews', 'prod', { host: 'reviews', trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } } }), vs('reviews', 'prod', {
    hosts: ['reviews'],
    http: [
      { name: 'slow-backoff', match: [{ uri: { prefix: '/s' } }], route: [route('reviews')], retries: { attempts: 2, backoff: '200ms', retryIgnorePreviousHosts: false } },
      { name: 'hashed-other-hosts', route: [route('reviews')], retries: { attempts: 2, retryIgnorePreviousHosts: true } },
    ],
  })]);
  const slow = p.get('slow-backoff')!;
  assert.equal([slow.retryBackOff?.baseInterval?.nanos, slow.retryHostPredicate.length], [200_000_000, 0]);
  const hashed = p.get('hashed-other-hosts')!;
  assert.equal([hashed.retryBackOff?.baseInterval?.nanos, hashed.retryHostPredicate.map((h) => h.name)], [undefined, ['envoy.retry_host_predicates.previous_hosts']]);
});

test('GIVEN a route with a fault, a timeout and retries WHEN translated THEN it carries the fault filter config and keeps its timeout and retry policy (istiod applyHTTPRouteDestination)', () => {
  const set = translateProxy(buildProxyView(graphOf([svc('reviews', 'prod'), vs('reviews', 'prod', {
    hosts: ['reviews'],
    http: [{ name: 'chaos', route: [route('reviews')], timeout: '3s', retries: { attempts: 4, retryOn: '5xx' }, fault: { abort: { httpStatus: 503, percentage: { value: 50 } } } }],
  })]), client), []);
  const r = set.routes.find((x) => x.name === '9080')!.virtualHosts.find((v) => v.name === `${REVIEWS}:9080`)!.routes.find((x) => x.name === 'chaos')!;
  const a = r.action.value as RouteAction;
  assert.equal([a.timeout?.seconds, a.retryPolicy?.numRetries, a.retryPolicy?.retryOn], [3n, 4, '5xx']);
  assert.equal(Object.keys(r.typedPerFilterConfig), ['envoy.filters.http.fault']);
});

test.run();
