/**
 * A Gateway API parentRef whose group, kind, namespace, sectionName or port has a type (or emptiness) the CRD
 * schema refuses makes the API server refuse the route: schema/crd-validation reports that, and the rules that
 * judge what a parentRef attaches to skip the entry. They all read parentRefs through parentRefsOf
 * (mesh/gateway-api.ts); a null field is pruned by the API server, so its default applies.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Rule } from '../../../src/checks/rule.js';
import { parentRefsOf } from '../../../src/mesh/gateway-api.js';
import type { MeshObject } from '../../../src/mesh/object.js';
import routeReferenceNotFound from '../../../src/checks/rules/gatewayapi/route-reference-not-found.js';
import notExportedToGateway from '../../../src/checks/rules/routing/not-exported-to-gateway.js';
import { findingsOf } from './_harness.js';

const route = (parentRefs: unknown[]): MeshObject => ({ kind: 'HTTPRoute', namespace: 'shop', name: 'r', spec: { parentRefs } }) as unknown as MeshObject;

for (const bad of [{ kind: 5 }, { kind: '' }, { group: 5 }, { namespace: 42 }, { namespace: '' }, { sectionName: 1 }, { sectionName: '' }, { port: 'http' }, { name: '' }]) {
  test(`GIVEN a parentRef ${JSON.stringify({ name: 'public', ...bad })} the CRD schema refuses WHEN read THEN left out`, () => {
    assert.equal(parentRefsOf(route([{ name: 'public', ...bad }, { name: 'edge' }])).map((p) => p.name), ['edge']);
  });
}

test('GIVEN a parentRef with null kind, group and namespace WHEN read THEN the API server prunes them and the defaults apply', () => {
  assert.equal(parentRefsOf(route([{ name: 'public', kind: null, group: null, namespace: null }])),
    [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'shop', name: 'public', index: 0 }]);
});

async function findings(rule: Rule, parentRef: string): Promise<string[]> {
  return (await findingsOf(`apiVersion: v1
kind: Service
metadata: {name: invoices, namespace: other, annotations: {networking.istio.io/exportTo: "."}}
spec:
  selector: {app: invoices}
  ports: [{name: http, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: shop}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: shop}
spec:
  parentRefs: [${parentRef}]
  rules:
  - backendRefs: [{name: invoices, namespace: other, port: 80}]
`, [rule])).filter((f) => f.ruleId === rule.id).map((f) => f.message);
}

test('GIVEN a parentRef with kind 5 naming a missing Gateway WHEN route-reference-not-found runs THEN it does not judge the entry', async () => {
  const found = await findings(routeReferenceNotFound, '{name: missing, kind: 5}');
  assert.equal(found.filter((m) => m.includes('parentRef')), []);
});

test('GIVEN a parentRef with kind null naming a missing Gateway WHEN route-reference-not-found runs THEN it is the Gateway default and not found', async () => {
  const found = await findings(routeReferenceNotFound, '{name: missing, kind: null}');
  assert.ok(found.some((m) => m.includes('parentRef Gateway "shop/missing" not found')), found.join('\n'));
});

test('GIVEN a parentRef with namespace 42 WHEN not-exported-to-gateway runs THEN the entry attaches to no Gateway and nothing is reported', async () => {
  assert.equal(await findings(notExportedToGateway, '{name: public, namespace: 42}'), []);
});

test('GIVEN the same parentRef without namespace WHEN not-exported-to-gateway runs THEN the backend hidden from the Gateway is reported', async () => {
  const found = await findings(notExportedToGateway, '{name: public}');
  assert.is(found.length, 1, found.join('\n'));
  assert.match(found[0]!, /not visible to the proxies of Gateway shop\/public/);
});

test.run();
