import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { destinationsOf, hostOf, listOrNone, subsetOf } from './_helpers.js';

/** `routing/unused-subset`: a DestinationRule subset that no route or mirror uses, for a host that routes do target. */
const unusedSubset: Rule = {
  id: 'routing/unused-subset',
  severity: 'info',
  summary: 'A DestinationRule subset is never routed or mirrored to, although VirtualServices route to its host.',
  docs: [
    'A subset does nothing until a VirtualService destination or mirror names it; its `trafficPolicy` applies only',
    'to traffic routed to that subset explicitly. When VirtualServices do route to the host but none names the',
    'subset, it is dead config: often a version that was retired from the routes (remove the subset and, if',
    'unused, its Deployment), or a subset policy the author believes is active. Hosts that no VirtualService routes',
    'to are not checked: their subsets may be prepared for a rollout or routed from outside this input. Info',
    'level: harmless for traffic, but worth cleaning up.',
  ].join(' '),
  kinds: ['DestinationRule', 'VirtualService'],
  check(graph, ctx) {
    const routed = new Map<string, Set<string>>();
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { destination } of destinationsOf(vs)) {
        const host = hostOf(destination);
        if (host === undefined) continue;
        const fqdn = graph.resolveHost(host, vs.namespace).fqdn;
        let subsets = routed.get(fqdn);
        if (!subsets) routed.set(fqdn, (subsets = new Set()));
        subsets.add(subsetOf(destination) ?? '');
      }
    }
    for (const dr of graph.ofKind('DestinationRule')) {
      if (typeof dr.spec.host !== 'string' || dr.spec.host.includes('*') || !Array.isArray(dr.spec.subsets)) continue;
      const fqdn = graph.resolveHost(dr.spec.host, dr.namespace).fqdn;
      const used = routed.get(fqdn);
      if (!used) continue;
      const names = [...used].map((s) => (s === '' ? '(no subset)' : s));
      dr.spec.subsets.forEach((s, i) => {
        if (!isRecord(s) || typeof s.name !== 'string' || used.has(s.name)) return;
        const policy = isRecord(s.trafficPolicy) ? '; its trafficPolicy never applies' : '';
        ctx.report(
          dr,
          `Subset "${s.name}" of ${fqdn} is not used by any VirtualService route or mirror (routes use: ${listOrNone(names)})${policy}; route to it or remove it`,
          { path: ['spec', 'subsets', i, 'name'] },
        );
      });
    }
  },
};

export default unusedSubset;
