/**
 * A route's retry policy as istiod makes it (pilot/pkg/networking/core/route `translateRoute` and
 * route/retry `ConvertPolicy`): MeshConfig `defaultHttpRetryPolicy` only for a route without
 * `retries`; a route's `retries` start from Istio's built-in default policy, so an unset `attempts`
 * (proto3 0) disables retries and an unset `retryOn` is Istio's default retry-on, whatever the
 * MeshConfig default says.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_RETRY_ON } from '../../src/mesh/mesh-config.js';
import { buildProxyView, describeProxy } from '../../src/mesh/view/index.js';
import { translateProxy } from '../../src/xds/translate/index.js';
import { graphOf } from './_graph.js';
import { route, svc, vs } from './view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'web', labels: { app: 'client' } });
const REVIEWS = 'reviews.prod.svc.cluster.local';
const meshConfig = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: 'defaultHttpRetryPolicy:\n  attempts: 5\n  retryOn: 5xx\n' } };
const graph = graphOf([
  meshConfig, svc('reviews', 'prod'),
  vs('reviews', 'prod', { hosts: ['reviews'], http: [
    { name: 'none', match: [{ headers: { 'x-case': { exact: 'none' } } }], route: [route('reviews')] },
    { name: 'attempts', match: [{ headers: { 'x-case': { exact: 'attempts' } } }], route: [route('reviews')], retries: { attempts: 3 } },
    { name: 'empty', route: [route('reviews')], retries: {} },
  ] }),
]);
const view = buildProxyView(graph, client);
const http = view.routes.find((r) => r.host === REVIEWS && r.port === 9080)!.http;
const byName = (name: string) => http.find((r) => r.name === name)!;

test('GIVEN a MeshConfig defaultHttpRetryPolicy of 5 attempts on 5xx WHEN a route has no retries THEN it gets the MeshConfig default', () => {
  assert.equal([byName('none').retries?.attempts, byName('none').retries?.retryOn, byName('none').retries?.source], [5, '5xx', 'mesh-default']);
});

test('GIVEN that MeshConfig default WHEN a route sets only retries.attempts THEN retryOn is Istio\'s default retry-on, not the MeshConfig\'s (ConvertPolicy starts from DefaultPolicy)', () => {
  assert.equal([byName('attempts').retries?.attempts, byName('attempts').retries?.retryOn], [3, DEFAULT_RETRY_ON]);
});

test('GIVEN that MeshConfig default WHEN a route has retries: {} THEN attempts is 0 (proto3 default) AND its Envoy route has no retry policy', () => {
  assert.is(byName('empty').retries?.attempts, 0);
  const routes = translateProxy(view, []).routes.flatMap((rc) => rc.virtualHosts).flatMap((vh) => vh.routes);
  const empty = routes.find((r) => r.name.startsWith('empty'));
  const none = routes.find((r) => r.name.startsWith('none'));
  assert.ok(empty && none, `routes named empty and none: ${routes.map((r) => r.name).join(', ')}`);
  assert.is(empty!.action.case === 'route' ? empty!.action.value.retryPolicy : 'not a route', undefined, 'no retry policy: retries disabled');
  assert.is(none!.action.case === 'route' ? none!.action.value.retryPolicy?.numRetries : undefined, 5);
});

test('GIVEN a MeshConfig defaultHttpRetryPolicy with perTryTimeout, backoff and retryIgnorePreviousHosts WHEN a route without retries (and the implicit route of a service without VirtualService) is viewed and translated THEN they carry every field (ConvertPolicy of the mesh default)', () => {
  const mesh = { ...meshConfig, data: { mesh: 'defaultHttpRetryPolicy:\n  attempts: 3\n  retryOn: gateway-error\n  perTryTimeout: 500ms\n  backoff: 100ms\n  retryIgnorePreviousHosts: false\n' } };
  const g = graphOf([mesh, svc('reviews', 'prod'), svc('ratings', 'prod'), vs('reviews', 'prod', { hosts: ['reviews'], http: [{ name: 'plain', route: [route('reviews')], timeout: '2s' }] })]);
  const v = buildProxyView(g, client);
  const plain = v.routes.find((r) => r.host === REVIEWS && r.port === 9080)!.http[0]!;
  const implicit = v.routes.find((r) => r.host === 'ratings.prod.svc.cluster.local' && r.port === 9080)!.http[0]!;
  for (const h of [plain, implicit]) {
    const r = h.retries;
    assert.equal([r.attempts, r.retryOn, r.perTryTimeoutMs, r.backoffBaseMs, r.retryIgnorePreviousHosts, r.source], [3, 'gateway-error', 500, 100, false, 'mesh-default'], h.name);
  }
  const routes = translateProxy(v, []).routes.flatMap((rc) => rc.virtualHosts).flatMap((vh) => vh.routes);
  for (const name of ['plain', 'default']) {
    const r = routes.find((x) => x.name === name && x.action.case === 'route')!;
    const p = r.action.case === 'route' ? r.action.value.retryPolicy : undefined;
    assert.equal([p?.numRetries, p?.retryOn, p?.perTryTimeout?.nanos, p?.retryBackOff?.baseInterval?.nanos, p?.retryHostPredicate.length], [3, 'gateway-error', 500_000_000, 100_000_000, 0], name);
  }
});

test('GIVEN routes with retries.retryRemoteLocalities true, a backoff, or neither WHEN translated THEN retry_priority is previous_priorities (update_frequency 2) only with retryRemoteLocalities, and retry_back_off only with a backoff (ConvertPolicy sets neither by default; Envoy\'s 25 ms base applies)', () => {
  const g = graphOf([svc('reviews', 'prod'), vs('reviews', 'prod', { hosts: ['reviews'], http: [
    { name: 'remote', match: [{ headers: { 'x-case': { exact: 'remote' } } }], route: [route('reviews')], retries: { attempts: 2, retryRemoteLocalities: true } },
    { name: 'backoff', match: [{ headers: { 'x-case': { exact: 'backoff' } } }], route: [route('reviews')], retries: { attempts: 2, backoff: '40ms' } },
    { name: 'plain', route: [route('reviews')], retries: { attempts: 2 } },
  ] })]);
  const routes = translateProxy(buildProxyView(g, client), []).routes.flatMap((rc) => rc.virtualHosts).flatMap((vh) => vh.routes);
  const policy = (name: string) => {
    const r = routes.find((x) => x.name.startsWith(name) && x.action.case === 'route');
    assert.ok(r, `route ${name}`);
    return r!.action.case === 'route' ? r!.action.value.retryPolicy : undefined;
  };
  const remote = policy('remote');
  assert.is(remote?.retryPriority?.name, 'envoy.retry_priorities.previous_priorities');
  const any = remote?.retryPriority?.configType.case === 'typedConfig' ? remote.retryPriority.configType.value : undefined;
  assert.is(any?.typeUrl, 'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig');
  assert.equal([...(any?.value ?? [])], [0x08, 0x02], 'update_frequency: 2');
  assert.is(remote?.retryBackOff, undefined);
  assert.is(policy('backoff')?.retryPriority, undefined);
  assert.is(policy('backoff')?.retryBackOff?.baseInterval?.nanos, 40_000_000);
  assert.is(policy('plain')?.retryPriority, undefined);
  assert.is(policy('plain')?.retryBackOff, undefined);
});

test.run();
