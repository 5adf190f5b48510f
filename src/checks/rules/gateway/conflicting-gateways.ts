import { isRecord } from '../../../mesh/object.js';
import { push } from '../../../mesh/services.js';
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
    'same port, bind address and host, what happens depends on the servers',
    '(pilot/pkg/model/gateway.go mergeGateways): plain-text HTTP servers are merged into one route table, where the',
    'VirtualServices of both Gateways are appended for the host and one team\'s routes can take the other\'s requests;',
    'TLS servers with the same host lose one of them (duplicate SNI host); TLS servers whose hosts only overlap are',
    'both kept and the more specific SNI wins; a plain-text and a TLS server cannot share the port. Fix: give each host to exactly one Gateway',
    '(or merge the servers into one Gateway), or select different gateway workloads. Mirrors `istioctl analyze`',
    'IST0145 (ConflictingGateways): hosts are compared as written (model.CheckDuplicates), so `*.example.com` and',
    '`api.example.com` do not conflict (SNI and virtual-host matching pick the more specific), nor do servers with',
    'different `bind` addresses (separate listeners); meshproof compares the workloads the selectors match rather than the selector text.',
  ].join(' '),
  kinds: ['Gateway', 'Deployment', 'Rollout', 'Pod'],
  check(graph, ctx) {
    const gateways = gatewaysOf(graph);
    const groups = new ScopeGroups(gateways);
    // (scope group, port, bind, host as written) → server hosts: istiod's CheckDuplicates compares exactly these.
    const index = new Map<string, Entry[]>();
    const keyOf = (scopeKey: string, port: number, server: GatewayServer, entry: string) => `${scopeKey}\u0000${port}\u0000${bindOf(server)}\u0000${entry}`;
    for (const g of gateways) {
      for (const server of g.servers) {
        if (server.port === undefined) continue;
        for (const host of server.hosts) push(index, keyOf(g.scopeKey, server.port, server, host.entry), { server, host });
      }
    }
    for (const g of gateways) {
      for (const server of g.servers) {
        if (server.port === undefined) continue;
        const port = server.port;
        for (const host of server.hosts) {
          const lists = groups.overlapping(g).flatMap((k) => index.get(keyOf(k, port, server, host.entry)) ?? []);
          const notOwn = (e: Entry) => e.server.gateway !== g.gateway;
          const total = lists.reduce((n, e) => n + (notOwn(e) ? 1 : 0), 0);
          if (total === 0) continue;
          const limit = total <= SORTED_LIST_LIMIT ? total : 3;
          const entries: Entry[] = [];
          for (const e of lists) {
            if (entries.length >= limit) break;
            if (notOwn(e)) entries.push(e);
          }
          const rivals = entries.map(describeEntry);
          if (total <= SORTED_LIST_LIMIT) rivals.sort();
          ctx.report(
            g.gateway,
            `Conflict with Gateway ${listSome([...new Set(rivals)], 3, total)} on port ${port}: host "${host.entry}" is declared by both and both select the same gateway workloads, ` +
              `so ${outcome(server, host, entries, port)}; give the host to one Gateway or merge the servers`,
            { path: host.path },
          );
        }
      }
    }
  },
};

/** `bind` of a server as written (`''` when unset): servers bound to different addresses get different listeners. */
function bindOf(server: GatewayServer): string {
  const servers = server.gateway.spec.servers;
  const raw = Array.isArray(servers) && isRecord(servers[server.index]) ? (servers[server.index] as Record<string, unknown>).bind : undefined;
  return typeof raw === 'string' ? raw : '';
}

/** A server that terminates or passes TLS (an HTTP server whose tls only redirects stays plain text). */
const isTls = (s: GatewayServer) => s.tls !== undefined && Object.keys(s.tls).some((k) => k !== 'httpsRedirect');

/**
 * What istiod's mergeGateways does with two servers on one port of one proxy: plain-text HTTP servers are merged
 * into one route table, TLS servers with the same host (CheckDuplicates, exact names) lose the later one, TLS servers
 * with merely overlapping hosts (or the same host written differently, CheckDuplicates compares the written entries) are both kept (SNI picks the more specific), and a plain and a TLS server cannot share
 * the port (the later one is skipped).
 */
function outcome(server: GatewayServer, host: GatewayHost, rivals: readonly Entry[], port: number): string {
  const tls = isTls(server);
  if (!tls && rivals.every((e) => !isTls(e.server))) {
    return `istiod merges the plain-text servers into one route table (http.${port}): the virtual host collects the VirtualServices of every ` +
      'Gateway in merge order, so one Gateway\'s routes can take requests meant for the other\'s';
  }
  if (tls && rivals.every((e) => isTls(e.server))) {
    if (rivals.some((e) => serverHostKey(e) === serverHostKey({ server, host }))) {
      return 'istiod keeps the first TLS server for that SNI host and skips the other (duplicate host names)';
    }
    return 'istiod keeps both TLS servers, and a connection whose SNI both hosts match goes to the more specific one';
  }
  return 'a plain-text and a TLS server cannot share the port: istiod skips the one merged later';
}

/** A server host as CheckDuplicates compares it: as written, after "./" became the Gateway's namespace. */
function serverHostKey(e: Entry): string {
  const entry = e.host.entry.toLowerCase();
  return entry.startsWith('./') ? `${e.server.gateway.namespace}/${entry.slice(2)}` : entry;
}

function describeEntry(e: Entry): string {
  return `${describeServer(e.server)} (host "${e.host.entry}")`;
}

export default conflictingGateways;
