/**
 * Shared route parts (src/xds/translate/route.ts `retryPolicyOf`): the translation cache's
 * read-only route configurations share one `RetryPolicy` and timeout `Duration` message per content; uncached ones own
 * theirs, so a caller that edits one route never changes another. Bytes are the same either way.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toBinary } from '@bufbuild/protobuf';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { RouteConfigurationSchema } from '../../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import type { Route, RouteAction } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import type { ResourceSet } from '../../../src/xds/resources.js';
import { translateProxy, type WorkloadInstance } from '../../../src/xds/translate/index.js';
import { meshOf } from '../../../bench/view/mesh.js';
import { manifests } from '../../mesh/_graph.js';

const workloads: WorkloadInstance[] = [0, 1, 2].flatMap((i) => ['v1', 'v2'].map((v) => ({ name: `svc${i}-${v}`, namespace: `ns${i}`, address: `10.0.${i}.${v === 'v1' ? 1 : 2}`, labels: { app: `svc${i}`, version: v }, ports: {} })));

function sidecarView() {
  const graph = MeshGraph.from(manifests(...meshOf(3)));
  return buildProxyView(graph, proxiesOf(graph).find((p) => p.type === 'sidecar' && p.namespace === 'ns0')!);
}

/** The routes of the `8080` route configuration's virtual host for `svc<i>`: [header route (mesh default retries), 90/10 split (3 attempts, 2 s)]. */
function routesOf(set: ResourceSet, i: number): Route[] {
  const rc = set.routes.find((r) => r.name === '8080')!;
  return rc.virtualHosts.find((vh) => vh.name === `svc${i}.ns${i}.svc.cluster.local:8080`)!.routes;
}

function action(r: Route): RouteAction {
  if (r.action.case !== 'route') throw new Error(`route ${r.name}: a route action expected, got ${String(r.action.case)}`);
  return r.action.value;
}

const retryPolicy = (r: Route) => action(r).retryPolicy;

const bytes = (set: ResourceSet) => set.routes.map((rc) => Buffer.from(toBinary(RouteConfigurationSchema, rc)).toString('hex'));

test('GIVEN cached sidecar routes WHEN built THEN routes with alike retries share one RetryPolicy message (routes with other retries do not), and alike timeouts one Duration', () => {
  const set = translateProxy(sidecarView(), workloads);
  const [h0, split0] = routesOf(set, 0);
  const [h1, split1] = routesOf(set, 1);
  assert.ok(retryPolicy(h0!) && retryPolicy(h0!) === retryPolicy(h1!), 'mesh-default retries shared');
  assert.ok(retryPolicy(split0!) && retryPolicy(split0!) === retryPolicy(split1!), '3-attempt retries shared');
  assert.is.not(retryPolicy(h0!), retryPolicy(split0!), 'other retries, other message');
  assert.is(retryPolicy(split0!)!.numRetries, 3);
  assert.is(retryPolicy(split0!)!.perTryTimeout, undefined, 'per_try_timeout unset: Envoy limits each try by the route timeout, as istiod leaves it');
  assert.is(retryPolicy(h0!)!.numRetries, 2);
  assert.ok(action(split0!).timeout && action(split0!).timeout === action(split1!).timeout, 'the 2 s timeout is shared');
  assert.is(action(split0!).timeout!.seconds, 2n);
  assert.is(action(h0!).maxGrpcTimeout, action(h1!).maxGrpcTimeout, 'the 0 s max_grpc_timeout is shared');
});

test('GIVEN uncached translation WHEN one route\'s retry policy is edited in place THEN no other route changes (they own their retry policies), and the bytes equal the cached ones before', () => {
  const view = sidecarView();
  const cached = translateProxy(view, workloads);
  const fresh = translateProxy(view, workloads, { cache: false });
  assert.equal(bytes(fresh), bytes(cached));
  retryPolicy(routesOf(fresh, 0)[1]!)!.numRetries = 7;
  assert.is(retryPolicy(routesOf(fresh, 1)[1]!)!.numRetries, 3, 'the other service\'s route is untouched');
  action(routesOf(fresh, 0)[1]!).timeout!.seconds = 9n;
  assert.is(action(routesOf(fresh, 1)[1]!).timeout!.seconds, 2n, 'and so is its timeout');
  assert.is.not(bytes(fresh)[0], bytes(cached)[0], 'the edit shows in the encoding');
  assert.equal(bytes(translateProxy(view, workloads)), bytes(cached), 'the cache is untouched');
});

test.run();
