import { exportToOf, exportToProblems } from '../../../mesh/visibility.js';
import type { Rule } from '../../rule.js';

const KINDS = ['VirtualService', 'DestinationRule', 'ServiceEntry'] as const;

/** `validation/export-to` (IST0106): a `spec.exportTo` list Istio's admission webhook refuses. */
const exportTo: Rule = {
  id: 'validation/export-to',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A VirtualService, DestinationRule or ServiceEntry whose exportTo Istio\'s admission webhook refuses: a namespace twice ("." and its own name), "*" or "~" beside other values, "~" outside a ServiceEntry, a bad namespace name, or a workloadSelector DestinationRule exported beyond its namespace.',
  docs: [
    'Istio\'s `validateExportTo` (pkg/config/validation) checks `spec.exportTo` of VirtualServices, DestinationRules and',
    'ServiceEntries beyond the CRD schema. Each entry is ".", "*" or a namespace name (DNS-1123 label); "." counts as the',
    'object\'s own namespace, so `[".", "<own namespace>"]` is a duplicate; "*" cannot be combined with other values; "~"',
    '(visible to no namespace) is accepted only on a ServiceEntry, and alone there; a DestinationRule with `workloadSelector`',
    'may be exported only to its own namespace. The webhook then refuses the whole object: `kubectl apply` fails, the',
    'host, routes or traffic policy it meant to publish exist nowhere, and `istioctl analyze` reports IST0106. The',
    '`networking.istio.io/exportTo` annotation of a Service is read by istiod without a webhook and is not judged here.',
    'Fix: list each namespace once (either "." or the name), keep "*" or "~" alone, and write a DestinationRule with',
    '`workloadSelector` in the namespace of the clients it configures.',
  ].join(' '),
  kinds: [...KINDS],
  check(graph, ctx) {
    for (const kind of KINDS) {
      for (const o of graph.ofKind(kind)) {
        const e = exportToOf(o, graph.meshConfig);
        if (e.source !== 'spec') continue;
        for (const p of exportToProblems(o, e)) ctx.report(o, p.message, { path: p.path });
      }
    }
  },
};

export default exportTo;
