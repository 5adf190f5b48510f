import { HostIndex } from '../../../mesh/host-index.js';
import type { Rule } from '../../rule.js';
import { PLAINTEXT_HTTP, ScopeGroups, describeServer, gatewaysOf, isPublicGateway, redirectsToHttps, type GatewayServer } from './_helpers.js';

/** `gateway/http-without-https-redirect`: an HTTP server beside an HTTPS server for the same host does not redirect. */
const httpWithoutHttpsRedirect: Rule = {
  id: 'gateway/http-without-https-redirect',
  severity: 'warning',
  summary: 'An HTTP server serves a host that an HTTPS server on the same gateway workloads also serves, without `tls.httpsRedirect: true`.',
  docs: [
    'When a host is served over HTTPS, its plain HTTP server should only redirect: otherwise clients that type the',
    'bare name (or follow an http:// link) keep talking plaintext, and the same routes are reachable unencrypted.',
    'Fix: set `tls.httpsRedirect: true` on the HTTP server. HTTPS servers on other Gateways count when both select',
    'the same workloads. Public gateways are left to `gateway/public-server-without-tls`, which reports any',
    'plaintext server on them as an error.',
  ].join(' '),
  kinds: ['Gateway', 'Deployment', 'Rollout', 'Pod'],
  check(graph, ctx) {
    const gateways = gatewaysOf(graph);
    const groups = new ScopeGroups(gateways);
    // HTTPS hosts per scope group: a plaintext host is looked up in the groups sharing its workloads.
    const https = new Map<string, HostIndex<GatewayServer>>();
    for (const info of gateways) {
      for (const server of info.servers) {
        if (server.protocol !== 'HTTPS') continue;
        let index = https.get(info.scopeKey);
        if (!index) https.set(info.scopeKey, (index = new HostIndex()));
        for (const h of server.hosts) index.add(h.host, server);
      }
    }
    for (const info of gateways) {
      const indexes = groups.overlapping(info).flatMap((k) => https.get(k) ?? []);
      if (indexes.length === 0 || isPublicGateway(graph, info)) continue;
      for (const s of info.servers) {
        if (!PLAINTEXT_HTTP.has(s.protocol) || redirectsToHttps(s)) continue;
        for (const h of s.hosts) {
          const secure = firstOf(indexes, h.host);
          if (!secure) continue;
          ctx.report(
            info.gateway,
            `HTTP server port ${s.port ?? '?'} serves "${h.entry}" in plaintext although ${describeServer(secure)} serves it over HTTPS; ` +
              'set tls.httpsRedirect: true on the HTTP server',
            { path: h.path },
          );
        }
      }
    }
  },
};

function firstOf(indexes: readonly HostIndex<GatewayServer>[], host: string): GatewayServer | undefined {
  for (const index of indexes) {
    const found = index.some(host, 1)[0];
    if (found) return found;
  }
  return undefined;
}

export default httpWithoutHttpsRedirect;
