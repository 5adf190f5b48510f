import { delegationsInto } from '../../../mesh/delegation.js';
import { stringList, type MeshObject } from '../../../mesh/object.js';
import { formatPath } from '../../../mesh/parse.js';
import { gatewayRefsOf, matchGatewaysOf, type GatewayRef } from '../../../mesh/routing.js';
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
    'A delegate (no hosts) is bound through the roots that merge it: istiod keeps a delegate match\'s own `gateways`',
    '(mergeHTTPMatchRequest takes the root\'s only when the delegate names none), so a delegate match naming a gateway none',
    'of those roots is bound to never applies either.',
    'A gateway that exists nowhere is `references/match-gateway-exists`. Fix: add the gateway to `spec.gateways`, or',
    'name a bound one in the match (e.g. `istio-system/public-gw`, not `public-gw` from another namespace).',
  ].join(' '),
  kinds: ['VirtualService', 'Gateway'],
  check(graph, ctx) {
    const k8s = gatewayApiOf(graph);
    for (const vs of graph.ofKind('VirtualService')) {
      const { bound, through } = boundGateways(graph, vs);
      if (bound.length === 0) continue; // a delegate no root merges: routing/delegate-target
      const boundKeys = new Set(bound.map((g) => g.key));
      for (const { section, rule, refs, everyMatchNamesGateways } of matchGatewaysOf(vs)) {
        const unbound = refs.filter((g) => !boundKeys.has(g.key) && (g.mesh || graph.get('Gateway', g.namespace, g.name) || k8s.get('Gateway', g.namespace, g.name)));
        if (unbound.length === 0) continue;
        const dead = everyMatchNamesGateways && refs.every((g) => unbound.includes(g));
        for (const g of unbound) {
          const shown = g.mesh ? '"mesh" (the sidecars)' : `"${g.ref}"${g.ref.includes('/') ? '' : ` (= ${g.key})`}`;
          const fix = through === 'spec.gateways' ? `add ${g.key} to spec.gateways or name one of the bound gateways` : `bind the root to ${g.key} or name one of its gateways`;
          ctx.report(
            vs,
            `${formatPath(g.path.slice(0, -1))} names gateway ${shown}, but the VirtualService is bound only to ` +
              `${[...boundKeys].map((b) => `"${b}"`).join(', ')} (${through}), so this match never applies` +
              `${dead ? ` and rule spec.${section}[${rule}] is dead` : ''}; ${fix}`,
            { path: g.path },
          );
        }
      }
    }
  },
};

/**
 * The gateways a VirtualService's routes are applied on: its `spec.gateways` (`mesh` when absent); for a
 * delegate, those of the roots that merge it (mesh/delegation.ts), each resolved in its root's namespace.
 */
function boundGateways(graph: Parameters<Rule['check']>[0], vs: MeshObject): { bound: GatewayRef[]; through: string } {
  if ((stringList(vs.spec.hosts) ?? []).length > 0) return { bound: gatewayRefsOf(vs), through: 'spec.gateways' };
  const roots = [...new Set(delegationsInto(graph, vs).map((d) => d.root))];
  return {
    bound: roots.flatMap(gatewayRefsOf),
    through: `the spec.gateways of ${roots.map((r) => `${r.namespace}/${r.name}`).join(', ')}, which delegate${roots.length === 1 ? 's' : ''} to it`,
  };
}

export default matchGatewayNotBound;
