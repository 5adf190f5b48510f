import type { Rule } from '../../rule.js';
import { configPatches, hasPriority, isRelative } from './_helpers.js';

/** `envoyfilter/relative-operation-with-proxy-version` (IST0155). */
const relativeOperationWithProxyVersion: Rule = {
  id: 'envoyfilter/relative-operation-with-proxy-version',
  istioCode: 'IST0155',
  severity: 'warning',
  summary: 'An EnvoyFilter without `priority` uses a relative patch operation and matches a proxyVersion.',
  docs: [
    'During an Istio upgrade, proxies of the old and new versions run side by side. A relative patch (INSERT_BEFORE,',
    'INSERT_AFTER, or REPLACE/REMOVE of a filter) restricted by `match.proxy.proxyVersion` may then be applied',
    'before the EnvoyFilter that adds the element it is relative to, or not at all on the other version.',
    'Fix: set `priority`, or use INSERT_FIRST or ADD. Mirrors `istioctl analyze` IST0155',
    '(EnvoyFilterUsesRelativeOperationWithProxyVersion).',
  ].join(' '),
  kinds: ['EnvoyFilter'],
  check(graph, ctx) {
    for (const p of configPatches(graph)) {
      if (!isRelative(p) || hasPriority(p.filter) || p.proxyVersion === undefined) continue;
      ctx.report(p.filter, `This EnvoyFilter does not have a priority and patch ${p.index} uses the relative operation ${p.operation} with proxyVersion "${p.proxyVersion}", which can leave it unapplied during an upgrade; set spec.priority or use INSERT_FIRST or ADD`, {
        path: p.operationPath,
      });
    }
  },
};

export default relativeOperationWithProxyVersion;
