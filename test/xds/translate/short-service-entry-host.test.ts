/**
 * A ServiceEntry host written without a dot (`hosts: [payments]`), as istiod reads it: the service keeps the host as
 * written (`serviceentry/conversion.go` `convertServices`: `host.Name(hostname)`), so its cluster is
 * `outbound|80||payments` and its virtual host domains are `payments`, `payments:80` (`httproute.go`
 * `generateVirtualHostDomains`: no alternate names, the host shares no DNS domain with the proxy). A VirtualService's
 * short host and destination `payments` are expanded in the VirtualService's namespace
 * (`model.ResolveVirtualServiceShortnames`) to `payments.shop.svc.cluster.local`, which meets no service: the
 * VirtualService binds to nothing and its destination names a cluster CDS lacks. `istioctl analyze` expands the
 * ServiceEntry host instead, and the analyzer-parity rules keep that reading (`ServiceInfo.analyzerHost`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { destinationRuleReaches } from '../../../src/mesh/destination-rule-reach.js';
import { graphOf } from '../../mesh/_graph.js';
import { dr, route, vs } from '../../mesh/view-fixtures.js';
import { selectRoute, targetOf } from './_select.js';

const client = describeProxy({ name: 'client', namespace: 'shop', labels: { app: 'client' } });
const EXPANDED = 'payments.shop.svc.cluster.local';
const entry = (host: string) => ({
  apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'payments-ext', namespace: 'shop' },
  spec: { hosts: [host], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '10.0.0.9', labels: { version: 'v1' } }] },
});
const paymentsVs = vs('payments', 'shop', { hosts: ['payments'], http: [{ route: [route('payments', { subset: 'v1' })] }] });
const subsets = dr('payments', 'shop', { host: 'payments', subsets: [{ name: 'v1', labels: { version: 'v1' } }] });

function sidecarSet(objects: Record<string, unknown>[]) {
  const view = buildProxyView(graphOf(objects), client);
  return { view, set: translateProxy(view, []) };
}

test('GIVEN a ServiceEntry host "payments" WHEN translated for a sidecar THEN its cluster is outbound|80||payments and its domains are payments and payments:80 (istiod keeps the host as written)', () => {
  const { view, set } = sidecarSet([entry('payments')]);
  assert.equal(view.services.map((s) => s.host), ['payments']);
  const names = set.clusters.map((c) => c.name);
  assert.ok(names.includes('outbound|80||payments'), names.join(' '));
  assert.not.ok(names.some((n) => n.endsWith(`|${EXPANDED}`)), names.join(' '));
  const vh = set.routes.find((r) => r.name === '80')!.virtualHosts.find((v) => v.domains.includes('payments'));
  assert.ok(vh);
  assert.equal(vh!.domains.filter((d) => d.startsWith('payments')), ['payments', 'payments:80']);
});

test('GIVEN that ServiceEntry and a VirtualService "payments" in its namespace routing to "payments" subset v1 WHEN translated THEN the VirtualService does not route it: calls to payments take the default route, and the VirtualService\'s destination names the expanded cluster, which CDS lacks', () => {
  const { view, set } = sidecarSet([entry('payments'), subsets, paymentsVs]);
  const rc = set.routes.find((r) => r.name === '80')!;
  assert.is(targetOf(selectRoute(rc, { authority: 'payments', path: '/' })), 'outbound|80||payments');
  const bound = view.routes.find((r) => r.host === 'payments');
  assert.ok(bound);
  assert.equal(bound!.virtualServices, [], 'no VirtualService binds to the as-written host');
  const names = set.clusters.map((c) => c.name);
  assert.not.ok(names.includes('outbound|80|v1|payments'), 'the DestinationRule for "payments" expands too and configures no subset of it');
  assert.not.ok(names.some((n) => n.endsWith(`|${EXPANDED}`)), names.join(' '));
});

test('GIVEN the ServiceEntry host written payments.shop.svc.cluster.local WHEN the same VirtualService is translated THEN it routes it (the control case: the test can tell the two apart)', () => {
  const { set } = sidecarSet([entry(EXPANDED), subsets, paymentsVs]);
  const rc = set.routes.find((r) => r.name === '80')!;
  assert.is(targetOf(selectRoute(rc, { authority: EXPANDED, path: '/' })), `outbound|80|v1|${EXPANDED}`);
});

test('GIVEN a DestinationRule "payments" beside a ServiceEntry host "payments" WHEN asked whether it reaches the service host as istiod keeps it THEN it does not (the rule expands to payments.shop.svc.cluster.local), while the expanded host is reached', () => {
  const graph = graphOf([entry('payments'), { ...subsets, spec: { ...(subsets.spec as Record<string, unknown>), trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } } }]);
  const rule = graph.ofKind('DestinationRule')[0]!;
  assert.is(destinationRuleReaches(graph, rule, 'payments'), false);
  assert.is(destinationRuleReaches(graph, rule, 'payments', 'v1'), false);
  assert.is(graph.destinationRuleForResolved('payments', 'shop'), null);
  assert.is(destinationRuleReaches(graph, rule, EXPANDED), true);
});

test.run();
