import { formatPath } from '../../../mesh/parse.js';
import { isRecord } from '../../../mesh/object.js';
import { numberOption, type Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

const SECTIONS = ['http', 'tcp', 'tls'] as const;

/** `routing/weights-total-100`: the weights of a route's destinations must add up to a fixed total. */
const weightsTotal100: Rule = {
  id: 'routing/weights-total-100',
  severity: 'warning',
  summary: 'The destination weights of a VirtualService route do not add up to the required total (100 by default).',
  docs: [
    'Istio itself does not require weights to sum to 100: each destination receives `weight / sum(weights)` of',
    'the traffic, a destination without a weight counts as 0 when others have one, and a lone destination',
    'receives everything. A split like 80/10 therefore sends 88.9 % / 11.1 %, which is rarely what the author',
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
      for (const section of SECTIONS) {
        const routes = vs.spec[section];
        if (!Array.isArray(routes)) continue;
        routes.forEach((r, i) => {
          if (!isRecord(r) || !Array.isArray(r.route)) return;
          const dests = r.route.filter(isRecord);
          const path: FieldPath = ['spec', section, i, 'route'];
          const bad = dests.findIndex((d) => d.weight != null && !(typeof d.weight === 'number' && Number.isFinite(d.weight)));
          if (bad >= 0) {
            // No sum or share can be computed; schema/crd-validation (IST0106) reports the field itself.
            ctx.report(vs, `destination weights in ${formatPath(path)} cannot be added up: the weight of ${describe(dests[bad]!)} is not a number (got ${showWeight(dests[bad]!.weight)}); write an integer 0-100 (see the schema/crd-validation error on that field)`, { path: [...path, r.route.indexOf(dests[bad]!), 'weight'] });
            return;
          }
          const weights = dests.map((d) => (typeof d.weight === 'number' ? d.weight : undefined));
          if (dests.length <= 1 && weights[0] === undefined) return;
          const sum = weights.reduce<number>((a, w) => a + (w ?? 0), 0);
          if (sum === total) return;
          const shares = sum > 0 && Number.isFinite(sum)
            ? `; Istio will send ${dests.map((d, j) => `${describe(d)} ${pct((weights[j] ?? 0) / sum)}`).join(', ')}`
            : '';
          ctx.report(vs, `destination weights in ${formatPath(path)} add up to ${sum}, not ${total}${shares}`, { path });
        });
      }
    }
  },
};

function describe(d: Record<string, unknown>): string {
  const dest = isRecord(d.destination) ? d.destination : {};
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
