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
    'same port and hosts that overlap (`*.example.com` overlaps `api.example.com`), what happens depends on the servers',
    '(pilot/pkg/model/gateway.go mergeGateways): plain-text HTTP servers are merged into one route table, where the',
    'VirtualServices of both Gateways are appended for the host and one team\'s routes can take the other\'s requests;',
    'TLS servers with the same host lose one of them (duplicate SNI host); TLS servers whose hosts only overlap are',
    'both kept and the more specific SNI wins; a plain-text and a TLS server cannot share the port. Fix: give each host to exactly one Gateway',
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
          const entries = targets.flatMap((index) => index.some(host.host, limit, notOwn)).slice(0, limit);
          const rivals = entries.map(describeEntry);
          if (total <= SORTED_LIST_LIMIT) rivals.sort();
          ctx.report(
            g.gateway,
            `Conflict with Gateway ${listSome([...new Set(rivals)], 3, total)} on port ${port}: host "${host.entry}" overlaps and both select the same gateway workloads, ` +
              `so ${outcome(server, host, entries, port)}; give the host to one Gateway or merge the servers`,
            { path: host.path },
          );
        }
      }
    }
  },
};

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
