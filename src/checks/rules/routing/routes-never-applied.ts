import type { MeshGraph, ServiceInfo } from '../../../mesh/graph.js';
import { serviceFqdn } from '../../../mesh/hosts.js';
import { gatewayApiOf } from '../../../mesh/gateway-api.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import { gatewayRefOf, matchPortOf } from '../../../mesh/routing.js';
import { routeRulesOf } from '../../../mesh/route-rules.js';
import { isHttp, isTls, parseProtocol, routeKindsFor, type IstioProtocol } from '../../../mesh/protocol.js';
import { exportedTo, exportToOf, importingEntry, sidecarEgress, type EgressListenerImports } from '../../../mesh/visibility.js';
import { listenerRouteKinds } from '../../../mesh/view/sidecar-scope.js';
import type { Rule } from '../../rule.js';
import { gatewayServerPortsOf, isMeshBound, meshServicesOfHost, type ServedPort } from './_helpers.js';

type Section = 'http' | 'tcp' | 'tls';
const SECTIONS: readonly Section[] = ['http', 'tcp', 'tls'];

type Port = ServedPort;

/** The VirtualService route kinds a port applies: a Gateway server's TLS mode decides them when it sets `kinds`, else its protocol. */
const kindsAt = (p: Port): readonly Section[] => p.kinds ?? routeKindsFor(p.protocol);

/** Where a VirtualService's routes land: the sidecars (`mesh`) or one bound Gateway (`ns/name`), with its ports. */
interface Target { readonly key: string; readonly what: string; readonly ports: Port[] }

/** Ports of the services behind the hosts on the sidecars (`meshServicesOfHost`), or null when a host is unknown. */
function meshPorts(graph: MeshGraph, vs: MeshObject, hosts: readonly string[]): Port[] | null {
  const out: Port[] = [];
  for (const h of hosts) {
    const services = meshServicesOfHost(graph, vs, h);
    if (services === null) return null;
    for (const s of services) {
      for (const p of s.ports) {
        const why = p.protocolInfo && p.protocolInfo.source !== 'none' ? ` by its ${p.protocolInfo.source === 'port-name' ? `name "${p.name}"` : p.protocolInfo.source}` : '';
        out.push({ where: `${s.kind} ${s.namespace}/${s.object.name} port ${p.number} (${p.protocol}${why})`, protocol: p.protocol, number: p.number });
      }
    }
  }
  return out;
}

/** `routing/routes-never-applied`: http, tcp or tls routes for ports that never carry that kind of traffic. */
const routesNeverApplied: Rule = {
  id: 'routing/routes-never-applied',
  severity: 'warning',
  summary: 'A VirtualService has http, tcp or tls routes, but no port its hosts are served on carries that kind of traffic.',
  docs: [
    'Istio applies `http` routes only on ports whose protocol is HTTP (HTTP, HTTP2, gRPC, or sniffed), `tls` routes',
    'only on TLS or HTTPS ports it does not terminate, and `tcp` routes on TCP-like ports. The protocol comes from',
    'the Service port\'s `appProtocol` or name prefix (`tcp-web` is TCP), a ServiceEntry\'s `protocol`, or for a',
    'Gateway its server protocol after TLS termination (an HTTPS server with `tls.mode: SIMPLE` carries HTTP; an',
    '`AUTO_PASSTHROUGH` server forwards by SNI and applies no VirtualService route at all, a `PASSTHROUGH` one only',
    '`tls` routes). When',
    'none of the ports serving the hosts fits, the routes are silently ignored: sidecars proxy the port as plain TCP',
    'to the default destination, and a gateway answers 404. Checked for mesh VirtualServices whose hosts all resolve',
    'to services in the input (a wildcard inside the cluster domain, `*.ns.svc.cluster.local`, stands for the services it covers), and for each Gateway a VirtualService binds to. A single rule whose every match names',
    'a `port` is applied only on those ports: when each of them (on the sidecars or the bound Gateways the matches',
    'allow) carries another kind of traffic, that rule is reported even though other rules of its section apply',
    '(a tls rule matching the terminating 443 server beside a PASSTHROUGH 8443 one). A mesh HTTPRoute or GRPCRoute',
    '(parentRef a Service) is judged on the parent\'s port (`parentRef.port`, else all its ports) the same way, and so are a mesh TCPRoute',
    '(it needs a port that is neither HTTP nor TLS) and TLSRoute (a TLS or HTTPS port). A Sidecar egress listener',
    'bound to a port builds the listener of every service it imports with the Sidecar\'s `port.protocol`, not the service port\'s: declared',
    'TCP on an HTTP service port, the http routes for that service never apply to the workloads the Sidecar configures (for the',
    'root namespace\'s Sidecar without selector: every namespace with workloads in the input and no Sidecar of its own); the',
    'same holds for a mesh HTTPRoute or GRPCRoute on that service (a consumer route only for its own namespace). Reported only when',
    'no other egress listener of the Sidecar builds those routes on another port of the service, or a route matches that port. Fix: name the port for its protocol',
    '(`http-web`), use the route kind the port carries, or change the Gateway server\'s TLS mode.',
    'Of several Sidecars for the same workloads istiod uses the oldest (creation time, then name); the others configure nobody and are not judged here.',
  ].join(' '),
  kinds: ['VirtualService', 'Service', 'ServiceEntry', 'Gateway', 'HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      const hosts = stringList(vs.spec.hosts) ?? [];
      const sections = SECTIONS.filter((s) => Array.isArray(vs.spec[s]) && (vs.spec[s] as unknown[]).length > 0);
      if (hosts.length === 0 || sections.length === 0) continue;
      const targets: Target[] = [];
      if (isMeshBound(vs)) {
        const ports = meshPorts(graph, vs, hosts);
        if (ports && ports.length > 0) targets.push({ key: 'mesh', what: 'the sidecars', ports });
      }
      for (const g of graph.gatewaysOf(vs)) {
        if (g.mesh || !g.gateway) continue;
        const ports = gatewayServerPortsOf(graph, vs, g.gateway, hosts);
        if (ports.length > 0) targets.push({ key: g.key, what: `Gateway ${g.key}`, ports });
      }
      const unused = new Set<Section>();
      for (const s of sections) {
        for (const t of targets) {
          if (t.ports.some((p) => kindsAt(p).includes(s))) continue;
          unused.add(s);
          const listed = t.ports.slice(0, 3).map((p) => p.where).join('; ') + (t.ports.length > 3 ? `; and ${t.ports.length - 3} more` : '');
          ctx.report(vs, `The ${s} routes of this VirtualService are never applied by ${t.what}: no port serving its hosts carries ${s.toUpperCase()} traffic (${listed}); ` +
            (t.ports.every((p) => p.ignoresRoutes) ? 'an AUTO_PASSTHROUGH server forwards by SNI (outbound_.<port>_.<subset>_.<host>) and ignores VirtualServices: use tls.mode PASSTHROUGH for SNI routes, or drop the routes'
                : s === 'tcp' && t.ports.some((p) => p.kinds?.includes('tls')) ? 'a PASSTHROUGH server applies only tls routes (by SNI): write them as tls routes with match.sniHosts'
                : s === 'http' && t.ports.every((p) => p.passthrough) ? 'a PASSTHROUGH server forwards TLS by SNI without terminating it (an unset tls.mode is PASSTHROUGH): set tls.mode SIMPLE with credentialName to terminate and apply http routes, or write tls routes'
                : s === 'http' && t.key !== 'mesh' ? 'declare the server HTTP, or HTTPS with a terminating tls.mode (SIMPLE, MUTUAL, ISTIO_MUTUAL: a terminated TLS server carries TCP), or use tcp routes'
                : s === 'http' ? 'name the port for HTTP (e.g. "http-web") or use tcp routes' : s === 'tls' ? 'tls routes need a TLS port that is not terminated (PASSTHROUGH); use http routes behind a terminating server' : 'use the route kind the port carries'),
            { path: ['spec', s] });
        }
      }
      reportPortMatchedRules(vs, targets, unused, ctx.report);
    }
    reportMeshRoutesOnOtherPorts(graph, ctx.report);
    reportSidecarListenerProtocols(graph, ctx.report);
  },
};

/**
 * A mesh route (parentRef a Service, GAMMA) applies on the parent's port (`parentRef.port`, else every port), which must
 * carry its kind of traffic, as istiod builds the sidecar's outbound listener for the port: HTTPRoutes and GRPCRoutes
 * need HTTP (or sniffed: the HTTP connection manager), TCPRoutes a port neither HTTP nor TLS (tcp_proxy; sniffed
 * included), TLSRoutes a TLS or HTTPS port (SNI chains). Elsewhere the route is never applied.
 */
function reportMeshRoutesOnOtherPorts(graph: MeshGraph, report: Parameters<Rule['check']>[1]['report']): void {
  const k8s = gatewayApiOf(graph);
  for (const route of [...k8s.ofKind('HTTPRoute'), ...k8s.ofKind('GRPCRoute'), ...k8s.ofKind('TCPRoute'), ...k8s.ofKind('TLSRoute')]) {
    const parents = Array.isArray(route.spec.parentRefs) ? route.spec.parentRefs : [];
    parents.forEach((p, i) => {
      if (!isRecord(p) || p.kind !== 'Service' || (p.group !== '' && p.group !== undefined) || typeof p.name !== 'string') return;
      const ns = typeof p.namespace === 'string' && p.namespace !== '' ? p.namespace : route.namespace;
      const service = graph.services.forHost(serviceFqdn(p.name, ns, graph.clusterDomain), null).find((s) => s.kind === 'Service');
      if (!service) return;
      const ports = service.ports.filter((sp) => typeof p.port !== 'number' || sp.number === p.port);
      const mismatch = MESH_ROUTE_PORTS[route.kind as keyof typeof MESH_ROUTE_PORTS];
      if (ports.length === 0 || ports.some((sp) => mismatch.applies(sp.protocol))) return;
      const listed = ports.slice(0, 3).map((sp) => `port ${sp.number} (${sp.protocol}${sp.protocolInfo && sp.protocolInfo.source !== 'none' ? ` by its ${sp.protocolInfo.source === 'port-name' ? `name "${sp.name}"` : sp.protocolInfo.source}` : ''})`).join(', ');
      report(route, `This ${route.kind} attaches to Service ${ns}/${p.name}${typeof p.port === 'number' ? ` port ${p.port}` : ''}, but ${listed} ${mismatch.carries}, ` +
        `so the route is never applied; ${mismatch.fix}`, { path: ['spec', 'parentRefs', i] });
    });
  }
}

/** Which service port protocols a mesh route kind applies on, and what to say when none of the parent's does. */
const HTTP_ROUTE_PORTS = {
  applies: (p: IstioProtocol) => routeKindsFor(p).includes('http'),
  carries: 'carries no HTTP: the sidecars proxy it as plain TCP',
  fix: 'name the port for HTTP (e.g. "http-web") or set appProtocol: http, or use a TCPRoute',
};
const MESH_ROUTE_PORTS = {
  HTTPRoute: HTTP_ROUTE_PORTS,
  GRPCRoute: HTTP_ROUTE_PORTS,
  TCPRoute: {
    applies: (p: IstioProtocol) => !isHttp(p) && !isTls(p) && p !== 'UDP',
    carries: 'carries no plain TCP: the sidecars route an HTTP port with the HTTP connection manager and a TLS port by SNI, with no tcp_proxy for TCP routes',
    fix: 'name the port for TCP (e.g. "tcp-db") or set appProtocol: tcp, or use an HTTPRoute (HTTP) or a TLSRoute (TLS)',
  },
  TLSRoute: {
    applies: (p: IstioProtocol) => isTls(p),
    carries: 'carries no TLS: the sidecars match SNI only on TLS and HTTPS ports',
    fix: 'name the port for TLS (e.g. "tls-vault") or set appProtocol: tls, or use a TCPRoute',
  },
} as const;

/** Routes the sidecars apply for service hosts: mesh VirtualServices, and mesh (GAMMA) HTTPRoutes and GRPCRoutes, which istiod turns into http routes for their parent Service. */
interface MeshRouteSource {
  readonly obj: MeshObject;
  readonly sections: readonly Section[];
  /** Hosts with the services behind them; `port` narrows a GAMMA route to its parentRef port. */
  readonly targets: readonly { host: string; services: readonly ServiceInfo[]; port?: number }[];
  /** Whether the sidecars of a namespace apply it: exportTo for a VirtualService; a consumer route only in its own namespace. */
  readonly visibleTo: (namespace: string) => boolean;
}

function meshRouteSources(graph: MeshGraph): MeshRouteSource[] {
  const out: MeshRouteSource[] = [];
  for (const vs of graph.ofKind('VirtualService')) {
    if (!isMeshBound(vs)) continue;
    const sections = SECTIONS.filter((x) => Array.isArray(vs.spec[x]) && (vs.spec[x] as unknown[]).length > 0);
    const targets = (stringList(vs.spec.hosts) ?? []).map((host) => ({ host, services: meshServicesOfHost(graph, vs, host) ?? [] }));
    const exportTo = exportToOf(vs, graph.meshConfig).values;
    out.push({ obj: vs, sections, targets, visibleTo: (ns) => exportedTo(exportTo, vs.namespace, ns) });
  }
  const k8s = gatewayApiOf(graph);
  for (const route of [...k8s.ofKind('HTTPRoute'), ...k8s.ofKind('GRPCRoute')]) {
    for (const p of Array.isArray(route.spec.parentRefs) ? route.spec.parentRefs : []) {
      if (!isRecord(p) || p.kind !== 'Service' || (p.group !== '' && p.group !== undefined) || typeof p.name !== 'string') continue;
      const ns = typeof p.namespace === 'string' && p.namespace !== '' ? p.namespace : route.namespace;
      const host = serviceFqdn(p.name, ns, graph.clusterDomain);
      const services = graph.services.forHost(host, null).filter((x) => x.kind === 'Service' && x.namespace === ns);
      if (services.length === 0) continue;
      out.push({ obj: route, sections: ['http'], targets: [{ host, services, ...(typeof p.port === 'number' ? { port: p.port } : {}) }],
        visibleTo: (client) => ns === route.namespace || client === route.namespace });
    }
  }
  return out;
}

/**
 * A Sidecar egress listener bound to a port builds the outbound listener of every service it imports with the
 * Sidecar's port protocol, not the service port's (listener.go buildSidecarOutboundListeners: listenPort from
 * `egress[].port`, passed as listenerOpts.port for each service). Declared TCP over an HTTP service port, the
 * workloads the Sidecar configures get a tcp_proxy there, and a mesh VirtualService's http routes for the service
 * never apply to them (the reverse for tcp routes on an HTTP listener). A root-namespace Sidecar without
 * workloadSelector is the default of every namespace without a Sidecar of its own, its `.` that namespace.
 */
function reportSidecarListenerProtocols(graph: MeshGraph, report: Parameters<Rule['check']>[1]['report']): void {
  const own = new Set(graph.ofKind('Sidecar').filter((sc) => sc.namespace !== graph.rootNamespace).map((sc) => sc.namespace));
  const routeSources = meshRouteSources(graph);
  const meshDefaultFor = [...new Set(graph.workloads.all.map((w) => w.namespace))].filter((ns) => !own.has(ns)).sort();
  for (const sc of graph.ofKind('Sidecar')) {
    // A Sidecar istiod passes over for an older one configures nobody, whatever its listeners say.
    if (graph.sidecarShadowed(sc)) continue;
    const selects = isRecord(sc.spec.workloadSelector);
    const clients = sc.namespace === graph.rootNamespace && !selects ? meshDefaultFor : [sc.namespace];
    const egress = Array.isArray(sc.spec.egress) ? sc.spec.egress : [];
    // Route object, section, host → the client namespaces whose listener drops those routes, and why.
    const hits = new Map<string, { vs: MeshObject; section: Section; host: string; port: number; protocol: string; target: string; namespaces: string[] }>();
    for (const ns of clients) {
      const listeners = sidecarEgress(sc, ns).listeners;
      for (const l of listeners) {
        const written = egress[l.path[2] as number];
        const protocol = isRecord(written) && isRecord(written.port) && typeof written.port.protocol === 'string' ? written.port.protocol : undefined;
        if (l.port === undefined || protocol === undefined || protocol.toUpperCase() === 'HTTP_PROXY') continue;
        const declared = parseProtocol(protocol);
        for (const src of routeSources) {
          if (!src.visibleTo(ns)) continue;
          for (const { host: h, services, port } of src.targets) {
            if (port !== undefined && port !== l.port) continue;
            const imported = services.filter((x) => exportedTo(x.exportTo, x.namespace, ns) && importingEntry(l.hosts, x.namespace, x.host));
            const ports = imported.flatMap((x) => x.ports.filter((p) => p.number === l.port).map((p) => ({ x, p })));
            for (const section of src.sections) {
              // The view's answer for this listener over each service port (istiod's buildSidecarOutboundListener).
              const hit = ports.find(({ p }) => routeKindsFor(p.protocol).includes(section) && !listenerRouteKinds(declared, p.protocol).includes(section));
              if (!hit) continue;
              // Routes without a port match apply on every port of the host: they are lost only when no other port takes them.
              if (port === undefined && !matchesPortExplicitly(src.obj, section, l.port) && appliesOnAnotherPort(listeners, egress, services, ns, section, l.port)) continue;
              const key = `${src.obj.kind}/${src.obj.namespace}/${src.obj.name}\u0000${section}\u0000${h}`;
              const entry = hits.get(key) ?? { vs: src.obj, section, host: h, port: l.port, protocol: protocol.toUpperCase(), target: `${hit.x.kind} ${hit.x.namespace}/${hit.x.object.name} port ${hit.p.number} (${hit.p.protocol})`, namespaces: [] };
              if (!entry.namespaces.includes(ns)) entry.namespaces.push(ns);
              hits.set(key, entry);
            }
          }
        }
      }
    }
    for (const e of hits.values()) {
      const who = selects ? `the workloads Sidecar ${sc.namespace}/${sc.name} selects`
        : `the workloads of namespace${e.namespaces.length > 1 ? 's' : ''} ${e.namespaces.join(', ')} (${sc.namespace === graph.rootNamespace ? 'mesh-default ' : ''}Sidecar ${sc.namespace}/${sc.name})`;
      const what = e.vs.kind === 'VirtualService' ? `The ${e.section} routes of this VirtualService for ${e.host} are` : `This ${e.vs.kind} (a mesh route for ${e.host}) is`;
      report(e.vs, `${what} never applied to ${who}: the Sidecar's egress listener on port ${e.port} is declared ${e.protocol}, ` +
        `and istiod builds that listener for every service it imports with the Sidecar's protocol, not ${e.target}, ` +
        `so those workloads ${e.section === 'http' ? 'proxy the port as plain TCP' : 'treat the port as HTTP'}; set the listener's port.protocol to match (or leave it out), or bind the listener to another port`,
      { path: e.vs.kind === 'VirtualService' ? ['spec', e.section] : ['spec', 'parentRefs'] });
    }
  }
}

/** Whether some `section` route of a VirtualService has a match naming `port` (a route written for that port). */
function matchesPortExplicitly(obj: MeshObject, section: Section, port: number): boolean {
  if (obj.kind !== 'VirtualService' || !Array.isArray(obj.spec[section])) return false;
  return (obj.spec[section] as unknown[]).some((r) => isRecord(r) && Array.isArray(r.match) && r.match.some((m) => matchPortOf(m) === port));
}

/**
 * Whether the Sidecar's egress listeners (for client namespace `ns`) build `section` routes for one of `services` on a
 * port other than `port`: a port-bound listener by its own protocol (`listenerRouteKinds`; unset is sniffed), the
 * listener without port on the service ports no port-bound listener took, by the service port's protocol.
 */
function appliesOnAnotherPort(listeners: readonly EgressListenerImports[], egress: readonly unknown[], services: readonly ServiceInfo[], ns: string, section: Section, port: number): boolean {
  const bound = new Set(listeners.filter((l) => l.port !== undefined).map((l) => l.port!));
  return listeners.some((l) => {
    if (l.port === port) return false;
    const written = egress[l.path[2] as number];
    const declared = isRecord(written) && isRecord(written.port) && typeof written.port.protocol === 'string' ? parseProtocol(written.port.protocol) : 'UnsupportedProtocol';
    if (declared === 'HTTP_PROXY') return false;
    const imported = services.filter((x) => exportedTo(x.exportTo, x.namespace, ns) && importingEntry(l.hosts, x.namespace, x.host));
    return imported.some((x) => x.ports.some((p) => (l.port === undefined
      ? !bound.has(p.number) && routeKindsFor(p.protocol).includes(section)
      : p.number === l.port && listenerRouteKinds(declared, p.protocol).includes(section))));
  });
}

/**
 * A rule whose every match names a `port` is applied only on those ports (Istio: the port match selects
 * the listener / gateway server): when each of them that exists carries another kind of traffic (a tls
 * rule on the terminating 443 server beside a passthrough 8443 one), the rule is never applied, although
 * its section is. Rules of a section already reported as a whole are skipped.
 */
function reportPortMatchedRules(vs: MeshObject, targets: readonly Target[], unused: ReadonlySet<Section>, report: Parameters<Rule['check']>[1]['report']): void {
  for (const { section, index, rule, path } of routeRulesOf(vs)) {
    if (unused.has(section) || !Array.isArray(rule.match) || rule.match.length === 0) continue;
    const matches = rule.match.filter(isRecord);
    if (matches.length !== rule.match.length || !matches.every((m) => matchPortOf(m) !== undefined)) continue;
    const wanted = new Set(matches.map((m) => matchPortOf(m)!));
    const gateways = matches.every((m) => (stringList(m.gateways) ?? []).length > 0)
      ? new Set(matches.flatMap((m) => (stringList(m.gateways) ?? []).map((g) => gatewayRefOf(g, vs.namespace, []).key)))
      : null;
    const landing = targets.filter((t) => !gateways || gateways.has(t.key)).flatMap((t) => t.ports.filter((p) => wanted.has(p.number as number)));
    if (landing.length === 0 || landing.some((p) => kindsAt(p).includes(section))) continue;
    const label = typeof rule.name === 'string' && rule.name !== '' ? `route "${rule.name}" (spec.${section}[${index}])` : `spec.${section}[${index}]`;
    const listed = landing.slice(0, 3).map((p) => p.where).join('; ') + (landing.length > 3 ? `; and ${landing.length - 3} more` : '');
    report(vs, `${label} matches only port ${[...wanted].join(', ')}, and no such port carries ${section.toUpperCase()} traffic (${listed}), so the rule is never applied; ` +
      (section === 'tls' ? 'match the port of a PASSTHROUGH server, or write it as an http rule for the terminating one' : `match a port that carries ${section.toUpperCase()}, or use the route kind that port carries`),
      { path: [...path, 'match'] });
  }
}

export default routesNeverApplied;
