import { isRecord, stringList } from '../../../mesh/object.js';
import { exportedTo, exportToOf } from '../../../mesh/visibility.js';
import type { Rule } from '../../rule.js';

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
    'so the traffic silently goes somewhere the author did not mean. Fix: remove `hosts` (and `gateways`)',
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
            `${dropped(http, i)}${hint}`, { path });
          return;
        }
        if ((stringList(target.spec.hosts) ?? []).length > 0) {
          ctx.report(vs, `Delegate VirtualService ${namespace}/${name} declares hosts (${(stringList(target.spec.hosts) ?? []).join(', ')}), so istiod treats it as a root, not a delegate; ` +
            `${dropped(http, i)}: remove hosts and gateways from the delegate`, { path });
          return;
        }
        const exportTo = exportToOf(target, graph.meshConfig);
        if (!exportedTo(exportTo.values, target.namespace, vs.namespace)) {
          ctx.report(vs, `Delegate VirtualService ${namespace}/${name} is not exported to namespace ${vs.namespace} (exportTo ${JSON.stringify(exportTo.values)}` +
            `${exportTo.source === 'mesh-default' ? ', the mesh default' : ''}), so istiod cannot use it for this root; ${dropped(http, i)}: ` +
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
 * What happens to the requests of a dropped delegating rule `spec.http[i]`: istiod skips only that
 * rule, so they fall through to the later rules; 404 (NR) when there are none.
 */
function dropped(http: readonly unknown[], i: number): string {
  const later = http.length - i - 1;
  if (later === 0) return 'istiod drops this rule, and as it is the last http rule its requests get 404 (NR)';
  const which = later === 1 ? `the next http rule (spec.http[${i + 1}])` : `the later http rules (spec.http[${i + 1}] to spec.http[${i + later}])`;
  return `istiod drops this rule, so its requests fall through to ${which} and get 404 (NR) only if ${later === 1 ? 'it does not match' : 'none of them matches'}`;
}

export default delegateTarget;
