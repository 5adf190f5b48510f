import type { ServiceInfo } from '../../../mesh/graph.js';
import { hostMatches } from '../../../mesh/hosts.js';
import { isRecord } from '../../../mesh/object.js';
import { exportedTo, sidecarEgress, type EgressHost } from '../../../mesh/visibility.js';
import type { Rule } from '../../rule.js';

/** Whether the egress host entry `h` (not an exclusion) takes service `s`. */
function takes(h: EgressHost, s: ServiceInfo): boolean {
  return (h.namespace === '*' || h.namespace === s.namespace) && hostMatches(h.host, s.host);
}

/**
 * `sidecar/egress-port-matches-no-service`: a Sidecar egress listener bound to a port that none of the
 * services its hosts select has, so it imports nothing.
 */
const egressPortMatchesNoService: Rule = {
  id: 'sidecar/egress-port-matches-no-service',
  severity: 'warning',
  summary: 'A Sidecar egress listener is bound to a port that none of the services its hosts select exposes, so it imports nothing.',
  docs: [
    'An egress listener with a `port` (other than protocol HTTP_PROXY) imports only the services its hosts select that',
    'have that port, trimmed to it (pilot/pkg/model/sidecar.go needsPortMatch, serviceMatchingListenerPort): the port is a',
    'SERVICE port. Bound to a port none of them has, usually the container port behind a Service port (8080 behind port 80),',
    'the listener imports nothing, and the workload has no route or cluster for the services it was written for (with',
    '`REGISTRY_ONLY` or no other listener: 502 BlackHoleCluster, else passthrough around every policy). Judged only when the',
    'hosts select at least one service of the input visible to the Sidecar\'s namespace. Fix: bind the listener to the',
    'service port (the message names it when the written number is a targetPort), or drop `port` to import every port.',
  ].join(' '),
  kinds: ['Sidecar', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const sc of graph.ofKind('Sidecar')) {
      const egress = Array.isArray(sc.spec.egress) ? sc.spec.egress : [];
      for (const l of sidecarEgress(sc).listeners) {
        if (l.port === undefined || l.port === 0) continue;
        const written = egress[l.path[2] as number];
        const protocol = isRecord(written) && isRecord(written.port) ? written.port.protocol : undefined;
        if (typeof protocol === 'string' && protocol.toUpperCase() === 'HTTP_PROXY') continue;
        const imports = l.hosts.filter((h) => !h.excluded);
        const selected = graph.services.all.filter((s) => exportedTo(s.exportTo, s.namespace, sc.namespace) && imports.some((h) => takes(h, s)));
        if (selected.length === 0 || selected.some((s) => s.ports.length === 0)) continue;
        if (selected.some((s) => s.ports.some((p) => p.number === l.port))) continue;
        const named = selected.slice(0, 3).map((s) => `${s.kind} ${s.namespace}/${s.object.name} (ports ${s.ports.map((p) => p.number).join(', ')})`).join(', ');
        const behind = selected.flatMap((s) => s.ports.filter((p) => p.targetPort === l.port).map((p) => ({ s, p })))[0];
        const hint = behind
          ? `${l.port} is the targetPort of ${behind.s.kind} ${behind.s.namespace}/${behind.s.object.name} port ${behind.p.number}: bind the listener to ${behind.p.number}`
          : 'bind the listener to a port of those services, or drop port to import every port';
        ctx.report(sc, `Egress listener port ${l.port} matches no port of the services its hosts select (${named}${selected.length > 3 ? ', …' : ''}): ` +
          `istiod imports into a port-bound listener only services with that port, so this listener imports nothing and the workload has no route or cluster for them; ${hint}`,
        { path: [...l.path, 'port', 'number'] });
      }
    }
  },
};

export default egressPortMatchesNoService;
