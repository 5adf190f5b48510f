/**
 * Gateway names in a VirtualService (`spec.gateways`, `match[].gateways`) resolve as Istio's
 * `resolveGatewayName` (pilot/pkg/model/virtualservice.go) does: `ns/name`, `./name` (the
 * VirtualService's namespace), the legacy `name.ns[.svc.cluster.local]`, a short name, or `mesh`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gatewayRefOf } from '../../../src/mesh/routing.js';

const TABLE: readonly [ref: string, key: string][] = [
  ['istio-system/edge', 'istio-system/edge'],
  ['./edge', 'shop/edge'],
  ['edge', 'shop/edge'],
  ['edge.istio-system', 'istio-system/edge'],
  ['edge.istio-system.svc.cluster.local', 'istio-system/edge'],
  ['mesh', 'mesh'],
];

for (const [ref, key] of TABLE) {
  test(`GIVEN gateway "${ref}" in a VirtualService of namespace shop WHEN resolved THEN it is ${key}`, () => {
    const g = gatewayRefOf(ref, 'shop', ['spec', 'gateways', 0]);
    assert.is(g.key, key);
    assert.is(g.ref, ref);
    if (key !== 'mesh') assert.is(`${g.namespace}/${g.name}`, key);
  });
}

test.run();
