import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { httpPortsOf, httpRulesOf, ruleLabel } from './_helpers.js';

/**
 * `routing/match-port-not-served`: an http match entry's `port` is none of the ports where the
 * VirtualService's http rules meet requests, so that entry never matches.
 */
const matchPortNotServed: Rule = {
  id: 'routing/match-port-not-served',
  severity: 'warning',
  summary: 'A VirtualService http match entry names a port where its http rules never see a request (often the container port instead of the Service port, or a gateway pod port instead of the server port), so the entry never matches.',
  docs: [
    '`match[].port` compares with the port the request arrived on at the proxy: for sidecars the Service (or',
    'ServiceEntry) port the client called, which names the outbound listener; for a gateway the Gateway server port.',
    'istiod builds each port\'s route table separately and leaves out the match entries whose port is another',
    '(pilot/pkg/networking/core/route/route.go: a match with a port other than the listener\'s is skipped), so an',
    'entry naming the container port (`targetPort`), a gateway pod port or a TCP port never matches; when it is the',
    'rule\'s only entry, the rule is dead and its requests fall through to the later rules. Judged only when every host',
    'of the VirtualService is in the input (so its ports are known), the entry does not narrow `gateways`, and no Sidecar',
    'egress listener uses the port (its routes are matched on the listener port). Fix:',
    'use the Service port (or the Gateway server port), or remove the port to match on every port.',
  ].join(' '),
  kinds: ['VirtualService', 'Service', 'ServiceEntry', 'Gateway'],
  check(graph, ctx) {
    // A Sidecar egress listener on port N makes N a listener port of its workloads (its routes are matched there).
    const egressPorts = new Set(graph.ofKind('Sidecar').flatMap((sc) => (Array.isArray(sc.spec.egress) ? sc.spec.egress : [])
      .flatMap((l) => (isRecord(l) && isRecord(l.port) && typeof l.port.number === 'number' ? [l.port.number] : []))));
    for (const vs of graph.ofKind('VirtualService')) {
      const served = httpPortsOf(graph, vs);
      if (served === null || served.size === 0) continue;
      for (const r of httpRulesOf(vs)) {
        r.matches.forEach((m, j) => {
          if (typeof m.port !== 'number' || served.has(m.port) || egressPorts.has(m.port) || (stringList(m.gateways) ?? []).length > 0) return;
          const only = r.matches.length === 1 ? '; it is the rule\'s only match entry, so the whole rule is dead and its requests fall through to the later rules' : '';
          ctx.report(vs, `Match[${j}] port ${m.port} of ${ruleLabel(r)} never matches: the http rules of this VirtualService meet requests only on port${served.size > 1 ? 's' : ''} ` +
            `${[...served].sort((a, b) => a - b).join(', ')}${hint(graph, vs, m.port, served)}${only}. ` +
            'A match port is the port the client called (the Service port, or the Gateway server port), not the container port: use one of those ports, or remove port', { path: [...r.path, 'match', j, 'port'] });
        });
      }
    }
  },
};

/** Why the port is not served: a targetPort behind a served port, or a port of the host that carries no HTTP; else ''. */
function hint(graph: MeshGraph, vs: MeshObject, port: number, served: ReadonlySet<number>): string {
  for (const h of stringList(vs.spec.hosts) ?? []) {
    for (const s of graph.servicesForHost(graph.resolveHost(h, vs.namespace).fqdn, vs.namespace)) {
      const p = s.ports.find((x) => x.targetPort === port && served.has(x.number));
      if (p) return ` (${port} is the targetPort of ${s.kind} ${s.namespace}/${s.object.name} port ${p.number}: write ${p.number})`;
      const own = s.ports.find((x) => x.number === port);
      if (own) return ` (port ${port} of ${s.kind} ${s.namespace}/${s.object.name} carries ${own.protocol}: the sidecars proxy it without http routes; match it in tcp or tls routes)`;
    }
  }
  return '';
}

export default matchPortNotServed;
