import type { Rule } from '../../rule.js';
import { PLAINTEXT_HTTP, gatewaysOf, isPublicGateway, redirectsToHttps } from './_helpers.js';

/** `gateway/public-server-without-tls`: a public gateway serves plaintext HTTP, or HTTPS/TLS without TLS settings. */
const publicServerWithoutTls: Rule = {
  id: 'gateway/public-server-without-tls',
  severity: 'error',
  summary: 'A server of a public ingress Gateway accepts plaintext HTTP (without redirecting to https), or declares HTTPS/TLS without tls settings.',
  docs: [
    'A Gateway is public when a Service of type LoadBalancer or NodePort (or with externalIPs) selects its workloads,',
    'or, when its workloads are not in the input, when it selects `istio: ingressgateway`. Plaintext HTTP on such a',
    'gateway exposes credentials and cookies to anyone on the path. An HTTP server is fine only as a redirect:',
    'set `tls.httpsRedirect: true` and serve the host from an HTTPS server. An HTTPS or TLS server without `tls`',
    'has no certificate and is rejected by Istio. Fix: add `tls` (mode SIMPLE or MUTUAL with a `credentialName`).',
  ].join(' '),
  kinds: ['Gateway', 'Service', 'Deployment', 'Rollout', 'Pod'],
  check(graph, ctx) {
    for (const g of gatewaysOf(graph)) {
      if (g.servers.length === 0 || !isPublicGateway(graph, g)) continue;
      for (const s of g.servers) {
        const hosts = s.hosts.map((h) => h.entry).join(', ');
        if (PLAINTEXT_HTTP.has(s.protocol) && !redirectsToHttps(s)) {
          ctx.report(
            g.gateway,
            `Public gateway server port ${s.port ?? '?'} serves plaintext ${s.protocol} for ${hosts || 'no host'}; ` +
              (s.protocol === 'HTTP'
                ? 'set tls.httpsRedirect: true on it and serve the host from an HTTPS server with tls.credentialName'
                : 'serve it as HTTPS with tls.credentialName instead'),
            { path: s.tls && 'httpsRedirect' in s.tls ? [...s.path, 'tls', 'httpsRedirect'] : [...s.path, 'port', 'protocol'] },
          );
        } else if ((s.protocol === 'HTTPS' || s.protocol === 'TLS') && (!s.tls || Object.keys(s.tls).length === 0)) {
          ctx.report(
            g.gateway,
            `Public gateway server port ${s.port ?? '?'} has protocol ${s.protocol} but no tls settings for ${hosts || 'no host'}; ` +
              'add tls with mode SIMPLE (or MUTUAL) and a credentialName',
            { path: [...s.path, 'port', 'protocol'] },
          );
        }
      }
    }
  },
};

export default publicServerWithoutTls;
