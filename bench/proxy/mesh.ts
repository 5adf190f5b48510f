/**
 * The mesh under test for `bench/proxy`: a Service `reviews` with two versions behind a
 * DestinationRule (subsets v1, v2) and a VirtualService splitting 90/10, plus a caller workload
 * whose sidecar is the proxy under test. The config the proxy runs is what our translator makes of
 * the caller's per-proxy view (no hand-written Envoy config), served by our ADS server in-process.
 */
import { writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { Pool } from 'undici';
import { join } from 'node:path';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import { buildProxyView, proxyOf } from '../../src/mesh/view/index.js';
import { AdsServer } from '../../src/xds/server/ads-server.js';
import { SnapshotCache } from '../../src/xds/snapshot-cache.js';
import { createSnapshot } from '../../src/xds/snapshot.js';
import { translateProxy, type WorkloadInstance } from '../../src/xds/translate/index.js';

export const NAMESPACE = 'bench';
/** Authority the load generator sends (a domain of the translated virtual host). */
export const HOST = `reviews.${NAMESPACE}.svc.cluster.local`;
const SERVICE_PORT = 9080;

function manifests(backendPort: number): string {
  const deployment = (name: string, labels: Record<string, string>, port?: number) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: ${NAMESPACE} }
spec:
  selector: { matchLabels: ${JSON.stringify(labels)} }
  template:
    metadata: { labels: ${JSON.stringify(labels)} }
    spec:
      containers:
        - name: app
          image: example/${name}:1
${port ? `          ports: [{ name: http, containerPort: ${port} }]\n` : ''}`;
  return `apiVersion: v1
kind: Namespace
metadata: { name: ${NAMESPACE}, labels: { istio-injection: enabled } }
---
apiVersion: v1
kind: Service
metadata: { name: reviews, namespace: ${NAMESPACE} }
spec:
  selector: { app: reviews }
  ports: [{ name: http, port: ${SERVICE_PORT}, targetPort: ${backendPort} }]
---
${deployment('reviews-v1', { app: 'reviews', version: 'v1' }, backendPort)}---
${deployment('reviews-v2', { app: 'reviews', version: 'v2' }, backendPort)}---
${deployment('caller', { app: 'caller' })}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: ${NAMESPACE} }
spec:
  host: reviews
  trafficPolicy: { tls: { mode: DISABLE } }
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: ${NAMESPACE} }
spec:
  hosts: [reviews]
  http:
    - route:
        - { destination: { host: reviews, subset: v1 }, weight: 90 }
        - { destination: { host: reviews, subset: v2 }, weight: 10 }
`;
}

export interface BenchMesh {
  readonly adsPort: number;
  readonly nodeId: string;
  close(): Promise<void>;
}

/**
 * Writes the mesh to `dir`, translates the caller's sidecar config with the two backend workloads
 * at `backends.v1` / `backends.v2` (loopback addresses, both on `backendPort`), keeps only the
 * outbound HTTP listener of the service port, moved to `listen`, and serves it over ADS on a free
 * port. Throws when the translation lacks that listener or the 90/10 weighted route.
 */
export async function startBenchMesh(dir: string, backends: { v1: string; v2: string }, backendPort: number, listen: { host: string; port: number }): Promise<BenchMesh> {
  const file = join(dir, 'mesh.yaml');
  writeFileSync(file, manifests(backendPort));
  const graph = MeshGraph.from((await loadInputs([file])).files);
  const caller = graph.workloads.all.find((w) => w.name === 'caller');
  if (!caller) throw new Error(`bench/proxy/mesh.ts: the caller workload is missing from ${file}`);
  const instances: WorkloadInstance[] = (['v1', 'v2'] as const).map((v) => ({
    name: `reviews-${v}`, namespace: NAMESPACE, address: backends[v], labels: { app: 'reviews', version: v }, ports: { http: backendPort },
  }));
  const set = translateProxy(buildProxyView(graph, proxyOf(graph, caller)), instances);
  const listener = set.listeners.find((l) => l.name === `0.0.0.0_${SERVICE_PORT}`);
  const sa = listener?.address?.address;
  if (!listener || sa?.case !== 'socketAddress') {
    throw new Error(`bench/proxy/mesh.ts: no outbound listener 0.0.0.0_${SERVICE_PORT} in the translation (got ${set.listeners.map((l) => l.name).join(', ')})`);
  }
  sa.value.address = listen.host;
  sa.value.portSpecifier = { case: 'portValue', value: listen.port };
  const weighted = set.routes.flatMap((r) => r.virtualHosts).flatMap((vh) => vh.routes)
    .map((r) => (r.action.case === 'route' && r.action.value.clusterSpecifier.case === 'weightedClusters' ? r.action.value.clusterSpecifier.value.clusters.map((c) => c.weight) : undefined))
    .find((w) => w !== undefined);
  if (weighted?.join('/') !== '90/10') throw new Error(`bench/proxy/mesh.ts: expected a 90/10 weighted route in the translation, got ${weighted?.join('/') ?? 'none'}`);
  const nodeId = `${NAMESPACE}/caller`;
  const cache = new SnapshotCache();
  cache.setSnapshot(nodeId, createSnapshot({ ...set, listeners: [listener] }));
  const ads = new AdsServer({ cache });
  const adsPort = await ads.listen('127.0.0.1:0');
  return { adsPort, nodeId, close: () => ads.close(200) };
}

/** The A/B benches' two backends (v1, v2): one loopback address each, the same port. */
export const BACKENDS = { v1: '127.79.0.1', v2: '127.79.0.2' };

/** Starts the two keep-alive backends of the A/B benches on {@link BACKENDS}, answering `reviews\n`. */
export async function startBackends(): Promise<{ port: number; servers: http.Server[] }> {
  const body = Buffer.from('reviews\n');
  const handler: http.RequestListener = (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  };
  const first = http.createServer({ keepAlive: true }, handler);
  await new Promise<void>((r) => first.listen(0, BACKENDS.v1, r));
  const port = (first.address() as { port: number }).port;
  const second = http.createServer({ keepAlive: true }, handler);
  await new Promise<void>((r, j) => { second.once('error', j); second.listen(port, BACKENDS.v2, r); });
  return { port, servers: [first, second] };
}

/** `n` GETs of `/reviews` (Host {@link HOST}) over `concurrency` workers on `pool`; resolves with how many failed or were not 200. */
export async function sendGets(pool: Pool, n: number, concurrency: number): Promise<number> {
  let left = n;
  let failed = 0;
  const worker = async () => {
    while (left > 0) {
      left--;
      try {
        const r = await pool.request({ path: '/reviews', method: 'GET', headers: { host: HOST } });
        await r.body.dump();
        if (r.statusCode !== 200) failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failed;
}

/** The median of a non-empty list (the upper one of an even count), as the A/B benches report rounds. */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
