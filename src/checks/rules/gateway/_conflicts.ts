import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord } from '../../../mesh/object.js';
import { push } from '../../../mesh/services.js';
import type { RuleContext } from '../../rule.js';
import { SORTED_LIST_LIMIT, ScopeGroups, describeServer, gatewaysOf, listSome, shareWorkloads, type GatewayHost, type GatewayInfo, type GatewayServer } from './_helpers.js';

/** A server host on a port of one workload (or selector). */
interface Entry {
  readonly server: GatewayServer;
  readonly host: GatewayHost;
}

/**
 * Whether `istioctl analyze`'s ConflictingGatewayAnalyzer compares two Gateways' servers: their selectors print the
 * same (`key=value,...`), or one printed selector contains the other as a substring and a pod (here: a workload of
 * the input) matches both. Two Gateways whose printed selectors do not contain each other are never compared, even
 * on a shared pod.
 */
export function analyzerCompares(g: GatewayInfo, rival: GatewayInfo): boolean {
  if (g.selectorText === rival.selectorText) return true;
  const contains = rival.selectorText.includes(g.selectorText) || g.selectorText.includes(rival.selectorText);
  return contains && g.workloads.length > 0 && rival.workloads.length > 0 && shareWorkloads(g, rival);
}

/**
 * Reports every Gateway server host that a rival Gateway on shared workloads declares on the same port and bind,
 * as model.CheckDuplicates compares them, for the pairs `pair` admits (the analyzer's, or the others); with
 * `lastServerOnly`, only a rival's last server on the port counts, as in the analyzer's host map.
 */
export function reportConflicts(graph: MeshGraph, ctx: RuleContext, pair: (g: GatewayInfo, rival: GatewayInfo) => boolean, lastServerOnly: boolean): void {
  const gateways = gatewaysOf(graph);
  const infoOf = new Map(gateways.map((g) => [g.gateway, g]));
  const groups = new ScopeGroups(gateways);
  // (scope group, port, bind, host as written) → server hosts: istiod's CheckDuplicates compares exactly these.
  const index = new Map<string, Entry[]>();
  const keyOf = (scopeKey: string, port: number, server: GatewayServer, entry: string) => `${scopeKey}\u0000${port}\u0000${bindOf(server)}\u0000${entry}`;
  // The analyzer records one host map per Gateway and port (initGatewaysMap): a later server on the same port
  // overwrites an earlier one's, so with `lastServerOnly` a rival Gateway's hosts on a port are those of its LAST server there.
  const last = new Map<string, number>();
  const portKey = (server: GatewayServer, port: number) => `${server.gateway.key}\u0000${port}`;
  for (const g of gateways) {
    for (const server of g.servers) {
      if (server.port === undefined) continue;
      last.set(portKey(server, server.port), Math.max(server.index, last.get(portKey(server, server.port)) ?? -1));
      for (const host of server.hosts) push(index, keyOf(g.scopeKey, server.port, server, host.entry), { server, host });
    }
  }
  for (const g of gateways) {
    for (const server of g.servers) {
      if (server.port === undefined) continue;
      const port = server.port;
      for (const host of server.hosts) {
        const lists = groups.overlapping(g).flatMap((k) => index.get(keyOf(k, port, server, host.entry)) ?? []);
        const notOwn = (e: Entry) => e.server.gateway !== g.gateway && (!lastServerOnly || last.get(portKey(e.server, port)) === e.server.index) && pair(g, infoOf.get(e.server.gateway)!);
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
}

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
