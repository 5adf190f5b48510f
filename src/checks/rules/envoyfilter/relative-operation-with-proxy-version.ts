import type { Rule } from '../../rule.js';
import { patchesWith } from './_helpers.js';

/** `envoyfilter/relative-operation-with-proxy-version` (IST0155). */
const relativeOperationWithProxyVersion: Rule = {
  id: 'envoyfilter/relative-operation-with-proxy-version',
  istioCode: 'IST0155',
  severity: 'warning',
  summary: 'An EnvoyFilter without `priority` uses a relative patch operation on an element an earlier proxyVersion-matched patch also names.',
  docs: [
    'During an Istio upgrade, proxies of the old and new versions run side by side. When one patch restricted by',
    '`match.proxy.proxyVersion` names an element (its `patch.value.name`, or the listener filter it matches) and a later',
    'relative patch (INSERT_BEFORE, INSERT_AFTER, REPLACE, REMOVE) without a priority names the same element, the',
    'later patch may be applied before the element exists, or not at all on the other version. As in `istioctl analyze`',
    'IST0155 (EnvoyFilterUsesRelativeOperationWithProxyVersion), "earlier" is input order across all EnvoyFilters; the',
    'first proxyVersion patch itself is IST0155 only if an earlier one named its element, else IST0151.',
    'Fix: set `priority`, or use INSERT_FIRST or ADD.',
  ].join(' '),
  kinds: ['EnvoyFilter'],
  check(graph, ctx) {
    for (const p of patchesWith(graph, 'relative-with-proxy-version')) {
      ctx.report(p.filter, `This EnvoyFilter does not have a priority and patch ${p.index} uses the relative operation ${p.operation} on an element that an earlier patch matching a proxyVersion also names, which can leave it unapplied during an upgrade; set spec.priority or use INSERT_FIRST or ADD`, {
        path: p.operationPath,
      });
    }
  },
};

export default relativeOperationWithProxyVersion;
