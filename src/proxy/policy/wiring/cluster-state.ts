/**
 * Per-cluster policy state behind the core's `LoadBalancerFactory`: the circuit breaker, the outlier
 * detector and the host set with its balancer, kept across EDS updates (a host that stays keeps its
 * ejection), rebuilt when the Cluster resource itself changes (Envoy recreates the cluster then).
 * The core calls the factory on every CDS/EDS change; requests only read the map.
 */
import { equals } from '@bufbuild/protobuf';
import { ClusterSchema, type Cluster } from '../../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { Exchange, LoadBalancer as CoreLoadBalancer, UpstreamHost } from '../../http/pipeline.js';
import { compileCluster } from '../../config/cluster-config.js';
import type { CompiledRoute } from '../../route-table.js';
import type { Clock, RandomSource } from '../_common.js';
import { CircuitBreaker } from '../circuit-breaker.js';
import { compileHashPolicy, type HashResult } from '../hash-policy.js';
import { HostSet, hostSetOptions, type Host, type LbContext, type LoadBalancer } from '../lb/host-set.js';
import { createLoadBalancer } from '../lb/index.js';
import { OutlierDetector, startOutlierTimer, type OutlierStats } from '../outlier-detection.js';
import type { RetryState } from '../retry.js';

/** `ex.state` key marking a mirrored copy: policies skip it (checked through {@link isShadow}). */
export const SHADOW = Symbol('policy.shadow');
/** The mirrored copies (router-attempt.ts `shadowOf`): a lookup that makes no `state` Map for every other request. */
const SHADOWS = new WeakSet<object>();

/** Marks `copy` as a mirrored copy. */
export function markShadow(copy: Exchange): void {
  SHADOWS.add(copy);
}

/** True for a mirrored copy (policies skip it). */
export function isShadow(ex: Exchange): boolean {
  return SHADOWS.has(ex);
}
/**
 * `ex.state` key a connection-level caller (tcp_proxy with `hash_policy.source_ip`) sets to a
 * bigint hash key (e.g. `xxHash64(sourceIp)`, as Envoy's tcp_proxy) when there is no HTTP route.
 */
export const CONNECTION_HASH = Symbol('policy.connection-hash');

/** A core host seen through the policy `Host` interface: active requests are the core's counter. */
class CoreBackedHost implements Host {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly priority: number;
  readonly locality: string;
  readonly localityWeight: number;
  readonly edsHealthy: boolean;
  ejected = false;
  constructor(readonly up: UpstreamHost) {
    this.key = up.key;
    this.address = up.address;
    this.port = up.port;
    this.weight = up.weight;
    this.priority = up.priority ?? 0;
    this.locality = up.locality;
    this.localityWeight = up.localityWeight ?? 0;
    this.edsHealthy = up.healthy;
  }
  get activeRequests(): number { return this.up.active; }
  set activeRequests(v: number) { this.up.active = v; }
}

/** Everything policy knows about one cluster. */
export interface ClusterPolicy {
  readonly source: Cluster;
  readonly breaker: CircuitBreaker;
  /** HTTP/1.1 upstream: requests in flight hold a connection each (`max_connections`, pending queue). */
  readonly http1: boolean | 'downstream';
  readonly outlier: OutlierDetector | undefined;
  set: HostSet;
  lb: LoadBalancer;
  readonly byUpstream: Map<UpstreamHost, CoreBackedHost>;
  /** Requests waiting for a connection slot (`max_pending_requests`). */
  readonly waiters: (() => void)[];
  stop: (() => void) | undefined;
}

const hashPolicies = new WeakMap<CompiledRoute, ((req: Parameters<NonNullable<ReturnType<typeof compileHashPolicy>>>[0]) => HashResult) | null>();

/** The route's compiled hash policy (cached per compiled route). */
function hashPolicyOf(route: CompiledRoute): ReturnType<typeof compileHashPolicy> {
  let h = hashPolicies.get(route);
  if (h === undefined) {
    const action = route.source.action.case === 'route' ? route.source.action.value : undefined;
    h = (action ? compileHashPolicy(action.hashPolicy) : undefined) ?? null;
    hashPolicies.set(route, h);
  }
  return h ?? undefined;
}

/** The route's hash of this request, computed once (it may generate a cookie). */
function hashOf(ex: Exchange, hp: NonNullable<ReturnType<typeof compileHashPolicy>>): bigint | undefined {
  let r = ex.hashResult as HashResult | undefined;
  if (!r) {
    const ds = ex.downstream;
    const v6 = (a: string) => (a.includes(':') ? `[${a}]` : a);
    r = hp({ headers: ex.headers, path: ex.path, sourceIp: ds.remoteAddress, remoteAddress: `${v6(ds.remoteAddress)}:${ds.remotePort}`, localAddress: `${v6(ds.localAddress)}:${ds.localPort}` });
    ex.hashResult = r;
  }
  return r.hash;
}

/**
 * The balancing context of one pick: the retry host predicate, and the hash key, computed only when
 * a consistent-hash balancer reads it (Envoy's `computeHashKey`: a round-robin cluster never
 * generates a hash cookie). A class, so a pick allocates one small object and no closures.
 */
class PickContext implements LbContext {
  constructor(private readonly ex: Exchange, private readonly hp: NonNullable<ReturnType<typeof compileHashPolicy>> | undefined, private readonly rs: RetryState | undefined) {}
  get hashKey(): bigint | undefined { return this.hp ? hashOf(this.ex, this.hp) : undefined; }
  get hostSelectionRetryCount(): number { return this.rs?.policy.hostSelectionRetryMaxAttempts ?? 0; }
  shouldSelectAnotherHost(h: Host): boolean { return this.rs !== undefined && this.rs.shouldSelectAnotherHost(h.key); }
  priorityLoad(set: HostSet): readonly number[] { return this.rs ? this.rs.priorityLoadForRetry(set.priorityHealth(), set.priorityLoad()) : set.priorityLoad(); }
}

function contextOf(ex: Exchange | undefined): LbContext | undefined {
  if (ex === undefined || isShadow(ex)) return undefined;
  const d = ex.decision;
  if (!d) {
    const k = ex.state?.get(CONNECTION_HASH);
    return typeof k === 'bigint' ? { hashKey: k } : undefined;
  }
  const hp = d.kind === 'forward' ? hashPolicyOf(d.route) : undefined;
  const rs = ex.retryState as RetryState | undefined;
  // Without a hash policy, a previous-hosts predicate or a retry priority, every pick would go as without a context.
  if (!hp && !rs?.policy.avoidPreviousHosts && !rs?.policy.retryPriority) return undefined;
  return new PickContext(ex, hp, rs);
}

/** The registry of per-cluster policy state, shared by the balancer factory and the router interceptor. */
export class ClusterPolicies {
  private readonly byName = new Map<string, ClusterPolicy>();

  constructor(private readonly clock: Clock, private readonly startTimers = true) {}

  get(name: string): ClusterPolicy | undefined {
    return this.byName.get(name);
  }

  /** The core's `LoadBalancerFactory` for every `lb_policy` the policy units implement. */
  readonly factory = (cluster: Cluster, hosts: readonly UpstreamHost[], random: RandomSource, stats?: OutlierStats): CoreLoadBalancer => {
    let cp = this.byName.get(cluster.name);
    // Envoy keeps a cluster (counters, ejections) when a CDS update carries it unchanged.
    const same = cp !== undefined && (cp.source === cluster || equals(ClusterSchema, cp.source, cluster));
    const prev = same ? cp!.byUpstream : new Map<UpstreamHost, CoreBackedHost>();
    const byUpstream = new Map<UpstreamHost, CoreBackedHost>();
    const mine = hosts.map((u) => {
      const h = prev.get(u) ?? new CoreBackedHost(u);
      byUpstream.set(u, h);
      return h;
    });
    const set = new HostSet(mine, hostSetOptions(cluster));
    if (!cp || !same) {
      cp?.stop?.();
      const protocol = compileCluster(cluster).protocol;
      const outlier = cluster.outlierDetection ? new OutlierDetector(cluster.outlierDetection, set, this.clock, random, stats) : undefined;
      cp = {
        source: cluster, breaker: new CircuitBreaker(cluster.circuitBreakers), http1: protocol === 'http1' ? true : protocol === 'downstream' ? 'downstream' : false,
        outlier, set, lb: createLoadBalancer(cluster, set, random), byUpstream, waiters: [],
        stop: outlier && this.startTimers ? startOutlierTimer(outlier) : undefined,
      };
      this.byName.set(cluster.name, cp);
    } else {
      cp.set = set;
      cp.lb = createLoadBalancer(cluster, set, random);
      cp.byUpstream.clear();
      for (const [u, h] of byUpstream) cp.byUpstream.set(u, h);
      cp.outlier?.updateHosts(set);
    }
    const state = cp;
    return { choose: (ex) => (state.lb.chooseHost(contextOf(ex)) as CoreBackedHost | undefined)?.up };
  };

  /** The keys (`ip:port`) of the hosts the outlier detector of cluster `name` has ejected now; empty for an unknown cluster. */
  ejected(name: string): ReadonlySet<string> {
    const cp = this.byName.get(name);
    return new Set(cp ? [...cp.byUpstream.values()].filter((h) => h.ejected).map((h) => h.key) : []);
  }

  /** Stops every outlier timer (proxy shutdown; the timers are unref'd anyway). */
  close(): void {
    for (const cp of this.byName.values()) cp.stop?.();
  }
}
