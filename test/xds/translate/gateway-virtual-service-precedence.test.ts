/**
 * Which VirtualService's routes a gateway proxy tries first when several bound to its Gateway declare one host:
 * istiod lists them for the proxy's namespace (PushContext.VirtualServicesForGateway) as the VirtualServices of
 * that namespace not exported everywhere, then those other namespaces export to it by name, then those exported
 * to every namespace, creation order only within one of these, and leaves out the ones not exported to it; the
 * routes of each are appended to the host's virtual host in that order (core/gateway.go
 * buildGatewayHTTPRouteConfig), so with catch-all routes the first listed answers every request.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { gw, route, svc, vs } from '../../mesh/view-fixtures.js';
import { selectRoute, targetOf } from './_select.js';

const at = (month: string) => ({ creationTimestamp: `2024-0${month}-01T00:00:00Z` });
const ingress = (namespace: string) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ingress', namespace },
  spec: { template: { metadata: { labels: { istio: 'ingressgateway' } }, spec: { containers: [{ name: 'istio-proxy' }] } } },
});
const HOST = 'shop.example.com';
const bound = (to: string, exportTo?: string[]) => ({ hosts: [HOST], gateways: ['istio-system/edge'], ...(exportTo ? { exportTo } : {}), http: [{ route: [route(to)] }] });

/**
 * Oldest first: one exported only to shop, one exported everywhere, one exported to istio-system by name,
 * and the newest scoped to istio-system, the Gateway's and its proxy's namespace.
 */
const objects = (proxyNamespace: string) => [
  ingress(proxyNamespace),
  gw('edge', 'istio-system', [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [`*/${HOST}`] }]),
  ...['hidden', 'web', 'named', 'own'].map((s) => svc(s, 'prod')),
  vs('hidden', 'shop', bound('hidden.prod.svc.cluster.local', ['.']), at('1')),
  vs('public', 'prod', bound('web'), at('2')),
  vs('named', 'ops', bound('named.prod.svc.cluster.local', ['istio-system']), at('3')),
  vs('own', 'istio-system', bound('own.prod.svc.cluster.local', ['.']), at('4')),
];

function gatewayOf(proxyNamespace: string) {
  const g = graphOf(objects(proxyNamespace));
  const view = buildProxyView(g, proxiesOf(g).find((p) => p.type === 'router')!);
  const host = view.gatewayServers[0]!.routes.find((r) => r.host === HOST)!;
  const routes = translateProxy(view, []).routes;
  return {
    listed: host.virtualServices.map((o) => `${o.ref.namespace}/${o.ref.name}`),
    target: targetOf(selectRoute(routes.find((r) => r.name === 'http.80')!, { authority: HOST, path: '/' })),
  };
}

test('GIVEN VirtualServices for one gateway host scoped to the proxy\'s namespace, exported to it by name, exported everywhere (older) and exported elsewhere (oldest) WHEN the gateway in istio-system is viewed and translated THEN its own namespace\'s come first, then the named one, then the public one; the hidden one is left out, and a request reaches the own one\'s destination', () => {
  assert.equal(gatewayOf('istio-system'), {
    listed: ['istio-system/own', 'ops/named', 'prod/public'],
    target: 'outbound|9080||own.prod.svc.cluster.local',
  });
});

test('GIVEN the same VirtualServices WHEN the gateway\'s proxy runs in shop THEN it gets the one scoped to shop first, then the public one, and neither istio-system\'s nor the one exported to istio-system', () => {
  assert.equal(gatewayOf('shop'), {
    listed: ['shop/hidden', 'prod/public'],
    target: 'outbound|9080||hidden.prod.svc.cluster.local',
  });
});

test.run();
