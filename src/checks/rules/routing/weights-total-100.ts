import { formatPath } from '../../../mesh/parse.js';
import { routeRulesOf } from '../../../mesh/route-rules.js';
import { numberOption, type Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

/** `routing/weights-total-100`: the weights of a route's destinations must add up to a fixed total. */
const weightsTotal100: Rule = {
  id: 'routing/weights-total-100',
  severity: 'warning',
  summary: 'The destination weights of a VirtualService route do not add up to the required total (100 by default).',
  docs: [
    'Istio itself does not require weights to sum to 100: each destination receives `weight / sum(weights)` of',
    'the traffic, a destination without a weight counts as 0 when others have one, and a lone destination',
    'receives everything whatever its weight (pilot\'s route translation turns its weight 0 into 100), so a route',
    'with one destination is never reported. A split like 80/10 therefore sends 88.9 % / 11.1 %, which is rarely what the author',
    'meant. This rule enforces the common team policy that every split adds up to a fixed total.',
    'Option `total` (default 100). Fix: adjust the weights so they add up to the total.',
  ].join(' '),
  kinds: ['VirtualService'],
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { total: { description: 'Required sum of the weights of each route.', type: 'integer', minimum: 1, maximum: 1_000_000 } },
  },
  check(graph, ctx) {
    const total = numberOption(ctx.options, 'total', 100);
    for (const vs of graph.ofKind('VirtualService')) {
      for (const r of routeRulesOf(vs)) {
        const dests = r.destinations;
        const path: FieldPath = [...r.path, 'route'];
        const bad = dests.find((d) => d.weight != null && !(typeof d.weight === 'number' && Number.isFinite(d.weight)));
        if (bad) {
          // No sum or share can be computed; schema/crd-validation (IST0106) reports the field itself.
          ctx.report(vs, `destination weights in ${formatPath(path)} cannot be added up: the weight of ${describe(bad.destination)} is not a number (got ${showWeight(bad.weight)}); write an integer 0-100 (see the schema/crd-validation error on that field)`, { path: [...bad.path, 'weight'] });
          continue;
        }
        const weights = dests.map((d) => (typeof d.weight === 'number' ? d.weight : undefined));
        // A lone destination gets all the traffic whatever its weight (pilot route.go: weight 0 becomes 100).
        if (dests.length <= 1) continue;
        const sum = weights.reduce<number>((a, w) => a + (w ?? 0), 0);
        if (sum === total) continue;
        const shares = sum > 0 && Number.isFinite(sum)
          ? `; Istio will send ${dests.map((d, j) => `${describe(d.destination)} ${pct((weights[j] ?? 0) / sum)}`).join(', ')}`
          : '';
        ctx.report(vs, `destination weights in ${formatPath(path)} add up to ${sum}, not ${total}${shares}`, { path });
      }
    }
  },
};

function describe(dest: Readonly<Record<string, unknown>>): string {
  const host = typeof dest.host === 'string' ? dest.host : '?';
  return typeof dest.subset === 'string' ? `${host}/${dest.subset}` : host;
}

/** A weight as the YAML author wrote it: `.inf`/`.nan` for non-finite numbers, JSON otherwise. */
function showWeight(w: unknown): string {
  if (typeof w === 'number') return Number.isNaN(w) ? '.nan' : w > 0 ? '.inf' : '-.inf';
  return JSON.stringify(w) ?? String(w);
}

function pct(x: number): string {
  return `${(Math.round(x * 1000) / 10).toString()} %`;
}

export default weightsTotal100;
