import type { Rule } from '../../rule.js';
import { analyzeHttpRules, describeMatch, ruleLabel } from './_helpers.js';

/** `routing/ineffective-match` (IST0131): no match entry that an earlier match already takes. */
const ineffectiveMatch: Rule = {
  id: 'routing/ineffective-match',
  istioCode: 'IST0131',
  severity: 'info',
  summary: 'A match entry of an http rule is identical to, or covered by, an earlier match entry and never decides a request.',
  docs: [
    'The `match` list of a rule is ORed and rules are tried in order, so a match entry that an earlier entry',
    'already takes (written identically, or covered: `prefix: /api` takes everything `prefix: /api/v1` or',
    '`exact: /api/x` would) never routes a request here. It is dead config that misleads readers about where',
    'traffic goes. Fix: remove the entry, or move the rule with the more specific match first. When every match',
    'of a rule is taken, `routing/unreachable-rule` reports the whole rule instead. Mirrors `istioctl analyze` IST0131.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const r of analyzeHttpRules(vs)) {
        if (r.unreachable) continue;
        for (const s of r.shadowed) {
          const where = s.byRule === r.rule ? `match[${s.byMatch}] of the same rule` : `match[${s.byMatch}] of ${ruleLabel(s.byRule)}`;
          const path = [...r.rule.path, 'match', s.match];
          ctx.report(
            vs,
            `Match[${s.match}] ${describeMatch(r.rule.matches[s.match])} of ${ruleLabel(r.rule)} is never used: it ${s.exact ? 'repeats' : 'is covered by'} ${where}; ` +
              (s.byRule === r.rule ? 'remove it' : `remove it, or move the more specific match to a rule before ${ruleLabel(s.byRule)}`),
            { path },
          );
        }
      }
    }
  },
};

export default ineffectiveMatch;
