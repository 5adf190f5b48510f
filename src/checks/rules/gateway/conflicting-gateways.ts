import { HostIndex } from '../../../mesh/host-index.js';
import { hostsIntersect } from '../../../mesh/hosts.js';
import type { Rule } from '../../rule.js';
import { SORTED_LIST_LIMIT, ScopeGroups, describeServer, gatewaysOf, listSome, type GatewayHost, type GatewayServer } from './_helpers.js';

/** A server host on a port of one workload (or selector). */
interface Entry {
  readonly server: GatewayServer;
  readonly host: GatewayHost;
}

/** `gateway/conflicting-gateways` (IST0145): two Gateways on the same workloads claim the same port and host. */
const conflictingGateways: Rule = {
  id: 'gateway/conflicting-gateways',
  istioCode: 'IST0145',
  severity: 'error',
  summary: 'Two Gateways selecting the same workloads declare servers on the same port with a shared host.',
  docs: [
    'A gateway proxy merges the servers of every Gateway that selects it, per port. When two Gateways declare the',
    'same port and hosts that overlap (`*.example.com` overlaps `api.example.com`), Istio keeps one server and drops',
    'the other, so the routes of one Gateway silently stop working. Fix: give each host to exactly one Gateway',
    '(or merge the servers into one Gateway), or select different gateway workloads. Mirrors `istioctl analyze`',
    'IST0145 (ConflictingGateways); meshproof compares the workloads the selectors match rather than the selector text.',
  ].join(' '),
  kinds: ['Gateway', 'Deployment', 'Rollout', 'Pod'],
  check(graph, ctx) {
    const gateways = gatewaysOf(graph);
    const groups = new ScopeGroups(gateways);
    // One host index per scope group and port: a host is compared only with the hosts that overlap it.
    const indexes = new Map<string, HostIndex<Entry>>();
    const indexOf = (scopeKey: string, port: number) => indexes.get(`${scopeKey}\u0000${port}`);
    for (const g of gateways) {
      for (const server of g.servers) {
        if (server.port === undefined) continue;
        const key = `${g.scopeKey}\u0000${server.port}`;
        let index = indexes.get(key);
        if (!index) indexes.set(key, (index = new HostIndex()));
        for (const host of server.hosts) index.add(host.host, { server, host });
      }
    }
    for (const g of gateways) {
      for (const server of g.servers) {
        if (server.port === undefined) continue;
        const port = server.port;
        const own = g.servers.filter((s) => s.port === port).flatMap((s) => s.hosts);
        for (const host of server.hosts) {
          const targets = groups.overlapping(g).flatMap((k) => indexOf(k, port) ?? []);
          const total = targets.reduce((n, index) => n + index.count(host.host), 0) - own.filter((h) => hostsIntersect(h.host, host.host)).length;
          if (total <= 0) continue;
          const notOwn = (e: Entry) => e.server.gateway !== g.gateway;
          const limit = total <= SORTED_LIST_LIMIT ? total : 3;
          const rivals = targets.flatMap((index) => index.some(host.host, limit, notOwn)).slice(0, limit).map(describeEntry);
          if (total <= SORTED_LIST_LIMIT) rivals.sort();
          ctx.report(
            g.gateway,
            `Conflict with Gateway ${listSome([...new Set(rivals)], 3, total)} on port ${port}: host "${host.entry}" overlaps and both select the same gateway workloads, ` +
              'so Istio keeps only one of the servers; give the host to one Gateway or merge the servers',
            { path: host.path },
          );
        }
      }
    }
  },
};

function describeEntry(e: Entry): string {
  return `${describeServer(e.server)} (host "${e.host.entry}")`;
}

export default conflictingGateways;
