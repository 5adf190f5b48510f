import { delegationsInto } from '../../../mesh/delegation.js';
import { stringList } from '../../../mesh/object.js';
import { ruleAppliesOn } from '../../../mesh/routing.js';
import type { Rule } from '../../rule.js';
import { destinationsOf, routeProxyFor } from './_helpers.js';

/**
 * `routing/delegate-destination-not-visible`: a delegate VirtualService routes to a host that is not
 * exported to the namespace of a mesh root that merges it, so those sidecars have no cluster for it.
 */
const delegateDestinationNotVisible: Rule = {
  id: 'routing/delegate-destination-not-visible',
  severity: 'warning',
  summary: 'A delegate VirtualService routes to a Service or ServiceEntry that is not exported to the namespace of a mesh root VirtualService merging it, so the root\'s sidecars get 503 there.',
  docs: [
    'istiod merges a delegate VirtualService (no `hosts`) into every root rule that delegates to it and builds the',
    'merged routes for the root\'s proxies (pilot/pkg/model/virtualservice.go `mergeVirtualServicesIfNeeded`). A sidecar',
    'has clusters only for the hosts exported to its namespace (`networking.istio.io/exportTo` annotation,',
    '`spec.exportTo`), so when the delegate lives in another namespace than a mesh root and routes to a host exported',
    'only there (`"."`), the root\'s sidecars have no cluster for it and that route answers 503 (`NR`), although the',
    'delegate looks right on its own. Gateway roots are `routing/not-exported-to-gateway`\'s; hosts that exist nowhere',
    'are `references/destination-host-exists`\'s. A root rule or delegate rule the root\'s sidecars drop (its matches',
    'name only gateways, or a `port` the root\'s hosts do not have) is not judged. Fix: export the host to the root\'s namespace, or route to a host',
    'visible there.',
  ].join(' '),
  kinds: ['VirtualService', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      if ((stringList(vs.spec.hosts) ?? []).length > 0) continue;
      // The sidecars of each mesh root whose rule delegating here they hold (match gateways, port on the root's hosts).
      const meshRoots = delegationsInto(graph, vs).flatMap((d) => {
        const g = graph.gatewaysOf(d.root).find((r) => r.mesh);
        if (d.root.namespace === vs.namespace || !g) return [];
        const proxy = routeProxyFor(graph, d.root, g);
        const rule = Array.isArray(d.root.spec.http) ? d.root.spec.http[d.index] : undefined;
        return ruleAppliesOn('http', rule, d.root.namespace, proxy) !== false ? [{ root: d.root, proxy }] : [];
      });
      if (meshRoots.length === 0) continue;
      for (const { destination, path, what, section, rule } of destinationsOf(vs)) {
        if (typeof destination.host !== 'string' || destination.host === '') continue;
        // The merged route keeps the delegate's match fields, read on the root's sidecars.
        const own = Array.isArray(vs.spec[section]) ? (vs.spec[section] as unknown[])[rule] : undefined;
        const roots = meshRoots.filter((d) => ruleAppliesOn(section, own, vs.namespace, d.proxy) !== false);
        const namespaces = [...new Set(roots.map((d) => d.root.namespace))].sort();
        if (namespaces.length === 0) continue;
        const fqdn = graph.resolveHost(destination.host, vs.namespace).fqdn;
        const all = graph.services.forHost(fqdn, null);
        if (all.length === 0) continue;
        const hidden = namespaces.filter((ns) => graph.services.forHost(fqdn, ns).length === 0);
        if (hidden.length === 0) continue;
        const root = roots.find((d) => d.root.namespace === hidden[0])!.root;
        const s = all[0]!;
        ctx.report(vs, `${what === 'mirror' ? 'Mirror host' : 'Host'} "${destination.host}" is not visible to the sidecars of ${hidden.length === 1 ? `namespace ${hidden[0]}` : `namespaces ${hidden.join(', ')}`}, ` +
          `where root VirtualService ${root.namespace}/${root.name} merges this delegate: ${s.kind} ${s.namespace}/${s.object.name} is exported to ${JSON.stringify(s.exportTo)}, ` +
          `and a sidecar has clusters only for hosts exported to its namespace, so this route gets 503 (no cluster) there; export it to ${hidden.map((ns) => `"${ns}"`).join(', ')}`,
          { path: [...path, 'host'] });
      }
    }
  },
};

export default delegateDestinationNotVisible;
