import { delegationsInto, droppedDelegateRule } from '../../../mesh/delegation.js';
import { isRecord, stringList } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { describeMatch } from './_helpers.js';

/** `routing/delegate-match-conflict`: a delegate's http rule whose match lies outside the delegating root rule's, so istiod drops it. */
const delegateMatchConflict: Rule = {
  id: 'routing/delegate-match-conflict',
  severity: 'warning',
  summary: 'An http rule of a delegate VirtualService has a match entry that lies outside every match of the root rule delegating to it, so istiod drops the rule.',
  docs: [
    'When istiod merges a delegate (a VirtualService without `hosts`) into the root rule that names it, every match',
    'entry of each delegate rule must lie within some match entry of the root rule (Istio `mergeHTTPMatchRequests` /',
    '`hasConflict`): a delegate `uri` prefix or exact path must start with the root\'s prefix, equal the root\'s exact',
    'path, and a regex is allowed only on a field the root leaves open; headers, query parameters, scheme, method and',
    'authority follow the same rule per key; `ignoreUriCase` must be the same on both; `port`, `sourceLabels` and',
    '`gateways` must not contradict the root\'s; a root `sourceNamespace` must be repeated. A delegate rule with one',
    'entry that fits no root entry is dropped whole, silently: its requests fall to the delegate\'s later rules (or',
    'get 404 when none matches; on a sidecar port where no rule of the root is left at all, the service keeps its',
    'default route instead). Reported once per root rule, on the offending entry. Fix: narrow the entry under',
    'the root\'s match (e.g. `prefix: /catalog/v2` under `/catalog`), or widen the root rule\'s match.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      if ((stringList(vs.spec.hosts) ?? []).length > 0 || !Array.isArray(vs.spec.http)) continue;
      const roots = delegationsInto(graph, vs);
      if (roots.length === 0) continue;
      vs.spec.http.forEach((leaf, j) => {
        if (!isRecord(leaf)) return;
        for (const { root, index, rule } of roots) {
          const dropped = droppedDelegateRule(rule, root.namespace, leaf, vs.namespace);
          if (!dropped) continue;
          const rootMatches = (rule.match as unknown[]).filter(isRecord);
          const entry = (leaf.match as unknown[])[dropped.match];
          const why = rootMatches.length === 1
            ? dropped.reasons[0]!
            : rootMatches.map((m, i) => `${describeMatch(m)}: ${dropped.reasons[i]!}`).join('; ');
          ctx.report(vs, `spec.http[${j}] is dropped when istiod merges it into its root ${root.namespace}/${root.name} spec.http[${index}]: ` +
            `its match[${dropped.match}] ${describeMatch(entry)} lies within no root match (${why}), so requests never reach it through that root; ` +
            `narrow the entry under the root's match, or widen the root rule's match`, { path: ['spec', 'http', j, 'match', dropped.match] });
        }
      });
    }
  },
};

export default delegateMatchConflict;
