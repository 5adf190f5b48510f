import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { formatPath } from '../../../mesh/parse.js';
import { capitalize, hostOf, httpRulesOf, portOf, ruleLabel, subsetOf } from './_helpers.js';

/** `routing/mirror-target`: a mirror duplicates traffic to something other than where the route already sends it. */
const mirrorTarget: Rule = {
  id: 'routing/mirror-target',
  severity: 'error',
  summary: 'A mirror targets the destination that already receives all of the route\'s traffic, or repeats another mirror.',
  docs: [
    'Mirroring copies each request (fire-and-forget, Host suffixed `-shadow`) to a second destination so a new',
    'version can be compared with the one serving traffic. Mirroring to the only destination the route already',
    'sends 100 % to just doubles that destination\'s load (and any side effects of non-idempotent requests) and',
    'compares nothing; the usual cause is a copy-paste that forgot to change the subset. Listing the same target',
    'twice in `mirrors` sends two copies. Mirroring to a subset that is also one of several weighted destinations',
    'is fine. Fix: mirror to the candidate subset or service. Mirror hosts and subsets that do not exist are',
    'reported by `references/destination-host-exists` and `references/subset-exists`.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const r of httpRulesOf(vs)) {
        const mirrors = mirrorsOf(r.rule, r.path);
        if (mirrors.length === 0) continue;
        const primary = soleTarget(graph, vs, r.rule);
        const seen = new Map<string, FieldPath>();
        for (const m of mirrors) {
          const target = targetOf(graph, vs, m.destination);
          if (target === null) continue;
          const label = describe(m.destination);
          if (primary !== null && sameTarget(primary, target)) {
            ctx.report(
              vs,
              `${capitalize(ruleLabel(r))} mirrors to ${label}, the destination that already receives 100 % of its traffic: every request hits it twice; ` +
                'mirror to the candidate subset or service instead',
              { path: [...m.path, 'host'] },
            );
          }
          const key = `${target.fqdn}|${target.subset}|${target.port ?? ''}`;
          const earlier = seen.get(key);
          if (earlier) ctx.report(vs, `Mirror ${formatPath(m.path)} repeats the target ${label} of ${formatPath(earlier)}: each request is mirrored to it twice; remove one`, { path: [...m.path, 'host'] });
          else seen.set(key, m.path);
        }
      }
    }
  },
};

interface Target {
  readonly fqdn: string;
  readonly subset: string;
  readonly port: number | undefined;
}

function targetOf(graph: MeshGraph, vs: MeshObject, d: Readonly<Record<string, unknown>>): Target | null {
  const host = hostOf(d);
  return host === undefined ? null : { fqdn: graph.resolveHost(host, vs.namespace).fqdn, subset: subsetOf(d) ?? '', port: portOf(d) };
}

function sameTarget(a: Target, b: Target): boolean {
  return a.fqdn === b.fqdn && a.subset === b.subset && (a.port === undefined || b.port === undefined || a.port === b.port);
}

function mirrorsOf(rule: Readonly<Record<string, unknown>>, path: FieldPath): { destination: Readonly<Record<string, unknown>>; path: FieldPath }[] {
  const out: { destination: Readonly<Record<string, unknown>>; path: FieldPath }[] = [];
  if (isRecord(rule.mirror)) out.push({ destination: rule.mirror, path: [...path, 'mirror'] });
  if (Array.isArray(rule.mirrors)) {
    rule.mirrors.forEach((m, k) => {
      if (isRecord(m) && isRecord(m.destination)) out.push({ destination: m.destination, path: [...path, 'mirrors', k, 'destination'] });
    });
  }
  return out;
}

/** The one target that receives all of a rule's traffic (weight > 0, or the lone destination), or null for a real split. */
function soleTarget(graph: MeshGraph, vs: MeshObject, rule: Readonly<Record<string, unknown>>): Target | null {
  const dests = (Array.isArray(rule.route) ? rule.route : []).filter(isRecord).filter((d) => isRecord(d.destination));
  if (dests.length === 0) return null;
  const weighted = dests.some((d) => typeof d.weight === 'number');
  const receiving = dests.length === 1 ? dests : weighted ? dests.filter((d) => typeof d.weight === 'number' && d.weight > 0) : dests;
  const targets = receiving.map((d) => targetOf(graph, vs, d.destination as Record<string, unknown>));
  const first = targets[0];
  if (!first || targets.some((t) => t === null || !sameTarget(first, t))) return null;
  return first;
}

function describe(d: Readonly<Record<string, unknown>>): string {
  const subset = subsetOf(d);
  const port = portOf(d);
  return `"${hostOf(d) ?? '?'}"${subset ? ` subset "${subset}"` : ''}${port !== undefined ? ` port ${port}` : ''}`;
}

export default mirrorTarget;
