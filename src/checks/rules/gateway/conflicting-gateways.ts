import { push } from '../../../mesh/services.js';
import type { Rule } from '../../rule.js';
import { HostIndex, describeServer, gatewaysOf, listSome, type GatewayHost, type GatewayServer } from './_helpers.js';

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
  kinds: ['Gateway', 'Deployment', 'Pod'],
  check(graph, ctx) {
    const buckets = new Map<string, Entry[]>();
    for (const g of gatewaysOf(graph)) {
      for (const server of g.servers) {
        if (server.port === undefined) continue;
        for (const scope of g.scope) for (const host of server.hosts) push(buckets, `${scope}\u0000${server.port}`, { server, host });
      }
    }
    const conflicts = new Map<GatewayHost, { entry: Entry; others: Set<string> }>();
    for (const entries of buckets.values()) {
      if (entries.length < 2) continue;
      for (const [a, b] of conflictingPairs(entries)) {
        for (const [x, y] of [[a, b], [b, a]] as const) {
          let c = conflicts.get(x.host);
          if (!c) conflicts.set(x.host, (c = { entry: x, others: new Set() }));
          c.others.add(`${describeServer(y.server)} (host "${y.host.entry}")`);
        }
      }
    }
    for (const { entry, others } of conflicts.values()) {
      const s = entry.server;
      ctx.report(
        s.gateway,
        `Conflict with Gateway ${listSome([...others].sort())} on port ${s.port}: host "${entry.host.entry}" overlaps and both select the same gateway workloads, ` +
          'so Istio keeps only one of the servers; give the host to one Gateway or merge the servers',
        { path: entry.host.path },
      );
    }
  },
};

/** Pairs of entries from different Gateways whose hosts intersect (each pair may come twice). */
function conflictingPairs(entries: readonly Entry[]): [Entry, Entry][] {
  const index = new HostIndex<Entry>();
  for (const e of entries) index.add(e.host.host, e);
  const out: [Entry, Entry][] = [];
  for (const a of entries) {
    for (const b of index.intersecting(a.host.host)) if (b.server.gateway !== a.server.gateway) out.push([a, b]);
  }
  return out;
}

export default conflictingGateways;
