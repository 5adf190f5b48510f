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
    'ideally by declaring the host in a single ServiceEntry. As in `istioctl analyze` IST0177',
    '(ConflictingServiceEntryProtocol), entries are compared per exportTo scope: two ServiceEntries conflict when',
    'both are visible in one namespace (the same namespace named, or one exported everywhere); a port without',
    '`protocol` (sniffed) differs from one declared TCP. Hosts are compared exactly as written (`API.example.com` and',
    '`api.example.com`, or a wildcard and a host it covers, are not compared). Each ServiceEntry is reported once.',
  ].join(' '),
  kinds: ['ServiceEntry'],
  check(graph, ctx) {
    // scope ("*" or a namespace) → "host:port" → uses, as Istio's analyzer indexes them.
    const uses = new Map<string, Map<string, PortUse[]>>();
    for (const se of graph.ofKind('ServiceEntry')) {
      const ports = Array.isArray(se.spec.ports) ? se.spec.ports : [];
      // Hosts as written: the analyzer keys on the raw string (no case folding, no short-name expansion).
      const hosts = new Set(stringList(se.spec.hosts) ?? []);
      for (const scope of scopesOf(se)) {
        let byKey = uses.get(scope);
        if (!byKey) uses.set(scope, (byKey = new Map()));
        ports.forEach((p, i) => {
          if (!isRecord(p) || typeof p.number !== 'number') return;
          const protocol = typeof p.protocol === 'string' ? p.protocol.toUpperCase() : '';
          const path: FieldPath = p.protocol !== undefined ? ['spec', 'ports', i, 'protocol'] : ['spec', 'ports', i];
          for (const host of hosts) push(byKey!, `${host}:${p.number}`, { se, protocol, path });
        });
      }
    }
    const everywhere = uses.get('*') ?? new Map<string, PortUse[]>();
    const reported = new Set<MeshObject>();
    for (const [scope, byKey] of uses) {
      for (const [hostPort, own] of byKey) {
        const list = scope === '*' ? own : [...own, ...(everywhere.get(hostPort) ?? [])];
        const byProtocol = new Map<string, PortUse[]>();
        for (const u of list) push(byProtocol, u.protocol, u);
        if (byProtocol.size < 2) continue;
        for (const u of list) {
          if (reported.has(u.se)) continue;
          reported.add(u.se);
          const shown: string[] = [];
          let total = 0;
          for (const [protocol, group] of byProtocol) {
            if (protocol === u.protocol) continue;
            for (const o of group) {
              if (o.se === u.se) continue;
              total++;
              if (shown.length < SHOWN) shown.push(`${o.protocol || 'no protocol (sniffed)'} in ${o.se.namespace}/${o.se.name}`);
            }
          }
          if (total === 0) continue;
          const where = scope === '*' ? 'every namespace' : `namespace ${scope}`;
          ctx.report(u.se, `${hostPort} is declared with ${u.protocol ? `protocol ${u.protocol}` : 'no protocol (sniffed)'} here but ${listSome(shown, SHOWN, total)} (both visible in ${where}); use one protocol for this host and port`, {
            path: u.path,
          });
        }
      }
    }
  },
};

/** Istio's exportTo scopes for the analyzer: `*` when absent or containing `*`, else each namespace (`.` = own). */
function scopesOf(se: MeshObject): Set<string> {
  const exportTo = stringList(se.spec.exportTo) ?? [];
  if (exportTo.length === 0 || exportTo.includes('*')) return new Set(['*']);
  return new Set(exportTo.map((e) => (e === '.' ? se.namespace : e)));
}

export default conflictingProtocols;
