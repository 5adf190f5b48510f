import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import { httpRuleAppliesOn } from '../../../mesh/routing.js';
import { exportedTo, exportToOf } from '../../../mesh/visibility.js';
import type { Rule } from '../../rule.js';
import { clientsText, portsText, sidecarOutcomes, type SidecarOutcome } from './_sidecar-outcomes.js';

/** `routing/delegate-target`: an http rule's `delegate` names a VirtualService that cannot serve as one. */
const delegateTarget: Rule = {
  id: 'routing/delegate-target',
  severity: 'warning',
  summary: 'An http rule delegates to a VirtualService that does not exist, declares hosts (so it is not a delegate), is not exported to the root\'s namespace, or delegates again.',
  docs: [
    '`http[].delegate: {name, namespace}` hands the rule\'s traffic to another VirtualService, looked up by name in',
    '`namespace` (default: the delegating VirtualService\'s namespace). istiod only uses a target that has no `hosts`',
    '(a VirtualService with hosts is a root, never a delegate) and whose `exportTo` includes the root\'s namespace',
    '(Istio\'s `mergeVirtualServices`: "is not exported to"), and it does not follow a second level of delegation.',
    'Otherwise istiod drops only the delegating rule (`continue` in `mergeVirtualServices`): its requests fall',
    'through to the root\'s later http rules, and get 404 (`NR`) only when none of those matches (or there are none),',
    'so the traffic silently goes somewhere the author did not mean. On a sidecar port (or for a client) where no',
    'other rule of the root applies, istiod builds no routes from the root at all and the sidecar keeps the',
    'service\'s default route (route.go BuildSidecarVirtualHostWrapper): the requests reach the host itself instead',
    'of a 404; the message says which ports (or clients) get which. Fix: remove `hosts` (and `gateways`)',
    'from the target, correct its name or namespace, or merge the nested delegate into it.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      const http = Array.isArray(vs.spec.http) ? vs.spec.http : [];
      http.forEach((rule, i) => {
        if (!isRecord(rule) || !isRecord(rule.delegate) || typeof rule.delegate.name !== 'string') return;
        const namespace = typeof rule.delegate.namespace === 'string' && rule.delegate.namespace !== '' ? rule.delegate.namespace : vs.namespace;
        const name = rule.delegate.name;
        const path = ['spec', 'http', i, 'delegate'];
        const target = graph.get('VirtualService', namespace, name);
        if (!target) {
          // delegate.name is the name alone; "ns/name" (the spec.gateways form) names nothing.
          const [writtenNs, writtenName] = name.includes('/') ? name.split('/', 2) as [string, string] : [undefined, name];
          const here = graph.ofKind('VirtualService').filter((o) => o.name === writtenName && (writtenNs === undefined || o.namespace === writtenNs)).map((o) => `${o.namespace}/${o.name}`);
          const hint = writtenNs !== undefined
            ? `; delegate.name is only the name (a VirtualService name has no "/"): write delegate: {name: ${writtenName}, namespace: ${writtenNs}}`
            : here.length > 0 ? `; did you mean ${here.join(' or ')}?` : '';
          ctx.report(vs, `Delegate VirtualService ${namespace}/${name} not found${rule.delegate.namespace === undefined ? ' (namespace defaults to this VirtualService\'s)' : ''}; ` +
            `${dropped(graph, vs, i)}${hint}`, { path });
          return;
        }
        if ((stringList(target.spec.hosts) ?? []).length > 0) {
          ctx.report(vs, `Delegate VirtualService ${namespace}/${name} declares hosts (${(stringList(target.spec.hosts) ?? []).join(', ')}), so istiod treats it as a root, not a delegate; ` +
            `${dropped(graph, vs, i)}: remove hosts and gateways from the delegate`, { path });
          return;
        }
        const exportTo = exportToOf(target, graph.meshConfig);
        if (!exportedTo(exportTo.values, target.namespace, vs.namespace)) {
          ctx.report(vs, `Delegate VirtualService ${namespace}/${name} is not exported to namespace ${vs.namespace} (exportTo ${JSON.stringify(exportTo.values)}` +
            `${exportTo.source === 'mesh-default' ? ', the mesh default' : ''}), so istiod cannot use it for this root; ${dropped(graph, vs, i)}: ` +
            `add "${vs.namespace}" to the delegate's exportTo`, { path });
          return;
        }
        const nested = (Array.isArray(target.spec.http) ? target.spec.http : []).findIndex((r) => isRecord(r) && r.delegate !== undefined);
        if (nested >= 0) {
          ctx.report(vs, `Delegate VirtualService ${namespace}/${name} delegates again (spec.http[${nested}].delegate); istiod supports one level of delegation, so those routes are dropped: merge them into ${name}`, { path });
        }
      });
    }
  },
};

/**
 * What happens to the requests of a dropped delegating rule `spec.http[i]`: istiod skips only that rule, so they fall
 * through to the later rules, and get 404 (NR) where none of those applies. On the sidecars, a port (or client)
 * where no other rule applies either keeps the service's default route (istiod builds no virtual host from the
 * VirtualService there: BuildSidecarVirtualHostWrapper); a gateway has no default route.
 */
function dropped(graph: MeshGraph, vs: MeshObject, i: number): string {
  const http = Array.isArray(vs.spec.http) ? vs.spec.http : [];
  const rule = http[i];
  const later = http.length - i - 1;
  const hosts = (stringList(vs.spec.hosts) ?? []).join(', ');
  // `where` is `on port 8080` when the fates differ by port or client, else empty.
  const text = (fate: Fate, where: string): string => {
    if (fate === 'later') {
      const to = later === 1 ? `the next http rule (spec.http[${i + 1}])` : `the later http rules (spec.http[${i + 1}] to spec.http[${i + later}])`;
      return `${where ? `${where} ` : 'so '}its requests fall through to ${to} and get 404 (NR) only if ${later === 1 ? 'it does not match' : 'none of them matches'}`;
    }
    if (fate === 'nr') return later === 0 ? `${where ? `${where} ` : 'and as it is the last http rule '}its requests get 404 (NR)${where ? ', as it is the last http rule' : ''}`
      : `${where ? `${where} ` : 'and '}its requests get 404 (NR), as no later http rule applies there`;
    return `and no other http rule applies ${where || 'on the sidecars'}, so istiod builds no routes from this VirtualService there and its requests take the default route of ${hosts}, not the delegate's`;
  };
  const fates = new Map<Fate, SidecarOutcome[]>();
  for (const o of sidecarOutcomes(graph, vs)) {
    const proxy = { key: 'mesh', ports: new Set([o.port]), labels: o.client.labels, namespace: o.client.namespace };
    if (httpRuleAppliesOn(rule, vs.namespace, proxy) === false) continue;
    const fate: Fate = o.verdict === 'default' ? 'default' : o.rules.some((r) => r.index > i) ? 'later' : 'nr';
    fates.set(fate, [...(fates.get(fate) ?? []), o]);
  }
  // Gateways have no default route: there the rule's requests meet the later rules or nothing.
  if (graph.gatewaysOf(vs).some((g) => !g.mesh)) fates.set(later > 0 ? 'later' : 'nr', fates.get(later > 0 ? 'later' : 'nr') ?? []);
  if (fates.size <= 1) {
    const [only] = [...fates.keys()];
    return `istiod drops this rule, ${text(only ?? (later > 0 ? 'later' : 'nr'), '')}`;
  }
  const all = [...fates.values()].flat();
  const byPort = new Set(all.map((o) => o.port)).size > 1;
  const parts = [...fates].map(([fate, os]) => {
    const where = os.length === 0 ? 'on the gateways' : byPort ? `on ${portsText([...new Set(os.map((o) => o.port))])}` : `for ${clientsText([...new Set(os.map((o) => o.client))])}`;
    return text(fate, where).replace(/^and /, '');
  });
  return `istiod drops this rule: ${parts.join('; ')}`;
}

/** Where the requests of a dropped rule go on one sidecar port and client: see {@link dropped}. */
type Fate = 'later' | 'nr' | 'default';

export default delegateTarget;
