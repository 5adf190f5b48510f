/** `RANDOM` (Envoy `RandomLoadBalancer`): a uniform pick among the hosts to use; weights are ignored, as in Envoy. */
import { randomBelow } from '../_common.js';
import { HostSetLoadBalancer, type Host, type HostsToUse } from './host-set.js';

export class RandomLoadBalancer extends HostSetLoadBalancer {
  protected pick(use: HostsToUse): Host | undefined {
    return use.hosts[randomBelow(this.random, use.hosts.length)];
  }
}
