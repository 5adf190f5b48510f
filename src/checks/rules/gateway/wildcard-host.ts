import type { Rule } from '../../rule.js';
import { gatewaysOf } from './_helpers.js';

/** `gateway/wildcard-host`: a Gateway server accepts any host (`*`, or `*` behind a namespace). */
const gatewayWildcardHost: Rule = {
  id: 'gateway/wildcard-host',
  severity: 'warning',
  summary: 'A Gateway server lists the host `*` and so accepts traffic for any host name.',
  docs: [
    'A server host `*` (also written `*/*` or `ns/*`) binds every host: any VirtualService in the allowed namespaces',
    'can publish any host name on this gateway, and requests with arbitrary Host headers reach it. List the',
    'host names the gateway serves (`shop.example.com`, or a domain wildcard like `*.example.com`), and restrict',
    'which namespaces may bind with the `namespace/host` form.',
  ].join(' '),
  kinds: ['Gateway'],
  check(graph, ctx) {
    for (const g of gatewaysOf(graph)) {
      for (const s of g.servers) {
        for (const h of s.hosts) {
          if (h.host !== '*') continue;
          ctx.report(g.gateway, `Gateway server port ${s.port ?? '?'} accepts any host ("${h.entry}"); list the host names it serves, e.g. "shop.example.com" or "*.example.com"`, {
            path: h.path,
          });
        }
      }
    }
  },
};

export default gatewayWildcardHost;
