/**
 * The embedded mesh for traffic proofs. Each workload gets a loopback address (its pod IP, in the
 * callers' EDS); a workload with a sidecar gets an inbound sidecar proxy there (`inbound.ts`: the
 * translated `virtualInbound` chains, mTLS with its workload certificate over SDS, RBAC) in front of
 * its echo backend on a second address, and its endpoints carry `security.istio.io/tlsMode: istio`
 * as the injector's label does, so callers' clusters pick ISTIO_MUTUAL by auto mTLS. Workloads
 * without a sidecar are their echo backend alone. Our ADS server runs in-process and serves every
 * proxy the snapshot the translator makes from its per-proxy view plus its secrets (`default` for
 * its namespace and service account, `ROOTCA`), from a throwaway CA (`identities.ts`). Caller
 * sidecars start on first use, their outbound listeners moved from `0.0.0.0` to the caller's own
 * address so several proxies and backends can bind the same ports. With `netns` (`--netns`) each
 * workload's echo backends and inbound sidecar run instead as one child process in the workload's
 * own network namespace (`netns.ts`, `remote-workload.ts`), on its own address, the app on the
 * namespace's 127.0.0.1 as in a pod.
 */
import type { MeshGraph, Workload } from '../../mesh/graph.js';
import { buildProxyView, proxyOf } from '../../mesh/view/index.js';
import { startProxy, type ProxyHandle } from '../../proxy/main.js';
import type { AccessLogEntry } from '../../proxy/access-log.js';
import { AdsServer } from '../../xds/server/ads-server.js';
import { SnapshotCache } from '../../xds/snapshot-cache.js';
import { createSnapshot } from '../../xds/snapshot.js';
import { translateProxy, type WorkloadInstance } from '../../xds/translate/index.js';
import { pickCaller as pickCallerOf } from './pick-caller.js';
import { allocateFree, LoopbackAllocator, type AddressLeases } from './addresses.js';
import { EchoBackend } from './echo.js';
import { MeshIdentities } from './identities.js';
import { inboundResources } from './inbound.js';
import type { NetnsHost, NetnsNetwork } from './netns.js';
import { RemoteWorkload } from './remote-workload.js';
import type { ProcessRegistry } from './registry.js';
import { closeAgent } from './send.js';
import { clustersOfHost, pinClusters } from './pin-cluster.js';

const HCM = 'envoy.filters.network.http_connection_manager';
const TLS_MODE_LABEL = 'security.istio.io/tlsMode';
/**
 * Caller sidecars' addresses (`127.78.y.z`), never reused within a process: a stopped proxy's
 * listeners may still be closing when the next run of the same process starts its callers.
 */
const callerAddresses = new LoopbackAllocator(78);

/** A caller sidecar: where to send requests for a service port. */
export interface Caller {
  readonly namespace: string;
  readonly workload: string;
  readonly address: string;
  readonly proxy: ProxyHandle;
  /** Access-log entries of this proxy so far (flushed on read). */
  readonly log: () => readonly AccessLogEntry[];
}

/** How a fresh caller is set up. */
export interface FreshCallerOptions {
  /**
   * Give every cluster of the host (`outbound|<port>|<subset>|<host>`) a first route taking
   * requests with `x-meshproof-cluster: <cluster>` straight there (`pinClusters`), for proofs of
   * per-cluster behaviour such as circuit breaking. @default false
   */
  readonly pinClusters?: boolean;
}

/** A caller started for one proof: `release()` stops it; `pinned` lists the clusters it pins (`FreshCallerOptions.pinClusters`). */
export interface FreshCaller extends Caller {
  readonly pinned: readonly string[];
  release(): Promise<void>;
}

/** What a proxy of the runtime is served over ADS: its whole snapshot. */
export type ProxyResources = Parameters<typeof createSnapshot>[0];

/** A proxy the runtime started: `close()` stops it (idempotent), `log()` gives its access-log entries so far. */
export interface LaunchedProxy {
  readonly proxy: ProxyHandle;
  close(): Promise<void>;
  log(): AccessLogEntry[];
}

/** A workload as the runtime started it. */
export interface RuntimeWorkload {
  readonly workload: Workload;
  /** Its pod address: the inbound sidecar's listeners when it has one, else the echo backend's. */
  readonly address: string;
  /** Whether an inbound sidecar (mTLS, RBAC) stands in front of the echo backend. */
  readonly sidecar: boolean;
}

export interface EmbeddedMesh {
  readonly backends: readonly EchoBackend[];
  readonly workloads: readonly RuntimeWorkload[];
  readonly identities: MeshIdentities;
  /**
   * The caller sidecar of a namespace, started on first use: a workload whose identity the
   * AuthorizationPolicies of `host`'s workloads admit when there is one (default deny would
   * otherwise answer every routing proof 403), else the namespace's first.
   */
  caller(namespace: string, host?: string, port?: number): Promise<Caller | string>;
  /**
   * A new caller sidecar, for proofs that change a proxy's state (a retry or timeout proof makes
   * an endpoint fail, which outlier detection may eject): `release()` stops it.
   */
  freshCaller(namespace: string, host?: string, port?: number, extraInstances?: readonly WorkloadInstance[], options?: FreshCallerOptions): Promise<(FreshCaller) | string>;
  /** The workload instances every proxy's EDS is built from (pod addresses, labels, ports). */
  readonly instances: readonly WorkloadInstance[];
  /**
   * Starts one more proxy (a gateway, say) on the in-process ADS server with these resources,
   * registered for cleanup; a string says why it did not become ready or refused its config.
   */
  launchProxy(nodeId: string, address: string, resources: ProxyResources, role?: 'sidecar' | 'gateway'): Promise<LaunchedProxy | string>;
  /** Holds the loopback addresses `allocateFree` hands out (their lock files) until the run ends. */
  readonly leases: AddressLeases;
  /** Milliseconds spent starting backends, the ADS server and proxies so far. */
  startupMs(): number;
}

/** Options of the embedded mesh. */
export interface MeshOptions {
  /**
   * Run each workload (echo backends and inbound sidecar) as a child process in its own network
   * namespace on this network (`--netns`), instead of in-process on loopback addresses. Caller
   * sidecars and the ADS server stay in the verify process, in its namespace.
   * @default undefined (in-process, loopback addresses)
   */
  readonly netns?: NetnsNetwork;
}

/** Starts the backends, their inbound sidecars and the ADS server; caller proxies start lazily. Everything is registered for cleanup. */
export async function startMesh(graph: MeshGraph, registry: ProcessRegistry, options: MeshOptions = {}): Promise<EmbeddedMesh> {
  const t0 = performance.now();
  let startup = 0;
  const addresses = new LoopbackAllocator();
  const net = options.netns;
  const identities = await MeshIdentities.create(graph.trustDomain);
  const instances: WorkloadInstance[] = [];
  const backends: EchoBackend[] = [];
  const workloads: (RuntimeWorkload & { appAddress: string; host?: NetnsHost; ports: number[] })[] = [];
  for (const w of graph.workloads.all) {
    const dataplane = graph.membershipOf(w).dataplane;
    if (dataplane === 'gateway' || w.containerPorts.length === 0) continue;
    const sidecar = dataplane === 'sidecar';
    // In a namespace the pod address is the namespace's own and the app listens on its 127.0.0.1, as in a pod.
    const host = net ? await net.addHost(`${w.namespace}/${w.name}`) : undefined;
    const ports = [...new Set(w.containerPorts.map((p) => p.containerPort))];
    // On loopback, addresses another process holds (a second verify run on this machine) are skipped.
    const address = host?.address ?? await allocateFree(addresses, ports, registry);
    const appAddress = sidecar ? (host ? '127.0.0.1' : await allocateFree(addresses, ports, registry)) : address;
    workloads.push({ workload: w, address, appAddress, sidecar, ports, ...(host ? { host } : {}) });
    instances.push({ name: w.name, namespace: w.namespace, address, labels: { ...w.labels, ...(sidecar ? { [TLS_MODE_LABEL]: 'istio' } : {}) }, ports: Object.fromEntries(w.containerPorts.filter((p) => p.name).map((p) => [p.name!, p.containerPort])) });
    for (const port of ports) {
      const echo = new EchoBackend({ namespace: w.namespace, workload: w.name, labels: w.labels }, appAddress, port);
      // With --netns the backend runs in the workload's child process; this one is its ledger and never listens.
      if (!net) await registry.add(echo).start();
      backends.push(echo);
    }
  }
  const cache = new SnapshotCache();
  const ads = new AdsServer({ cache });
  const adsHost = net?.gateway ?? '127.0.0.1';
  const adsPort = await ads.listen(`${adsHost}:0`);
  registry.add({ name: `ADS server ${adsHost}:${adsPort}`, close: () => ads.close(200) });
  let proxies = 0;

  /** Starts a proxy for `nodeId` with `resources`; a string says why it did not become ready. */
  const launch = async (nodeId: string, address: string, resources: ProxyResources, role: 'sidecar' | 'gateway' = 'sidecar'): Promise<LaunchedProxy | string> => {
    cache.setSnapshot(nodeId, createSnapshot(resources));
    const lines: string[] = [];
    const entries: AccessLogEntry[] = [];
    const proxy = await startProxy({ xds: `${adsHost}:${adsPort}`, nodeId, role, admin: 'off', prometheus: 'off', readiness: 'off', log: (l) => lines.push(l), accessLog: () => undefined, drainTimeoutMs: 100 });
    proxy.accessLog?.taps.add((e) => entries.push(e));
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
      return `the proxy ${nodeId} at ${address} did not become ready within 15 s: ${lines.slice(-3).join(' | ') || 'no log'}`;
    }
    const nacks = proxy.ads.nacks.map((n) => n.message);
    if (nacks.length > 0) return `the proxy ${nodeId} at ${address} refused its config: ${nacks.join(' | ')}`;
    return { proxy, close, log: () => { proxy.accessLog?.flush(); return entries; } };
  };

  const inbound = await Promise.all(workloads.map(async (rw) => {
    const w = rw.workload;
    let resources: ProxyResources | undefined;
    if (rw.sidecar) {
      const set = translateProxy(buildProxyView(graph, proxyOf(graph, w)), instances);
      const { listeners, clusters, endpoints } = inboundResources(set, rw.address, rw.appAddress);
      if (listeners.length > 0) resources = { clusters, endpoints, listeners, routes: [], secrets: await identities.secretsFor(w.namespace, w.serviceAccount) };
    }
    const nodeId = `${w.namespace}/${w.name}~inbound`;
    if (net && rw.host) {
      if (resources) cache.setSnapshot(nodeId, createSnapshot(resources));
      const ledgers = backends.filter((b) => b.identity.namespace === w.namespace && b.identity.workload === w.name);
      try {
        await RemoteWorkload.start({
          network: net, host: rw.host, label: `${w.namespace}/${w.name}`, ledgers,
          start: { identity: ledgers[0]!.identity, echoHost: rw.appAddress, ports: rw.ports, ...(resources ? { proxy: { xds: `${adsHost}:${adsPort}`, nodeId } } : {}) },
        }, (child) => registry.add(child));
      } catch (e) {
        return (e as Error).message;
      }
      return null;
    }
    if (!resources) return null;
    const started = await launch(nodeId, rw.address, resources);
    return typeof started === 'string' ? started : null;
  }));
  const failed = inbound.find((x): x is string => typeof x === 'string');
  if (failed) throw new Error(failed);
  startup += performance.now() - t0;

  const pickCaller = (namespace: string, host?: string, port?: number) => pickCallerOf(graph, namespace, host, port);

  const callers = new Map<string, Promise<Caller | string>>();
  const startCaller = async (picked: { workload: Workload; serviceAccount: string; namespace: string }, extra: readonly WorkloadInstance[] = [], pin?: { host: string; port: number }): Promise<FreshCaller | string> => {
    const w = picked.workload;
    const t = performance.now();
    const set = translateProxy(buildProxyView(graph, proxyOf(graph, w)), [...instances, ...extra]);
    // Outbound listeners only, on the caller's own address; the inbound side is not exercised from here.
    // Plain TCP (tcp_proxy) listeners are left out: promises are HTTP.
    const httpOnly = (l: (typeof set.listeners)[number]) => l.filterChains.every((fc) => fc.filters.every((f) => f.name === HCM));
    const outbound = set.listeners.filter((l) => l.name.startsWith('0.0.0.0_') && httpOnly(l));
    const ports = outbound.flatMap((l) => (l.address?.address.case === 'socketAddress' && l.address.address.value.portSpecifier.case === 'portValue' ? [l.address.address.value.portSpecifier.value] : []));
    let address: string;
    try {
      address = await allocateFree(callerAddresses, ports, registry);
    } catch (e) {
      return `no address for the caller sidecar of ${w.namespace}/${w.name}: ${(e as Error).message}`;
    }
    const listeners = outbound.map((l) => {
      const sa = l.address?.address;
      if (sa?.case === 'socketAddress') sa.value.address = address;
      return l;
    });
    // One node id per proxy: each holds its own snapshot (its own listener address).
    const nodeId = `${w.namespace}/${w.name}${++proxies > 1 ? `~${proxies}` : ''}`;
    const clusters = set.clusters.filter((c) => !c.name.startsWith('inbound|') && c.name !== 'InboundPassthroughCluster');
    const secrets = await identities.secretsFor(picked.namespace, picked.serviceAccount);
    // Clusters without endpoints (a subset no workload carries) answer 503 UH whatever their limits: not pinned.
    const served = new Set(set.endpoints.filter((a) => a.endpoints.some((l) => l.lbEndpoints.length > 0)).map((a) => a.clusterName));
    const pinned = pin ? clustersOfHost(clusters, pin.host, pin.port).filter((c) => served.has(c)) : [];
    const routes = pin ? pinClusters(set.routes, pin.host, pinned) : set.routes;
    const started = await launch(nodeId, address, { ...set, clusters, listeners, routes, secrets });
    startup += performance.now() - t;
    if (typeof started === 'string') return started;
    return { namespace: w.namespace, workload: w.name, address, proxy: started.proxy, log: started.log, pinned, release: () => { closeAgent(address); return started.close(); } };
  };
  const noCaller = (namespace: string) => `namespace ${namespace} has no workload with a sidecar to send from`;

  return {
    backends,
    workloads,
    identities,
    caller: (namespace, host, port) => {
      const picked = pickCaller(namespace, host, port);
      if (!picked) return Promise.resolve(noCaller(namespace));
      const key = `${picked.workload.namespace}/${picked.workload.name} as ${picked.namespace}/${picked.serviceAccount}`;
      let c = callers.get(key);
      if (!c) callers.set(key, (c = startCaller(picked)));
      return c;
    },
    freshCaller: (namespace, host, port, extraInstances, options) => {
      const picked = pickCaller(namespace, host, port);
      const pin = options?.pinClusters && host !== undefined && port !== undefined ? { host, port } : undefined;
      return picked ? startCaller(picked, extraInstances, pin) : Promise.resolve(noCaller(namespace));
    },
    instances,
    launchProxy: launch,
    leases: registry,
    startupMs: () => startup,
  };
}
