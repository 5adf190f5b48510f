import {
  ISTIO_TRAFFIC_ROUTING_PATH, chosenHttpRoutes, chosenL4Routes, destinationServiceName, routeDestinations,
  rolloutIstioRouting, type ChosenRoutes, type RolloutIstioRouting, type RolloutVirtualServiceRef,
} from '../../../mesh/argo-rollouts.js';
import type { MeshGraph } from '../../../mesh/graph.js';
import { rolloutWorkloadRef } from '../../../mesh/workloads.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { Rule, RuleContext } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { listOrNone, nameOf, subsetNames } from './_helpers.js';

const REFUSED = 'Argo Rollouts refuses the Rollout';
const WEIGHTS = 'weight 0 is fine: Argo sets the weights at runtime';

/** `references/rollout-traffic-routing`: what Argo Rollouts' Istio traffic routing needs from the VirtualServices, DestinationRule and Services it names. */
const rolloutTrafficRouting: Rule = {
  id: 'references/rollout-traffic-routing',
  severity: 'error',
  summary: 'An Argo Rollout\'s Istio traffic routing names a VirtualService, route, DestinationRule, subset or Service that is missing, or a route without both its stable and canary destinations.',
  docs: [
    'A canary `Rollout` (`argoproj.io/v1alpha1`) with `spec.strategy.canary.trafficRouting.istio` shifts traffic by',
    'rewriting the weights of VirtualService routes. Its controller refuses the Rollout (condition InvalidSpec, no',
    'step runs) when, as in argo-rollouts `validation_references.go` and `trafficrouting/istio/istio.go`: both or',
    'neither of `virtualService` and `virtualServices` is set; a VirtualService (`name`, or `name.namespace`) does not',
    'exist; it has none of `http`, `tls`, `tcp`; a route listed in `routes` (by name), `tlsRoutes` (port and exact',
    '`sniHosts`) or `tcpRoutes` (port) is not in it; with those lists omitted the section has more than one route',
    '(routes named in `trafficRouting.managedRoutes` not counted); or a route it edits lacks a destination whose host',
    '(the part before the first dot) is the `stableService` and one that is the `canaryService`, or, with',
    '`destinationRule`, a destination with the `stableSubsetName` and one with the `canarySubsetName`. Every',
    'section the VirtualService has is checked, as Argo does. Without `destinationRule` (and without `pingPong`) both',
    'Services must be set; they must exist in the Rollout\'s namespace, differ, and select only labels the Rollout\'s',
    'pod template carries (`rollouts-pod-template-hash` aside, which Argo adds). The DestinationRule',
    '(`destinationRule.name`, in the Rollout\'s namespace) must exist and define both subsets: Argo only adds the',
    '`rollouts-pod-template-hash` label to subsets that exist, so a route to a missing one has no endpoints (503).',
    'The weights themselves are Argo\'s at runtime and are not judged here. Fix: make the VirtualService, its routes',
    'and the DestinationRule match what the Rollout names (a destination for each Service or subset, weight 0 is fine).',
  ].join(' '),
  kinds: ['Rollout', 'VirtualService', 'DestinationRule', 'Service'],
  check(graph, ctx) {
    for (const rollout of graph.ofKind('Rollout')) {
      const r = rolloutIstioRouting(rollout);
      if (!r) continue;
      checkConfig(r, ctx);
      checkServices(graph, r, ctx);
      checkDestinationRule(graph, r, ctx);
      for (const ref of r.virtualServices) checkVirtualService(graph, r, ref, ctx);
    }
  },
};

function checkConfig(r: RolloutIstioRouting, ctx: RuleContext): void {
  if (r.virtualServiceConfig === 'both') {
    ctx.report(r.rollout, `trafficRouting.istio sets both virtualService and virtualServices: ${REFUSED} ("either VirtualService or VirtualServices must be configured"); keep virtualServices (a list) and move virtualService into it`, { path: ISTIO_TRAFFIC_ROUTING_PATH });
  } else if (r.virtualServiceConfig === 'none') {
    ctx.report(r.rollout, `trafficRouting.istio names no VirtualService: ${REFUSED} ("either VirtualService or VirtualServices must be configured"); set virtualService.name to the VirtualService whose route weights Argo should shift`, { path: ISTIO_TRAFFIC_ROUTING_PATH });
  } else if (r.virtualServices.length === 0) {
    ctx.report(r.rollout, 'trafficRouting.istio.virtualServices is empty: Argo Rollouts accepts it but shifts no traffic, so every canary step sends 0 % to the canary; list the VirtualServices to edit', { path: [...ISTIO_TRAFFIC_ROUTING_PATH, 'virtualServices'] });
  }
}

function checkServices(graph: MeshGraph, r: RolloutIstioRouting, ctx: RuleContext): void {
  const ns = r.rollout.namespace;
  const services = () => listOrNone(graph.ofKind('Service').filter((s) => s.namespace === ns).map((s) => s.name));
  for (const [role, svc] of [['stable', r.stableService], ['canary', r.canaryService]] as const) {
    const field = svc.path[svc.path.length - 1] as string;
    if (svc.name === '') {
      if (!r.destinationRule && !r.pingPong) {
        ctx.report(r.rollout, `canary.${field} is not set: ${REFUSED} ("Canary service and Stable service must to be set to use Traffic Routing"); name the Service selecting the ${role} pods, or route by subsets with trafficRouting.istio.destinationRule`, { path: svc.path.slice(0, -1) });
      }
      continue;
    }
    const service = graph.get('Service', ns, svc.name);
    if (!service) {
      ctx.report(r.rollout, `${field} "${svc.name}" is not a Service in namespace ${ns}: ${REFUSED} (services "${svc.name}" not found; Argo looks it up in the Rollout's namespace); Services there: ${services()}. Create it (the Rollout's pod selector; Argo adds rollouts-pod-template-hash itself) or name an existing one`, { path: svc.path });
      continue;
    }
    const labels = podLabelsOf(graph, r.rollout);
    const selector = isRecord(service.spec.selector) ? service.spec.selector : {};
    // validation_references.go ValidateService: every selector pair but the hash Argo adds must be a template label.
    const unmatched = Object.keys(selector).filter((k) => k !== POD_TEMPLATE_HASH && labels !== undefined && labels[k] !== selector[k]);
    if (unmatched.length > 0) {
      const show = (m: Readonly<Record<string, unknown>>, keys: readonly string[]) => keys.map((k) => `${k}: ${m[k] === undefined ? '(none)' : String(m[k])}`).join(', ');
      ctx.report(r.rollout, `${field} "${svc.name}" selects ${show(selector, unmatched)}, which the Rollout's pods do not carry (${show(labels!, unmatched)}): ${REFUSED} ("Service ${JSON.stringify(svc.name)} has unmatch label ${JSON.stringify(unmatched[0])} in rollout"); make the Service's selector a subset of the pod template labels`, { path: svc.path });
    }
  }
  if (r.stableService.name !== '' && r.stableService.name === r.canaryService.name) {
    ctx.report(r.rollout, `stable and canary are the same Service "${r.stableService.name}": ${REFUSED} ("This rollout uses the same service for the stable and canary services, but two different services are required."); create a second Service with the same selector for the canary`, { path: r.canaryService.path });
  }
}

/** Argo's ReplicaSet label (`v1alpha1.DefaultRolloutUniqueLabelKey`): it adds it to the Services' selectors itself. */
const POD_TEMPLATE_HASH = 'rollouts-pod-template-hash';

/** The labels of the Rollout's pods: its template's, or those of the Deployment or ReplicaSet `workloadRef` names; undefined when unknown. */
function podLabelsOf(graph: MeshGraph, rollout: MeshObject): Readonly<Record<string, string>> | undefined {
  const ref = rolloutWorkloadRef(rollout);
  const source = ref ? graph.get(ref.kind, rollout.namespace, ref.name) : rollout;
  return source ? graph.workloads.of(source)?.labels : undefined;
}

function checkDestinationRule(graph: MeshGraph, r: RolloutIstioRouting, ctx: RuleContext): void {
  const d = r.destinationRule;
  if (!d) return;
  const ns = r.rollout.namespace;
  if (d.name === '') {
    ctx.report(r.rollout, 'trafficRouting.istio.destinationRule.name is empty: Argo Rollouts cannot find the DestinationRule whose subsets it labels; name the DestinationRule (in the Rollout\'s namespace) that defines the stable and canary subsets', { path: d.path });
    return;
  }
  const dr = graph.get('DestinationRule', ns, d.name);
  if (!dr) {
    const others = graph.ofKind('DestinationRule').filter((o) => o.namespace === ns).map((o) => o.name);
    ctx.report(r.rollout, `DestinationRule "${d.name}" not found in namespace ${ns} (Argo looks it up by name in the Rollout's namespace; no name.namespace form): every update fails ("DestinationRule \`${d.name}\` not found"); DestinationRules in ${ns}: ${listOrNone(others)}. Create it with subsets ${d.stableSubsetName || '<stable>'} and ${d.canarySubsetName || '<canary>'}, or name an existing one`, { path: [...d.path, 'name'] });
    return;
  }
  const defined = subsetNames([dr]);
  for (const [field, subset] of [['stableSubsetName', d.stableSubsetName], ['canarySubsetName', d.canarySubsetName]] as const) {
    if (subset === '') {
      ctx.report(r.rollout, `destinationRule.${field} is not set: Argo Rollouts needs the name of the DestinationRule subset it points at the ${field.startsWith('stable') ? 'stable' : 'canary'} pods; set it to a subset of ${nameOf(dr)} (subsets: ${listOrNone(defined)})`, { path: [...d.path, field] });
    } else if (!defined.includes(subset)) {
      ctx.report(r.rollout, `destinationRule.${field} "${subset}" is not a subset of DestinationRule ${nameOf(dr)} (subsets: ${listOrNone(defined)}): Argo labels only existing subsets with rollouts-pod-template-hash, so routes to "${subset}" have no endpoints (503 NR); add {name: ${subset}} to its subsets`, { path: [...d.path, field] });
    }
  }
  if (d.stableSubsetName !== '' && d.stableSubsetName === d.canarySubsetName) {
    ctx.report(r.rollout, `stableSubsetName and canarySubsetName are both "${d.stableSubsetName}": Argo labels that subset with the canary hash only, so stable traffic follows the canary; use two subsets`, { path: [...d.path, 'canarySubsetName'] });
  }
}

const SECTION = { http: 'HTTP', tls: 'TLS', tcp: 'TCP' } as const;
const LIST_FIELD = { http: 'routes', tls: 'tlsRoutes', tcp: 'tcpRoutes' } as const;

function checkVirtualService(graph: MeshGraph, r: RolloutIstioRouting, ref: RolloutVirtualServiceRef, ctx: RuleContext): void {
  const namePath: FieldPath = [...ref.path, 'name'];
  if (ref.name === '') {
    ctx.report(r.rollout, 'the VirtualService name is empty: Argo Rollouts cannot look it up; write name (the Rollout\'s namespace) or name.namespace', { path: namePath });
    return;
  }
  const vs = graph.get('VirtualService', ref.namespace, ref.name);
  if (!vs) {
    const elsewhere = graph.ofKind('VirtualService').filter((o) => o.name === ref.name).map((o) => `${o.name}.${o.namespace}`);
    const siblings = graph.ofKind('VirtualService').filter((o) => o.namespace === ref.namespace).map((o) => o.name);
    const hint = elsewhere.length > 0 ? `did you mean ${elsewhere.map((e) => `"${e}"`).join(' or ')} (name.namespace)?` : `VirtualServices in ${ref.namespace}: ${listOrNone(siblings)}; create it or name an existing one`;
    ctx.report(r.rollout, `VirtualService "${ref.ref}" (${ref.namespace}/${ref.name}) not found: ${REFUSED} (virtualservices.networking.istio.io "${ref.name}" not found); ${hint}`, { path: namePath });
    return;
  }
  const sections = (['http', 'tls', 'tcp'] as const).filter((s) => Array.isArray(vs.spec[s]));
  if (sections.length === 0) {
    ctx.report(r.rollout, `VirtualService ${nameOf(vs)} has no http, tls or tcp routes: ${REFUSED} ("Unable to get any of the HTTP, TCP or TLS routes for the Istio VirtualService"); give it a route with destinations for the stable and canary ${r.destinationRule ? 'subsets' : 'Services'}`, { path: namePath });
  }
  for (const section of sections) {
    const routes = vs.spec[section] as unknown[];
    const chosen: ChosenRoutes = section === 'http' ? chosenHttpRoutes(ref, routes) : chosenL4Routes(ref, section, routes);
    const invalid = `${REFUSED} ("Istio VirtualService has invalid ${SECTION[section]} routes. Error: `;
    for (const m of chosen.missing) {
      const what = section === 'http' ? `HTTP Route '${m.selector}' is not found in the defined Virtual Service.` : `No matching ${SECTION[section]} routes found in the defined Virtual Service.`;
      const have = section === 'http' ? `its http route names: ${listOrNone(routes.map((x) => (isRecord(x) && typeof x.name === 'string' ? x.name : '')).filter((n) => n !== ''))}` : `its ${section} routes match ${listOrNone(routes.map((x, i) => `${section}[${i}] ${matchOf(x)}`))}`;
      ctx.report(r.rollout, `${invalid}${what}") for VirtualService ${nameOf(vs)}; ${have}. Name an existing route, or ${section === 'http' ? 'give the route Argo should edit that name' : 'make the selector match that route\'s port (and exact sniHosts)'}`, { path: m.path });
    }
    for (const i of chosen.indexes) checkRoute(graph, r, vs, section, i, routes[i], ref, invalid, ctx);
    const own = section === 'http' ? routes.filter((x) => !r.managedRoutes.has(isRecord(x) && typeof x.name === 'string' ? x.name : '')) : routes;
    const listed = section === 'http' ? ref.routes.length : section === 'tls' ? ref.tlsRoutes.length : ref.tcpRoutes.length;
    if (listed === 0 && own.length > 1) {
      ctx.report(r.rollout, `${invalid}spec.${section}[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.${LIST_FIELD[section]}") for VirtualService ${nameOf(vs)}, which has ${own.length} ${section} routes; list the routes Argo should edit in ${LIST_FIELD[section]}`, { path: [...ref.path, LIST_FIELD[section]] });
    }
  }
}

/** What an L4 route's matches name, as Argo compares them: `port 443 sniHosts a,b` (port 0 when none is named). */
function matchOf(route: unknown): string {
  const matches = isRecord(route) && Array.isArray(route.match) ? route.match.filter(isRecord) : [];
  const ports = [...new Set(matches.map((m) => (typeof m.port === 'number' ? m.port : 0)))];
  const sni = [...new Set(matches.flatMap((m) => (Array.isArray(m.sniHosts) ? m.sniHosts.filter((h): h is string => typeof h === 'string') : [])))];
  return `port ${ports.length === 0 ? 0 : ports.join('/')}${sni.length > 0 ? ` sniHosts ${sni.join(',')}` : ''}`;
}

/** Argo's validateVirtualServiceRouteDestinations on one route it edits: stable and canary both present (subsets with a DestinationRule, else Service hosts). */
function checkRoute(graph: MeshGraph, r: RolloutIstioRouting, vs: MeshObject, section: 'http' | 'tls' | 'tcp', index: number, route: unknown, ref: RolloutVirtualServiceRef, invalid: string, ctx: RuleContext): void {
  const dests = routeDestinations(route);
  const d = r.destinationRule;
  // An unset Service or subset name is reported once, on the Rollout's own field, not per route.
  const wanted = (d
    ? [['Canary DestinationRule subset', d.canarySubsetName, 'subset'], ['Stable DestinationRule subset', d.stableSubsetName, 'subset']] as const
    : [['Canary Service', r.canaryService.name, 'host'], ['Stable Service', r.stableService.name, 'host']] as const).filter(([, value]) => value !== '');
  const missing = wanted.filter(([, value, by]) => !dests.some((x) => (by === 'subset' ? x.subset === value : destinationServiceName(x.host) === value)));
  if (missing.length === 0) return;
  const [label, value] = missing[0]!;
  const routeName = section === 'http' && isRecord(route) && typeof route.name === 'string' ? route.name : '';
  const now = dests.length === 0 ? 'none' : dests.map((x) => (d ? `${x.host || '?'} subset ${x.subset || '(none)'}` : x.host || '?')).join(', ');
  const dr = d ? graph.get('DestinationRule', r.rollout.namespace, d.name) : undefined;
  const host = dr && typeof dr.spec.host === 'string' ? dr.spec.host : '<the DestinationRule\'s host>';
  const add = missing.map(([, v, by]) => (by === 'subset' ? `{host: ${host}, subset: ${v}}` : `{host: ${v}}`)).join(' and ');
  const byName = routeName !== '' ? ref.routes.find((x) => x.name === routeName) : undefined;
  ctx.report(r.rollout, `${invalid}${label} '${value}' not found in route") for ${section}[${index}]${routeName !== '' ? ` ("${routeName}")` : ''} of VirtualService ${nameOf(vs)}, whose destinations are ${now}; add destination ${add} to that route (${WEIGHTS})`, { path: byName?.path ?? [...ref.path, 'name'] });
}

export default rolloutTrafficRouting;
