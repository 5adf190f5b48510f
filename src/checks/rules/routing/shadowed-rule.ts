import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import { gatewayRefOf, gatewayRefsOf } from '../../../mesh/routing.js';
import type { Rule } from '../../rule.js';
import { analyzeHttpRules, capitalize, describeMatch, httpPortsOf, httpRulesOf, ruleLabel, type RuleReachability } from './_helpers.js';
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
    'bound to, such as `[mesh]` on a mesh-only one, narrows nothing; on a VirtualService bound to several gateways each',
    'proxy keeps only the match entries naming it, so `[{gateways: [mesh]}, {gateways: [edge]}]` takes every request on',
    'both), and a rule whose every match an earlier, more general',
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
      for (const { r, on } of reachability(graph, vs)) {
        if (!r.unreachable || istio.has(r.rule.index)) continue;
        const [why, fix] = on ? [`on each gateway it is bound to (${on.map((o) => `on ${o.key}, ${reason(vs, o.r)[0]}`).join('; ')})`, reason(vs, r)[1]] : reason(vs, r);
        ctx.report(vs, `${capitalize(ruleLabel(r.rule))} is never used: ${why}; ${fix}`, { path: r.rule.path });
      }
    }
  },
};

/**
 * The reachability of the http rules of `vs`. Bound to several gateways with match entries that name some of them, each
 * gateway's proxies hold only the entries naming it (or naming none: Istio's route.go sourceMatchHTTP), so a rule is
 * unreachable when it is on every proxy that holds it; else (and otherwise) the analysis of the VirtualService as a whole.
 */
function reachability(graph: MeshGraph, vs: MeshObject): { r: RuleReachability; on?: { key: string; r: RuleReachability }[] }[] {
  const whole = analyzeHttpRules(vs, httpPortsOf(graph, vs), graph);
  const bound = [...new Set(gatewayRefsOf(vs).map((g) => g.key))];
  if (bound.length < 2 || !httpRulesOf(vs).some((r) => r.matches.some((m) => m.gateways !== undefined))) return whole.map((r) => ({ r }));
  const views = bound.map((key) => {
    const view = onGateway(vs, key);
    return { key, rules: analyzeHttpRules(view, httpPortsOf(graph, view), graph) };
  });
  return whole.map((r) => {
    if (r.unreachable) return { r };
    const held = views.flatMap((v) => {
      const on = v.rules.find((x) => x.rule.index === r.rule.index);
      return on && holds(on) ? [{ key: v.key, r: on }] : [];
    });
    return held.length > 0 && held.every((h) => h.r.unreachable) ? { r: held[0]!.r, on: held } : { r };
  });
}

const NOT_HERE = '(not on this gateway)';

/** Whether the proxies of one gateway hold rule `r` of its view: it has no match, or a match entry that names the gateway or none. */
const holds = (r: RuleReachability): boolean => r.rule.matches.length === 0 || r.rule.matches.some((m) => !(NOT_HERE in m));

/**
 * `vs` as the proxies of gateway `key` hold it: bound to that gateway alone, a match entry naming it loses its (then
 * neutral) `gateways`, one naming only others becomes an entry nothing equals or covers, indices kept.
 */
function onGateway(vs: MeshObject, key: string): MeshObject {
  const http = Array.isArray(vs.spec.http) ? vs.spec.http.map((rule) => {
    if (!isRecord(rule) || !Array.isArray(rule.match)) return rule;
    const match = rule.match.map((m, j) => {
      if (!isRecord(m) || m.gateways === undefined) return m;
      const listed = stringList(m.gateways) ?? [];
      if (!listed.some((ref) => gatewayRefOf(ref, vs.namespace, []).key === key)) return { [NOT_HERE]: `${key}#${j}` };
      const { gateways: _here, ...rest } = m;
      return rest;
    });
    return { ...rule, match };
  }) : vs.spec.http;
  return { ...vs, spec: { ...vs.spec, gateways: [key], http } };
}

/** Why `r` is never used, and how to fix it. */
function reason(vs: MeshObject, r: RuleReachability): [string, string] {
  if (r.afterCatchAll) {
    const by = r.afterCatchAll;
    const what = by.match === null ? 'has no match' : `matches every request with match[${by.match}] ${describeMatch(asWritten(vs, by.rule, by.match))}`;
    return [`${ruleLabel(by.rule)} before it ${what}`, 'move this rule above it or remove it'];
  }
  const by = [...new Set(r.shadowed.map((s) => ruleLabel(s.byRule)))];
  const how = r.shadowed.every((s) => s.exact) ? 'repeat matches of' : 'are covered by matches of';
  return [`all its matches ${how} ${by.join(', ')}`, 'make its matches more specific, move it up, or remove it'];
}

/** Match entry `j` of `r` as written in `vs` (the analysis drops gateway conditions that narrow nothing). */
function asWritten(vs: MeshObject, r: RuleReachability['rule'], j: number): unknown {
  const own = Array.isArray(vs.spec.http) ? vs.spec.http[r.index] : undefined;
  if (isRecord(own) && own.delegate === undefined && Array.isArray(own.match)) return own.match[j];
  return Array.isArray(r.rule.match) ? r.rule.match[j] : r.matches[j];
}

export default shadowedRule;
