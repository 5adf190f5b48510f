/**
 * A sidecar's pods carry the labels the injector writes (`service.istio.io/canonical-name`,
 * `…/canonical-revision`, `security.istio.io/tlsMode`), and istiod matches policy selectors against
 * pod labels: the per-proxy view of an injected workload sees them, an uninjected one does not.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, proxyOf } from '../../../src/mesh/view/index.js';
import { translateProxy, VIRTUAL_INBOUND } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';

type Obj = Record<string, unknown>;
const objects = (injected: boolean): Obj[] => [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ledger', labels: injected ? { 'istio-injection': 'enabled' } : {} } },
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ledger', namespace: 'ledger' },
    spec: { template: { metadata: { labels: { app: 'ledger', version: 'v2' } }, spec: { containers: [{ name: 'app', ports: [{ containerPort: 8080 }] }] } } } },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ledger', namespace: 'ledger' }, spec: { selector: { app: 'ledger' }, ports: [{ name: 'http', port: 8080 }] } },
  { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'by-canonical', namespace: 'ledger' },
    spec: { selector: { matchLabels: { 'service.istio.io/canonical-name': 'ledger', 'service.istio.io/canonical-revision': 'v2' } }, action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] } },
];

test('GIVEN an AuthorizationPolicy selecting the injector\'s canonical-name and canonical-revision labels WHEN the workload is injected THEN its proxy carries them and the policy applies (RBAC in its inbound chain); WHEN not injected THEN it does not', () => {
  for (const injected of [true, false]) {
    const g = graphOf(objects(injected));
    const w = g.workloads.all.find((x) => x.name === 'ledger')!;
    const proxy = proxyOf(g, w);
    assert.is(proxy.labels['service.istio.io/canonical-name'], injected ? 'ledger' : undefined, `injected ${injected}`);
    const view = buildProxyView(g, proxy);
    assert.equal(view.inbound!.authorizationPolicies.map((p) => p.name), injected ? ['by-canonical'] : [], `injected ${injected}`);
    if (injected) {
      const set = translateProxy(view, []);
      const inbound = set.listeners.find((l) => l.name === VIRTUAL_INBOUND)!;
      assert.ok(JSON.stringify(inbound.filterChains.map((c) => c.metadata)).includes('ns[ledger]-policy[by-canonical]-rule[0]'), 'the DENY rule reaches the inbound chains');
    }
  }
});

test.run();
