/**
 * `ROUND_ROBIN` (Envoy `RoundRobinLoadBalancer`, an `EdfLoadBalancerBase`): equal weights cycle
 * through the hosts in order from a random start; unequal `load_balancing_weight`s use an earliest-
 * deadline-first schedule, so each host gets its weight's share of every cycle. State is kept per
 * host list (priority, healthy or panic, locality), as Envoy keeps it per hosts source.
 */
import { randomBelow } from '../_common.js';
import { HostSetLoadBalancer, type Host, type HostsToUse } from './host-set.js';

export class RoundRobinLoadBalancer extends HostSetLoadBalancer {
  private readonly index = new WeakMap<HostsToUse, number>();
  private readonly deadlines = new WeakMap<HostsToUse, number[]>();

  protected pick(use: HostsToUse): Host | undefined {
    const hosts = use.hosts;
    if (use.equalWeights) {
      const i = this.index.get(use) ?? randomBelow(this.random, hosts.length);
      this.index.set(use, i + 1);
      return hosts[i % hosts.length];
    }
    return this.pickWeighted(use);
  }

  /** EDF: the host with the earliest deadline goes; its next deadline is one period (1/weight) later. Ties go to the earlier host. */
  private pickWeighted(use: HostsToUse): Host | undefined {
    let d = this.deadlines.get(use);
    if (!d) this.deadlines.set(use, (d = use.hosts.map((h) => 1 / Math.max(h.weight, 1e-9))));
    let best = 0;
    for (let i = 1; i < d.length; i++) if (d[i]! < d[best]!) best = i;
    const host = use.hosts[best]!;
    d[best] = d[best]! + 1 / Math.max(host.weight, 1e-9);
    return host;
  }
}
