/**
 * gateway/merged-route-shadowed merges the VirtualServices of one gateway host in the order istiod lists them
 * for the gateway proxy's namespace (PushContext.VirtualServicesForGateway), as the per-proxy view does: that
 * namespace's VirtualServices not exported everywhere, then those exported to it by name, then those exported
 * everywhere, creation time only within each; one not exported there is not merged at all. The swallowing rule
 * is an /api prefix: a /api prefix would swallow nothing, istiod moves it after the others (route.go SortVHostRoutes).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../../src/checks/engine.js';
import mergedRouteShadowed from '../../../src/checks/rules/gateway/merged-route-shadowed.js';
import { graphOf } from '../../mesh/_graph.js';
import { gw, route, vs } from '../../mesh/view-fixtures.js';

const HOST = 'shop.example.com';
const at = (month: string) => ({ creationTimestamp: `2026-0${month}-01T00:00:00Z` });
const ingress = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ingress', namespace: 'istio-system' },
  spec: { template: { metadata: { labels: { istio: 'ingressgateway' } }, spec: { containers: [{ name: 'istio-proxy' }] } } },
};
const api = (exportTo?: string[]) => ({
  hosts: [HOST], gateways: ['istio-system/edge'], ...(exportTo ? { exportTo } : {}),
  http: [{ match: [{ uri: { prefix: '/api' } }], route: [route('web.shop.svc.cluster.local')] }],
});
const payments = (exportTo?: string[]) => ({
  hosts: [HOST], gateways: ['istio-system/edge'], ...(exportTo ? { exportTo } : {}),
  http: [{ match: [{ uri: { prefix: '/api/payments' } }], route: [route('payments.shop.svc.cluster.local')] }],
});

/** Who is reported, for two VirtualServices (older first) on the Gateway in istio-system, whose proxy runs there. */
function reported(first: Record<string, unknown>, second: Record<string, unknown>): string[] {
  const g = graphOf([ingress, gw('edge', 'istio-system', [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [`*/${HOST}`] }]), first, second]);
  return runRules(g, [mergedRouteShadowed], {}).filter((f) => f.ruleId === mergedRouteShadowed.id).map((f) => `${f.resource?.namespace}/${f.resource?.name}`);
}

test('GIVEN an older public /api prefix and a newer /api/payments VirtualService scoped to istio-system, the gateway proxy\'s namespace WHEN checked THEN the scoped one comes first and nothing is shadowed', () => {
  assert.equal(reported(vs('all', 'shop', api(), at('1')), vs('payments', 'istio-system', payments(['.']), at('2'))), []);
});

test('GIVEN an older public /api/payments and a newer /api prefix exported to istio-system by name WHEN checked THEN the named one comes first and shadows /api/payments', () => {
  assert.equal(reported(vs('payments', 'billing', payments(), at('1')), vs('all', 'shop', api(['istio-system']), at('2'))), ['billing/payments']);
});

test('GIVEN a newer /api prefix scoped to istio-system and an older public /api/payments WHEN checked THEN the scoped /api prefix comes first and shadows /api/payments, which creation order alone would put first', () => {
  const found = runRules(graphOf([ingress, gw('edge', 'istio-system', [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [`*/${HOST}`] }]),
    vs('payments', 'billing', payments(), at('1')), vs('all', 'istio-system', api(['.']), at('2'))]), [mergedRouteShadowed], {});
  assert.equal(found.map((f) => `${f.resource?.namespace}/${f.resource?.name}`), ['billing/payments']);
  assert.ok(found[0]!.message.includes('for its proxies in namespace istio-system'), found[0]!.message);
});

test('GIVEN an older /api prefix exported only to shop WHEN checked THEN the gateway proxy in istio-system never merges it and /api/payments is not reported', () => {
  assert.equal(reported(vs('all', 'shop', api(['.']), at('1')), vs('payments', 'billing', payments(), at('2'))), []);
});

test.run();
