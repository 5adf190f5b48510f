import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import { destinationsOf } from './_helpers.js';
import type { RuleContext, Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

/** `references/destination-host-exists` (IST0101): every destination and mirror names a known host and port. */
const destinationHostExists: Rule = {
  id: 'references/destination-host-exists',
  istioCode: 'IST0101',
  severity: 'error',
  summary: 'A VirtualService destination or mirror names a host (or port) that no visible Service or ServiceEntry provides.',
  docs: [
    'Each `destination.host` and `mirror.host` must resolve to a Kubernetes Service or a ServiceEntry host',
    '(wildcard ServiceEntry hosts count) that is exported to the VirtualService namespace. Short names resolve',
    'against the VirtualService namespace (`reviews` → `reviews.<ns>.svc.cluster.local`); names with a dot are',
    'taken as written, so `reviews.prod` does not match a Service: write `reviews.prod.svc.cluster.local`.',
    'A `port.number` that is set must be a port of that host. Otherwise Envoy has no cluster for the route and',
    'requests fail with 503 (`NR` / cluster not found). Mirrors `istioctl analyze` IST0101.',
  ].join(' '),
  kinds: ['VirtualService', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { destination, path, what } of destinationsOf(vs)) checkDestination(graph, ctx, vs, destination, path, what);
    }
  },
};

function checkDestination(graph: MeshGraph, ctx: RuleContext, vs: MeshObject, d: Record<string, unknown>, path: FieldPath, what: string): void {
  if (typeof d.host !== 'string' || d.host === '') return; // schema validation reports a missing host
  const hostPath = [...path, 'host'];
  const resolved = graph.resolveHost(d.host, vs.namespace);
  const services = graph.servicesForHost(d.host, vs.namespace);
  if (services.length === 0) {
    const hidden = graph.services.forHost(resolved.fqdn, null);
    let hint = resolved.form === 'short' ? ` (resolved to ${resolved.fqdn})` : '';
    if (hidden.length > 0) {
      const s = hidden[0]!;
      hint = `: ${s.kind} ${s.namespace}/${s.object.name} exists but is not exported to namespace ${vs.namespace} (exportTo ${JSON.stringify(s.exportTo)})`;
    } else if (resolved.likely && graph.services.forHost(resolved.likely, vs.namespace).length > 0) {
      hint = `: Istio does not expand "${d.host}"; did you mean "${resolved.likely}"?`;
    }
    ctx.report(vs, `Referenced ${what} host not found: "${d.host}"${hint}`, { path: hostPath });
    return;
  }
  const port = isRecord(d.port) ? d.port.number : undefined;
  if (typeof port !== 'number') return;
  if (services.some((s) => s.ports.some((p) => p.number === port))) return;
  const available = [...new Set(services.flatMap((s) => s.ports.map((p) => (p.name ? `${p.number} (${p.name})` : `${p.number}`))))];
  ctx.report(vs, `Referenced ${what} host "${d.host}" has no port ${port}; ${available.length > 0 ? `it exposes ${available.join(', ')}` : 'it declares no ports'}`, {
    path: [...path, 'port', 'number'],
  });
}

export default destinationHostExists;
