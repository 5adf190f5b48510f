/**
 * `verify` reads the mesh as `check` does: dist/ plus the config's `context` paths (an app-team
 * repository whose gateway Deployment lives in the platform repository), so promises through that
 * gateway are judged, not refused for a missing gateway workload.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshGraph } from '../../src/mesh/graph.js';
import { gatewayWorkload } from '../../src/verify/runtime/gateway.js';
import { type TrafficRunner, verifyProject } from '../../src/verify/run.js';

const APP = `apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio-injection: enabled } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web-v1, namespace: shop }
spec:
  selector: { matchLabels: { app: web, version: v1 } }
  template:
    metadata: { labels: { app: web, version: v1 } }
    spec: { containers: [{ name: web, image: web:1, ports: [{ containerPort: 8080 }] }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec: { selector: { app: web }, ports: [{ name: http, port: 80, targetPort: 8080 }] }
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: public, namespace: shop }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: [shop.example.com] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: shop }
spec:
  hosts: [shop.example.com]
  gateways: [public]
  http: [{ route: [{ destination: { host: web.shop.svc.cluster.local } }] }]
`;
const GATEWAY = `apiVersion: v1
kind: Namespace
metadata: { name: istio-ingress }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: ingressgateway, namespace: istio-ingress }
spec:
  selector: { matchLabels: { istio: ingressgateway } }
  template:
    metadata: { labels: { istio: ingressgateway } }
    spec: { containers: [{ name: istio-proxy, image: istio/proxyv2, args: [proxy, router] }] }
`;
const PROMISE = {
  id: 'shop/web#reaches', promise: 'GET shop.example.com/ through gateway shop/public:80: every request reaches web', source: { constructPath: 'shop/web', file: 'apps/shop.ts', line: 1 },
  request: { host: 'shop.example.com', via: { kind: 'gateway', gateway: 'shop/public', port: 80 }, path: '/', method: 'GET', headers: {} },
  outcome: { kind: 'reaches', destination: { host: 'web.shop.svc.cluster.local' } },
};

test('GIVEN an app whose gateway Deployment is in the config\'s context paths WHEN verified THEN the traffic runtime gets a mesh with that gateway workload; without the context it has none', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-verify-context-'));
  // A runtime that only looks at the mesh it is given: which workload would it start for the gateway?
  let seen: ReturnType<typeof gatewayWorkload> | undefined;
  const runtime: TrafficRunner = {
    unavailable: () => null,
    run: async (graph: MeshGraph) => {
      seen = gatewayWorkload(graph, 'shop/public');
      return { verdicts: new Map(), startupMs: 0 };
    },
  };
  try {
    fs.mkdirSync(path.join(root, 'dist'));
    fs.mkdirSync(path.join(root, 'platform'));
    fs.mkdirSync(path.join(root, '.meshproof'));
    fs.writeFileSync(path.join(root, 'dist', 'shop.k8s.yaml'), APP);
    fs.writeFileSync(path.join(root, 'platform', 'gateway.yaml'), GATEWAY);
    fs.writeFileSync(path.join(root, '.meshproof', 'expectations.json'), JSON.stringify({ version: 1, expectations: [PROMISE] }));
    await verifyProject({ root, skipChecks: true, runtime });
    assert.type(seen, 'string', 'no gateway workload without the context');
    assert.match(seen as string, 'no workload in dist/ matches Gateway shop/public');
    fs.writeFileSync(path.join(root, 'meshproof.config.yaml'), 'context:\n  - platform\n');
    const report = await verifyProject({ root, skipChecks: true, runtime });
    assert.equal(typeof seen === 'string' ? seen : `${seen!.namespace}/${seen!.name}`, 'istio-ingress/ingressgateway');
    assert.is(report.results[0]!.static.status, 'held');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test.run();
