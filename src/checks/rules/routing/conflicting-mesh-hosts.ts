import { stringList, type MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { SHOWN, listSome } from '../_lists.js';
import { isMeshBound, nameOf } from './_helpers.js';

interface Claim {
  readonly vs: MeshObject;
  readonly hostIndex: number;
  /** Namespaces the VirtualService is visible in; null = every namespace. */
  readonly scope: ReadonlySet<string> | null;
}

/** `routing/conflicting-mesh-hosts` (IST0109): one mesh VirtualService per host and visibility scope. */
const conflictingMeshHosts: Rule = {
  id: 'routing/conflicting-mesh-hosts',
  istioCode: 'IST0109',
  severity: 'error',
  summary: 'Two or more mesh-bound VirtualServices declare the same host in overlapping exportTo scopes.',
  docs: [
    'For sidecars Istio does not merge VirtualServices: when several bound to `mesh` declare the same host and are',
    'visible in the same namespace, only one of them (the oldest) is used and the others are silently ignored, so',
    'which routes apply depends on creation order. Short hosts are compared after expansion (`reviews` in',
    '`default` equals `reviews.default.svc.cluster.local`). Fix: merge the VirtualServices into one, use',
    '`delegate` VirtualServices, or give them disjoint `exportTo`. Mirrors `istioctl analyze` IST0109.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    const byHost = new Map<string, Claim[]>();
    for (const vs of graph.ofKind('VirtualService')) {
      if (!isMeshBound(vs)) continue;
      const scope = scopeOf(vs);
      if (scope?.size === 0) continue;
      const seen = new Set<string>();
      (Array.isArray(vs.spec.hosts) ? vs.spec.hosts : []).forEach((h, hostIndex) => {
        if (typeof h !== 'string' || h === '') return;
        const fqdn = graph.resolveHost(h, vs.namespace).fqdn;
        if (seen.has(fqdn)) return;
        seen.add(fqdn);
        const claim = { vs, hostIndex, scope };
        const list = byHost.get(fqdn);
        if (list) list.push(claim);
        else byHost.set(fqdn, [claim]);
      });
    }
    for (const [fqdn, claims] of byHost) {
      if (claims.length < 2) continue;
      // Claims with the same exportTo have the same rivals: compute them once per scope, not per claim.
      const byScope = new Map<string, { rivals: Claim[]; where: string }>();
      for (const c of claims) {
        const key = scopeKey(c.scope);
        let found = byScope.get(key);
        if (!found) {
          const rivals = claims.filter((o) => overlap(c.scope, o.scope));
          const where = rivals.filter((o) => o.vs !== c.vs).map((o) => shared(c.scope, o.scope)).find((w) => w !== 'every namespace') ?? 'every namespace';
          byScope.set(key, (found = { rivals, where }));
        }
        const total = found.rivals.length - (found.rivals.includes(c) ? 1 : 0);
        if (total === 0) continue;
        const shown = found.rivals.filter((o) => o !== c).slice(0, SHOWN).map((o) => nameOf(o.vs));
        ctx.report(
          c.vs,
          `Host ${fqdn} is also declared by mesh VirtualService ${listSome(shown, SHOWN, total)} (both visible in ${found.where}); ` +
            `sidecars use only one of them, so merge them into one VirtualService or separate them with exportTo`,
          { path: ['spec', 'hosts', c.hostIndex] },
        );
      }
    }
  },
};

/** `exportTo` as a set of namespaces (`.` resolved), null for `*` / absent, empty for `~`. */
function scopeOf(vs: MeshObject): Set<string> | null {
  const exportTo = stringList(vs.spec.exportTo);
  if (!exportTo || exportTo.length === 0 || exportTo.includes('*')) return null;
  return new Set(exportTo.filter((e) => e !== '~').map((e) => (e === '.' ? vs.namespace : e)));
}

/** One string per scope: `*` for every namespace, else the sorted namespaces. */
function scopeKey(scope: ReadonlySet<string> | null): string {
  return scope === null ? '*' : [...scope].sort().join(',');
}

/** Where two scopes overlap, for messages. */
function shared(a: ReadonlySet<string> | null, b: ReadonlySet<string> | null): string {
  if (a === null && b === null) return 'every namespace';
  const ns = a === null ? [...b!] : b === null ? [...a] : [...a].filter((n) => b.has(n));
  return `namespace${ns.length > 1 ? 's' : ''} ${ns.sort().join(', ')}`;
}

function overlap(a: ReadonlySet<string> | null, b: ReadonlySet<string> | null): boolean {
  if (a === null) return b === null || b.size > 0;
  if (b === null) return a.size > 0;
  for (const ns of a) if (b.has(ns)) return true;
  return false;
}

export default conflictingMeshHosts;
