import type { Rule } from '../../rule.js';
import { analyzeHttpRules, capitalize, describeMatch, httpPortsOf, ruleLabel, type RuleReachability } from './_helpers.js';
import { istioRouteAnalysis } from './_istio-unreachable.js';

/**
 * `routing/shadowed-rule`: an http rule that first-match-wins never reaches, for a reason Istio's
 * IST0130 does not see (an earlier catch-all match, or earlier matches that cover it).
 */
const shadowedRule: Rule = {
  id: 'routing/shadowed-rule',
  severity: 'warning',
  summary: 'An http rule can never match: an earlier rule matches every request, or earlier matches cover all of its matches.',
  docs: [
    'Envoy tries `spec.http` rules in order and stops at the first that matches. Istio\'s own IST0130',
    '(`routing/unreachable-rule`) only sees rules after a rule without `match` and matches written twice. This rule',
    'sees the rest: a rule after one whose match takes every request (`uri: {prefix: /}` alone, a `.*` regex, or',
    '`port: N` alone when N is the only port that carries HTTP for the hosts on every proxy the VirtualService is bound to',
    '(the Service ports for the sidecars, the server ports serving the hosts on each bound Gateway; HTTPS, TLS and TCP',
    'ports take no http routes, an HTTPS server that terminates TLS carries HTTP);',
    '`gateways` naming every gateway the VirtualService is',
    'bound to, such as `[mesh]` on a mesh-only one, narrows nothing), and a rule whose every match an earlier, more general',
    'match covers (`prefix: /api` before `prefix: /api/v1`, a header regex before an exact value). A rule that',
    'delegates stands for the delegate\'s rules merged under its match, as istiod merges them. Comparison is',
    'conservative: conditions it cannot compare must be written identically. It has no IST code because',
    '`istioctl analyze` does not report these. Fix: move the specific rules before the general one, or delete the',
    'dead rule.',
  ].join(' '),
  kinds: ['VirtualService', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      const istio = new Set(istioRouteAnalysis(vs).unreachable.filter((u) => u.section === 'http').map((u) => u.rule));
      for (const r of analyzeHttpRules(vs, httpPortsOf(graph, vs), graph)) {
        if (!r.unreachable || istio.has(r.rule.index)) continue;
        ctx.report(vs, `${capitalize(ruleLabel(r.rule))} is never used: ${reason(r)}`, { path: r.rule.path });
      }
    }
  },
};

function reason(r: RuleReachability): string {
  if (r.afterCatchAll) {
    const by = r.afterCatchAll;
    const what = by.match === null ? 'has no match' : `matches every request with match[${by.match}] ${describeMatch(asWritten(by.rule, by.match))}`;
    return `${ruleLabel(by.rule)} before it ${what}; move this rule above it or remove it`;
  }
  const by = [...new Set(r.shadowed.map((s) => ruleLabel(s.byRule)))];
  const how = r.shadowed.every((s) => s.exact) ? 'repeat matches of' : 'are covered by matches of';
  return `all its matches ${how} ${by.join(', ')}; make its matches more specific, move it up, or remove it`;
}

/** Match entry `j` of `r` as written (the analysis drops gateway conditions that narrow nothing). */
function asWritten(r: RuleReachability['rule'], j: number): unknown {
  return Array.isArray(r.rule.match) ? r.rule.match[j] : r.matches[j];
}

export default shadowedRule;
