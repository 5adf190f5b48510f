/**
 * security/route-denied-by-authorization judges a route only on the proxies whose route table holds it, as
 * istiod builds them (Istio route.go TranslateRoute and sourceMatchHTTP; mesh/routing.ts httpRuleAppliesOn):
 * a match entry's `gateways` replaces the VirtualService's gateways, `port` must be a port the gateway serves
 * the host on, `sourceLabels` and `sourceNamespace` must fit the gateway's workload. The "admits it only on
 * ports" text names the ports of the rules that admit the client, not of every rule.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import routeDeniedByAuthorization from '../../../src/checks/rules/security/route-denied-by-authorization.js';
import { findingsOf } from './_harness.js';

/**
 * An ingress gateway (port 80, shop.example.com) and a mesh bound to VirtualService shop/web whose first
 * rule (`match`) sends to web port 9090, which admits only web's own account; port 8080 admits istio-system.
 */
function findings(match: string) {
  return findingsOf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  template:
    metadata: {labels: {istio: ingressgateway}}
    spec:
      serviceAccountName: istio-ingressgateway-service-account
      containers: [{name: istio-proxy, image: auto}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["shop/shop.example.com"]}]
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers: [{name: web, image: "ex/web:1", ports: [{containerPort: 8080}, {containerPort: 9090}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http-web, port: 80, targetPort: 8080}, {name: grpc-api, port: 9090, targetPort: 9090}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [shop.example.com, web]
  gateways: [istio-system/public, mesh]
  http:
  - match: ${match}
    route: [{destination: {host: web, port: {number: 9090}}}]
  - route: [{destination: {host: web, port: {number: 80}}}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  rules:
  - from: [{source: {namespaces: [istio-system]}}]
    to: [{operation: {ports: ["8080"]}}]
  - from: [{source: {principals: [cluster.local/ns/shop/sa/web]}}]
    to: [{operation: {ports: ["9090"]}}]
`, [routeDeniedByAuthorization]);
}

const notOnTheGateway: [string, string][] = [
  ['[{port: 9090, gateways: [mesh]}]', 'gateways [mesh] and a port the gateway does not serve (tester repro)'],
  ['[{gateways: [mesh]}]', 'gateways [mesh]: the match replaces the VirtualService\'s gateways'],
  ['[{port: 9090}]', 'a port no server of the gateway listens on'],
  ['[{sourceLabels: {app: checkout}}]', 'sourceLabels the gateway\'s pods do not carry'],
  ['[{sourceNamespace: shop}]', 'a sourceNamespace that is not the gateway\'s'],
  ['[{gateways: [mesh], sourceLabels: {istio: ingressgateway}}]', 'gateways [mesh] with the gateway\'s labels (gateways alone decide)'],
];
for (const [match, what] of notOnTheGateway) {
  test(`GIVEN a route to a refusing port whose match is ${what} WHEN checked THEN the gateway is not judged as its client`, async () => {
    const found = await findings(match);
    assert.equal(found.map((f) => f.message), []);
  });
}

const onTheGateway: [string, string][] = [
  ['[{gateways: [istio-system/public]}]', 'gateways naming the Gateway'],
  ['[{gateways: [public.istio-system]}]', 'gateways naming the Gateway in the legacy name.namespace form'],
  ['[{port: 80}]', 'the port the gateway serves the host on'],
  ['[{sourceLabels: {istio: ingressgateway}, sourceNamespace: istio-system}]', 'the gateway\'s labels and namespace'],
  ['[{gateways: [mesh]}, {uri: {prefix: /api}}]', 'one mesh-only entry and one for every proxy'],
];
for (const [match, what] of onTheGateway) {
  test(`GIVEN a route to a refusing port whose match is ${what} WHEN checked THEN it is reported once, naming only the ports that admit the gateway`, async () => {
    const found = await findings(match);
    assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
    const m = found[0]!.message;
    assert.ok(m.includes('(bound to istio-system/public) sends gateway istio-system/istio-ingressgateway'), m);
    assert.ok(m.includes('admits it only on port 8080;'), m);
  });
}

test.run();
