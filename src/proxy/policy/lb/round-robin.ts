/**
 * `ROUND_ROBIN` (Envoy `RoundRobinLoadBalancer`, an `EdfLoadBalancerBase`): equal weights cycle
 * through the hosts in order from a random start; unequal `load_balancing_weight`s use an earliest-
 * deadline-first schedule, so each host gets its weight's share of every cycle. State is kept per
 * host list (priority, healthy or panic, locality), as Envoy keeps it per hosts source.
 */
import { randomBelow } from '../_common.js';
import { HostSetLoadBalancer, type Host, type HostsToUse } from './host-set.js';

interface Edf { deadline: number[]; hosts: readonly Host[] }

export class RoundRobinLoadBalancer extends HostSetLoadBalancer {
  private readonly index = new Map<string, number>();
  private readonly edf = new Map<string, Edf>();

  protected pick(use: HostsToUse): Host | undefined {
    const hosts = use.hosts;
    const w0 = hosts[0]!.weight;
    if (hosts.every((h) => h.weight === w0)) {
      const key = `${this.set.version}|${use.source}`;
      const i = this.index.get(key) ?? randomBelow(this.random, hosts.length);
      this.index.set(key, i + 1);
      return hosts[i % hosts.length];
    }
    return this.pickWeighted(use);
  }

  /** EDF: the host with the earliest deadline goes; its next deadline is one period (1/weight) later. Ties go to the earlier host. */
  private pickWeighted(use: HostsToUse): Host | undefined {
    const key = `${this.set.version}|${use.source}`;
    let s = this.edf.get(key);
    if (!s || s.hosts !== use.hosts) {
      s = { hosts: use.hosts, deadline: use.hosts.map((h) => 1 / Math.max(h.weight, 1e-9)) };
      this.edf.set(key, s);
    }
    let best = 0;
    for (let i = 1; i < s.deadline.length; i++) if (s.deadline[i]! < s.deadline[best]!) best = i;
    const host = s.hosts[best]!;
    s.deadline[best] = s.deadline[best]! + 1 / Math.max(host.weight, 1e-9);
    return host;
  }
}
