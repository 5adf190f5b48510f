import type { Rule } from '../../rule.js';
import { analyzeHttpRules, capitalize, describeMatch, ruleLabel, type RuleReachability } from './_helpers.js';

/** `routing/unreachable-rule` (IST0130): no http rule sits where first-match-wins can never reach it. */
const unreachableRule: Rule = {
  id: 'routing/unreachable-rule',
  istioCode: 'IST0130',
  severity: 'warning',
  summary: 'An http route rule can never match: an earlier rule takes every request, or earlier rules take all its matches.',
  docs: [
    'Envoy tries `spec.http` rules in order and stops at the first that matches. A rule without `match` (or with a',
    'match that takes every request, such as `uri: {prefix: /}` alone) ends the list: nothing after it is ever',
    'used. A rule is also dead when each of its matches is written again (or covered, e.g. `prefix: /api` before',
    '`prefix: /api/v1`) by an earlier rule. Fix: move the specific rules before the general one, or delete the',
    'dead rule. Mirrors `istioctl analyze` IST0130 and also catches covered (not only identical) matches.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const r of analyzeHttpRules(vs)) {
        if (r.unreachable) ctx.report(vs, `${capitalize(ruleLabel(r.rule))} is never used: ${reason(r)}`, { path: r.rule.path });
      }
    }
  },
};

function reason(r: RuleReachability): string {
  if (r.afterCatchAll) {
    const by = r.afterCatchAll;
    const what = by.match === null ? 'has no match' : `matches every request with match[${by.match}] ${describeMatch(by.rule.matches[by.match])}`;
    return `${ruleLabel(by.rule)} before it ${what}; move this rule above it or remove it`;
  }
  const by = [...new Set(r.shadowed.map((s) => ruleLabel(s.byRule)))];
  const how = r.shadowed.every((s) => s.exact) ? 'repeat matches of' : 'are covered by matches of';
  return `all its matches ${how} ${by.join(', ')}; make its matches more specific, move it up, or remove it`;
}

export default unreachableRule;
