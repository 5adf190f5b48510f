import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GatewayApiIndex } from '../../src/mesh/gateway-api.js';
import { listenersAdmit, referenceGrantFor } from '../../src/mesh/gateway-api-attachment.js';
import type { MeshObject } from '../../src/mesh/object.js';

const G = 'gateway.networking.k8s.io';
const obj = (kind: string, namespace: string, name: string, spec: Record<string, unknown>): MeshObject =>
  ({ kind, group: G, namespace, name, spec, labels: {}, annotations: {} }) as unknown as MeshObject;

const gateway = (listeners: unknown[]) => obj('Gateway', 'edge', 'public', { listeners });

test('GIVEN listeners without allowedRoutes WHEN a route from another namespace attaches THEN not admitted (Same is the default)', () => {
  const gw = gateway([{ name: 'https', port: 443 }]);
  assert.is(listenersAdmit(gw, 'shop', undefined, undefined), false);
  assert.is(listenersAdmit(gw, 'edge', undefined, undefined), true);
});

test('GIVEN listeners with All, Selector and sectionName WHEN judged THEN as the Gateway API says', () => {
  const gw = gateway([
    { name: 'internal', port: 80 },
    { name: 'public', port: 443, allowedRoutes: { namespaces: { from: 'All' } } },
    { name: 'teams', port: 8443, allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'shop' } } } } },
  ]);
  assert.is(listenersAdmit(gw, 'shop', 'public', undefined), true);
  assert.is(listenersAdmit(gw, 'shop', 'internal', undefined), false);
  assert.is(listenersAdmit(gw, 'shop', 'teams', { team: 'shop' }), true);
  assert.is(listenersAdmit(gw, 'shop', 'teams', { team: 'web' }), false);
  assert.is(listenersAdmit(gw, 'shop', 'teams', undefined), true, 'labels unknown: not judged');
  assert.is(listenersAdmit(gw, 'shop', 'missing', undefined), false, 'a sectionName naming no listener admits nothing');
});

test('GIVEN ReferenceGrants WHEN a cross-namespace backend is looked up THEN only a grant in the target namespace matching from and to counts', () => {
  const grants = [
    obj('ReferenceGrant', 'billing', 'wrong-kind', { from: [{ group: G, kind: 'GRPCRoute', namespace: 'shop' }], to: [{ group: '', kind: 'Service' }] }),
    obj('ReferenceGrant', 'shop', 'wrong-namespace', { from: [{ group: G, kind: 'HTTPRoute', namespace: 'shop' }], to: [{ group: '', kind: 'Service' }] }),
    obj('ReferenceGrant', 'billing', 'other-name', { from: [{ group: G, kind: 'HTTPRoute', namespace: 'shop' }], to: [{ group: '', kind: 'Service', name: 'ledger' }] }),
  ];
  const from = { group: G, kind: 'HTTPRoute', namespace: 'shop' };
  const to = { group: '', kind: 'Service', namespace: 'billing', name: 'invoices' };
  assert.is(referenceGrantFor(new GatewayApiIndex(grants), from, to), undefined);
  const ok = obj('ReferenceGrant', 'billing', 'shop-routes', { from: [{ group: G, kind: 'HTTPRoute', namespace: 'shop' }], to: [{ kind: 'Service' }] });
  assert.is(referenceGrantFor(new GatewayApiIndex([...grants, ok]), from, to)?.name, 'shop-routes');
});

test.run();
