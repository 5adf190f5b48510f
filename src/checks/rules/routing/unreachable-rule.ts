import type { Rule } from '../../rule.js';
import { istioRouteAnalysis } from './_istio-unreachable.js';

const REASONS = {
  'only the last rule can have no matches': 'only the last rule can have no matches, and an earlier rule has none',
  'route without matches defined before': 'an earlier rule has no matches and takes every request',
  'all matches used by prior rules': 'all its matches repeat matches of earlier rules',
} as const;

/** `routing/unreachable-rule` (IST0130): a route rule that Istio's own analysis proves is never used. */
const unreachableRule: Rule = {
  id: 'routing/unreachable-rule',
  istioCode: 'IST0130',
  severity: 'warning',
  summary: 'An http, tcp or tls rule can never match: an earlier rule has no matches, or earlier rules repeat all its matches.',
  docs: [
    'Rules are tried in order and the first that matches wins. A rule without `match` takes every request, so any',
    'rule after it is dead; a rule whose every match entry repeats one of an earlier rule is dead too. Exactly',
    '`istioctl analyze` IST0130 (VirtualServiceUnreachableRule), over `http`, `tcp` and `tls` alike: matches are',
    'compared as written (an HTTP match\'s `name` aside). Rules that are dead for subtler reasons (an earlier',
    '`prefix: /`, a covering prefix) are `routing/shadowed-rule`. Fix: move the specific rules before the general',
    'one, or delete the dead rule.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      const seen = new Set<string>();
      for (const u of istioRouteAnalysis(vs).unreachable) {
        const id = `${u.section}/${u.rule}`;
        if (seen.has(id)) continue;
        seen.add(id);
        ctx.report(vs, `Rule spec.${u.section}[${u.rule}]${nameOf(vs.spec[u.section], u.rule)} is never used: ${REASONS[u.reason]}; move it above them or remove it`, { path: u.path });
      }
    }
  },
};

function nameOf(routes: unknown, i: number): string {
  const r = Array.isArray(routes) ? (routes[i] as { name?: unknown }) : undefined;
  return r && typeof r.name === 'string' && r.name !== '' ? ` ("${r.name}")` : '';
}

export default unreachableRule;
