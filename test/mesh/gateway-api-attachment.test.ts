import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GatewayApiIndex } from '../../src/mesh/gateway-api.js';
import { describeNamespaceRefusals, listenerRejection, referenceGrantFor, selectorAdmits } from '../../src/mesh/gateway-api-attachment.js';
import type { MeshObject } from '../../src/mesh/object.js';

const G = 'gateway.networking.k8s.io';
const obj = (kind: string, namespace: string, name: string, spec: Record<string, unknown>): MeshObject =>
  ({ kind, group: G, namespace, name, spec, labels: {}, annotations: {} }) as unknown as MeshObject;

const gateway = (listeners: unknown[]) => obj('Gateway', 'edge', 'public', { listeners });

test('GIVEN listeners without allowedRoutes WHEN a route from another namespace attaches THEN rejected by namespace (Same is the default)', () => {
  const gw = gateway([{ name: 'https', port: 443, protocol: 'HTTPS' }]);
  assert.is(listenerRejection(gw, 'HTTPRoute', 'shop', undefined, undefined), 'namespace');
  assert.is(listenerRejection(gw, 'HTTPRoute', 'edge', undefined, undefined), undefined);
});

test('GIVEN listeners with All, Selector and sectionName WHEN judged THEN as the Gateway API says', () => {
  const gw = gateway([
    { name: 'internal', port: 80, protocol: 'HTTP' },
    { name: 'public', port: 443, protocol: 'HTTPS', allowedRoutes: { namespaces: { from: 'All' } } },
    { name: 'teams', port: 8443, protocol: 'HTTPS', allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'shop' } } } } },
  ]);
  assert.is(listenerRejection(gw, 'HTTPRoute', 'shop', 'public', undefined), undefined);
  assert.is(listenerRejection(gw, 'HTTPRoute', 'shop', 'internal', undefined), 'namespace');
  assert.is(listenerRejection(gw, 'HTTPRoute', 'shop', 'teams', { team: 'shop' }), undefined);
  assert.is(listenerRejection(gw, 'HTTPRoute', 'shop', 'teams', { team: 'web' }), 'namespace');
  assert.is(listenerRejection(gw, 'HTTPRoute', 'shop', 'teams', undefined), undefined, 'labels unknown: not judged');
  assert.is(listenerRejection(gw, 'HTTPRoute', 'shop', 'missing', undefined), 'no-listener');
  assert.is(listenerRejection(gw, 'HTTPRoute', 'shop', undefined, undefined, 443), undefined, 'port 443 is the public listener');
  assert.is(listenerRejection(gw, 'HTTPRoute', 'shop', 'public', undefined, 8443), 'no-listener', 'public listens on 443, not 8443');
});

test('GIVEN listeners of TLS and TCP protocol WHEN an HTTPRoute attaches THEN rejected by kind; the matching kinds are taken', () => {
  const gw = gateway([
    { name: 'tls', port: 443, protocol: 'TLS', tls: { mode: 'Passthrough' }, allowedRoutes: { namespaces: { from: 'All' } } },
    { name: 'tcp', port: 9000, protocol: 'TCP', allowedRoutes: { namespaces: { from: 'All' } } },
    { name: 'custom', port: 8080, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' }, kinds: [{ kind: 'GRPCRoute' }] } },
  ]);
  assert.is(listenerRejection(gw, 'HTTPRoute', 'shop', undefined, undefined), 'kind');
  assert.is(listenerRejection(gw, 'TLSRoute', 'shop', 'tls', undefined), undefined);
  assert.is(listenerRejection(gw, 'TCPRoute', 'shop', undefined, undefined), undefined);
  assert.is(listenerRejection(gw, 'GRPCRoute', 'shop', 'custom', undefined), undefined);
  assert.is(listenerRejection(gw, 'HTTPRoute', 'shop', 'custom', undefined), 'kind');
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

test('GIVEN a Selector on kubernetes.io/metadata.name WHEN the namespace manifest lacks the label or is not in the input THEN the API server label still counts', () => {
  const gw = gateway([{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': 'foo' } } } } }]);
  assert.is(listenerRejection(gw, 'HTTPRoute', 'foo', 'http', {}), undefined, 'in the input, label not written');
  assert.is(listenerRejection(gw, 'HTTPRoute', 'foo', 'http', undefined), undefined, 'not in the input');
  assert.is(listenerRejection(gw, 'HTTPRoute', 'bar', 'http', {}), 'namespace');
  assert.is(listenerRejection(gw, 'HTTPRoute', 'bar', 'http', undefined), 'namespace', 'the name label is known even for a namespace not in the input');
  const why = describeNamespaceRefusals(gw, 'HTTPRoute', 'bar', 'http', { team: 'web' });
  assert.ok(why.includes('from is Selector') && why.includes('team: web, kubernetes.io/metadata.name: bar') && !why.includes('by default'), why);
});

test('GIVEN matchExpressions WHEN judged THEN In, NotIn, Exists, DoesNotExist as Kubernetes; unknown labels judge only the name label', () => {
  const sel = (operator: string, key: string, values?: string[]) => ({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] });
  assert.ok(selectorAdmits(sel('In', 'team', ['a', 'b']), 'ns', { team: 'b' }));
  assert.not.ok(selectorAdmits(sel('In', 'team', ['a']), 'ns', { team: 'b' }));
  assert.not.ok(selectorAdmits(sel('In', 'team', ['a']), 'ns', {}));
  assert.ok(selectorAdmits(sel('NotIn', 'team', ['a']), 'ns', {}));
  assert.not.ok(selectorAdmits(sel('NotIn', 'kubernetes.io/metadata.name', ['ns']), 'ns', {}));
  assert.ok(selectorAdmits(sel('Exists', 'kubernetes.io/metadata.name'), 'ns', {}));
  assert.not.ok(selectorAdmits(sel('DoesNotExist', 'kubernetes.io/metadata.name'), 'ns', {}));
  assert.not.ok(selectorAdmits(sel('Exists', 'team'), 'ns', {}));
  assert.ok(selectorAdmits(sel('Exists', 'team'), 'ns', undefined), 'labels unknown: only the name label is judged');
  assert.not.ok(selectorAdmits(sel('In', 'kubernetes.io/metadata.name', ['x']), 'ns', undefined));
  assert.not.ok(selectorAdmits({ matchLabels: { constructor: 'x' } }, 'ns', {}), 'no prototype lookups');
});

test.run();
