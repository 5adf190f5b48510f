/**
 * The load balancer for a Cluster's `lb_policy` over its current {@link HostSet}. Build one when the
 * Cluster or its ClusterLoadAssignment changes, never per request.
 */
import { Cluster_LbPolicy, type Cluster } from '../../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ConfigError } from '../../config/config-error.js';
import type { RandomSource } from '../_common.js';
import type { HostSet, LoadBalancer } from './host-set.js';
import { LeastRequestLoadBalancer } from './least-request.js';
import { MaglevLoadBalancer, maglevTableSize } from './maglev.js';
import { RandomLoadBalancer } from './random.js';
import { RingHashLoadBalancer, ringSizes } from './ring-hash.js';
import { RoundRobinLoadBalancer } from './round-robin.js';

/**
 * Checks the cluster's load-balancing settings without building anything (for NACK detail): throws
 * {@link ConfigError} at `lb_policy` for a policy this proxy does not implement
 * (LOAD_BALANCING_POLICY_CONFIG), at `ring_hash_lb_config` for bad ring sizes, at
 * `maglev_lb_config.table_size` for a table size that is not prime.
 */
export function checkLbPolicy(cluster: Cluster): void {
  switch (cluster.lbPolicy) {
    case Cluster_LbPolicy.ROUND_ROBIN: case Cluster_LbPolicy.LEAST_REQUEST: case Cluster_LbPolicy.RANDOM: case Cluster_LbPolicy.CLUSTER_PROVIDED:
      return;
    case Cluster_LbPolicy.RING_HASH:
      ringSizes(cluster.lbConfig.case === 'ringHashLbConfig' ? cluster.lbConfig.value : undefined);
      return;
    case Cluster_LbPolicy.MAGLEV:
      maglevTableSize(cluster.lbConfig.case === 'maglevLbConfig' ? cluster.lbConfig.value : undefined);
      return;
    default:
      throw new ConfigError('lb_policy', `${Cluster_LbPolicy[cluster.lbPolicy] ?? cluster.lbPolicy} is not implemented by this proxy; use ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH or MAGLEV`);
  }
}

/** The balancer of `cluster.lb_policy` (CLUSTER_PROVIDED, e.g. ORIGINAL_DST, balances round robin over what EDS gives). */
export function createLoadBalancer(cluster: Cluster, set: HostSet, random: RandomSource): LoadBalancer {
  checkLbPolicy(cluster);
  switch (cluster.lbPolicy) {
    case Cluster_LbPolicy.LEAST_REQUEST:
      return new LeastRequestLoadBalancer(set, random, cluster.lbConfig.case === 'leastRequestLbConfig' ? cluster.lbConfig.value : undefined);
    case Cluster_LbPolicy.RANDOM:
      return new RandomLoadBalancer(set, random);
    case Cluster_LbPolicy.RING_HASH:
      return new RingHashLoadBalancer(set, random, cluster.lbConfig.case === 'ringHashLbConfig' ? cluster.lbConfig.value : undefined);
    case Cluster_LbPolicy.MAGLEV:
      return new MaglevLoadBalancer(set, random, cluster.lbConfig.case === 'maglevLbConfig' ? cluster.lbConfig.value : undefined);
    default:
      return new RoundRobinLoadBalancer(set, random);
  }
}
