import type { MeshObject } from '../../../mesh/object.js';
import { push } from '../../../mesh/services.js';
import type { Rule } from '../../rule.js';
import { SHOWN, firstOthers, listSome } from '../_lists.js';
import { usesTargetRefs } from './_helpers.js';

/** `telemetry/multiple-default-telemetries` (IST0160): a namespace has more than one Telemetry without a selector. */
const multipleDefaultTelemetries: Rule = {
  id: 'telemetry/multiple-default-telemetries',
  istioCode: 'IST0160',
  severity: 'error',
  summary: 'A namespace has more than one Telemetry without a selector; istiod applies only one of them namespace-wide (mesh-wide in the root namespace).',
  docs: [
    'A Telemetry without `selector` (and without `targetRef(s)`) configures tracing, access logs and metrics for',
    'every workload of its namespace, or of the whole mesh in the root namespace. istiod takes one such Telemetry',
    'per namespace, the oldest by creationTimestamp (`pilot/pkg/model/telemetry.go`',
    '`namespaceWideTelemetryConfig`), and ignores the others, so which one applies depends on the order they were',
    'created and can change when they are re-applied. Fix: merge them into one Telemetry, or give all but one a',
    '`selector`. Mirrors `istioctl analyze` IST0160 (MultipleTelemetriesWithoutWorkloadSelectors,',
    '`telemetry.DefaultSelectorAnalyzer`): a Telemetry counts when `spec.selector` is absent, and the analyzer reads',
    'neither `targetRef` nor `targetRefs`, so a Telemetry attached to a Gateway or Service by `targetRefs` counts too.',
    'istiod applies such a Telemetry to its targets only, not namespace-wide, so where the group holds fewer than two',
    'Telemetries without selector AND without targetRefs, the findings are info: istioctl reports them, istiod takes',
    'no arbitrary choice.',
  ].join(' '),
  kinds: ['Telemetry'],
  check(graph, ctx) {
    const defaults = new Map<string, MeshObject[]>();
    for (const t of graph.ofKind('Telemetry')) {
      if (t.spec.selector === undefined || t.spec.selector === null) push(defaults, t.namespace, t);
    }
    for (const [ns, list] of defaults) {
      if (list.length < 2) continue;
      const scope = ns === graph.rootNamespace ? 'every workload of the mesh (root namespace)' : `every workload of namespace ${ns}`;
      const namespaceWide = list.filter((t) => !usesTargetRefs(t)).length;
      for (const t of list) {
        const others = listSome(firstOthers(list, t).map((o) => o.name), SHOWN, list.length - 1);
        if (namespaceWide >= 2 && !usesTargetRefs(t)) {
          ctx.report(t, `The Telemetries ${t.name} and ${others} in namespace "${ns}" have no workload selector, which can lead to undefined behavior: istiod applies only the oldest of them to ${scope} and ignores the others. Fix: merge them into one Telemetry, or give all but one a selector`,
            { path: ['metadata', 'name'] });
          continue;
        }
        const attached = list.filter(usesTargetRefs).map((o) => o.name);
        ctx.report(t, `The Telemetries ${t.name} and ${others} in namespace "${ns}" have no workload selector as istioctl analyze reads them (IST0160): it does not read targetRefs, so ${listSome(attached, SHOWN, attached.length)} ${attached.length === 1 ? 'counts' : 'count'} although attached by targetRefs. istiod applies a targetRefs Telemetry to its targets only, so no Telemetry here is ignored and nothing needs fixing; this is info so that a run of istioctl analyze reporting it is no surprise`,
          { path: ['metadata', 'name'], severity: 'info' });
      }
    }
  },
};

export default multipleDefaultTelemetries;
