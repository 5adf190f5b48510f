import { GATEWAY_API_GROUP, convertedByIstiod, gatewayApiOf, gatewayHandledByIstiod, parentHandledByIstiod, parentRefsOf } from '../../../mesh/gateway-api.js';
import { NAMESPACE_NAME_LABEL, admittedOnUnknownLabels, describeNamespaceRefusals, kindsOf, listenerRejection, listenersOf, referenceGrantFor } from '../../../mesh/gateway-api-attachment.js';
import { listenerEntryPort, listenerSetAttachment } from '../../../mesh/gateway-api-listener-sets.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import { otherDomainHint } from '../references/_helpers.js';
import type { Rule, RuleContext } from '../../rule.js';
import type { MeshGraph } from '../../../mesh/graph.js';
import type { FieldPath } from '../../types.js';

interface Ref {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  /** Whether `namespace` was written (Istio refuses it on a Hostname backend). */
  readonly namespaced: boolean;
  readonly name: string;
  readonly sectionName?: string;
  readonly port?: number;
  /** `port` written as a string (a port name), which the schema refuses: PortNumber is an integer. */
  readonly portName?: string;
  /** `backendRef` (rules[].backendRefs[]) or `RequestMirror backendRef` (rules[].filters[].requestMirror.backendRef). */
  readonly role?: string;
  readonly path: FieldPath;
}

function refOf(v: unknown, route: MeshObject, path: FieldPath, defaultKind: string, defaultGroup: string, role?: string): Ref | null {
  if (!isRecord(v) || typeof v.name !== 'string') return null;
  const namespaced = typeof v.namespace === 'string' && v.namespace !== '';
  return {
    group: typeof v.group === 'string' ? v.group : defaultGroup,
    kind: typeof v.kind === 'string' ? v.kind : defaultKind,
    namespace: namespaced ? v.namespace as string : route.namespace,
    namespaced,
    ...(role ? { role } : {}),
    name: v.name,
    ...(typeof v.sectionName === 'string' && v.sectionName !== '' ? { sectionName: v.sectionName } : {}),
    ...(typeof v.port === 'number' ? { port: v.port } : {}),
    ...(typeof v.port === 'string' ? { portName: v.port } : {}),
    path,
  };
}

/**
 * `parentRefs[]`, every `rules[].backendRefs[]`, and every `rules[].filters[]` RequestMirror backendRef (HTTPRoute,
 * GRPCRoute) of a Gateway API route: istiod resolves all of them with one function (conversion.go buildDestination).
 */
function refsOf(route: MeshObject): { parents: Ref[]; backends: Ref[] } {
  const written = Array.isArray(route.spec.parentRefs) ? route.spec.parentRefs : [];
  const parents = parentRefsOf(route).map((p): Ref => {
    const raw = written[p.index];
    return { ...p, namespaced: isRecord(raw) && typeof raw.namespace === 'string', path: ['spec', 'parentRefs', p.index] };
  });
  const backends: Ref[] = [];
  (Array.isArray(route.spec.rules) ? route.spec.rules : []).forEach((rule, i) => {
    if (!isRecord(rule)) return;
    (Array.isArray(rule.backendRefs) ? rule.backendRefs : []).forEach((b, j) => {
      const r = refOf(b, route, ['spec', 'rules', i, 'backendRefs', j], 'Service', '', 'backendRef');
      if (r) backends.push(r);
    });
    (Array.isArray(rule.filters) ? rule.filters : []).forEach((f, j) => {
      if (!isRecord(f) || f.type !== 'RequestMirror' || !isRecord(f.requestMirror)) return;
      const r = refOf(f.requestMirror.backendRef, route, ['spec', 'rules', i, 'filters', j, 'requestMirror', 'backendRef'], 'Service', '', 'RequestMirror backendRef');
      if (r) backends.push(r);
    });
  });
  return { parents, backends };
}

/**
 * How to fix a parentRef to a missing Gateway: a Gateway of that name in another namespace is the one
 * meant (parentRefs[].namespace defaults to the route's namespace), else fix the name or create it.
 */
function gatewayElsewhere(gateways: readonly MeshObject[], p: Ref): string {
  const same = gateways.filter((g) => g.name === p.name).map((g) => g.namespace);
  if (same.length === 0) return 'fix the name or namespace, or create the Gateway';
  const how = p.namespaced ? `set namespace: ${same[0]!}` : `add namespace: ${same[0]!} (an omitted namespace is the route's own, ${p.namespace})`;
  return `Gateway ${p.name} exists in namespace ${same.join(', ')}: ${how} to the parentRef`;
}

/**
 * Rules whose backendRefs all have weight 0 (an omitted weight is 1): per the Gateway API, and istiod's
 * conversion (weightSum == 0), every request they match gets 500 (a TCP connection is refused), unless an
 * HTTP rule redirects.
 */
function reportZeroWeightRules(route: MeshObject, report: Parameters<Rule['check']>[1]['report']): void {
  (Array.isArray(route.spec.rules) ? route.spec.rules : []).forEach((rule, i) => {
    if (!isRecord(rule) || !Array.isArray(rule.backendRefs) || rule.backendRefs.length === 0) return;
    const weights = rule.backendRefs.map((b) => (isRecord(b) && typeof b.weight === 'number' ? b.weight : 1));
    if (weights.some((w) => w > 0)) return;
    if (Array.isArray(rule.filters) && rule.filters.some((f) => isRecord(f) && f.type === 'RequestRedirect')) return;
    const effect = route.kind === 'TCPRoute' || route.kind === 'TLSRoute' ? 'every connection it matches is refused' : 'every request it matches gets 500';
    report(route, `${route.kind} rule spec.rules[${i}] gives every backendRef weight 0, so there is no backend to send to and ${effect} (Gateway API: no backend with weight > 0); ` +
      'give at least one backendRef a weight above 0 (weights are relative)', { path: ['spec', 'rules', i, 'backendRefs'] });
  });
}

/**
 * What istiod refuses in a backend reference before looking it up (conversion.go buildDestination:
 * InvalidDestination / InvalidDestinationKind, so the route's share of traffic gets 500), else null.
 */
function invalidBackend(graph: Parameters<Rule['check']>[0], route: MeshObject, b: Ref): string | null {
  const where = `${route.kind} ${b.role ?? 'backendRef'}`;
  // createMirrorFilter: an invalid mirror backend drops the mirror only; the rule keeps serving.
  const effect = b.role === 'RequestMirror backendRef' ? 'istiod drops the mirror (the rule itself still serves)' : 'requests sent to it get 500';
  if (b.group === '' && b.kind === 'Service') {
    if (b.name.includes('.')) {
      const [name, ns] = b.name.split('.');
      return `${where} names Service "${b.name}", a host name: Istio takes the name of the Service, not its host (InvalidDestination), so ${effect}; ` +
        `write name: ${name}${ns && ns !== 'svc' && ns !== route.namespace ? `, namespace: ${ns}` : ''}`;
    }
    return servicePortRefusal(graph, route, b, `Istio requires it ("port is required in backendRef", ResolvedRefs False), so ${effect}`);
  }
  if (b.group === 'networking.istio.io') {
    if (b.kind !== 'Hostname') {
      return `${where} kind "${b.kind}" (group networking.istio.io) is not a backend kind Istio supports (InvalidDestinationKind), so ${effect}; ` +
        'name an Istio ServiceEntry host as kind: Hostname with the host as name, or a Service';
    }
    if (b.namespaced) return `${where} Hostname "${b.name}" sets namespace, which Istio refuses for a Hostname backend (InvalidDestination); remove namespace`;
    if (b.port === undefined) return `${where} Hostname "${b.name}" has no port: Istio requires it ("port is required in backendRef"), so ${effect}; set port to a port of the ServiceEntry`;
  }
  return null;
}

/**
 * A Service backendRef without a port number (none, or a port name), which the Gateway API CRD refuses (PortNumber;
 * CEL "Must have port for Service reference"; schema/crd-validation leaves both to this rule), else null.
 * `missing` says what a missing port costs.
 */
function servicePortRefusal(graph: Parameters<Rule['check']>[0], route: MeshObject, b: Ref, missing: string): string | null {
  if (b.group !== '' || b.kind !== 'Service' || b.port !== undefined) return null;
  const where = `${route.kind} ${b.role ?? 'backendRef'}`;
  const declared = (graph.get('Service', b.namespace, b.name)?.spec.ports as unknown[] | undefined ?? []).filter(isRecord);
  const ports = declared.flatMap((p) => (typeof p.port === 'number' ? [p.port] : []));
  if (b.portName !== undefined) {
    const named = declared.find((p) => p.name === b.portName);
    return `${where} Service "${b.namespace}/${b.name}" port "${b.portName}" is a name, but a backendRef port is the Service port number (PortNumber, an integer 1-65535): ` +
      `the API server refuses the ${route.kind}; write port: ${typeof named?.port === 'number' ? named.port : ports.length > 0 ? ports.join(' or ') : '<the Service port number>'}`;
  }
  return `${where} Service "${b.namespace}/${b.name}" has no port: ${missing}; set port${ports.length > 0 ? ` to a port of the Service (${ports.join(', ')})` : ' to the Service port'}`;
}

/**
 * A backendRef port the Service (or ServiceEntry host) does not declare, else null: istiod converts it
 * to destination port N as written (conversion.go buildDestination), but builds clusters only for
 * declared ports (`outbound|<port>||<host>`), so the route points at a cluster that does not exist.
 */
function portNotOnBackend(graph: Parameters<Rule['check']>[0], route: MeshObject, b: Ref): string | null {
  if (b.port === undefined) return null;
  const ports = b.kind === 'Service'
    ? (graph.get('Service', b.namespace, b.name)?.spec.ports as unknown[] | undefined ?? []).flatMap((p) => (isRecord(p) && typeof p.port === 'number' ? [p.port] : []))
    : graph.servicesForHost(b.name, route.namespace).flatMap((s) => s.ports.map((p) => p.number));
  if (ports.length === 0 || ports.includes(b.port)) return null;
  const what = b.kind === 'Service' ? `Service "${b.namespace}/${b.name}"` : `Hostname "${b.name}"`;
  const host = b.kind === 'Service' ? `${b.name}.${b.namespace}.svc.${graph.context.clusterDomain}` : b.name;
  const effect = b.role === 'RequestMirror backendRef' ? 'the mirrored requests go nowhere' : 'requests sent to it fail (Envoy: cluster not found, 503 NC)';
  return `${route.kind} ${b.role ?? 'backendRef'} ${what} port ${b.port} is not a port of it (ports: ${[...new Set(ports)].sort((x, y) => x - y).join(', ')}): ` +
    `istiod sends to the cluster outbound|${b.port}||${host}, which it builds only for declared ports, so ${effect}; set port to the ${b.kind === 'Service' ? 'Service' : 'ServiceEntry'} port, not the container port`;
}

/**
 * Parents istiod attaches routes to (pilot/pkg/config/kube/gateway/conversion.go allowedParentReferences:
 * Gateway, Service, ServiceEntry, ListenerSet) as `group/kind`. The experimental XListenerSet of Gateway API v1.4
 * (`gateway.networking.x-k8s.io`) is not among them: istiod reads only the standard ListenerSet.
 */
const ATTACHABLE_PARENTS: ReadonlySet<string> = new Set([
  `${GATEWAY_API_GROUP}/Gateway`, '/Service', 'networking.istio.io/ServiceEntry', `${GATEWAY_API_GROUP}/ListenerSet`,
]);

/**
 * A mesh parentRef `port` the Service (or ServiceEntry) does not declare, else null. istiod scopes every match
 * of a mesh route to the parentRef port (conversion.go augmentPortMatch), and sidecars build routes only for
 * the service's own ports, so the route applies to no call. A Service's targetPort is the usual slip.
 */
function meshParentPortNotFound(route: MeshObject, p: Ref, parent: MeshObject): string | null {
  if (p.port === undefined) return null;
  const declared = (Array.isArray(parent.spec.ports) ? parent.spec.ports : []).filter(isRecord)
    .map((q) => ({ number: parent.kind === 'Service' ? q.port : q.number, target: q.targetPort }))
    .filter((q): q is { number: number; target: unknown } => typeof q.number === 'number');
  if (declared.length === 0 || declared.some((q) => q.number === p.port)) return null;
  const behind = declared.find((q) => q.target === p.port);
  return `${route.kind} parentRef ${parent.kind} "${p.namespace}/${p.name}" port ${p.port} is not a port of the ${parent.kind} (ports: ${declared.map((q) => q.number).join(', ')}): ` +
    `istiod scopes the route's matches to port ${p.port}, where no call to it arrives, so the route never applies to mesh traffic; ` +
    `${behind ? `${p.port} is the targetPort of port ${behind.number}: write port: ${behind.number}` : `set port to a ${parent.kind} port, or leave it out to cover every port`}`;
}

/**
 * API groups whose parent kinds istiod knows: a parentRef of another group (an implementation's own parent kind)
 * istiod skips as "maybe for another controller" (conversion.go extractParentReferenceInfo), and so does this rule.
 */
const ISTIO_READ_GROUPS: ReadonlySet<string> = new Set(['', GATEWAY_API_GROUP, 'gateway.networking.x-k8s.io', 'networking.istio.io']);

/** A mesh parent (GAMMA): a Service or an Istio ServiceEntry, for whose consumers istiod builds the route. */
const isMeshParent = (p: Pick<Ref, 'group' | 'kind'>): boolean => (p.group === '' && p.kind === 'Service') || (p.group === 'networking.istio.io' && p.kind === 'ServiceEntry');

/** What a route that is not attached to its Gateway costs, by route kind. */
function unattached(kind: string): string {
  if (kind === 'TCPRoute') return 'no connection is routed by it';
  if (kind === 'TLSRoute') return 'connections for its hostnames are not routed';
  return 'its hostnames get 404';
}

/**
 * Why a route's parentRef to `parent` (a Gateway istiod programs, or a ListenerSet it accepts) attaches to none of its
 * listeners, reported on the route: no listener of that sectionName/port, a kind the listener does not take, a
 * namespace its allowedRoutes does not admit, or no hostname in common (`referenceAllowed`).
 */
function reportListenerRejection(graph: MeshGraph, route: MeshObject, parent: MeshObject, p: Ref, report: RuleContext['report']): void {
  const ctx = { report };
  // A ListenerSet listener without port takes 80 (HTTP) or 443 (HTTPS) (ListenerEntryPortNumber).
  const portOf = (l: Readonly<Record<string, unknown>>) => (parent.kind === 'ListenerSet' ? listenerEntryPort(l) : l.port);
  const nsLabels = graph.get('Namespace', '', route.namespace)?.labels;
  const hostnames = stringList(route.spec.hostnames) ?? [];
  const why = listenerRejection(parent, route.kind, route.namespace, p.sectionName, nsLabels, p.port, hostnames);
  const where = `${route.kind} parentRef ${parent.kind} "${p.namespace}/${p.name}"${p.sectionName ? ` listener "${p.sectionName}"` : ''}${p.port !== undefined ? ` port ${p.port}` : ''}`;
  if (why === 'no-listener') {
    const names = listenersOf(parent).flatMap((l) => (typeof l.name === 'string' ? [`"${l.name}"${typeof portOf(l) === 'number' ? ` (port ${String(portOf(l))})` : ''}`] : []));
    ctx.report(route, `${where} not found: the ${parent.kind} has listeners ${names.join(', ')}; the route is not attached (NoMatchingParent) and ${unattached(route.kind)}; fix sectionName or port`, { path: p.path });
  } else if (why === 'kind') {
    const taken = listenersOf(parent).filter((l) => (p.sectionName === undefined || l.name === p.sectionName) && (p.port === undefined || portOf(l) === p.port))
      .map((l) => `"${String(l.name)}" (${String(l.protocol)}) takes ${kindsOf(l).join(', ') || 'no route kind'}`);
    ctx.report(route, `${where} does not take ${route.kind}s: listener ${taken.join('; ')} (the kinds its protocol supports, narrowed by allowedRoutes.kinds); ` +
      `the route is not accepted (NotAllowedByListeners) and ${unattached(route.kind)}; attach to a listener whose protocol takes it (HTTPRoute/GRPCRoute: HTTP or HTTPS, ` +
      `TLSRoute: TLS, TCPRoute: TCP or TLS with mode Terminate) and list it in allowedRoutes.kinds if that is set, or use the route kind the listener takes`, { path: p.path });
  } else if (why === 'namespace') {
    ctx.report(route, `${where} does not admit routes from namespace ${route.namespace} ` +
      `(${describeNamespaceRefusals(parent, route.kind, route.namespace, p.sectionName, nsLabels, p.port)}); the route is not accepted (NotAllowedByListeners) and ${unattached(route.kind)}; ` +
      `set allowedRoutes.namespaces.from: All (or a Selector matching ${route.namespace}) on the listener, or move the route`, { path: p.path });
  } else if (why === undefined) {
    const selectors = admittedOnUnknownLabels(parent, route.kind, route.namespace, p.sectionName, nsLabels, p.port, hostnames);
    if (selectors) {
      ctx.report(route, `${where} is taken as attached: the listener admits namespace ${route.namespace} by allowedRoutes.namespaces.from: Selector ${[...new Set(selectors.map((x) => JSON.stringify(x)))].join(' or ')}, ` +
        `but the Namespace ${route.namespace} is not in the input, so its labels are unknown (only ${NAMESPACE_NAME_LABEL}: ${route.namespace} is known) and meshproof assumes they match; ` +
        `if they do not, the route is not accepted (NotAllowedByListeners) and ${unattached(route.kind)}. Add the Namespace ${route.namespace} to the input (or pass it with --context), or select it by ${NAMESPACE_NAME_LABEL}`, { path: p.path, severity: 'info' });
    }
  } else if (why === 'hostname') {
    const names = listenersOf(parent).flatMap((l) => (typeof l.hostname === 'string' ? [`"${l.hostname}"`] : []));
    ctx.report(route, `${where}: none of the route's hostnames (${hostnames.join(', ')}) matches a listener hostname (${names.join(', ')}), so the route is not accepted ` +
      `(NoMatchingListenerHostname) and those hostnames get 404; add the hostname to a listener, or fix the route's hostnames`, { path: ['spec', 'hostnames'] });
  }
}

/** `gatewayapi/route-reference-not-found`: an HTTPRoute (or other route) names a parent or backend that is not in the input. */
const routeReferenceNotFound: Rule = {
  id: 'gatewayapi/route-reference-not-found',
  severity: 'error',
  summary: 'A Gateway API route attaches to a Gateway (or mesh Service) that does not exist or does not admit it (listener, kind, namespace or hostname), or sends to a backend Service that does not exist or is not permitted.',
  docs: [
    'An HTTPRoute, GRPCRoute, TCPRoute or TLSRoute attaches through `parentRefs` (a Gateway, or for the mesh a',
    'Service; namespace defaults to the route\'s) and sends to `backendRefs` (a Service by default, or an Istio',
    'ServiceEntry as `kind: Hostname, group: networking.istio.io`). A missing parent means the route is never',
    'accepted (status `Accepted: False`, reason `NoMatchingParent`) and its hostnames answer 404; a missing backend',
    'gets 500 for its share of traffic (`ResolvedRefs: False`, `BackendNotFound`). The same holds for references that',
    'exist but are not allowed: a Gateway without the listener `sectionName` names, whose listeners do not take the',
    'route\'s kind (an HTTPRoute on a TLS or TCP listener) or do not admit the route\'s namespace (`allowedRoutes`,',
    '`Same` by default: `NotAllowedByListeners`; a `Selector` is matched against the namespace\'s labels plus',
    '`kubernetes.io/metadata.name`, which the API server sets on every namespace; when the Namespace is not in the input',
    'and the selector asks for other labels, the route is taken as admitted and an info says its labels are unknown), a route whose `hostnames` match no',
    'hostname of the listeners left (a listener without hostname takes all; `*.` matches by suffix:',
    '`NoMatchingListenerHostname`), and a backend Service in another namespace without a ReferenceGrant',
    'there (`RefNotPermitted`; only for a route with a Gateway parent: istiod does not enforce ReferenceGrants for a mesh',
    'route whose parents are all Services or ServiceEntries). RequestMirror filter backends are judged the same way. Istio also refuses, before any',
    'lookup, a mesh parentRef `port` the Service or ServiceEntry does not declare (istiod scopes the route to that port; the targetPort is the usual slip),',
    'a rule whose backendRefs all have weight 0 (500 for every request it matches), a Service backend without `port` or named by its host (`orders.shop.svc.cluster.local` instead of',
    '`orders`), a backend `port` the Service or ServiceEntry does not declare (istiod builds clusters only for declared ports, so the',
    'route sends to a cluster that does not exist; a container port written instead of the Service port is the usual slip),',
    'a Hostname backend with `namespace` or without `port`, and any other networking.istio.io kind',
    '(`kind: ServiceEntry` is not a backend kind: use `kind: Hostname`). References to kinds meshproof',
    'cannot see are not judged. A Gateway istiod does not program (another controller\'s gatewayClassName) is not judged,',
    'nor are the backends of a route attached only to such Gateways: that controller resolves them; a parent kind of',
    'another API group is taken to be another controller\'s, as istiod does. Like Kiali\'s KIA1401/KIA1402. Fix the name or namespace, or create the object;',
    'when it lives in another repository pass it with `--context`.',
  ].join(' '),
  kinds: ['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'Service', 'ServiceEntry', 'ReferenceGrant', 'Namespace', 'ListenerSet'],
  check(graph, ctx) {
    const k8s = gatewayApiOf(graph);
    for (const route of k8s.routes()) {
      reportZeroWeightRules(route, ctx.report);
      const { parents, backends } = refsOf(route);
      for (const p of parents) {
        if (p.group === GATEWAY_API_GROUP && p.kind === 'Gateway') {
          const gateway = k8s.get('Gateway', p.namespace, p.name);
          if (!gateway) {
            ctx.report(route, `${route.kind} parentRef Gateway "${p.namespace}/${p.name}" not found: the route is never attached and ${unattached(route.kind)}; ${gatewayElsewhere(k8s.ofKind('Gateway'), p)}`, { path: p.path });
          } else if (gatewayHandledByIstiod(gateway, k8s)) {
            reportListenerRejection(graph, route, gateway, p, ctx.report);
          }
        } else if (p.group === GATEWAY_API_GROUP && p.kind === 'ListenerSet') {
          const set = k8s.get('ListenerSet', p.namespace, p.name);
          if (!set) {
            const same = k8s.ofKind('ListenerSet').filter((x) => x.name === p.name).map((x) => `${x.namespace}/${x.name}`);
            ctx.report(route, `${route.kind} parentRef ListenerSet "${p.namespace}/${p.name}" not found: the route is never attached and ${unattached(route.kind)}; ` +
              (same.length > 0 ? `a ListenerSet of that name is in ${same.join(', ')}: set parentRefs[].namespace` : 'fix the name or namespace, or create the ListenerSet'), { path: p.path });
            continue;
          }
          // A ListenerSet istiod does not accept is reported on the ListenerSet (gatewayapi/listener-set-not-accepted).
          if (listenerSetAttachment(graph, set).status === 'accepted') reportListenerRejection(graph, route, set, p, ctx.report);
        } else if (p.group === '' && p.kind === 'Service') {
          const service = graph.get('Service', p.namespace, p.name);
          if (service) {
            const wrong = meshParentPortNotFound(route, p, service);
            if (wrong) ctx.report(route, wrong, { path: p.path });
            continue;
          }
          ctx.report(route, `${route.kind} parentRef Service "${p.namespace}/${p.name}" not found: the route never applies to mesh traffic; fix the name or namespace`, { path: p.path });
        } else if (p.group === 'networking.istio.io' && p.kind === 'ServiceEntry') {
          const entry = graph.get('ServiceEntry', p.namespace, p.name);
          if (entry) {
            const wrong = meshParentPortNotFound(route, p, entry);
            if (wrong) ctx.report(route, wrong, { path: p.path });
            continue;
          }
          ctx.report(route, `${route.kind} parentRef ServiceEntry "${p.namespace}/${p.name}" not found: the route never applies to mesh traffic; fix the name or namespace`, { path: p.path });
        } else if (!ATTACHABLE_PARENTS.has(`${p.group}/${p.kind}`) && ISTIO_READ_GROUPS.has(p.group)) {
          const hint = p.group === 'networking.istio.io' && p.kind === 'Gateway'
            ? 'an Istio Gateway (networking.istio.io) is bound by a VirtualService\'s gateways, not by a route: attach to a gateway.networking.k8s.io Gateway, or write a VirtualService'
            : p.kind === 'XListenerSet'
              ? 'the experimental XListenerSet became the standard ListenerSet in Gateway API v1.5: write group: gateway.networking.k8s.io, kind: ListenerSet (and move the XListenerSet to gateway.networking.k8s.io/v1 ListenerSet)'
              : 'use kind Gateway (group gateway.networking.k8s.io), a Service (group ""), or an Istio ServiceEntry';
          ctx.report(route, `${route.kind} parentRef ${p.kind} "${p.namespace}/${p.name}" of group "${p.group}" is not a parent Istio attaches routes to ("unsupported parent"): ` +
            `the route is never attached and ${unattached(route.kind)}; ${hint}`, { path: p.path });
        }
      }
      // istiod enforces ReferenceGrants only for the routes it builds for Gateways: a mesh (GAMMA) route, whose
      // parents are all Services or ServiceEntries, is converted with enforceRefGrant false (route_collections.go !mesh).
      // A route istiod does not convert (attached only to other controllers' Gateways, or to none) is resolved by
      // those controllers: only what the API server refuses is judged.
      if (!convertedByIstiod(route, k8s)) {
        for (const b of backends) {
          const refusal = servicePortRefusal(graph, route, b, `the Gateway API CRD requires it ("Must have port for Service reference"), so the API server refuses the ${route.kind}`);
          if (refusal) ctx.report(route, refusal, { path: b.path });
        }
        continue;
      }
      const enforceGrant = parentRefsOf(route).some((p) => !isMeshParent(p) && parentHandledByIstiod(p, k8s));
      for (const b of backends) {
        const invalid = invalidBackend(graph, route, b);
        if (invalid) {
          ctx.report(route, invalid, { path: b.path });
          continue;
        }
        let found: boolean | undefined;
        if (b.group === '' && b.kind === 'Service') found = graph.get('Service', b.namespace, b.name) !== undefined;
        else if (b.group === 'networking.istio.io' && b.kind === 'Hostname') found = graph.servicesForHost(b.name, route.namespace).length > 0;
        if (found === true && enforceGrant && b.kind === 'Service' && b.namespace !== route.namespace &&
          !referenceGrantFor(k8s, { group: GATEWAY_API_GROUP, kind: route.kind, namespace: route.namespace }, { group: '', kind: 'Service', namespace: b.namespace, name: b.name })) {
          ctx.report(route, `${route.kind} ${b.role ?? 'backendRef'} Service "${b.namespace}/${b.name}" is in another namespace and no ReferenceGrant in ${b.namespace} permits it ` +
            `(RefNotPermitted): ${refused(b.role === 'RequestMirror backendRef', parents.some(isMeshParent) ? ' through the route\'s Gateway parents (its mesh parents need no grant)' : '')}; ` +
            `add a ReferenceGrant in namespace ${b.namespace} from ${route.kind} in ${route.namespace} to Service`, { path: b.path });
          continue;
        }
        if (found === true) {
          const missing = portNotOnBackend(graph, route, b);
          if (missing) ctx.report(route, missing, { path: b.path });
          continue;
        }
        if (found === undefined) continue;
        const what = b.kind === 'Service' ? `Service "${b.namespace}/${b.name}"` : `Hostname "${b.name}"`;
        const effect = b.role === 'RequestMirror backendRef' ? 'istiod drops the mirror (ResolvedRefs False)' : 'requests sent to it get 500';
        const hidden = b.kind === 'Hostname' ? graph.services.forHost(b.name, null) : [];
        // A Service of that name in another namespace is the one meant: backendRefs[].namespace defaults to the route's.
        const elsewhere = b.kind === 'Service' ? graph.ofKind('Service').filter((svc) => svc.name === b.name).map((svc) => svc.namespace) : [];
        const domainHint = b.kind === 'Hostname' ? otherDomainHint(graph, b.name) : undefined;
        const fix = domainHint !== undefined ? domainHint : hidden.length > 0
          ? `it exists (${hidden.map((h) => `${h.kind} ${h.namespace}/${h.object.name} exported to [${h.exportTo.map((e) => `"${e}"`).join(', ')}]`).join('; ')}) but is not visible in namespace ${route.namespace}, where istiod looks a Hostname up; export it to ${route.namespace}`
          : elsewhere.length > 0
            ? `Service ${b.name} exists in namespace ${elsewhere.join(', ')}: ${b.namespaced ? `set namespace: ${elsewhere[0]!}` : `add namespace: ${elsewhere[0]!} (an omitted namespace is the route's own, ${route.namespace})`} ` +
              `and a ReferenceGrant in ${elsewhere[0]!} from ${route.kind} in ${route.namespace} to Service`
            : 'fix the name or namespace, or create it';
        ctx.report(route, `${route.kind} ${b.role ?? 'backendRef'} ${what} not found: ${effect}; ${fix}`, { path: b.path });
      }
    }
  },
};

/** What a backend refused for want of a ReferenceGrant costs: a dropped mirror, or 500 for the requests sent to it; `where` narrows it to the Gateway parents. */
function refused(mirror: boolean, where: string): string {
  return mirror ? `istiod drops the mirror${where}, so no request is mirrored (the rule itself still serves)` : `requests sent to it${where} get 500`;
}

export default routeReferenceNotFound;
