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
  summary: 'Two servers of one Gateway, or of Gateways with unrelated selectors that select a common workload, use the same TLS certificate.',
  docs: [
    'The same HTTP/2 connection coalescing as IST0138 (`gateway/duplicate-certificate`): a client that opened a',
    'connection for one server\'s host reuses it for another host the certificate covers, the request reaches the',
    'wrong filter chain and gets a 404. `istioctl analyze` compares only selectors of DIFFERENT Gateways (one must',
    'contain the other\'s labels), so it misses two servers of one Gateway with the same certificate, and two',
    'Gateways whose selectors are unrelated (e.g. `istio: ingressgateway` and `app: istio-ingressgateway`) but select',
    'the same pods; this rule reports those, reading the workloads of the input (Deployments, Pods, ...). A pair',
    'IST0138 already reports is not repeated here. Fix: merge the hosts into one server that holds the certificate,',
    'or give each server its own certificate.',
  ].join(' '),
  kinds: ['Gateway', 'Deployment', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    for (const users of sharedCertificates(graph)) {
      const byScope = new Map<string, CertificateUse[]>();
      const byGateway = new Map<unknown, CertificateUse[]>();
      for (const u of users) {
        if (u.info.workloads.length > 0) for (const k of u.info.scope) push(byScope, k, u);
        push(byGateway, u.info.gateway, u);
      }
      const memo = new Map<string, CertificateUse[]>();
      for (const u of users) {
        const g = u.info;
        const memoKey = `${g.selectorText}\u0001${g.scopeKey}`;
        let onWorkloads = memo.get(memoKey);
        if (!onWorkloads) {
          // Other Gateways on a common workload, minus those Istio's IST0138 already pairs g with
          // (g's own Gateway among them: a selector contains itself).
          const set = new Set<CertificateUse>();
          if (g.workloads.length > 0) for (const k of g.scope) for (const o of byScope.get(k) ?? []) if (!selectorContains(o.info.selector, g.selector)) set.add(o);
          memo.set(memoKey, (onWorkloads = [...set].sort((a, b) => a.order - b.order)));
        }
        const sameGateway = byGateway.get(g.gateway)!.filter((o) => o !== u);
        const rivals = [...sameGateway.slice(0, SHOWN), ...onWorkloads.slice(0, SHOWN)].sort((a, b) => a.order - b.order);
        const total = sameGateway.length + onWorkloads.length;
        if (total === 0) continue;
        const shown = rivals.slice(0, SHOWN).map((o) => describeServer(o.server));
        ctx.report(
          g.gateway,
          `Shared certificate: ${u.label} is also used by ${listSome(shown, SHOWN, total)} on the same gateway workloads ` +
            '(istioctl analyze IST0138 compares only selectors of different Gateways and does not see this); ' +
            'HTTP/2 clients may reuse connections across these servers and get 404s; merge the hosts into one server or use a certificate per server',
          { path: [...u.server.path, 'tls', u.field] },
        );
      }
    }
  },
};

export default sharedCertificateOnWorkload;
