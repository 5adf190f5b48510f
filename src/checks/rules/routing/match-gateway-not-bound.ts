import { stringList } from '../../../mesh/object.js';
import { formatPath } from '../../../mesh/parse.js';
import { gatewayRefsOf, matchGatewaysOf } from '../../../mesh/routing.js';
import { gatewayApiOf } from '../../../mesh/gateway-api.js';
import type { Rule } from '../../rule.js';

/**
 * `routing/match-gateway-not-bound`: a `match[].gateways` entry names a gateway (or `mesh`) that the
 * VirtualService is not bound to through `spec.gateways`, so that match never applies.
 */
const matchGatewayNotBound: Rule = {
  id: 'routing/match-gateway-not-bound',
  severity: 'warning',
  summary: 'A match names in `gateways` a gateway (or `mesh`) that the VirtualService is not bound to, so the match never applies.',
  docs: [
    'istiod hands a VirtualService only to the proxies of the gateways in `spec.gateways` (no `gateways` means',
    '`mesh`), and on each of them keeps a match with `gateways` only when that list names the proxy\'s gateway',
    '(Istio\'s route.go `sourceMatchHTTP`, names resolved like `spec.gateways`: a short name is in the',
    'VirtualService\'s namespace). A match naming an existing gateway, or `mesh`, that is missing from',
    '`spec.gateways` therefore matches nothing anywhere; when every match of a rule is like that, the rule is dead.',
    'A gateway that exists nowhere is `references/match-gateway-exists`. Fix: add the gateway to `spec.gateways`, or',
    'name a bound one in the match (e.g. `istio-system/public-gw`, not `public-gw` from another namespace).',
  ].join(' '),
  kinds: ['VirtualService', 'Gateway'],
  check(graph, ctx) {
    const k8s = gatewayApiOf(graph);
    for (const vs of graph.ofKind('VirtualService')) {
      if ((stringList(vs.spec.hosts) ?? []).length === 0) continue; // a delegate is bound through its root
      const bound = gatewayRefsOf(vs);
      const boundKeys = new Set(bound.map((g) => g.key));
      for (const { section, rule, refs, everyMatchNamesGateways } of matchGatewaysOf(vs)) {
        const unbound = refs.filter((g) => !boundKeys.has(g.key) && (g.mesh || graph.get('Gateway', g.namespace, g.name) || k8s.get('Gateway', g.namespace, g.name)));
        if (unbound.length === 0) continue;
        const dead = everyMatchNamesGateways && refs.every((g) => unbound.includes(g));
        for (const g of unbound) {
          const shown = g.mesh ? '"mesh" (the sidecars)' : `"${g.ref}"${g.ref.includes('/') ? '' : ` (= ${g.key})`}`;
          ctx.report(
            vs,
            `${formatPath(g.path.slice(0, -1))} names gateway ${shown}, but the VirtualService is bound only to ` +
              `${bound.map((b) => `"${b.key}"`).join(', ')} (spec.gateways), so this match never applies` +
              `${dead ? ` and rule spec.${section}[${rule}] is dead` : ''}; add ${g.key} to spec.gateways or name one of the bound gateways`,
            { path: g.path },
          );
        }
      }
    }
  },
};

export default matchGatewayNotBound;
