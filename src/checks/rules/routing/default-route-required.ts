import { stringList } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { catchAllMatchOf, destinationsOf, hostOf, hostPortsOf, httpRulesOf, isMeshBound } from './_helpers.js';

/** `routing/default-route-required`: a mesh VirtualService whose http rules all match on something has a fallback. */
const defaultRouteRequired: Rule = {
  id: 'routing/default-route-required',
  severity: 'error',
  summary: 'Every http rule of a mesh VirtualService has match conditions, so requests that match none get 404 (NR).',
  docs: [
    'A VirtualService replaces the default route for its hosts. When every `spec.http` rule has a `match`, a',
    'request that matches none of them has no route and the sidecar answers 404 with response flag `NR`: a',
    'header-based canary (`end-user: jason` → v2) without a final unmatched rule cuts off everyone else. Fix: end',
    '`spec.http` with a rule without `match` (or with `uri: {prefix: /}`) that routes to the stable version. A',
    'match on `port` alone counts as a default route when that is the only port the VirtualService\'s hosts serve.',
    'Only VirtualServices bound to `mesh` are checked: on a gateway, serving only the listed paths and answering',
    '404 otherwise is usually deliberate. Delegate VirtualServices (no `hosts`) are covered by their parent.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      if (!isMeshBound(vs) || (stringList(vs.spec.hosts) ?? []).length === 0) continue;
      const rules = httpRulesOf(vs);
      const ports = hostPortsOf(graph, vs);
      if (rules.length === 0 || rules.some((r) => catchAllMatchOf(r, ports) !== undefined)) continue;
      const last = rules[rules.length - 1]!;
      const hosts = (stringList(vs.spec.hosts) ?? []).join(', ');
      const which = rules.length === 1 ? 'its only http rule has' : `all ${rules.length} http rules have`;
      const host = destinationsOf(vs).map((d) => hostOf(d.destination)).find((h) => h !== undefined);
      const example = host ? `, e.g. "- route: [{destination: {host: ${host}}}]"` : '';
      ctx.report(
        vs,
        `No default route: ${which} match conditions, so requests to ${hosts} that match none get 404 (NR); ` +
          `add a last rule without match that routes to the stable destination${example}`,
        { path: [...last.path, 'match'] },
      );
    }
  },
};

export default defaultRouteRequired;
