import { push } from '../../../mesh/services.js';
import type { Rule } from '../../rule.js';
import { SHOWN, listSome } from '../_lists.js';
import { selectorContains, sharedCertificates, type CertificateUse } from './_certificates.js';
import { describeServer } from './_helpers.js';

/**
 * `gateway/shared-certificate-on-workload`: servers on the same gateway pods share a certificate
 * where Istio's IST0138 comparison (selectors of different Gateways) does not look.
 */
const sharedCertificateOnWorkload: Rule = {
  id: 'gateway/shared-certificate-on-workload',
  severity: 'warning',
  summary: 'Two servers on the same port for different hosts, of one Gateway or of Gateways with unrelated selectors that select a common workload, use the same TLS certificate.',
  docs: [
    'The same HTTP/2 connection coalescing as IST0138 (`gateway/duplicate-certificate`): a client that opened a',
    'connection for one server\'s host reuses it for another host the certificate covers, the request reaches the',
    'wrong filter chain and gets a 404. `istioctl analyze` compares only selectors of DIFFERENT Gateways (one must',
    'contain the other\'s labels), so it misses two servers of one Gateway with the same certificate, and two',
    'Gateways whose selectors are unrelated (e.g. `istio: ingressgateway` and `app: istio-ingressgateway`) but select',
    'the same pods; this rule reports those, reading the workloads of the input (Deployments, Pods, ...). Only',
    'servers on the same port whose hosts differ count: clients do not reuse a connection across ports (the origin',
    'includes the port), and a server with the same hosts routes every host the other does. A pair',
    'IST0138 already reports is not repeated here. Fix: merge the hosts into one server that holds the certificate,',
    'or give each server its own certificate.',
  ].join(' '),
  kinds: ['Gateway', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    for (const users of sharedCertificates(graph)) {
      // Only servers on the same port can meet on one connection (the origin includes the port).
      const byScope = new Map<string, CertificateUse[]>();
      const byGateway = new Map<string, CertificateUse[]>();
      const gatewayIds = new Map<unknown, number>();
      const gatewayId = (u: CertificateUse) => gatewayIds.get(u.info.gateway) ?? (gatewayIds.set(u.info.gateway, gatewayIds.size), gatewayIds.size - 1);
      for (const u of users) {
        if (u.info.workloads.length > 0) for (const k of u.info.scope) push(byScope, `${portKey(u)}\u0001${k}`, u);
        push(byGateway, `${portKey(u)}\u0001${gatewayId(u)}`, u);
      }
      const memo = new Map<string, CertificateUse[]>();
      for (const u of users) {
        const g = u.info;
        const memoKey = `${g.selectorText}\u0001${g.scopeKey}\u0001${portKey(u)}`;
        let onWorkloads = memo.get(memoKey);
        if (!onWorkloads) {
          // Other Gateways on a common workload and port, minus those Istio's IST0138 already pairs g with
          // (g's own Gateway among them: a selector contains itself).
          const set = new Set<CertificateUse>();
          if (g.workloads.length > 0) for (const k of g.scope) for (const o of byScope.get(`${portKey(u)}\u0001${k}`) ?? []) if (!selectorContains(o.info.selector, g.selector)) set.add(o);
          memo.set(memoKey, (onWorkloads = [...set].sort((a, b) => a.order - b.order)));
        }
        // A server with the same hosts routes every host the other does: a reused connection finds its virtual host.
        const hosts = hostsKey(u);
        const differs = (o: CertificateUse) => o !== u && hostsKey(o) !== hosts;
        const sameGateway = (byGateway.get(`${portKey(u)}\u0001${gatewayId(u)}`) ?? []).filter(differs);
        const others = onWorkloads.filter(differs);
        const rivals = [...sameGateway.slice(0, SHOWN), ...others.slice(0, SHOWN)].sort((a, b) => a.order - b.order);
        const total = sameGateway.length + others.length;
        if (total === 0) continue;
        const shown = rivals.slice(0, SHOWN).map((o) => describeServer(o.server));
        const port = u.server.port === undefined ? 'the same port' : `port ${u.server.port}`;
        ctx.report(
          g.gateway,
          `Shared certificate: ${u.label} is also used by ${listSome(shown, SHOWN, total)} on the same gateway workloads and ${port}, for other hosts ` +
            '(istioctl analyze IST0138 compares only selectors of different Gateways and does not see this); ' +
            'HTTP/2 clients may reuse a connection opened for one server\'s host for the other\'s and get 404s; merge the hosts into one server or use a certificate per server',
          { path: [...u.server.path, 'tls', u.field] },
        );
      }
    }
  },
};

/** The server's port for grouping; servers without a port number group together. */
function portKey(u: CertificateUse): string {
  return u.server.port === undefined ? '-' : String(u.server.port);
}

const hostKeys = new WeakMap<object, string>();
/** The server's hosts (host part, lower-cased) as a sorted set: servers with equal keys route the same hosts. */
function hostsKey(u: CertificateUse): string {
  let k = hostKeys.get(u.server);
  if (k === undefined) hostKeys.set(u.server, (k = [...new Set(u.server.hosts.map((h) => h.host))].sort().join('\u0001')));
  return k;
}

export default sharedCertificateOnWorkload;
