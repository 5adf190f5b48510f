import { push } from '../../../mesh/services.js';
import type { Rule } from '../../rule.js';
import { SHOWN } from '../_lists.js';
import { firstOnOtherGateways, selectorContains, sharedCertificates, type CertificateUse } from './_certificates.js';
import { describeServer, listSome, type GatewayInfo } from './_helpers.js';

/** `gateway/duplicate-certificate` (IST0138): Istio's GatewayDuplicateCertificate, exactly. */
const duplicateCertificate: Rule = {
  id: 'gateway/duplicate-certificate',
  istioCode: 'IST0138',
  severity: 'warning',
  summary: 'A Gateway shares a TLS certificate with another Gateway whose selector contains every label of its own (so runs on its pods).',
  docs: [
    'When two servers on one gateway proxy present the same certificate, HTTP/2 clients reuse a connection opened',
    'for one server\'s host to send requests for the other\'s (connection coalescing). The request then arrives on',
    'the wrong filter chain and gets a 404. Fix: put the hosts into one server that holds the certificate, or give',
    'each server its own certificate. Exactly `istioctl analyze` IST0138 (GatewayDuplicateCertificate,',
    'gateway/certificate.go): Gateway G is reported when ANOTHER Gateway, of any namespace, whose selector contains',
    'every label of G\'s (an empty selector is contained in all) has a server with the same `credentialName`, or the',
    'same `serverCertificate` and `privateKey`. Only selectors are compared, never pods, so only the Gateway with the',
    'smaller selector is reported. Servers sharing a certificate that this comparison misses (on one Gateway, or on',
    'Gateways whose selectors are unrelated but select a common workload of the input) are',
    '`gateway/shared-certificate-on-workload`.',
  ].join(' '),
  kinds: ['Gateway'],
  check(graph, ctx) {
    for (const users of sharedCertificates(graph)) {
      const rivalsOf = istioRivals(users);
      const perGateway = new Map<unknown, number>();
      for (const u of users) perGateway.set(u.info.gateway, (perGateway.get(u.info.gateway) ?? 0) + 1);
      for (const u of users) {
        const rivals = rivalsOf(u.info);
        // Every server of u's own Gateway is among its rivals (a selector contains itself); Istio skips them.
        const total = rivals.length - perGateway.get(u.info.gateway)!;
        if (total === 0) continue;
        const shown = firstOnOtherGateways(rivals, u, SHOWN).map((o) => describeServer(o.server));
        ctx.report(
          u.server.gateway,
          `Duplicate certificate: ${u.label} is also used by ${listSome(shown, SHOWN, total)}, whose Gateway selector contains every label of "${u.info.selectorText}" and so runs on this Gateway's pods; ` +
            'HTTP/2 clients may reuse connections across these servers and get 404s; merge the hosts into one server or use a certificate per server',
          { path: [...u.server.path, 'tls', u.field] },
        );
      }
    }
  },
};

/**
 * For the users of one certificate: the users whose Gateway selector contains every label of
 * `g`'s, in `order`, computed once per selector (gateways sharing a selector share the answer, so
 * a thousand Gateways on one selector cost a thousand steps, not a million).
 */
function istioRivals(users: readonly CertificateUse[]): (g: GatewayInfo) => readonly CertificateUse[] {
  const byPair = new Map<string, CertificateUse[]>();
  for (const u of users) {
    for (const [k, v] of Object.entries(u.info.selector)) push(byPair, `${k}=${v}`, u);
  }
  const memo = new Map<string, readonly CertificateUse[]>();
  return (g) => {
    let found = memo.get(g.selectorText);
    if (found) return found;
    const pairs = Object.entries(g.selector);
    if (pairs.length === 0) found = users;
    else {
      const lists = pairs.map(([k, v]) => byPair.get(`${k}=${v}`) ?? []);
      const smallest = lists.reduce((a, b) => (b.length < a.length ? b : a));
      found = smallest.filter((u) => selectorContains(u.info.selector, g.selector));
    }
    memo.set(g.selectorText, found);
    return found;
  };
}

export default duplicateCertificate;
