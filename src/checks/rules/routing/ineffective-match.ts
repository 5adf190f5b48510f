import type { Rule } from '../../rule.js';
import { describeMatch } from './_helpers.js';
import { istioRouteAnalysis } from './_istio-unreachable.js';

/** `routing/ineffective-match` (IST0131): a match entry that Istio's own analysis proves is never used. */
const ineffectiveMatch: Rule = {
  id: 'routing/ineffective-match',
  istioCode: 'IST0131',
  severity: 'info',
  summary: 'A match entry of an http, tcp or tls rule repeats an earlier one, or an earlier URI prefix covers it.',
  docs: [
    'The `match` list of a rule is ORed and rules are tried in order, so a match entry written identically to an',
    'earlier one never routes a request here; nor does an http match whose URI prefix an earlier match\'s prefix',
    'covers with the same port, method, authority, headers and query parameters. Exactly `istioctl analyze` IST0131',
    '(VirtualServiceIneffectiveMatch), over `http`, `tcp` and `tls`, including Istio\'s convention that a match',
    'without `method` stands for GET. It is dead config that misleads readers about where traffic goes. Fix: remove',
    'the entry, or move the rule with the more specific match first.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const i of istioRouteAnalysis(vs).ineffective) {
        const routes = vs.spec[i.section] as Record<string, unknown>[];
        const m = (routes[i.rule]!.match as unknown[])[i.match];
        const how = i.duplicate ? 'repeats' : 'is covered by the URI prefix of';
        ctx.report(
          vs,
          `Match[${i.match}] ${describeMatch(m)} of rule spec.${i.section}[${i.rule}] is never used: it ${how} match[${i.byMatch}] of rule spec.${i.section}[${i.byRule}]; ` +
            `remove it, or move the more specific match to a rule before spec.${i.section}[${i.byRule}]`,
          { path: i.path },
        );
      }
    }
  },
};

export default ineffectiveMatch;
