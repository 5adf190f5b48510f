/**
 * The endpoints of one cluster as Envoy's load balancers see them (`source/common/upstream/
 * load_balancer_impl.cc`, `LoadBalancerBase`): hosts from a `ClusterLoadAssignment` grouped by
 * priority, health (EDS status and outlier ejection), the per-priority load with the 1.4
 * overprovisioning factor, the panic threshold (default 50 %: below it a priority uses all its
 * hosts), and locality-weighted selection when the cluster asks for it. Policies pick among the
 * host list this returns.
 */
import type { ClusterLoadAssignment } from '../../../xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { HealthStatus } from '../../../xds/gen/envoy/config/core/v3/health_check_pb.js';
import type { Cluster } from '../../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { randomBelow, type RandomSource } from '../_common.js';

/** One upstream endpoint. `ejected` and `activeRequests` change at run time; the rest is from EDS. */
export interface Host {
  /** `address:port` (IPv6 bracketed): Envoy's `address()->asString()`, the ring-hash key. */
  readonly key: string;
  readonly address: string;
  readonly port: number;
  /** `load_balancing_weight`, default 1. */
  readonly weight: number;
  readonly priority: number;
  /** `region/zone/sub_zone`. */
  readonly locality: string;
  /** The locality's `load_balancing_weight` (0 = unset). */
  readonly localityWeight: number;
  /** EDS health status is not UNHEALTHY, DRAINING or TIMEOUT (UNKNOWN, HEALTHY and DEGRADED count as healthy here). */
  readonly edsHealthy: boolean;
  /** Outlier detection took it out (Envoy `FAILED_OUTLIER_CHECK`). */
  ejected: boolean;
  /** Requests in flight to it (least-request input). */
  activeRequests: number;
}

/** Healthy for load balancing: EDS healthy and not ejected. */
export const isHealthy = (h: Host): boolean => h.edsHealthy && !h.ejected;

/** Envoy's default `healthy_panic_threshold`. */
export const DEFAULT_PANIC_THRESHOLD = 50;
/** Envoy's default `overprovisioning_factor` (140 = 1.4). */
export const DEFAULT_OVERPROVISIONING = 140;

/**
 * Hosts from a `ClusterLoadAssignment`. Hosts whose key (and priority) existed in `previous` are
 * kept as the same objects, so ejection and active-request counts survive an EDS update.
 */
export function hostsFromAssignment(cla: ClusterLoadAssignment, previous: readonly Host[] = []): Host[] {
  const prev = new Map(previous.map((h) => [`${h.priority}|${h.key}`, h]));
  const out: Host[] = [];
  for (const le of cla.endpoints) {
    const loc = le.locality ? `${le.locality.region}/${le.locality.zone}/${le.locality.subZone}` : '//';
    for (const ep of le.lbEndpoints) {
      if (ep.hostIdentifier.case !== 'endpoint') continue;
      const sa = ep.hostIdentifier.value.address?.address.case === 'socketAddress' ? ep.hostIdentifier.value.address.address.value : undefined;
      if (!sa || sa.portSpecifier.case !== 'portValue') continue;
      const key = sa.address.includes(':') ? `[${sa.address}]:${sa.portSpecifier.value}` : `${sa.address}:${sa.portSpecifier.value}`;
      const edsHealthy = ep.healthStatus !== HealthStatus.UNHEALTHY && ep.healthStatus !== HealthStatus.DRAINING && ep.healthStatus !== HealthStatus.TIMEOUT;
      const old = prev.get(`${le.priority}|${key}`);
      const weight = ep.loadBalancingWeight ?? 1;
      if (old && old.weight === weight && old.edsHealthy === edsHealthy && old.locality === loc && old.localityWeight === (le.loadBalancingWeight ?? 0)) {
        out.push(old);
        continue;
      }
      out.push({
        key, address: sa.address, port: sa.portSpecifier.value, weight, priority: le.priority, locality: loc,
        localityWeight: le.loadBalancingWeight ?? 0, edsHealthy, ejected: old?.ejected ?? false, activeRequests: old?.activeRequests ?? 0,
      });
    }
  }
  return out;
}

/** The cluster-level settings the host set needs: `common_lb_config.healthy_panic_threshold`, locality weighting. */
export interface HostSetOptions {
  /** Percent; 0 disables panic mode. @default 50 */
  readonly panicThreshold?: number;
  /** `common_lb_config.locality_weighted_lb_config` is set. @default false */
  readonly localityWeighted?: boolean;
  /** `ClusterLoadAssignment.policy.overprovisioning_factor`. @default 140 */
  readonly overprovisioning?: number;
}

/** Reads {@link HostSetOptions} from a Cluster. */
export function hostSetOptions(cluster: Cluster, cla?: ClusterLoadAssignment): HostSetOptions {
  const p = cluster.commonLbConfig?.healthyPanicThreshold?.value;
  return {
    panicThreshold: p ?? DEFAULT_PANIC_THRESHOLD,
    localityWeighted: cluster.commonLbConfig?.localityConfigSpecifier.case === 'localityWeightedLbConfig',
    overprovisioning: cla?.policy?.overprovisioningFactor ?? DEFAULT_OVERPROVISIONING,
  };
}

/**
 * The hosts one pick chooses among (Envoy's hosts source: priority, healthy or all, locality). The
 * same object is returned until health changes, so balancers key their per-list state on it.
 */
export interface HostsToUse {
  readonly hosts: readonly Host[];
  readonly source: string;
  /** Every host has the same `load_balancing_weight` (balancers take the unweighted path). */
  readonly equalWeights: boolean;
}

const toUse = (hosts: readonly Host[], source: string): HostsToUse => ({ hosts, source, equalWeights: hosts.every((h) => h.weight === hosts[0]!.weight) });
const NONE: HostsToUse = { hosts: [], source: 'none', equalWeights: true };

/**
 * Envoy `distributeLoad`: 100 % spread over priorities by their `health` (percent each, their sum
 * capped at 100), each taking its share of what is left, what rounding leaves going to the first
 * priority with health; undefined when no priority has any. The host set's load, and the load a
 * retry priority computes over the priorities it has not excluded (`retry.ts`).
 */
export function distributeLoad(health: readonly number[]): number[] | undefined {
  const total = Math.min(100, health.reduce((a, b) => a + b, 0));
  if (total === 0) return undefined;
  let left = 100;
  const load = health.map((h) => {
    const l = Math.min(left, Math.floor((h * 100) / total));
    left -= l;
    return l;
  });
  load[health.findIndex((h) => h > 0)]! += left;
  return load;
}

/**
 * A cluster's hosts by priority. Health-derived state is recomputed lazily when {@link version}
 * changes: call {@link healthChanged} after ejecting or unejecting a host.
 */
export class HostSet {
  readonly byPriority: readonly (readonly Host[])[];
  private readonly panicThreshold: number;
  private readonly overprovisioning: number;
  readonly localityWeighted: boolean;
  /** Bumped on every health change; caches compare it. */
  version = 0;
  private cachedAt = -1;
  private healthyByPriority: Host[][] = [];
  private panicByPriority: boolean[] = [];
  private load: number[] = [];
  private health: number[] = [];
  private usable: HostsToUse[] = [];
  private readonly byLocality = new Map<string, HostsToUse>();

  constructor(readonly hosts: readonly Host[], opts: HostSetOptions = {}) {
    const groups: Host[][] = [];
    for (const h of hosts) (groups[h.priority] ??= []).push(h);
    this.byPriority = Array.from(groups, (g) => g ?? []);
    this.panicThreshold = Math.min(100, opts.panicThreshold ?? DEFAULT_PANIC_THRESHOLD);
    this.overprovisioning = opts.overprovisioning ?? DEFAULT_OVERPROVISIONING;
    this.localityWeighted = opts.localityWeighted ?? false;
  }

  /** Marks health-derived state stale. */
  healthChanged(): void {
    this.version++;
  }

  private refresh(): void {
    if (this.cachedAt === this.version) return;
    this.cachedAt = this.version;
    this.byLocality.clear();
    this.healthyByPriority = this.byPriority.map((g) => g.filter(isHealthy));
    this.computeLoad();
    this.usable = this.byPriority.map((g, p) => (this.panicByPriority[p] ? toUse(g, `${p}|all`) : toUse(this.healthyByPriority[p]!, `${p}|healthy`)));
  }

  private computeLoad(): void {
    const health = (this.health = this.byPriority.map((g, i) => (g.length === 0 ? 0 : Math.min(100, Math.floor((this.overprovisioning * this.healthyByPriority[i]!.length) / g.length)))));
    const total = Math.min(100, health.reduce((a, b) => a + b, 0));
    if (total === 0 && this.panicThreshold === 0) {
      // Panic disabled and nothing healthy: all load on P0, which has no healthy host (503 UH), as Envoy.
      this.load = this.byPriority.map((_, i) => (i === 0 ? 100 : 0));
      this.panicByPriority = this.byPriority.map(() => false);
      return;
    }
    if (total === 0) {
      // Total panic (Envoy `recalculateLoadInTotalPanic`): load by host count, every priority in panic.
      const all = this.hosts.length;
      this.load = this.byPriority.map((g) => (all === 0 ? 0 : Math.floor((100 * g.length) / all)));
      this.panicByPriority = this.byPriority.map(() => true);
      this.giveRest(this.byPriority.findIndex((g) => g.length > 0));
      return;
    }
    this.load = distributeLoad(health)!;
    this.panicByPriority = this.byPriority.map((g, i) =>
      this.panicThreshold > 0 && (g.length === 0 ? 0 : (100 * this.healthyByPriority[i]!.length) / g.length) < this.panicThreshold);
  }

  /** Adds what rounding left of 100 % to priority `p`. */
  private giveRest(p: number): void {
    if (p < 0) return;
    this.load[p] = this.load[p]! + 100 - this.load.reduce((a, b) => a + b, 0);
  }

  /** Per-priority load in percent (sums to 100 when there are hosts). */
  priorityLoad(): readonly number[] {
    this.refresh();
    return this.load;
  }

  /** Per-priority health in percent (Envoy `per_priority_health`: healthy share × overprovisioning, at most 100), what a retry priority spreads load by. */
  priorityHealth(): readonly number[] {
    this.refresh();
    return this.health;
  }

  /** Whether `priority` is in panic (healthy share below the threshold, or no healthy host anywhere). */
  inPanic(priority: number): boolean {
    this.refresh();
    return this.panicByPriority[priority] ?? false;
  }

  /** Envoy `choosePriority`: the priority whose cumulative load covers `draw % 100`, in `load` (default {@link priorityLoad}; a retry priority's otherwise). */
  choosePriority(draw: number, load: readonly number[] = this.priorityLoad()): number {
    this.refresh();
    const x = draw % 100;
    let acc = 0;
    for (let i = 0; i < load.length; i++) {
      acc += load[i]!;
      if (x < acc) return i;
    }
    return Math.max(0, load.findIndex((l) => l > 0));
  }

  /**
   * The hosts a pick chooses among: the chosen priority's (by `load`, default {@link priorityLoad})
   * healthy hosts, or all of them in panic;
   * with locality weighting, only those of one locality drawn by locality weight × availability.
   * Empty when the cluster has no host to use (Envoy: no healthy upstream, `UH`).
   */
  hostsToUse(priorityDraw: number, random: RandomSource, load?: readonly number[]): HostsToUse {
    this.refresh();
    if (this.hosts.length === 0) return NONE;
    const p = this.choosePriority(priorityDraw, load);
    const use = this.usable[p] ?? NONE;
    if (!this.localityWeighted || use.hosts.length === 0) return use;
    const loc = this.chooseLocality(p, this.panicByPriority[p] ?? false, random);
    if (loc === undefined) return NONE;
    const key = `${use.source}|${loc}`;
    let l = this.byLocality.get(key);
    if (!l) this.byLocality.set(key, (l = toUse(use.hosts.filter((h) => h.locality === loc), key)));
    return l;
  }

  /** Envoy `chooseHealthyLocality`: weight × min(1, 1.4 × healthy share); localities without weight get none. */
  private chooseLocality(priority: number, panic: boolean, random: RandomSource): string | undefined {
    const all = this.byPriority[priority] ?? [];
    const weights = new Map<string, { weight: number; total: number; healthy: number }>();
    for (const h of all) {
      const w = weights.get(h.locality) ?? { weight: h.localityWeight, total: 0, healthy: 0 };
      w.total++;
      if (panic || isHealthy(h)) w.healthy++;
      weights.set(h.locality, w);
    }
    const eff = [...weights].map(([loc, w]) => [loc, w.weight * Math.min(1, (this.overprovisioning / 100) * (w.healthy / w.total))] as const).filter(([, e]) => e > 0);
    const sum = eff.reduce((a, [, e]) => a + e, 0);
    if (sum === 0) return undefined;
    let x = random() * sum;
    for (const [loc, e] of eff) {
      if (x < e) return loc;
      x -= e;
    }
    return eff[eff.length - 1]![0];
  }
}

/** What a pick may know about the request (Envoy `LoadBalancerContext`). */
export interface LbContext {
  /** From the route's hash policy; consistent-hash LBs use it, others ignore it. */
  readonly hashKey?: bigint | undefined;
  /** Extra picks allowed when {@link shouldSelectAnotherHost} rejects one. */
  readonly hostSelectionRetryCount?: number;
  /** The retry predicate (`previous_hosts`). */
  shouldSelectAnotherHost?(host: Host): boolean;
  /** Envoy `LoadBalancerContext::determinePriorityLoad`: the per-priority load this pick uses (a retry priority's on retries), given the set's. */
  priorityLoad?(set: HostSet): readonly number[];
}

/** A cluster's load balancer. `undefined` = no host available (503 `UH`). */
export interface LoadBalancer {
  chooseHost(ctx?: LbContext): Host | undefined;
}

/**
 * Base of the per-cluster balancers: priority and panic via {@link HostSet}, then `pick` among the
 * hosts to use, retried while the context's predicate rejects the host (Envoy `chooseHost` loop).
 */
export abstract class HostSetLoadBalancer implements LoadBalancer {
  constructor(protected readonly set: HostSet, protected readonly random: RandomSource) {}

  protected abstract pick(hosts: HostsToUse, ctx: LbContext | undefined, attempt: number): Host | undefined;

  chooseHost(ctx?: LbContext): Host | undefined {
    const max = (ctx?.hostSelectionRetryCount ?? 0) + 1;
    let host: Host | undefined;
    for (let attempt = 0; attempt < max; attempt++) {
      host = this.chooseOnce(ctx, attempt);
      if (!host || !ctx?.shouldSelectAnotherHost?.(host)) return host;
    }
    return host;
  }

  protected chooseOnce(ctx: LbContext | undefined, attempt: number): Host | undefined {
    const use = this.set.hostsToUse(randomBelow(this.random, 100), this.random, ctx?.priorityLoad?.(this.set));
    return use.hosts.length === 0 ? undefined : this.pick(use, ctx, attempt);
  }
}
