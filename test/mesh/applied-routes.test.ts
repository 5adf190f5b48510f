/**
 * appliedHttpRules (what checks read) and the proxy view's routes (what xDS serves) agree on when a sidecar keeps a
 * service's default route: for every port of a two-port service and every client, the view serves the default route
 * exactly where no http rule of the VirtualService applies (istiod BuildSidecarVirtualHostWrapper).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appliedHttpRules } from '../../src/mesh/applied-routes.js';
import { buildProxyView, describeProxy } from '../../src/mesh/view/index.js';
import { graphOfYaml } from '../checks/rules/_harness.js';

const API = 'api.shop.svc.cluster.local';

const input = (http: string, extra = '') => `apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{name: http, port: 8080}, {name: grpc, port: 9090}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: shop}
spec:
  hosts: [api]
  gateways: [mesh, edge]
  http: ${http}
${extra}`;

const DELEGATE = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api-routes, namespace: shop}
spec:
  http:
  - match: [{uri: {prefix: /v1/orders}}]
    route: [{destination: {host: api}}]
  - match: [{port: 9090, uri: {prefix: /v1/grpc}}]
    route: [{destination: {host: api}}]
`;

const CASES: [what: string, http: string, extra?: string][] = [
  ['a port match on 8080 with a header', '[{match: [{port: 8080, headers: {x: {exact: "1"}}}], route: [{destination: {host: api}}]}]'],
  ['sourceLabels app=web', '[{match: [{sourceLabels: {app: web}, uri: {prefix: /a}}], route: [{destination: {host: api}}]}]'],
  ['sourceNamespace shop on 9090', '[{match: [{sourceNamespace: shop, port: 9090}], route: [{destination: {host: api}}]}]'],
  ['gateway-only matches', '[{match: [{gateways: [edge], uri: {prefix: /}}], route: [{destination: {host: api}}]}]'],
  ['gateways [mesh] with sourceLabels that gateways override', '[{match: [{gateways: [mesh], sourceLabels: {app: none}}], route: [{destination: {host: api}}]}]'],
  ['a missing delegate', '[{delegate: {name: nowhere}}]'],
  ['a delegate under /v1 on 8080', '[{match: [{uri: {prefix: /v1}, port: 8080}], delegate: {name: api-routes}}]', DELEGATE],
  ['a delegate under /v1', '[{match: [{uri: {prefix: /v1}}], delegate: {name: api-routes}}]', DELEGATE],
];

const CLIENTS = [
  describeProxy({ name: 'web', namespace: 'shop', labels: { app: 'web' } }),
  describeProxy({ name: 'batch', namespace: 'jobs', labels: { app: 'batch' } }),
];

for (const [what, http, extra] of CASES) {
  test(`GIVEN ${what} WHEN each client's sidecar is built THEN the view keeps the default route exactly where appliedHttpRules finds no rule`, async () => {
    const graph = await graphOfYaml(input(http, extra));
    const vs = graph.get('VirtualService', 'shop', 'api')!;
    for (const client of CLIENTS) {
      const view = buildProxyView(graph, client);
      for (const port of [8080, 9090]) {
        const routes = view.routes.find((r) => r.host === API && r.port === port)!;
        const viewDefault = routes.virtualServices.length === 0 && routes.http.length === 1 && routes.http[0]!.name === 'default';
        const none = appliedHttpRules(graph, vs, { key: 'mesh', ports: new Set([port]), labels: client.labels, namespace: client.namespace }).length === 0;
        assert.is(viewDefault, none, `${client.name} port ${port}`);
      }
    }
  });
}

test('GIVEN sourceLabels app=web on 8080 WHEN asked per client and port THEN only web on 8080 gets the rule', async () => {
  const graph = await graphOfYaml(input('[{match: [{sourceLabels: {app: web}, port: 8080}], route: [{destination: {host: api}}]}]'));
  const vs = graph.get('VirtualService', 'shop', 'api')!;
  const got = CLIENTS.flatMap((c) => [8080, 9090].map((port) => appliedHttpRules(graph, vs, { key: 'mesh', ports: new Set([port]), labels: c.labels, namespace: c.namespace }).length));
  assert.equal(got, [1, 0, 0, 0]);
});

test.run();
