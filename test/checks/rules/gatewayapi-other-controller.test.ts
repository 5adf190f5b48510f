/**
 * The gatewayapi rules judge only what istiod programs (pilot/pkg/config/kube/gateway): Gateways of a class whose
 * controller is Istio's (gateway_collection.go ClassInfos), ListenerSets of such Gateways, mesh parents, and the
 * routes attached to any of them (conversion.go extractParentReferenceInfo). A route or Gateway that belongs
 * only to another controller (Envoy Gateway, Cilium, nginx) gets no finding about what istiod would do with it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mergedRouteShadowed from '../../../src/checks/rules/gatewayapi/merged-route-shadowed.js';
import perTryTimeoutIgnored from '../../../src/checks/rules/resilience/per-try-timeout-ignored.js';
import routeTimeoutUnreachable from '../../../src/checks/rules/resilience/route-timeout-unreachable.js';
import notExportedToGateway from '../../../src/checks/rules/routing/not-exported-to-gateway.js';
import routeReferenceNotFound from '../../../src/checks/rules/gatewayapi/route-reference-not-found.js';
import unsupportedFilter from '../../../src/checks/rules/gatewayapi/unsupported-filter.js';
import { findingsOf } from './_harness.js';

const gateway = (name: string, cls: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: edge}
spec:
  gatewayClassName: ${cls}
  listeners: [{name: web, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]
`;

const listenerSet = (gatewayName: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: extra, namespace: edge}
spec:
  parentRef: {name: ${gatewayName}}
  listeners: [{name: more, port: 8080, protocol: HTTP}]
`;

const extensionRefRoute = (parentRef: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: orders, namespace: shop}
spec:
  parentRefs: [${parentRef}]
  rules:
  - filters: [{type: ExtensionRef, extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: auth}}]
    backendRefs: [{name: orders, port: 80}]
`;

const LISTENER_SET_REF = '{group: gateway.networking.k8s.io, kind: ListenerSet, name: extra, namespace: edge}';

for (const [given, cls, want] of [
  ['an Istio class', 'istio', 1],
  ['another controller\'s class', 'eg', 0],
] as const) {
  test(`GIVEN a route with an ExtensionRef filter attached only to a ListenerSet of a Gateway of ${given} WHEN unsupported-filter runs THEN ${want} finding`, async () => {
    const found = await findingsOf([gateway('public', cls), listenerSet('public'), extensionRefRoute(LISTENER_SET_REF)].join('---\n'), [unsupportedFilter]);
    assert.is(found.length, want, JSON.stringify(found.map((f) => f.message)));
  });
}

test('GIVEN a GatewayClass whose controllerName is istio.io/gateway-controller under a custom name WHEN merged-route-shadowed runs THEN its Gateway is judged', async () => {
  const routes = ['a', 'b'].map((n) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${n}, namespace: edge}
spec:
  parentRefs: [{name: public}]
  hostnames: [shop.example]
  rules: [{matches: [{path: {type: PathPrefix, value: /cart}}], backendRefs: [{name: cart, port: 80}]}]
`);
  const istioClass = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: internal}
spec: {controllerName: istio.io/gateway-controller}
`;
  const judged = await findingsOf([istioClass, gateway('public', 'internal'), ...routes].join('---\n'), [mergedRouteShadowed]);
  assert.is(judged.length, 1, JSON.stringify(judged.map((f) => f.message)));
  const other = await findingsOf([gateway('public', 'cilium'), ...routes].join('---\n'), [mergedRouteShadowed]);
  assert.equal(other, []);
});

test('GIVEN a parentRef of a kind of another API group WHEN route-reference-not-found runs THEN no "unsupported parent" (istiod skips it as another controller\'s)', async () => {
  const route = (parentRef: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: orders, namespace: shop}
spec:
  parentRefs: [${parentRef}]
  rules: [{backendRefs: [{name: orders, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  selector: {app: orders}
  ports: [{name: http, port: 80}]
`;
  assert.equal(await findingsOf(route('{group: lb.example.com, kind: LoadBalancer, name: public}'), [routeReferenceNotFound]), []);
  const istioGroup = await findingsOf(route('{group: networking.istio.io, kind: Gateway, name: classic}'), [routeReferenceNotFound]);
  assert.ok(istioGroup.some((f) => f.message.includes('bound by a VirtualService')), JSON.stringify(istioGroup.map((f) => f.message)));
});

for (const [cls, want] of [['istio', true], ['eg', false]] as const) {
  test(`GIVEN an HTTPRoute on a Gateway of class ${cls} with timeouts istiod converts oddly and a backend not exported to the Gateway's namespace WHEN the resilience and routing rules run THEN ${want ? 'they report' : 'nothing (another controller converts the route)'}`, async () => {
    const yaml = [gateway('public', cls), `apiVersion: v1
kind: Service
metadata: {name: invoices, namespace: billing, annotations: {networking.istio.io/exportTo: "."}}
spec:
  selector: {app: invoices}
  ports: [{name: http, port: 80}]
`, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: invoices, namespace: billing}
spec:
  parentRefs: [{name: public, namespace: edge}]
  rules:
  - retry: {attempts: 2, codes: [503]}
    timeouts: {request: 10s, backendRequest: 2s}
    backendRefs: [{name: invoices, port: 80}]
  - retry: {attempts: 0}
    timeouts: {request: 5s, backendRequest: 1s}
    backendRefs: [{name: invoices, port: 80}]
`].join('---\n');
    for (const rule of [notExportedToGateway, perTryTimeoutIgnored, routeTimeoutUnreachable]) {
      const found = await findingsOf(yaml, [rule]);
      assert.is(found.length > 0, want, `${rule.id}: ${JSON.stringify(found.map((f) => f.message))}`);
    }
  });
}

test.run();
