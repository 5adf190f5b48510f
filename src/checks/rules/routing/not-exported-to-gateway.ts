import type { MeshGraph } from '../../../mesh/graph.js';
import { GATEWAY_API_GROUP, gatewayApiOf, parentRefsOf, gatewayHandledByIstiod } from '../../../mesh/gateway-api.js';
import { serviceFqdn } from '../../../mesh/hosts.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import { ruleAppliesOn, type RouteProxy } from '../../../mesh/routing.js';
import { routeRulesOf } from '../../../mesh/route-rules.js';
import { exportedTo, exportToOf } from '../../../mesh/visibility.js';
import { delegationsInto } from '../../../mesh/delegation.js';
import type { Rule, RuleContext } from '../../rule.js';
import { destinationsOf, routeProxyFor } from './_helpers.js';
import { gatewaysOf, type GatewayInfo } from '../gateway/_helpers.js';

/** `routing/not-exported-to-gateway`: a VirtualService bound to a Gateway whose proxies run in a namespace it is not exported to. */
const notExportedToGateway: Rule = {
  id: 'routing/not-exported-to-gateway',
  severity: 'warning',
  summary: 'A VirtualService is bound to a Gateway, but its exportTo leaves out the namespace the gateway proxies run in (so they never get its routes), or it routes them to a host not exported there.',
  docs: [
    'A gateway proxy receives only the VirtualServices bound to its Gateway that are exported to the proxy\'s own',
    'namespace (Istio `PushContext.VirtualServicesForGateway`: private ones of that namespace, those exported to it,',
    'and public ones). A VirtualService in `shop` with `exportTo: ["."]` bound to a Gateway whose pods run in',
    '`istio-system` is therefore never applied there: its hosts get 404 at the gateway although everything else looks',
    'right. The proxies\' namespaces are those of the workloads the Gateway `selector` matches; when none is in the',
    'input, the Gateway\'s own namespace is assumed (and the message says so). Likewise a gateway proxy has clusters',
    'only for the Services and ServiceEntries exported to its namespace (`networking.istio.io/exportTo` annotation,',
    '`spec.exportTo`): a gateway route to a host exported only to `.` elsewhere gets 503 (no cluster); this holds for the',
    'routes of a delegate VirtualService too, which istiod builds for the proxies of its gateway roots. Rules istiod',
    'drops from this Gateway\'s routes (every match names only other gateways or `mesh`, or a `port` it does not serve',
    'the hosts on) are not judged for it, nor is a VirtualService none of whose rules it keeps. The same holds for the backends of',
    'a Gateway API route (HTTPRoute, GRPCRoute, TCPRoute, TLSRoute) attached to a Gateway API Gateway, whose proxies',
    'istiod deploys in the Gateway\'s namespace (`DefaultSidecarScopeForGateway` keeps the services exported there).',
    'Fix: add the gateway proxies\' namespace to `exportTo`, or remove `exportTo` (the mesh default is every namespace).',
  ].join(' '),
  kinds: ['VirtualService', 'Gateway', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod', 'HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    const infos = new Map(gatewaysOf(graph).map((g) => [g.gateway, g]));
    const proxyNamespaces = (g: MeshObject) => {
      const known = [...new Set((infos.get(g)?.workloads ?? []).map((w) => w.namespace))].sort();
      return { namespaces: known.length > 0 ? known : [g.namespace], assumed: known.length === 0 };
    };
    for (const vs of graph.ofKind('VirtualService')) {
      if ((stringList(vs.spec.hosts) ?? []).length === 0) {
        // A delegate's routes are merged into each root and built for the root's gateway proxies.
        const reported = new Set<string>();
        for (const d of delegationsInto(graph, vs)) {
          const root = Array.isArray(d.root.spec.http) ? d.root.spec.http[d.index] : undefined;
          for (const g of graph.gatewaysOf(d.root)) {
            if (g.mesh || !g.gateway || reported.has(g.key)) continue;
            const proxies = gatewayProxies(graph, d.root, g, infos);
            if (!proxies.some((p) => ruleAppliesOn('http', root, d.root.namespace, p) !== false)) continue;
            reported.add(g.key);
            const { namespaces, assumed } = proxyNamespaces(g.gateway);
            reportHiddenDestinations(graph, vs, g.key, namespaces, assumed, proxies.filter((p) => ruleAppliesOn('http', root, d.root.namespace, p) !== false), ctx.report);
          }
        }
        continue;
      }
      const exportTo = exportToOf(vs, graph.meshConfig);
      for (const g of graph.gatewaysOf(vs)) {
        if (g.mesh || !g.gateway) continue;
        // A VirtualService whose every rule is trimmed from this Gateway's routes (match gateways, port) gives it nothing to miss.
        const proxies = gatewayProxies(graph, vs, g, infos);
        if (!routeRulesOf(vs).some((r) => proxies.some((p) => ruleAppliesOn(r.section, r.rule, vs.namespace, p) !== false))) continue;
        const info = infos.get(g.gateway);
        const known = [...new Set((info?.workloads ?? []).map((w) => w.namespace))].sort();
        const namespaces = known.length > 0 ? known : [g.gateway.namespace];
        const hidden = namespaces.filter((ns) => !exportedTo(exportTo.values, vs.namespace, ns));
        if (hidden.length === 0) {
          reportHiddenDestinations(graph, vs, g.key, namespaces, known.length === 0, proxies, ctx.report);
          continue;
        }
        const where = known.length > 0
          ? `the proxies of Gateway ${g.key} run in ${hidden.length === 1 ? `namespace ${hidden[0]}` : `namespaces ${hidden.join(', ')}`} (${describeWorkloads(info!.workloads.filter((w) => hidden.includes(w.namespace)))})`
          : `no pods of Gateway ${g.key} are in the input, so its proxies are assumed to run in its own namespace ${hidden[0]}`;
        ctx.report(vs, `This VirtualService is exported only to ${JSON.stringify(exportTo.values)}${exportTo.source === 'mesh-default' ? ' (the mesh default)' : ''}, but ${where}: ` +
          `istiod gives a gateway proxy only the VirtualServices exported to its own namespace, so these routes never reach it and ${(stringList(vs.spec.hosts) ?? []).join(', ')} get 404 there; ` +
          `add ${hidden.map((ns) => `"${ns}"`).join(', ')} to exportTo, or remove exportTo`, { path: exportTo.path ?? g.path });
      }
    }
    reportHiddenGatewayApiBackends(graph, ctx.report);
  },
};

/**
 * Backends of Gateway API routes attached to a Gateway API Gateway whose Service or ServiceEntry exists but is not
 * exported to the Gateway's namespace, where istiod deploys its proxies: they get no cluster for it (503).
 */
function reportHiddenGatewayApiBackends(graph: MeshGraph, report: RuleContext['report']): void {
  const k8s = gatewayApiOf(graph);
  for (const route of k8s.routes()) {
    const gateways = new Set(parentRefsOf(route).flatMap((p) => {
      const gw = p.kind === 'Gateway' && p.group === GATEWAY_API_GROUP ? k8s.get('Gateway', p.namespace, p.name) : undefined;
      // Another controller's Gateway has no istiod-deployed proxies: Istio's exportTo does not decide what it sees.
      return gw && gatewayHandledByIstiod(gw, k8s) ? [gw] : [];
    }));
    if (gateways.size === 0) continue;
    (Array.isArray(route.spec.rules) ? route.spec.rules : []).forEach((rule, i) => {
      if (!isRecord(rule)) return;
      (Array.isArray(rule.backendRefs) ? rule.backendRefs : []).forEach((b, j) => {
        if (!isRecord(b) || typeof b.name !== 'string') return;
        const kind = b.kind ?? 'Service';
        const group = b.group ?? '';
        const ns = typeof b.namespace === 'string' && b.namespace !== '' ? b.namespace : route.namespace;
        const fqdn = kind === 'Service' && group === '' ? serviceFqdn(b.name, ns, graph.clusterDomain)
          : kind === 'Hostname' && group === 'networking.istio.io' ? b.name : undefined;
        if (fqdn === undefined) return;
        const all = graph.services.forHost(fqdn, null);
        if (all.length === 0) return;
        for (const gw of gateways) {
          if (graph.services.forHost(fqdn, gw.namespace).length > 0) continue;
          const s = all[0]!;
          report(route, `${route.kind} backend ${kind === 'Service' ? `Service "${ns}/${b.name}"` : `Hostname "${b.name}"`} is not visible to the proxies of Gateway ${gw.namespace}/${gw.name}, ` +
            `which istiod deploys in namespace ${gw.namespace}: ${s.kind} ${s.namespace}/${s.object.name} is exported to ${JSON.stringify(s.exportTo)}, and a gateway proxy has clusters only ` +
            `for hosts exported to its namespace, so this backend's share of traffic gets 503 (no cluster); export it to "${gw.namespace}"`, { path: ['spec', 'rules', i, 'backendRefs', j] });
        }
      });
    });
  }
}


/**
 * The proxies of Gateway `g` that build the routes of `vs`, one per gateway pod in the input (its labels and
 * namespace), else one with those unknown; each listens on the servers carrying HTTP for the hosts of `vs`.
 */
function gatewayProxies(graph: MeshGraph, vs: MeshObject, g: { readonly key: string; readonly gateway: MeshObject | null }, infos: ReadonlyMap<MeshObject, GatewayInfo>): RouteProxy[] {
  const workloads = g.gateway ? infos.get(g.gateway)?.workloads ?? [] : [];
  return workloads.length > 0 ? workloads.map((w) => routeProxyFor(graph, vs, g, w)) : [routeProxyFor(graph, vs, g)];
}

/**
 * Route destinations (and mirrors) of `vs` used on Gateway `gatewayKey` whose host exists but no Service or
 * ServiceEntry of it is exported to a namespace the gateway proxies run in: they have no cluster for it. Rules
 * that none of `proxies` holds (routing.ts ruleAppliesOn: match gateways, port, source) are not judged.
 */
function reportHiddenDestinations(graph: MeshGraph, vs: MeshObject, gatewayKey: string, namespaces: readonly string[], assumed: boolean,
  proxies: readonly RouteProxy[], report: RuleContext['report']): void {
  for (const { destination, path, section, rule, what } of destinationsOf(vs)) {
    const own = Array.isArray(vs.spec[section]) ? (vs.spec[section] as unknown[])[rule] : undefined;
    if (!proxies.some((p) => ruleAppliesOn(section, own, vs.namespace, p) !== false)) continue;
    if (typeof destination.host !== 'string' || destination.host === '') continue;
    const fqdn = graph.resolveHost(destination.host, vs.namespace).fqdn;
    const all = graph.services.forHost(fqdn, null);
    if (all.length === 0) continue;
    const hidden = namespaces.filter((ns) => graph.services.forHost(fqdn, ns).length === 0);
    if (hidden.length === 0) continue;
    const s = all[0]!;
    report(vs, `Host "${destination.host}" is not visible to the proxies of Gateway ${gatewayKey} in ${hidden.length === 1 ? `namespace ${hidden[0]}` : `namespaces ${hidden.join(', ')}`}` +
      `${assumed ? ' (assumed: no pods of the Gateway in the input)' : ''}: ${s.kind} ${s.namespace}/${s.object.name} is exported to ${JSON.stringify(s.exportTo)}, and a gateway proxy has clusters only ` +
      `for hosts exported to its namespace, so ${what === 'mirror' ? 'the mirrored copies are dropped there (no cluster; the route itself still answers)' : 'this route gets 503 (no cluster) there'}; ` +
      `export it to ${hidden.map((ns) => `"${ns}"`).join(', ')}`, { path: [...path, 'host'] });
  }
}

function describeWorkloads(ws: readonly { kind: string; namespace: string; name: string }[]): string {
  const shown = ws.slice(0, 2).map((w) => `${w.kind} ${w.namespace}/${w.name}`);
  return ws.length > 2 ? `${shown.join(', ')} and ${ws.length - 2} more` : shown.join(', ');
}

export default notExportedToGateway;
