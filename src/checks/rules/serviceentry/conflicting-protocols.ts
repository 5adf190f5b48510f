import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import { push } from '../../../mesh/services.js';
import type { Rule } from '../../rule.js';
import { SHOWN, listSome } from '../_lists.js';
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
      const byProtocol = new Map<string, PortUse[]>();
      for (const u of list) push(byProtocol, u.protocol, u);
      if (byProtocol.size < 2) continue;
      // Uses of one ServiceEntry never count as each other's rivals.
      const bySe = new Map<MeshObject, PortUse[]>();
      for (const u of list) push(bySe, u.se, u);
      for (const u of list) {
        const ownOther = bySe.get(u.se)!.filter((o) => o.protocol !== u.protocol).length;
        const total = list.length - byProtocol.get(u.protocol)!.length - ownOther;
        if (total <= 0) continue;
        const shown: string[] = [];
        for (const [protocol, group] of byProtocol) {
          if (protocol === u.protocol) continue;
          for (const o of group) {
            if (shown.length === SHOWN) break;
            if (o.se !== u.se) shown.push(`${o.protocol} in ${o.se.namespace}/${o.se.name}`);
          }
        }
        ctx.report(u.se, `${hostPort} is declared with protocol ${u.protocol} here but ${listSome(shown, SHOWN, total)}; use one protocol for this host and port`, {
          path: u.path,
        });
      }
    }
  },
};

export default conflictingProtocols;
