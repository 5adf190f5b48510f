/**
 * Traffic judgement of outlier detection (Istio `outlierDetection`, Envoy `outlier_detection`): "a
 * failing endpoint is ejected and traffic moves".
 *
 * Each workload behind the host gets a **failing replica**: a second pod of the same workload (same
 * labels, so it joins the same subset clusters; its own inbound sidecar with the workload's
 * identity and RBAC when the workload has one) whose echo backend answers every request 503. A
 * fresh caller sidecar, whose EDS holds the replicas beside the healthy pods, sends `GET /` one at
 * a time until a replica has answered `consecutive5xxErrors` 503s (only 5xx come from it, so they
 * are consecutive) in each caller cluster holding it that sent tries, or the caller has acted on it
 * in each ({@link settled}), then sends up to {@link AFTER} more within `baseEjectionTime`. Envoy ejects a host when
 * `100 × (ejected + 1) / hosts ≤ max_ejection_percent`:
 *
 * - when that allows ejecting the replica, the promise holds when none of the later requests
 *   reached it (a promised 0 %, judged by `stats.ts`: no stray request allowed) and the caller
 *   enforced an ejection on a cluster holding it (Envoy `ejections_enforced_total`), so a small
 *   share that missed it by chance is not taken for an ejection (without outlier detection it
 *   keeps its share: `test/verify/traffic-outlier.test.ts`);
 * - when `maxEjectionPercent` forbids it (one bad host of two under the default 10 %), the promise
 *   is that traffic does not move: the replica keeps getting requests and the caller refused its
 *   ejection (`ejections_overflow`); without outlier detection traffic does not move either, and
 *   that proves nothing.
 */
import { randomUUID } from 'node:crypto';
import type { MeshGraph } from '../../mesh/graph.js';
import { buildProxyView, proxyOf } from '../../mesh/view/index.js';
import { translateProxy, type WorkloadInstance } from '../../xds/translate/index.js';
import type { Expectation, RequestSpec } from '../expectations/types.js';
import type { TrafficVerdict } from '../report/types.js';
import { formatShare, judgeShare } from '../stats.js';
import { allocateFree, LoopbackAllocator } from './addresses.js';
import { EchoBackend } from './echo.js';
import { inboundResources } from './inbound.js';
import type { Caller, EmbeddedMesh, RuntimeWorkload } from './mesh.js';
import type { ProcessRegistry } from './registry.js';
import { send, type Sent } from './send.js';

type Of<K extends Expectation['outcome']['kind']> = Extract<Expectation['outcome'], { kind: K }>;

/**
 * Failing replicas' addresses (`127.76.y.z`), never reused within a process, apart from the
 * workloads' own (`127.77.y.z`). The caller's load balancer reaches a replica by its own draws
 * (LEAST_REQUEST draws at random, as Envoy's N_CHOICES), whatever the endpoint order.
 */
const replicaAddresses = new LoopbackAllocator(76);
const TLS_MODE_LABEL = 'security.istio.io/tlsMode';
/** Requests sent after the ejection, at most. */
const AFTER = 20;
/** Status the failing replicas answer. */
const FAIL_STATUS = 503;

interface Replica {
  readonly of: RuntimeWorkload;
  readonly address: string;
  readonly backends: readonly EchoBackend[];
  readonly instance: WorkloadInstance;
  received(): number;
  close(): Promise<void>;
}

/** Starts a failing replica of `rw`: echo backends answering 503 and, for a sidecar workload, its inbound sidecar. */
async function startReplica(graph: MeshGraph, mesh: EmbeddedMesh, registry: ProcessRegistry, rw: RuntimeWorkload): Promise<Replica | string> {
  const w = rw.workload;
  // Another verify run on this machine may hold the same 127.76.y.z addresses: skip those.
  const ports = [...new Set(w.containerPorts.map((p) => p.containerPort))];
  let address: string;
  let appAddress: string;
  try {
    address = await allocateFree(replicaAddresses, ports, registry);
    appAddress = rw.sidecar ? await allocateFree(replicaAddresses, ports, registry) : address;
  } catch (e) {
    return `no address for a failing replica of ${w.namespace}/${w.name}: ${(e as Error).message}`;
  }
  const name = `${w.name}-failing`;
  const instance: WorkloadInstance = {
    name, namespace: w.namespace, address,
    labels: { ...w.labels, ...(rw.sidecar ? { [TLS_MODE_LABEL]: 'istio' } : {}) },
    ports: Object.fromEntries(w.containerPorts.filter((p) => p.name).map((p) => [p.name!, p.containerPort])),
  };
  const backends: EchoBackend[] = [];
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  for (const port of ports) {
    const echo = registry.add(new EchoBackend({ namespace: w.namespace, workload: name, labels: w.labels }, appAddress, port, { failWith: FAIL_STATUS }));
    closers.push(() => echo.close());
    await echo.start();
    backends.push(echo);
  }
  if (rw.sidecar) {
    const set = translateProxy(buildProxyView(graph, proxyOf(graph, w)), [...mesh.instances, instance]);
    const { listeners, clusters, endpoints } = inboundResources(set, address, appAddress);
    const secrets = await mesh.identities.secretsFor(w.namespace, w.serviceAccount);
    const started = await mesh.launchProxy(`${w.namespace}/${name}~inbound`, address, { clusters, endpoints, listeners, routes: [], secrets });
    if (typeof started === 'string') {
      await close();
      return started;
    }
    closers.push(() => started.close());
  }
  // Mirrored copies (Host `-shadow`) are not the caller's routing: only requests routed to the replica count.
  const shadows = (b: EchoBackend) => [...b.shadows.values()].reduce((n, v) => n + v, 0);
  return { of: rw, address, backends, instance, received: () => backends.reduce((n, b) => n + b.received - shadows(b), 0), close };
}

/** The workloads behind `host` as the runtime runs them. */
function targetsOf(graph: MeshGraph, mesh: EmbeddedMesh, host: string, namespace: string): RuntimeWorkload[] {
  const selected = graph.services.forHost(host, namespace).flatMap((s) => (s.selector ? graph.workloadsSelectedBy(s.namespace, s.selector) : []));
  return mesh.workloads.filter((rw) => selected.some((w) => w.namespace === rw.workload.namespace && w.name === rw.workload.name));
}

/** The caller's clusters whose endpoints (its EDS) include `address`, with the addresses of their hosts. */
function clustersHolding(caller: Caller, address: string): { name: string; addresses: string[] }[] {
  const out: { name: string; addresses: string[] }[] = [];
  for (const [name, a] of caller.proxy.store.endpoints) {
    const addresses = a.compiled.map((h) => h.address);
    if (addresses.includes(address)) out.push({ name, addresses });
  }
  return out;
}

/**
 * The caller's cluster that holds `address` (its EDS), with its number of hosts: the one its access
 * log names for a request sent there, else, of those whose endpoints include it, the one the caller
 * sent the most tries to (Envoy `upstream_rq_total`), then the smallest (a subset's cluster rather
 * than the host's, as routes name subsets). The access log names only the last try of each request,
 * so a request retried away from the replica does not name it; without the try counts, routes to
 * the whole host would be reported on a subset's cluster no request used.
 */
export function clusterOf(caller: Caller, address: string): { name: string; hosts: number } | undefined {
  const tries = (name: string) => caller.proxy.stats.clusters.get(name)?.upstream_rq_total ?? 0;
  const holding = clustersHolding(caller, address).map((c) => ({ name: c.name, hosts: c.addresses.length, tries: tries(c.name) }));
  const logged = caller.log().find((e) => e.upstreamHost?.startsWith(`${address}:`) && e.upstreamCluster)?.upstreamCluster;
  return holding.find((c) => c.name === logged) ?? holding.sort((a, b) => b.tries - a.tries || a.hosts - b.hosts || a.name.localeCompare(b.name))[0];
}

/** `18× customers-v1 (127.77.0.15:3000), 2× customers-v2 (…)`: the upstream hosts the caller's access log names for these `x-request-id`s (the last try of each). */
function upstreams(caller: Caller, ids: readonly string[], names: ReadonlyMap<string, string>): string {
  const wanted = new Set(ids);
  const counts = new Map<string, number>();
  for (const e of caller.log()) {
    if (!e.requestId || !wanted.has(e.requestId)) continue;
    const host = e.upstreamHost ?? '-';
    const name = names.get(host.slice(0, host.lastIndexOf(':')));
    const k = name ? `${name} (${host})` : host;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts.size === 0 ? '(no entries)' : [...counts].map(([k, v]) => `${v}× ${k}`).join(', ');
}

/**
 * Whether the caller's outlier detector has acted on the replica at `address` on every cluster that
 * holds it and has sent tries (Envoy `upstream_rq_total`: a cluster's balancer spreads them over all
 * its hosts, the replica included): ejected it there (admin `/clusters` health flag
 * `/failed_outlier_check`), or refused an ejection (`ejections_overflow`, which
 * `max_ejection_percent` counts per cluster, not per host). Each cluster has its own detector, so a
 * replica that routes reach through the host's cluster and a subset's at once is ejected by each
 * after its own `consecutive5xxErrors`, and traffic moves only when both have. Only the failing
 * replicas fail, so on a fresh caller the detections are theirs, apart from a healthy host timing out
 * repeatedly on a loaded machine, which the verdict's statistics show.
 */
function settled(caller: Caller, address: string): boolean {
  const busy = clustersHolding(caller, address).filter((c) => (caller.proxy.stats.clusters.get(c.name)?.upstream_rq_total ?? 0) > 0);
  if (busy.length === 0) return false;
  const hosts = new Map(caller.proxy.clusterHosts().map((c) => [c.cluster, c.hosts] as const));
  return busy.every((c) => hosts.get(c.name)?.some((h) => h.address === address && h.ejected) || (caller.proxy.stats.clusters.get(c.name)?.outlier_detection_ejections_overflow ?? 0) > 0);
}

/** How many of the caller's clusters holding `address` have sent tries (at least 1): each needs the replica's `consecutive5xxErrors` of its own. */
function busyClusters(caller: Caller, address: string): number {
  return Math.max(1, clustersHolding(caller, address).filter((c) => (caller.proxy.stats.clusters.get(c.name)?.upstream_rq_total ?? 0) > 0).length);
}

/**
 * Ejections the caller's outlier detector enforced (`enforced`) or refused by `max_ejection_percent`
 * (`overflow`) on the clusters holding `address`, other failing replicas' included: the verdict's
 * evidence that the detector acted at all. Without it, a replica that got no request after the
 * phase would prove nothing (a small share by chance), nor one that kept getting them (no outlier
 * detection runs, or a higher threshold than promised).
 */
function actionsOn(caller: Caller, address: string, kind: 'enforced' | 'overflow'): number {
  let n = 0;
  for (const { name } of clustersHolding(caller, address)) {
    const s = caller.proxy.stats.clusters.get(name);
    if (s) n += kind === 'enforced' ? s.outlier_detection_ejections_enforced_total : s.outlier_detection_ejections_overflow;
  }
  return n;
}

/**
 * What the caller's outlier detector and connection pool did on `cluster` (Envoy's `cluster.<name>.*`
 * statistics): ejections enforced and refused, and the timeouts and overflows that can count as 5xx
 * or keep a try from reaching a host, so a verdict says why the traffic moved or did not.
 */
function detectorStats(caller: Caller, cluster: string): string {
  const s = caller.proxy.stats.clusters.get(cluster);
  if (!s) return `the caller kept no statistics for ${cluster}`;
  const parts = [
    `${s.outlier_detection_ejections_enforced_total} ejection(s) enforced (${s.outlier_detection_ejections_detected_consecutive_5xx} detected by consecutive_5xx)`,
    `${s.outlier_detection_ejections_overflow} refused by max_ejection_percent`,
    `${s.upstream_rq_timeout} upstream timeout(s)`,
    `${s.upstream_rq_pending_overflow + s.upstream_cx_overflow} connection-pool overflow(s)`,
  ];
  return `the caller's ${cluster} counted ${parts.join(', ')}`;
}

function tally(sent: readonly Sent[]): string {
  const counts = new Map<string, number>();
  for (const s of sent) {
    const k = s.workload !== '' ? `${s.status} from ${s.workload}` : s.error ? `error ${s.error}` : `${s.status}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, v]) => `${v}× ${k}`).join(', ');
}

export interface OutlierEnv {
  readonly graph: MeshGraph;
  readonly mesh: EmbeddedMesh;
  readonly registry: ProcessRegistry;
  /** The Service port requests are sent to. */
  readonly port: number;
  readonly namespace: string;
  readonly confidence: number;
}

/** Fails one replica per workload of the host and judges whether the caller ejects it (see the file comment). */
export async function judgeOutlierWithTraffic(o: Of<'outlier-detection'>, env: OutlierEnv): Promise<TrafficVerdict> {
  const { graph, mesh, port, namespace } = env;
  if (o.baseEjectionTimeMs < 1000) return { status: 'not-run', detail: `baseEjectionTime ${o.baseEjectionTimeMs} ms leaves no time to send requests while the endpoint is ejected`, requests: 0 };
  const targets = targetsOf(graph, mesh, o.destination.host, namespace);
  if (targets.length === 0) return { status: 'not-run', detail: `no running workload behind ${o.destination.host}`, requests: 0 };
  const replicas: Replica[] = [];
  let caller: Awaited<ReturnType<EmbeddedMesh['freshCaller']>> | undefined;
  try {
    for (const t of targets) {
      const r = await startReplica(graph, mesh, env.registry, t);
      if (typeof r === 'string') throw new Error(r);
      replicas.push(r);
    }
    caller = await mesh.freshCaller(namespace, o.destination.host, port, replicas.map((r) => r.instance));
    if (typeof caller === 'string') throw new Error(caller);
    const c = caller;
    const request: RequestSpec = { host: o.destination.host, port, path: '/', method: 'GET', headers: {}, via: { kind: 'mesh', namespace } };
    const ids: string[] = [];
    const one = () => {
      ids.push(randomUUID());
      return send(c.address, port, request, { 'x-meshproof-request': ids.at(-1)! });
    };
    const threshold = o.consecutive5xxErrors;
    const before: Sent[] = [];
    // A try that times out counts as a 504 for the host (Envoy's outlier detector without split
    // local-origin errors), so on a loaded machine the caller may detect the replica before it has
    // answered `threshold` 503s: the detection ends this phase too, or the ejection would run out
    // while more requests are sent, and the later ones would judge an unejected host. A replica in
    // two clusters with traffic (routes to the host and to its subset) needs `threshold` in each.
    const failed = (r: Replica) => settled(c, r.address) || r.received() >= threshold * busyClusters(c, r.address);
    while (!replicas.some(failed) && before.length < Math.min(400, threshold * 40)) before.push(await one());
    const bad = replicas.filter(failed);
    if (bad.length === 0) {
      return { status: 'not-run', requests: before.length, detail: `${before.length} requests, and no failing replica received ${threshold} (${replicas.map((r) => `${r.instance.name} ${r.received()}`).join(', ')}; the caller got ${tally(before)}): routing or the caller's load balancer sends too little to them to fail one` };
    }
    const atEjection = new Map(bad.map((r) => [r, r.received()] as const));
    const firstAfter = ids.length;
    const deadline = performance.now() + Math.min(o.baseEjectionTimeMs - 500, 15_000);
    const after: Sent[] = [];
    while (after.length < AFTER && performance.now() < deadline) after.push(await one());
    const parts = bad.map((r) => {
      // Requests (not tries: a retry may pick the replica again) that reached it after the ejection.
      const hits = ids.slice(firstAfter).filter((id) => r.backends.some((b) => b.attempts.has(id))).length;
      const cluster = clusterOf(c, r.address);
      const hosts = cluster?.hosts || targets.filter((t) => t.workload.labels.version === r.of.workload.labels.version).length + 1;
      // The replica is the only host that fails, so it would be the cluster's first ejection.
      const percent = 100 / hosts;
      const allowed = percent <= o.maxEjectionPercent;
      const share = judgeShare(hits, after.length, 0, env.confidence);
      const where = cluster ? `, a host of the caller's cluster ${cluster.name} (${cluster.hosts} hosts),` : '';
      const tries = atEjection.get(r)!;
      // Fewer 503s than the threshold: timed-out tries (504s to the detector) or a Cluster whose
      // consecutive_5xx is lower than the promise's made up the rest; the statistics below say which.
      const busy = busyClusters(c, r.address);
      const each = busy > 1 ? `, in each of the ${busy} caller clusters holding it that sent tries, which eject apart` : '';
      const early = tries < threshold ? ` before the caller's outlier detector acted on it (a timed-out try counts as a 504)` : '';
      const head = `failing replica ${r.instance.name} (${r.address})${where} answered ${tries} ${tries === 1 ? 'try' : 'tries'} with ${FAIL_STATUS}${early} (consecutive5xxErrors ${threshold}${each}); of the next ${after.length} requests within baseEjectionTime ${o.baseEjectionTimeMs} ms, ${hits} had a try on it`;
      const counted = cluster ? ` (${detectorStats(c, cluster.name)})` : '';
      const noAction = (what: string) => `, but the caller's outlier detector ${what} on no cluster holding it: its outlier detection does not act on ${threshold} consecutive 5xx as promised (is outlierDetection set, with consecutive5xxErrors ${threshold}, on the DestinationRule the caller uses?)`;
      if (allowed) {
        const ejected = actionsOn(c, r.address, 'enforced') > 0;
        const verdict = share.holds
          ? ejected ? 'ejected, traffic moved' : `no request had a try on it${noAction('enforced an ejection')}`
          : ejected ? `ejected later than promised (after more than ${threshold} consecutive 5xx: is the DestinationRule's consecutive5xxErrors higher?), so traffic kept reaching it` : 'not ejected, traffic did not move';
        return { ok: share.holds && ejected, text: `${head} (${formatShare(share)}): ${verdict}${counted}` };
      }
      const refused = actionsOn(c, r.address, 'overflow') > 0;
      const stayed = hits > 0;
      const how = !stayed ? 'it did' : refused ? 'it did not' : `it did not${noAction('refused an ejection')}`;
      return { ok: stayed && refused, text: `${head}: maxEjectionPercent ${o.maxEjectionPercent} % forbids ejecting 1 of ${hosts} hosts (${Math.round(100 / hosts)} %), so traffic must not move, and ${how}${counted}` };
    });
    const names = new Map<string, string>([...mesh.workloads.map((w) => [w.address, w.workload.name] as const), ...replicas.map((r) => [r.address, r.instance.name] as const)]);
    const ok = parts.every((p) => p.ok);
    return { status: ok ? 'held' : 'broken', detail: `${parts.map((p) => p.text).join('; ')}; the caller got ${tally([...before, ...after])}; after the ejection its access log names as the last try's upstream ${upstreams(c, after.map((x) => x.requestId), names)}`, requests: before.length + after.length };
  } finally {
    if (caller !== undefined && typeof caller !== 'string') await caller.release();
    for (const r of replicas) await r.close();
  }
}
