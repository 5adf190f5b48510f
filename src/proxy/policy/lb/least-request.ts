/**
 * `LEAST_REQUEST` (Envoy `LeastRequestLoadBalancer`). Equal weights: `N_CHOICES`, the selection
 * method a `Cluster.lb_policy` of LEAST_REQUEST gets: draw `choice_count` hosts (default 2) at
 * random, independently (the same host may come twice), keep the one with the fewest active requests
 * (the first drawn wins ties), whatever the number of hosts — Envoy scans every host only when
 * `FULL_SCAN` is configured, which Istio never does. So sequential requests to two idle hosts spread
 * evenly instead of always reaching the first. Unequal weights:
 * each host's effective weight is `weight / (active + 1) ^ active_request_bias` (bias default 1.0),
 * drawn at random by effective weight (Envoy uses an EDF schedule over the same weights).
 */
import type { Cluster_LeastRequestLbConfig } from '../../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { randomBelow, type RandomSource } from '../_common.js';
import { HostSetLoadBalancer, type Host, type HostSet, type HostsToUse } from './host-set.js';

export class LeastRequestLoadBalancer extends HostSetLoadBalancer {
  readonly choiceCount: number;
  readonly bias: number;

  constructor(set: HostSet, random: RandomSource, cfg?: Cluster_LeastRequestLbConfig) {
    super(set, random);
    this.choiceCount = cfg?.choiceCount ?? 2;
    this.bias = cfg?.activeRequestBias?.defaultValue ?? 1.0;
  }

  protected pick(use: HostsToUse): Host | undefined {
    const hosts = use.hosts;
    if (!use.equalWeights) return this.pickWeighted(hosts);
    let best: Host | undefined;
    for (let i = 0; i < this.choiceCount; i++) {
      const h = hosts[randomBelow(this.random, hosts.length)]!;
      if (!best || h.activeRequests < best.activeRequests) best = h;
    }
    return best;
  }

  private pickWeighted(hosts: readonly Host[]): Host | undefined {
    const eff = hosts.map((h) => (this.bias === 0 ? h.weight : h.weight / Math.pow(h.activeRequests + 1, this.bias)));
    const sum = eff.reduce((a, b) => a + b, 0);
    let x = this.random() * sum;
    for (let i = 0; i < hosts.length; i++) {
      if (x < eff[i]!) return hosts[i];
      x -= eff[i]!;
    }
    return hosts[hosts.length - 1];
  }
}
