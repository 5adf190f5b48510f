import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { capitalize, httpRulesOf, ruleLabel } from './_helpers.js';

/** `host|subset|port` of a destination, with the short host expanded in `namespace`. */
function keyOf(d: Record<string, unknown>, resolve: (h: string) => string): string | null {
  if (typeof d.host !== 'string' || d.host === '') return null;
  const port = isRecord(d.port) && typeof d.port.number === 'number' ? d.port.number : '';
  return `${resolve(d.host)}|${typeof d.subset === 'string' ? d.subset : ''}|${port}`;
}

/** `routing/mirror-to-weighted-destination`: a mirror copies requests to a destination that already takes a weighted share of them. */
const mirrorToWeightedDestination: Rule = {
  id: 'routing/mirror-to-weighted-destination',
  severity: 'warning',
  summary: 'A route mirrors to a destination that is also one of its weighted destinations, so the requests routed there are processed twice.',
  docs: [
    'Mirroring sends a copy of every request of the route (or `mirrorPercentage` of them) to the mirror target. When',
    'that target is also one of the weighted destinations, the requests the split sends there arrive twice: once',
    'served and once as the shadow copy (Host suffixed `-shadow`). Non-idempotent requests (payments, emails) then',
    'take effect twice, and the target\'s metrics count double, which defeats comparing it with the others. Fix:',
    'mirror to a subset that takes no live traffic, or drop the mirror once the candidate takes real traffic.',
    '(`routing/mirror-target` reports the case where the mirror target takes all of the traffic.)',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      const resolve = (h: string) => graph.resolveHost(h, vs.namespace).fqdn;
      for (const r of httpRulesOf(vs)) {
        const route = Array.isArray(r.rule.route) ? r.rule.route.filter(isRecord) : [];
        if (route.length < 2) continue;
        const weighted = new Map<string, number>();
        for (const d of route) {
          const weight = typeof d.weight === 'number' ? d.weight : 0;
          const key = isRecord(d.destination) ? keyOf(d.destination, resolve) : null;
          if (key && weight > 0) weighted.set(key, (weighted.get(key) ?? 0) + weight);
        }
        const total = [...weighted.values()].reduce((a, b) => a + b, 0);
        const mirrors: [Record<string, unknown>, FieldPath][] = [];
        if (isRecord(r.rule.mirror)) mirrors.push([r.rule.mirror, [...r.path, 'mirror']]);
        (Array.isArray(r.rule.mirrors) ? r.rule.mirrors : []).forEach((m, k) => {
          if (isRecord(m) && isRecord(m.destination)) mirrors.push([m.destination, [...r.path, 'mirrors', k, 'destination']]);
        });
        for (const [m, path] of mirrors) {
          const key = keyOf(m, resolve);
          const weight = key ? weighted.get(key) : undefined;
          if (weight === undefined || weight >= total) continue;
          const label = `${String(m.host)}${typeof m.subset === 'string' ? ` subset ${m.subset}` : ''}`;
          ctx.report(vs, `${capitalize(ruleLabel(r))} mirrors to ${label}, which also takes ${Math.round((weight / total) * 1000) / 10} % of its traffic by weight: those requests are processed twice ` +
            '(served and mirrored); mirror to a subset without live traffic, or remove the mirror', { path });
        }
      }
    }
  },
};

export default mirrorToWeightedDestination;
