import type { MeshGraph, Workload } from '../../../mesh/graph.js';
import { delegationsInto } from '../../../mesh/delegation.js';
import { workloadPortOf } from '../../../mesh/endpoint-port.js';
import { isRecord, stringList, stringMap, type MeshObject } from '../../../mesh/object.js';
import { httpRuleAppliesOn } from '../../../mesh/routing.js';
import { authorizationPoliciesOf } from '../../../mesh/view/inbound-authz.js';
import { proxyOf } from '../../../mesh/view/proxy.js';
import type { AuthzMatchView, AuthzPolicyView, AuthzRuleView } from '../../../mesh/view/types.js';
import type { Rule } from '../../rule.js';
import { routeProxyFor } from '../routing/_helpers.js';
import { namespacePatternMatches } from './_helpers.js';

/**
 * `security/route-denied-by-authorization`: a route whose destination's sidecars refuse every
 * request of its client. The client is known for a gateway-bound route (the gateway's workload, with
 * its principal and namespace); for a mesh-bound one any caller may send, so only a destination that
 * admits nobody at all is reported.
 */
const routeDeniedByAuthorization: Rule = {
  id: 'security/route-denied-by-authorization',
  severity: 'warning',
  summary: 'A route sends its client to workloads whose AuthorizationPolicies refuse every request of that client (403 RBAC: access denied).',
  docs: [
    'A VirtualService route can be right and still dead: the destination\'s inbound sidecar answers every',
    'request 403 `RBAC: access denied` when its AuthorizationPolicies refuse the caller. Istio applies DENY',
    'policies first (a match denies), then ALLOW policies: with any ALLOW policy on the workload (a namespace',
    'default deny `spec: {}` included), a request that matches none of their rules is denied. For a route bound',
    'to a Gateway, the client is the gateway\'s workload (the Deployment the Gateway\'s selector picks, in the',
    'input or its `--context`): reported when a DENY rule matches its principal or namespace whatever the',
    'request, or when no ALLOW rule can match it (every rule names other principals or namespaces, or other',
    'ports; `when` conditions only narrow a rule, so they cannot rescue one whose `from` excludes the client). For a route bound to the mesh, any workload may call, so only a destination that admits nobody is',
    'reported (ALLOW policies without rules, an unconditional DENY). A route is judged only for the clients whose',
    'proxy holds it, as istiod builds route tables (route.go `sourceMatchHTTP`): a match entry\'s `gateways` replaces',
    'the VirtualService\'s, its `port` must be one the gateway serves the host on, and its `sourceLabels` and',
    '`sourceNamespace` must fit the gateway\'s workload. Conservative, never a guess: a rule with',
    '`when` conditions, IP blocks, JWT principals (`requestPrincipals`), or request-dependent `to` fields',
    '(paths, methods, hosts) might match and keeps the rule quiet, as do CUSTOM policies, dry-run policies,',
    'unsupported fields, destinations without sidecars and gateways whose workload is not in the input.',
    'Reported on the route\'s destination, naming the client, the refusing workload and port, and each policy',
    'with its line. Fix: add an ALLOW rule for the client (`from.source.principals` or `namespaces`) to the',
    'policy selecting the destination, or route elsewhere.',
  ].join(' '),
  kinds: ['VirtualService', 'Gateway', 'AuthorizationPolicy', 'Service', 'DestinationRule', 'Namespace', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      const http = Array.isArray(vs.spec.http) ? vs.spec.http : [];
      for (const { g, via } of bindingsOf(graph, vs)) {
        const client = g.mesh ? MESH : gatewayClient(graph, g.gateway);
        if (!client) continue;
        const proxy = routeProxyFor(graph, via, g, client.labels && client.namespace !== undefined ? { labels: client.labels, namespace: client.namespace } : undefined);
        http.forEach((route, i) => {
          if (httpRuleAppliesOn(route, vs.namespace, proxy) === false) return;
          const dests = isRecord(route) && Array.isArray(route.route) ? route.route.filter(isRecord) : [];
          dests.forEach((d, j) => {
            if (dests.length > 1 && typeof d.weight === 'number' && d.weight <= 0) return;
            const dest = isRecord(d.destination) ? d.destination : {};
            if (typeof dest.host !== 'string') return;
            const found = refusal(graph, vs, dest, client);
            const bound = `${g.mesh ? 'mesh' : `${g.namespace}/${g.name}`}${via === vs ? '' : ` through root VirtualService ${via.namespace}/${via.name}`}`;
            if (found) ctx.report(vs, message(dest, client, found, bound), { path: ['spec', 'http', i, 'route', j, 'destination'] });
          });
        });
      }
    }
  },
};

/**
 * The gateways whose proxies hold the routes of `vs`, each with the VirtualService that binds them: its own
 * `spec.gateways` (default mesh), or for a delegate (no hosts) those of each root istiod merges it into (none when
 * no root uses it: its routes are on no proxy).
 */
function bindingsOf(graph: MeshGraph, vs: MeshObject): { g: ReturnType<MeshGraph['gatewaysOf']>[number]; via: MeshObject }[] {
  if ((stringList(vs.spec.hosts) ?? []).length > 0) return graph.gatewaysOf(vs).map((g) => ({ g, via: vs }));
  const roots = [...new Set(delegationsInto(graph, vs).map((d) => d.root))];
  const seen = new Set<string>();
  return roots.flatMap((root) => graph.gatewaysOf(root).filter((g) => !seen.has(g.key) && seen.add(g.key)).map((g) => ({ g, via: root })));
}

/** A client of the route: a principal and namespace, or any mesh caller (both unknown). */
interface Client {
  readonly who: string;
  readonly principal?: string;
  readonly namespace?: string;
  /** The gateway's workload labels (a match's `sourceLabels`); undefined for the mesh. */
  readonly labels?: Readonly<Record<string, string>>;
}

const MESH: Client = { who: 'every caller in the mesh' };

/** The gateway's workload as client; undefined when the input has none (nothing to judge). */
function gatewayClient(graph: MeshGraph, gateway: MeshObject | null): Client | undefined {
  if (!gateway) return undefined;
  const selector = stringMap(gateway.spec.selector);
  if (Object.keys(selector).length === 0) return undefined;
  const w = graph.workloadsSelectedBy(null, selector)[0];
  return w ? { who: `gateway ${w.namespace}/${w.name}`, principal: graph.principalOf(w), namespace: w.namespace, labels: w.labels } : undefined;
}

/** A workload that refuses every request of the client, with the policies that decide it. */
interface Found {
  readonly workload: Workload;
  readonly port: number | undefined;
  /** The DENY policy matching the client, or null when no ALLOW rule can match it. */
  readonly deny: AuthzPolicyView | null;
  readonly allows: readonly AuthzPolicyView[];
}

/** The first pod of the destination (host, subset) whose sidecar refuses every request of `client`; null when none surely does. */
function refusal(graph: MeshGraph, vs: MeshObject, dest: Record<string, unknown>, client: Client): Found | null {
  const host = dest.host as string;
  const service = graph.servicesForHost(host, vs.namespace)[0];
  if (!service?.selector) return null;
  let labels: Readonly<Record<string, string>> = {};
  if (typeof dest.subset === 'string') {
    const subset = graph.subsetsOf(host, vs.namespace).find((s) => s.name === dest.subset);
    if (!subset) return null;
    labels = subset.labels;
  }
  const written = isRecord(dest.port) && typeof dest.port.number === 'number' ? dest.port.number : undefined;
  const servicePort = written !== undefined ? service.ports.find((p) => p.number === written) : service.ports.length === 1 ? service.ports[0] : undefined;
  const pods = graph.workloads.selectedBy(service.namespace, { ...service.selector, ...labels }).filter((w) => graph.membershipOf(w).dataplane === 'sidecar');
  for (const w of pods) {
    const policies = policiesOf(graph, w);
    if (policies.length === 0) continue;
    const port = servicePort ? workloadPortOf(service, servicePort, w) : undefined;
    if (policies.some((p) => p.action === 'CUSTOM')) continue;
    const deny = policies.find((p) => p.action === 'DENY' && p.rules.some((r) => ruleMatches(r, client, port) === true));
    const allows = policies.filter((p) => p.action === 'ALLOW');
    if (deny) return { workload: w, port, deny, allows };
    if (allows.length > 0 && allows.every((p) => p.rules.every((r) => ruleMatches(r, client, port) === false))) return { workload: w, port, deny: null, allows };
  }
  return null;
}

const POLICIES = new WeakMap<MeshGraph, WeakMap<Workload, readonly AuthzPolicyView[]>>();

/**
 * The enforced (not dry-run) AuthorizationPolicies of `w`'s inbound sidecar, as the per-proxy view
 * reads them, once per graph and workload (many routes reach the same pods); [] without a policy
 * selecting it (then nothing is refused, and no view is built).
 */
function policiesOf(graph: MeshGraph, w: Workload): readonly AuthzPolicyView[] {
  let byWorkload = POLICIES.get(graph);
  if (!byWorkload) POLICIES.set(graph, (byWorkload = new WeakMap()));
  let policies = byWorkload.get(w);
  if (policies === undefined) {
    policies = graph.authorizationPoliciesFor(w).length === 0 ? [] : authorizationPoliciesOf(graph, proxyOf(graph, w), w.containerPorts.map((p) => p.containerPort)).policies.filter((p) => !p.dryRun);
    byWorkload.set(w, policies);
  }
  return policies;
}

type Tri = boolean | 'unknown';
const all = (xs: Tri[]): Tri => (xs.includes(false) ? false : xs.includes('unknown') ? 'unknown' : true);
const any = (xs: Tri[]): Tri => (xs.includes(true) ? true : xs.includes('unknown') ? 'unknown' : false);

/** Istio's principal patterns: `*`, `prefix*`, `*suffix`, exact. */
function principalMatches(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

/** One field for this client on `port`: known only for principal, namespace and port; everything else might match. */
function fieldMatches(m: AuthzMatchView, client: Client, port: number | undefined): Tri {
  if (m.unsupported !== undefined) return 'unknown';
  const test = (match: (v: string) => boolean): Tri => {
    if (m.values.length > 0 && !m.values.some(match)) return false;
    return !m.notValues.some(match);
  };
  switch (m.attribute) {
    case 'source.principal':
      return client.principal === undefined ? 'unknown' : test((p) => principalMatches(p, client.principal!));
    case 'source.namespace':
      return client.namespace === undefined ? 'unknown' : test((p) => namespacePatternMatches(p, client.namespace!));
    case 'destination.port':
      return port === undefined ? 'unknown' : test((p) => Number(p) === port);
    default:
      return 'unknown';
  }
}

/** Whether a rule matches every request of the client (true), none (false), or it depends (unknown). */
function ruleMatches(r: AuthzRuleView, client: Client, port: number | undefined): Tri {
  const side = (entries: readonly (readonly AuthzMatchView[])[]) => any(entries.map((e) => all(e.map((m) => fieldMatches(m, client, port)))));
  return all([side(r.principals), side(r.permissions)]);
}

/** `admits only cluster.local/ns/orders/sa/checkout` / `has no rules, so it admits nothing` / `admits it only on ports 9090`. */
function admits(p: AuthzPolicyView, client: Client): string {
  if (p.rules.length === 0) return 'has no rules, so it admits nothing';
  const names = new Set<string>();
  const ports = new Set<string>();
  let itself = false;
  for (const r of p.rules) {
    for (const e of r.principals) for (const m of e) if (m.attribute === 'source.principal' || m.attribute === 'source.namespace') for (const v of m.values) names.add(m.attribute === 'source.namespace' ? `namespace ${v}` : v);
    // Only a rule whose `from` admits the client tells on which ports it is admitted.
    if (!fromAdmits(r, client)) continue;
    itself = true;
    for (const e of r.permissions) for (const m of e) if (m.attribute === 'destination.port') for (const v of m.values) ports.add(v);
  }
  if (itself && ports.size > 0) return `admits it only on port${ports.size === 1 ? '' : 's'} ${[...ports].join(', ')}`;
  return names.size > 0 ? `admits only ${[...names].join(', ')}` : 'admits callers only on other ports';
}

/** Whether the rule's `from` may match the client (a rule without `from` admits every caller). */
function fromAdmits(r: AuthzRuleView, client: Client): boolean {
  return r.principals.length === 0 || r.principals.some((e) => e.every((m) => fieldMatches(m, client, undefined) !== false));
}

const line = (p: AuthzPolicyView) => `${p.origin.location.file}:${p.origin.location.line}`;

function message(dest: Record<string, unknown>, client: Client, f: Found, bound: string): string {
  const target = `${String(dest.host)}${typeof dest.subset === 'string' ? ` subset ${dest.subset}` : ''}`;
  const w = `${f.workload.kind} ${f.workload.namespace}/${f.workload.name}${f.port !== undefined ? ` (port ${f.port})` : ''}`;
  const whom = client.principal !== undefined ? `${client.who} (${client.principal})` : client.who;
  const why = f.deny
    ? `DENY AuthorizationPolicy ${f.deny.namespace}/${f.deny.name} (${line(f.deny)}) matches every request from it`
    : `no ALLOW rule admits it: ${f.allows.map((p) => `AuthorizationPolicy ${p.namespace}/${p.name} (${line(p)}) ${admits(p, client)}`).join('; ')}`;
  const extend = f.allows.find((p) => p.scope === 'workload' && p.rules.length > 0);
  const fix = f.deny
    ? `narrow the DENY policy so it leaves ${client.principal ?? 'the callers'} out, or route elsewhere`
    : client.principal !== undefined
      ? `add an ALLOW rule with from.source.principals ["${client.principal}"] (or namespaces ["${client.namespace}"])${f.port !== undefined ? ` and to.operation.ports ["${f.port}"]` : ''} ${extend ? `to ${extend.namespace}/${extend.name}` : `in a policy selecting ${f.workload.namespace}/${f.workload.name}`}, or route elsewhere`
      : `add an ALLOW policy selecting ${f.workload.namespace}/${f.workload.name} for the callers that should reach it, or route elsewhere`;
  return `this route (bound to ${bound}) sends ${whom} to ${target}, but ${w} refuses every such request with 403 RBAC: access denied: ${why}; fix: ${fix}`;
}

export default routeDeniedByAuthorization;
