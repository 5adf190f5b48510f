import type { MeshGraph } from '../../../mesh/graph.js';
import { gatewayServerHostKey } from '../../../mesh/hosts.js';
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
  // (scope group, port, bind, host as written) → server hosts: the analyzer's CheckDuplicates compares these strings.
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
 * into one route table; of two TLS servers the later one is skipped when a host repeats the other's as
 * CheckDuplicates compares them ({@link serverHostKey}), and otherwise both are kept: two terminating servers then
 * give two filter chains with the same server name (the `namespace/` part is not part of the SNI), which Envoy
 * refuses; and a plain and a TLS server cannot share the port (the later one is skipped). Only servers whose hosts
 * are written alike reach here, so the keys differ only when `./host` stands in Gateways of different namespaces.
 */
function outcome(server: GatewayServer, host: GatewayHost, rivals: readonly Entry[], port: number): string {
  const tls = isTls(server);
  const bind = bindOf(server);
  const listener = `${bind === '' ? '0.0.0.0' : bind}_${port}`;
  if (!tls && rivals.every((e) => !isTls(e.server))) {
    return `istiod merges the plain-text servers into one route table (http.${port}${bind === '' ? '' : `.${bind}`}): the virtual host collects the VirtualServices of every ` +
      'Gateway in merge order, so one Gateway\'s routes can take requests meant for the other\'s';
  }
  if (tls && rivals.every((e) => isTls(e.server))) {
    const key = serverHostKey({ server, host });
    if (rivals.some((e) => serverHostKey(e) === key)) {
      return 'istiod keeps the first TLS server for that SNI host and skips the other (duplicate host names)';
    }
    const other = serverHostKey(rivals[0]!);
    const kept = `istiod keeps both TLS servers (it compares "${key}" and "${other}", which differ once "./" stands for each Gateway's namespace)`;
    if (terminates(server) && rivals.some((e) => terminates(e.server))) {
      return `${kept}, but both filter chains match SNI "${host.host}" and Envoy rejects listener ${listener} ("multiple filter chains with overlapping matching rules are defined"): ` +
        'the gateway keeps the port\'s previous listener, or serves nothing on it';
    }
    return `${kept}; a PASSTHROUGH server's chains come from its VirtualServices' tls matches, and one matching SNI "${host.host}" beside the other server's chain makes Envoy reject the listener`;
  }
  return 'a plain-text and a TLS server share the port: istiod skips a TLS server merged after a plain-text one (a protocol conflict), ' +
    'and puts a plain-text server merged after a TLS one on the listener beside it, taking every connection without that SNI';
}

/** A TLS server that terminates TLS and so builds a filter chain from its own hosts (not PASSTHROUGH, not AUTO_PASSTHROUGH). */
function terminates(s: GatewayServer): boolean {
  const mode = s.tls?.mode;
  return mode !== 'PASSTHROUGH' && mode !== 'AUTO_PASSTHROUGH';
}

/**
 * A server host as istiod's mergeGateways hands it to CheckDuplicates: after `sanitizeServerHostNamespace` ("./" becomes
 * the Gateway's namespace, a "*" namespace is dropped), letter case kept ({@link gatewayServerHostKey}).
 */
function serverHostKey(e: Entry): string {
  return gatewayServerHostKey(e.host.entry, e.server.gateway.namespace);
}

function describeEntry(e: Entry): string {
  return `${describeServer(e.server)} (host "${e.host.entry}")`;
}
