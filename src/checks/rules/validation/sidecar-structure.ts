import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';

/** `validation/sidecar-structure` (IST0106): Sidecar egress listeners Istio's ValidateSidecar refuses beyond the CRD schema. */
const sidecarStructure: Rule = {
  id: 'validation/sidecar-structure',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A Sidecar whose egress listeners Istio\'s admission webhook refuses: a listener without port that is not the last, two without port, or two on the same port.',
  docs: [
    'Istio\'s `ValidateSidecar` (pkg/config/validation) refuses egress listeners the CRD schema lets through: the',
    'catch-all listener (no `port`) must be the last one ("the egress listener with empty port should be the last',
    'listener in the list"), there can be only one ("egress can have only one listener with empty port"), and two',
    'listeners bound to IP addresses may not use the same port number ("ports on IP bound listeners must be unique").',
    'The whole Sidecar is then refused, so the workloads keep the namespace or mesh default. `kubectl apply` fails',
    'with the webhook\'s message and `istioctl analyze` reports IST0106. Fix: move the listener without port to the',
    'end, merge the duplicates.',
  ].join(' '),
  kinds: ['Sidecar'],
  check(graph, ctx) {
    for (const sc of graph.ofKind('Sidecar')) {
      const egress = Array.isArray(sc.spec.egress) ? sc.spec.egress : [];
      let catchAll = false;
      const ports = new Set<number>();
      egress.forEach((l, i) => {
        if (!isRecord(l)) return;
        const path = ['spec', 'egress', i];
        if (!isRecord(l.port)) {
          if (catchAll) {
            ctx.report(sc, `sidecar: egress can have only one listener with empty port: spec.egress[${i}] is a second listener without port; merge its hosts into the last one`, { path });
          } else if (i !== egress.length - 1) {
            ctx.report(sc, `sidecar: the egress listener with empty port should be the last listener in the list: spec.egress[${i}] has no port but ${egress.length - 1 - i} listener(s) follow it; move it to the end`, { path });
          } else {
            catchAll = true;
          }
          return;
        }
        const n = l.port.number;
        if (typeof n !== 'number' || n <= 0) return;
        if (ports.has(n)) ctx.report(sc, `sidecar: ports on IP bound listeners must be unique: spec.egress[${i}] repeats port ${n}; merge the two listeners' hosts`, { path: [...path, 'port', 'number'] });
        ports.add(n);
      });
    }
  },
};

export default sidecarStructure;
