import { HostIndex } from '../../../mesh/host-index.js';
import { analyzerHostKey } from '../../../mesh/hosts.js';
import type { MeshGraph } from '../../../mesh/graph.js';
import { stringList, type MeshObject } from '../../../mesh/object.js';
import { exportToOf, virtualServiceTier } from '../../../mesh/visibility.js';
import type { Rule } from '../../rule.js';
import { SHOWN, listSome } from '../_lists.js';
import { isMeshBound, nameOf } from './_helpers.js';

/** A mesh VirtualService's claim on one host in one exportTo scope. */
interface Claim {
  readonly vs: MeshObject;
  readonly hostIndex: number;
  readonly host: string;
}

/** Every namespace (`*`), or one namespace a VirtualService is exported to. */
type Scope = string;
const ALL: Scope = '*';

/**
 * The scopes Istio's analyzer files a VirtualService under: `*` when exportTo is absent or holds
 * `*`, else each namespace it names (`.` = its own). `~` (visible nowhere) gives no scope.
 */
function scopesOf(vs: MeshObject): Scope[] {
  const exportTo = stringList(vs.spec.exportTo) ?? [];
  if (exportTo.length === 0 || exportTo.includes('*')) return [ALL];
  return [...new Set(exportTo.filter((e) => e !== '~').map((e) => (e === '.' ? vs.namespace : e)))];
}

/** `routing/conflicting-mesh-hosts` (IST0109): one mesh VirtualService per host and visibility scope. */
const conflictingMeshHosts: Rule = {
  id: 'routing/conflicting-mesh-hosts',
  istioCode: 'IST0109',
  severity: 'error',
  summary: 'Two or more mesh-bound VirtualServices declare the same (or, across scopes, an overlapping) host in the same exportTo scope.',
  docs: [
    'For sidecars Istio does not merge the `http` routes of VirtualServices: when several bound to `mesh` declare the',
    'same host and are visible in the same namespace, only one of them is used on each port (the first with `http`',
    'routes for that port; the others are silently ignored there): a',
    'VirtualService of that namespace not exported everywhere comes first, then one exported to it by name, then those',
    'exported to every namespace, and within each of these the oldest, so which routes apply may depend on creation',
    'order. Their `tcp` and `tls` routes istiod does merge, in that same order (`getConfigsForHost`): `tcp` routes up to',
    'the first catch-all, `tls` matches except those repeating an earlier SNI, so there creation order decides which of',
    'two overlapping routes is used. The',
    'message names the one applied when that order decides it (a namespace overriding a host for its own sidecars',
    'with `exportTo: ["."]`; suppress the finding if that is intended). As `istioctl analyze` IST0109 does, VirtualServices are grouped',
    'by exportTo scope (every namespace, or each namespace named) and host after short-name expansion (`reviews` in',
    '`default` is `reviews.default.svc.cluster.local`), compared case-sensitively as written; a VirtualService exported to named namespaces also meets',
    'every VirtualService exported everywhere whose host overlaps its own, wildcards included (`*.catalog.example.com`',
    'and `*.example.com`). Two VirtualServices both exported everywhere conflict only on the same host. Deliberate',
    'differences: one VirtualService naming a host twice (short and FQDN) conflicts with nothing, and one exported to',
    '`~` (visible nowhere) is never reported. Fix: merge the VirtualServices into one, use `delegate` VirtualServices,',
    'or give them disjoint `exportTo`.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    // scope → host → claims (one per VirtualService), in input order.
    const byScope = new Map<Scope, Map<string, Claim[]>>();
    const exportedToAll = new HostIndex<Claim>();
    for (const vs of graph.ofKind('VirtualService')) {
      if (!isMeshBound(vs)) continue;
      const claims: Claim[] = [];
      const seen = new Set<string>();
      (Array.isArray(vs.spec.hosts) ? vs.spec.hosts : []).forEach((h, hostIndex) => {
        if (typeof h !== 'string' || h === '') return;
        const host = analyzerHostKey(h, vs.namespace, graph.clusterDomain);
        if (seen.has(host)) return;
        seen.add(host);
        claims.push({ vs, hostIndex, host });
      });
      for (const scope of scopesOf(vs)) {
        let hosts = byScope.get(scope);
        if (!hosts) byScope.set(scope, (hosts = new Map()));
        for (const c of claims) {
          const list = hosts.get(c.host);
          if (list) list.push(c);
          else hosts.set(c.host, [c]);
          if (scope === ALL) exportedToAll.add(c.host, c);
        }
      }
    }
    const reported = new Set<MeshObject>();
    for (const [scope, hosts] of byScope) {
      for (const [host, own] of hosts) {
        let group = own;
        if (scope !== ALL) {
          const mine = new Set(own.map((c) => c.vs));
          group = [...own, ...exportedToAll.all(host).filter((c) => !mine.has(c.vs))];
        }
        if (group.length < 2) continue;
        const where = scope === ALL ? 'every namespace' : `namespace ${scope}`;
        const fix = scope === ALL ? undefined : overrideOf(graph, group, scope);
        const head = group.slice(0, SHOWN + 1); // enough to name SHOWN rivals of anyone: messages stay O(1) each
        for (const c of group) {
          if (reported.has(c.vs)) continue;
          reported.add(c.vs);
          const shown = head.filter((o) => o.vs !== c.vs).slice(0, SHOWN).map((o) => `${nameOf(o.vs)}${o.host === c.host ? '' : ` (host ${o.host})`}`);
          ctx.report(
            c.vs,
            `Host ${c.host} is also declared by mesh VirtualService ${listSome(shown, SHOWN, group.length - 1)} (both visible in ${where}); ` +
              (fix ?? (l4Only(group)
                ? 'sidecars merge their tcp and tls routes in creation order, so a later tcp route after a catch-all, or a tls match repeating an earlier SNI, is never used: merge them into one VirtualService or separate them with exportTo'
                : 'sidecars use only one of them per port, so merge them into one VirtualService or separate them with exportTo')),
            { path: ['spec', 'hosts', c.hostIndex] },
          );
        }
      }
    }
  },
};

/**
 * When every claim of a scoped group is on one host and istiod's precedence for that namespace's sidecars
 * (`virtualServiceTier`) puts exactly one VirtualService first, what happens and what to do; else undefined.
 */
function overrideOf(graph: MeshGraph, group: readonly Claim[], scope: Scope): string | undefined {
  if (new Set(group.map((c) => c.host)).size !== 1) return undefined;
  const tiers: number[] = group.map((c) => virtualServiceTier(exportToOf(c.vs, graph.meshConfig).values, c.vs.namespace, scope));
  const first = Math.min(...tiers);
  if (tiers.filter((t) => t === first).length !== 1) return undefined;
  const winner = group[tiers.indexOf(first)]!.vs;
  const why = first === 0 ? 'a VirtualService of their own namespace that is not exported everywhere comes first' : 'one exported to their namespace by name comes before those exported to every namespace';
  if (l4Only(group)) {
    return `sidecars in ${scope} take the tcp and tls routes of ${nameOf(winner)} first (${why}), then the others' (tcp after a catch-all and tls repeating an earlier SNI never used); ` +
      'if that override is intended, suppress this finding (istioctl analyze reports it too), else merge them into one VirtualService';
  }
  return `sidecars in ${scope} apply ${nameOf(winner)} (${why}) and ignore the others for this host; ` +
    'if that override is intended, suppress this finding (istioctl analyze reports it too), else merge them into one VirtualService';
}

/** Whether no VirtualService of the group has `http` routes: istiod merges their `tcp` and `tls` routes instead of choosing one. */
function l4Only(group: readonly Claim[]): boolean {
  return group.every((c) => !Array.isArray(c.vs.spec.http) || c.vs.spec.http.length === 0);
}

export default conflictingMeshHosts;
