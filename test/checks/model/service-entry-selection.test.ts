/**
 * ServiceRegistry.entriesSelecting: the ServiceEntries whose `workloadSelector` selects a workload. istiod's
 * ServiceEntry controller makes the pods and WorkloadEntries of the entry's own namespace whose labels
 * include every selector label endpoints of each of its hosts (pilot/pkg/serviceregistry/serviceentry
 * controller.go, workloadEntryHandler / WorkloadInstanceHandler: `selector.SubsetOf(labels)`, same namespace).
 * `selecting` keeps answering with Kubernetes Services only.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServiceRegistry } from '../../../src/mesh/services.js';
import type { MeshObject } from '../../../src/mesh/object.js';

function object(kind: string, namespace: string, name: string, spec: Record<string, unknown>): MeshObject {
  return { kind, namespace, name, spec, annotations: {}, labels: {}, body: { metadata: { name, namespace }, spec }, key: `${kind}/${namespace}/${name}` } as unknown as MeshObject;
}

const registry = new ServiceRegistry([
  object('Service', 'shop', 'payments', { selector: { app: 'payments' }, ports: [{ name: 'http', port: 80 }] }),
  object('ServiceEntry', 'shop', 'payments-vm', {
    hosts: ['payments.internal', 'pay.internal'], location: 'MESH_INTERNAL', resolution: 'STATIC',
    ports: [{ number: 9000, name: 'tcp', protocol: 'TCP', targetPort: 8080 }], workloadSelector: { labels: { app: 'payments', tier: 'api' } },
  }),
  object('ServiceEntry', 'shop', 'external', { hosts: ['api.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] }),
  object('ServiceEntry', 'billing', 'payments-billing', { hosts: ['b.internal'], ports: [{ number: 1, name: 'tcp' }], workloadSelector: { labels: { app: 'payments' } } }),
], 'cluster.local');

test('GIVEN a ServiceEntry with workloadSelector {app: payments, tier: api} WHEN a shop workload has both labels THEN entriesSelecting gives each of its hosts, and selecting only the Service', () => {
  const labels = { app: 'payments', tier: 'api', version: 'v1' };
  assert.equal(registry.entriesSelecting('shop', labels).map((s) => s.host).sort(), ['pay.internal', 'payments.internal']);
  assert.equal(registry.selecting('shop', labels).map((s) => `${s.kind} ${s.host}`), ['Service payments.shop.svc.cluster.local']);
});

test('GIVEN the same ServiceEntry WHEN the workload lacks one selector label THEN it is not selected (every label must match)', () => {
  assert.equal(registry.entriesSelecting('shop', { app: 'payments' }), []);
  assert.equal(registry.entriesSelecting('shop', { app: 'payments', tier: 'web' }), []);
});

test('GIVEN a ServiceEntry in billing WHEN a workload with its labels runs in shop THEN it is not selected (same namespace only)', () => {
  assert.equal(registry.entriesSelecting('shop', { app: 'payments' }).map((s) => s.host), []);
  assert.equal(registry.entriesSelecting('billing', { app: 'payments' }).map((s) => s.host), ['b.internal']);
});

test('GIVEN a ServiceEntry without workloadSelector WHEN asked THEN it selects nothing', () => {
  assert.ok(registry.entriesSelecting('shop', {}).length === 0);
  assert.not.ok(registry.entriesSelecting('shop', { app: 'payments', tier: 'api' }).some((s) => s.host === 'api.example.com'));
});

test.run();
