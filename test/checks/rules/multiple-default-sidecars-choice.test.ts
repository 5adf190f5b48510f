/**
 * IST0111 (`sidecar/multiple-default-sidecars`) keeps istioctl's verdict (every Sidecar without workloadSelector
 * labels, `{}` included, is reported as an error) but says which Sidecar istiod actually uses: push_context.go
 * `initSidecarScopes` puts every Sidecar with `WorkloadSelector != nil` (so `{}` too) ahead of those without, sorted
 * by creation time then name, and `getSidecarScope` takes the first that selects the proxy.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/sidecar/multiple-default-sidecars.js';
import { findingsOf } from './_harness.js';

const sidecar = (name: string, namespace: string, created: string, selector: string | null) => [
  'apiVersion: networking.istio.io/v1', 'kind: Sidecar',
  `metadata: {name: ${name}, namespace: ${namespace}, creationTimestamp: "${created}"}`,
  'spec:', ...(selector === null ? [] : [`  workloadSelector: ${selector}`]), '  egress:', '  - hosts: ["./*"]',
].join('\n');
const yaml = (...docs: string[]) => docs.join('\n---\n');
const byName = async (text: string) => new Map((await findingsOf(text, [rule])).map((f) => [f.resource!.name, f]));

test('GIVEN an older selector-less Sidecar and a newer one with workloadSelector {} WHEN checked THEN both are IST0111 errors and each message says istiod uses the {} one', async () => {
  const found = await byName(yaml(sidecar('everything', 'shop', '2024-01-01T00:00:00Z', null), sidecar('local-only', 'shop', '2025-01-01T00:00:00Z', '{}')));
  assert.equal([...found.keys()].sort(), ['everything', 'local-only']);
  for (const f of found.values()) { assert.is(f.istioCode, 'IST0111'); assert.is(f.severity, 'error'); }
  assert.match(found.get('local-only')!.message, 'istiod uses this one for every workload of the namespace');
  assert.match(found.get('everything')!.message, 'istiod uses local-only, not this one');
  assert.match(found.get('everything')!.message, 'workloadSelector: {} (no labels) still counts as a selector');
  assert.not.match(found.get('everything')!.message, 'undefined');
});

test('GIVEN two selector-less Sidecars WHEN checked THEN the oldest is named as the one istiod uses, whatever the input order', async () => {
  const found = await byName(yaml(sidecar('b-new', 'shop', '2025-01-01T00:00:00Z', null), sidecar('a-old', 'shop', '2024-01-01T00:00:00Z', null)));
  assert.match(found.get('a-old')!.message, 'istiod uses this one, the oldest');
  assert.match(found.get('b-new')!.message, 'istiod uses a-old, the oldest by creationTimestamp, then name, and never this one');
});

test('GIVEN two Sidecars with workloadSelector {} WHEN checked THEN the older {} one is used and the newer is never', async () => {
  const found = await byName(yaml(sidecar('x-new', 'shop', '2025-01-01T00:00:00Z', '{}'), sidecar('y-old', 'shop', '2024-01-01T00:00:00Z', '{labels: {}}')));
  assert.match(found.get('y-old')!.message, 'istiod uses this one');
  assert.match(found.get('x-new')!.message, 'istiod never uses this one: y-old, also with workloadSelector: {}, is older');
});

test('GIVEN a root-namespace selector-less Sidecar beside a {} one WHEN checked THEN it is still named the mesh-wide default', async () => {
  const found = await byName(yaml(sidecar('mesh', 'istio-system', '2024-01-01T00:00:00Z', null), sidecar('local', 'istio-system', '2025-01-01T00:00:00Z', '{}')));
  assert.match(found.get('mesh')!.message, 'it stays the mesh-wide default for namespaces without a Sidecar of their own');
});

test('GIVEN a Sidecar with workloadSelector labels beside a selector-less one WHEN checked THEN nothing is reported (istioctl counts only Sidecars without labels)', async () => {
  const found = await byName(yaml(sidecar('everything', 'shop', '2024-01-01T00:00:00Z', null), sidecar('cart', 'shop', '2025-01-01T00:00:00Z', '{labels: {app: cart}}')));
  assert.is(found.size, 0);
});

test.run();
