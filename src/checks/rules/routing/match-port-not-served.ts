import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import { isHttp, parseProtocol, routeKindsFor } from '../../../mesh/protocol.js';
import { listenerRouteKinds } from '../../../mesh/view/sidecar-scope.js';
import type { Rule } from '../../rule.js';
import { httpPortsWith, httpRulesOf, meshServicesOfHost, ruleLabel } from './_helpers.js';

/** A Sidecar's port-bound egress listeners: port → the Sidecar and the listener's `port.protocol` as written ('' unset); the first listener of a port wins. */
type ListenerPorts = ReadonlyMap<number, { readonly sidecar: MeshObject; readonly protocol: string }>;

/**
 * The egress scopes a sidecar client can have: one per Sidecar in the input, and, unless a root-namespace Sidecar
 * without workloadSelector is every namespace's default, a client under no Sidecar (no port-bound listener).
 */
function clientScopes(graph: MeshGraph): ListenerPorts[] {
  const sidecars = graph.ofKind('Sidecar');
  const scopes: ListenerPorts[] = sidecars.some((sc) => sc.namespace === graph.rootNamespace && !isRecord(sc.spec.workloadSelector)) ? [] : [new Map()];
  for (const sc of sidecars) {
    const bound = new Map<number, { sidecar: MeshObject; protocol: string }>();
    for (const l of Array.isArray(sc.spec.egress) ? sc.spec.egress : []) {
      if (!isRecord(l) || !isRecord(l.port) || typeof l.port.number !== 'number' || bound.has(l.port.number)) continue;
      bound.set(l.port.number, { sidecar: sc, protocol: typeof l.port.protocol === 'string' ? l.port.protocol : '' });
    }
    scopes.push(bound);
  }
  return scopes;
}

/**
 * The ports where the http rules of `vs` meet requests on the sidecars of one egress scope, or null when a host is
 * unknown. A Service port bound by a Sidecar egress listener carries what that listener builds for it: istiod builds
 * the listener with the Sidecar's `port.protocol` (listener.go buildSidecarOutboundListeners), which the view models
 * as `listenerRouteKinds`; other ports carry what their own protocol does. A listener port no service of the hosts
 * declares still takes the VirtualService's http routes when it is HTTP or sniffed: istiod builds its route
 * configuration from the VirtualService's hosts (httproute.go, hosts without a service on that port).
 */
function sidecarHttpPorts(graph: MeshGraph, vs: MeshObject, listeners: ListenerPorts): Set<number> | null {
  const out = new Set<number>();
  const declared = new Set<number>();
  for (const h of stringList(vs.spec.hosts) ?? []) {
    const services = meshServicesOfHost(graph, vs, h);
    if (services === null) return null;
    for (const svc of services) {
      if (svc.ports.length === 0) return null;
      for (const p of svc.ports) {
        declared.add(p.number);
        const l = listeners.get(p.number);
        const kinds = l === undefined || l.protocol.toUpperCase() === 'HTTP_PROXY' ? routeKindsFor(p.protocol) : listenerRouteKinds(listenerProtocol(l.protocol), p.protocol);
        if (kinds.includes('http')) out.add(p.number);
      }
    }
  }
  for (const [port, l] of listeners) {
    const protocol = listenerProtocol(l.protocol);
    if (!declared.has(port) && (isHttp(protocol) || protocol === 'UnsupportedProtocol')) out.add(port);
  }
  return out;
}

/** A Sidecar listener's `port.protocol` as istiod parses it; unset is sniffed. */
const listenerProtocol = (written: string) => (written === '' ? 'UnsupportedProtocol' : parseProtocol(written));

/**
 * The ports where the http rules of `vs` meet requests on some proxy it is bound to: for `mesh`, the union over the
 * client scopes ({@link sidecarHttpPorts}); for each bound Gateway, the server ports serving its hosts that carry HTTP
 * after TLS termination. Null when any part is unknown.
 */
function servedPorts(graph: MeshGraph, vs: MeshObject, scopes: readonly ListenerPorts[]): Set<number> | null {
  return httpPortsWith(graph, vs, () => {
    const out = new Set<number>();
    for (const scope of scopes) {
      const ports = sidecarHttpPorts(graph, vs, scope);
      if (ports === null) return null;
      ports.forEach((p) => out.add(p));
    }
    return out;
  });
}

/**
 * `routing/match-port-not-served`: an http match entry's `port` is none of the ports where the
 * VirtualService's http rules meet requests, so that entry never matches.
 */
const matchPortNotServed: Rule = {
  id: 'routing/match-port-not-served',
  severity: 'warning',
  summary: 'A VirtualService http match entry names a port where its http rules never see a request (often the container port instead of the Service port, or a gateway pod port instead of the server port), so the entry never matches.',
  docs: [
    '`match[].port` compares with the port the request arrived on at the proxy: for sidecars the Service (or',
    'ServiceEntry) port the client called, which names the outbound listener; for a gateway the Gateway server port.',
    'istiod builds each port\'s route table separately and leaves out the match entries whose port is another',
    '(pilot/pkg/networking/core/route/route.go: a match with a port other than the listener\'s is skipped), so an',
    'entry naming the container port (`targetPort`), a gateway pod port or a TCP port never matches; when it is the',
    'rule\'s only entry, the rule is dead and its requests fall through to the later rules. A Sidecar egress listener',
    'bound to a port builds it with its own `port.protocol` (buildSidecarOutboundListeners): declared TCP over an HTTP',
    'Service port, its workloads meet no http rule there; declared HTTP (or left out), it carries http, also on a port',
    'the Service does not declare. A port counts as served when some client scope serves it (a client under no Sidecar,',
    'unless a root-namespace Sidecar is every namespace\'s default, and each Sidecar in the input). Judged only when every',
    'host of the VirtualService is in the input (so its ports are known) and the entry does not narrow `gateways`. Fix:',
    'use the Service port (or the Gateway server port), or remove the port to match on every port.',
  ].join(' '),
  kinds: ['VirtualService', 'Service', 'ServiceEntry', 'Gateway'],
  check(graph, ctx) {
    const scopes = clientScopes(graph);
    for (const vs of graph.ofKind('VirtualService')) {
      const served = servedPorts(graph, vs, scopes);
      if (served === null || served.size === 0) continue;
      for (const r of httpRulesOf(vs)) {
        r.matches.forEach((m, j) => {
          if (typeof m.port !== 'number' || served.has(m.port) || (stringList(m.gateways) ?? []).length > 0) return;
          const only = r.matches.length === 1 ? '; it is the rule\'s only match entry, so the whole rule is dead and its requests fall through to the later rules' : '';
          ctx.report(vs, `Match[${j}] port ${m.port} of ${ruleLabel(r)} never matches: the http rules of this VirtualService meet requests only on port${served.size > 1 ? 's' : ''} ` +
            `${[...served].sort((a, b) => a - b).join(', ')}${hint(graph, vs, m.port, served, scopes)}${only}. ` +
            'A match port is the port the client called (the Service port, or the Gateway server port), not the container port: use one of those ports, or remove port', { path: [...r.path, 'match', j, 'port'] });
        });
      }
    }
  },
};

/** Why the port is not served: a targetPort behind a served port, or a port of the host that carries no HTTP; else ''. */
function hint(graph: MeshGraph, vs: MeshObject, port: number, served: ReadonlySet<number>, scopes: readonly ListenerPorts[]): string {
  const listener = scopes.map((s) => s.get(port)).find((l) => l !== undefined && l.protocol !== '' && !isHttp(listenerProtocol(l.protocol)));
  if (listener) {
    return ` (the egress listener of Sidecar ${listener.sidecar.namespace}/${listener.sidecar.name} on port ${port} is declared ${listener.protocol.toUpperCase()}, ` +
      'and istiod builds it with that protocol for every service it imports, so its workloads proxy the port without http routes; set its port.protocol to HTTP or leave it out)';
  }
  for (const h of stringList(vs.spec.hosts) ?? []) {
    for (const s of graph.servicesForHost(graph.resolveHost(h, vs.namespace).fqdn, vs.namespace)) {
      const p = s.ports.find((x) => x.targetPort === port && served.has(x.number));
      if (p) return ` (${port} is the targetPort of ${s.kind} ${s.namespace}/${s.object.name} port ${p.number}: write ${p.number})`;
      const own = s.ports.find((x) => x.number === port);
      if (own) return ` (port ${port} of ${s.kind} ${s.namespace}/${s.object.name} carries ${own.protocol}: the sidecars proxy it without http routes; match it in tcp or tls routes)`;
    }
  }
  return '';
}

export default matchPortNotServed;
