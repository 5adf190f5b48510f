import type { ServiceInfo } from '../../../mesh/services.js';
import { selects } from '../../../mesh/services.js';
import { isRecord } from '../../../mesh/object.js';
import { closest } from '../../config/did-you-mean.js';
import type { Rule } from '../../rule.js';

/** `80 (http)`, the ports of a service as messages list them. */
const describe = (s: ServiceInfo): string => s.ports.map((p) => `${p.name || '(unnamed)'} ${p.number}`).join(', ');

/**
 * `serviceentry/workloadentry-port-name-not-found`: a WorkloadEntry `ports` key that names no port of the
 * Services and ServiceEntries selecting the entry, so its endpoint port never applies.
 */
const workloadEntryPortNameNotFound: Rule = {
  id: 'serviceentry/workloadentry-port-name-not-found',
  severity: 'warning',
  summary: 'A WorkloadEntry ports key names no port of the Services and ServiceEntries that select the entry, so the endpoint port it maps is never used and traffic goes to the service port\'s targetPort or number instead.',
  docs: [
    'A WorkloadEntry\'s `ports` map is keyed by the NAME of a service port: istiod gives the entry\'s endpoint of',
    'each service port the mapped number when the map has that port\'s name, else the port\'s `targetPort`, else',
    'its number (pilot/pkg/serviceregistry/serviceentry/conversion.go; the Kubernetes registry does the same for',
    'Services selecting WorkloadEntries). A key that is no port name of any Service or ServiceEntry selecting the',
    'entry (its workloadSelector or selector labels, in the entry\'s namespace) maps nothing: the VM receives the',
    'traffic on the other port, where it usually does not listen (connection refused, 503 UF). Judged when the',
    'input holds a service selecting the entry. Fix: key the map by the service port\'s name, or rename the port.',
  ].join(' '),
  kinds: ['WorkloadEntry', 'ServiceEntry', 'Service'],
  check(graph, ctx) {
    for (const we of graph.ofKind('WorkloadEntry')) {
      const map = isRecord(we.spec.ports) ? we.spec.ports : {};
      const ports = Object.keys(map);
      if (ports.length === 0) continue;
      const labels = isRecord(we.spec.labels) ? Object.fromEntries(Object.entries(we.spec.labels).map(([k, v]) => [k, String(v)])) : {};
      const seen = new Set<unknown>();
      const services = graph.services.all.filter((s) => {
        if (s.namespace !== we.namespace || !s.selector || Object.keys(s.selector).length === 0 || !selects(s.selector, labels) || seen.has(s.object)) return false;
        seen.add(s.object);
        return true;
      });
      if (services.length === 0) continue;
      const names = new Set(services.flatMap((s) => s.ports.map((p) => p.name)).filter((n) => n !== ''));
      for (const key of ports.filter((k) => !names.has(k))) {
        const near = closest(key, [...names]);
        const by = services.map((s) => `${s.kind} ${s.namespace}/${s.object.name} (ports ${describe(s)})`).join(', ');
        ctx.report(we, `ports key "${key}" names no port of ${by}: istiod looks the endpoint port up by the service port's name, so ${String(map[key])} ` +
          `is never used and this entry receives the traffic on the port's targetPort or number instead; key the map by the port's name${near ? ` (did you mean "${near}"?)` : ''}`,
        { path: ['spec', 'ports', key] });
      }
    }
  },
};

export default workloadEntryPortNameNotFound;
