/**
 * The embedded mesh for traffic proofs: an echo backend per workload (each on its own loopback
 * address, on its container ports), our ADS server in-process serving each caller sidecar the
 * snapshot the translator makes from its per-proxy view, and one reference proxy (`startProxy`,
 * the engine of `meshproof proxy`) per caller namespace, its outbound listeners moved from
 * `0.0.0.0` to the caller's own loopback address so that several proxies and the backends can
 * bind the same ports. Upstreams are plaintext: the echo backends have no sidecar of their own, so
 * the caller's clusters lose their upstream TLS (ISTIO_MUTUAL under auto mTLS) in the runtime's
 * copy of the snapshot; mTLS and RBAC need inbound sidecars in front of the backends, which this
 * runtime does not start yet.
 */
import type { MeshGraph } from '../../mesh/graph.js';
import { buildProxyView, proxyOf } from '../../mesh/view/index.js';
import { startProxy, type ProxyHandle } from '../../proxy/main.js';
import { AdsServer } from '../../xds/server/ads-server.js';
import { SnapshotCache } from '../../xds/snapshot-cache.js';
import { createSnapshot } from '../../xds/snapshot.js';
import { translateProxy, type WorkloadInstance } from '../../xds/translate/index.js';
import { LoopbackAllocator } from './addresses.js';
import { EchoBackend } from './echo.js';
import type { ProcessRegistry } from './registry.js';

const HCM = 'envoy.filters.network.http_connection_manager';

/** A caller sidecar: where to send requests for a service port. */
export interface Caller {
  readonly namespace: string;
  readonly workload: string;
  readonly address: string;
  readonly proxy: ProxyHandle;
}

export interface EmbeddedMesh {
  readonly backends: readonly EchoBackend[];
  /** The caller sidecar of a namespace, started on first use. */
  caller(namespace: string): Promise<Caller | string>;
  /**
   * A new caller sidecar of the namespace, for proofs that change a proxy's state (a retry or
   * timeout proof makes an endpoint fail, which outlier detection may eject): `release()` stops it.
   */
  freshCaller(namespace: string): Promise<(Caller & { release(): Promise<void> }) | string>;
  /** Milliseconds spent starting backends, the ADS server and proxies so far. */
  startupMs(): number;
}

/** Starts the backends and the ADS server; caller proxies start lazily. Everything is registered for cleanup. */
export async function startMesh(graph: MeshGraph, registry: ProcessRegistry): Promise<EmbeddedMesh> {
  const t0 = performance.now();
  let startup = 0;
  const addresses = new LoopbackAllocator();
  const instances: WorkloadInstance[] = [];
  const backends: EchoBackend[] = [];
  for (const w of graph.workloads.all) {
    const dataplane = graph.membershipOf(w).dataplane;
    if (dataplane === 'gateway' || w.containerPorts.length === 0) continue;
    const address = addresses.allocate();
    instances.push({ name: w.name, namespace: w.namespace, address, labels: { ...w.labels }, ports: Object.fromEntries(w.containerPorts.filter((p) => p.name).map((p) => [p.name!, p.containerPort])) });
    for (const port of new Set(w.containerPorts.map((p) => p.containerPort))) {
      const echo = registry.add(new EchoBackend({ namespace: w.namespace, workload: w.name, labels: w.labels }, address, port));
      await echo.start();
      backends.push(echo);
    }
  }
  const cache = new SnapshotCache();
  const ads = new AdsServer({ cache });
  const adsPort = await ads.listen('127.0.0.1:0');
  registry.add({ name: `ADS server 127.0.0.1:${adsPort}`, close: () => ads.close(200) });
  startup += performance.now() - t0;
  const callers = new Map<string, Promise<Caller | string>>();
  let proxies = 0;

  const startCaller = async (namespace: string): Promise<(Caller & { release(): Promise<void> }) | string> => {
    const t = performance.now();
    const w = graph.workloads.inNamespace(namespace).find((x) => graph.membershipOf(x).dataplane === 'sidecar');
    if (!w) return `namespace ${namespace} has no workload with a sidecar to send from`;
    const address = addresses.allocate();
    const set = translateProxy(buildProxyView(graph, proxyOf(graph, w)), instances);
    // Outbound listeners only, on the caller's own address; the inbound side is not exercised from here.
    // Plain TCP (tcp_proxy) listeners are left out while the reference proxy serves HTTP only; promises are HTTP.
    const httpOnly = (l: (typeof set.listeners)[number]) => l.filterChains.every((fc) => fc.filters.every((f) => f.name === HCM));
    const listeners = set.listeners.filter((l) => l.name.startsWith('0.0.0.0_') && httpOnly(l)).map((l) => {
      const sa = l.address?.address;
      if (sa?.case === 'socketAddress') sa.value.address = address;
      return l;
    });
    // One node id per proxy: each holds its own snapshot (its own listener address).
    const nodeId = `${w.namespace}/${w.name}${++proxies > 1 ? `~${proxies}` : ''}`;
    // The echo backends have no sidecar to terminate mTLS: upstream TLS (ISTIO_MUTUAL by auto mTLS) is
    // taken off the caller's clusters, so these proofs cover routing, not transport security.
    const clusters = set.clusters.map((c) => {
      c.transportSocket = undefined;
      c.transportSocketMatches = [];
      return c;
    });
    cache.setSnapshot(nodeId, createSnapshot({ ...set, clusters, listeners, secrets: [] }));
    const logLines: string[] = [];
    const proxy = await startProxy({ xds: `127.0.0.1:${adsPort}`, nodeId, admin: 'off', prometheus: 'off', readiness: 'off', log: (l) => logLines.push(l), drainTimeoutMs: 100 });
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await proxy.close();
    };
    registry.add({ name: `proxy ${nodeId} ${address}`, close });
    try {
      await proxy.waitReady(15_000);
    } catch {
      return `the sidecar proxy of ${nodeId} did not become ready within 15 s: ${logLines.slice(-3).join(' | ') || 'no log'}`;
    } finally {
      startup += performance.now() - t;
    }
    return { namespace, workload: w.name, address, proxy, release: close };
  };

  return {
    backends,
    caller: (namespace) => {
      let c = callers.get(namespace);
      if (!c) callers.set(namespace, (c = startCaller(namespace)));
      return c;
    },
    freshCaller: (namespace) => startCaller(namespace),
    startupMs: () => startup,
  };
}
