import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import { push } from '../../../mesh/services.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

interface PortUse {
  readonly se: MeshObject;
  readonly protocol: string;
  readonly path: FieldPath;
}

/** `serviceentry/conflicting-protocols` (IST0177): one host and port declared with different protocols. */
const conflictingProtocols: Rule = {
  id: 'serviceentry/conflicting-protocols',
  istioCode: 'IST0177',
  severity: 'warning',
  summary: 'The same host and port appear in several ServiceEntries with different protocols.',
  docs: [
    'Istio merges ServiceEntries for the same host; a port can have only one protocol, so when two ServiceEntries',
    'declare the same host and port number as, say, HTTP and TLS, one of them wins and the other\'s clients get',
    'the wrong listener (HTTP parsing of TLS bytes, or no routing). Fix: use one protocol for the port everywhere,',
    'ideally by declaring the host in a single ServiceEntry. Mirrors `istioctl analyze` IST0177.',
  ].join(' '),
  kinds: ['ServiceEntry'],
  check(graph, ctx) {
    const uses = new Map<string, PortUse[]>();
    for (const se of graph.ofKind('ServiceEntry')) {
      const ports = Array.isArray(se.spec.ports) ? se.spec.ports : [];
      const hosts = (stringList(se.spec.hosts) ?? []).map((h) => graph.resolveHost(h, se.namespace).fqdn);
      ports.forEach((p, i) => {
        if (!isRecord(p) || typeof p.number !== 'number') return;
        const protocol = typeof p.protocol === 'string' && p.protocol !== '' ? p.protocol.toUpperCase() : 'TCP';
        const path: FieldPath = p.protocol !== undefined ? ['spec', 'ports', i, 'protocol'] : ['spec', 'ports', i];
        for (const host of new Set(hosts)) push(uses, `${host}:${p.number}`, { se, protocol, path });
      });
    }
    for (const [hostPort, list] of uses) {
      if (new Set(list.map((u) => u.protocol)).size < 2) continue;
      for (const u of list) {
        const others = list
          .filter((o) => o.se !== u.se && o.protocol !== u.protocol)
          .map((o) => `${o.protocol} in ${o.se.namespace}/${o.se.name}`);
        if (others.length === 0) continue;
        ctx.report(u.se, `${hostPort} is declared with protocol ${u.protocol} here but ${[...new Set(others)].join(', ')}; use one protocol for this host and port`, {
          path: u.path,
        });
      }
    }
  },
};

export default conflictingProtocols;
