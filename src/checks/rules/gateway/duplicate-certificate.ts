import { push } from '../../../mesh/services.js';
import type { Rule } from '../../rule.js';
import { describeServer, gatewaysOf, listSome, shareWorkloads, type GatewayInfo, type GatewayServer } from './_helpers.js';

/** `gateway/duplicate-certificate` (IST0138): one TLS certificate used by several servers of the same gateway workloads. */
const duplicateCertificate: Rule = {
  id: 'gateway/duplicate-certificate',
  istioCode: 'IST0138',
  severity: 'warning',
  summary: 'Gateway servers on the same gateway workloads use the same TLS certificate (credentialName or certificate files).',
  docs: [
    'When two servers on one gateway proxy present the same certificate, HTTP/2 clients reuse a connection opened',
    'for one server\'s host to send requests for the other\'s (connection coalescing). The request then arrives on',
    'the wrong filter chain and gets a 404. Fix: put the hosts into one server that holds the certificate, or give',
    'each server its own certificate. Mirrors `istioctl analyze` IST0138 (GatewayDuplicateCertificate).',
  ].join(' '),
  kinds: ['Gateway', 'Deployment', 'Pod'],
  check(graph, ctx) {
    const byCert = new Map<string, { info: GatewayInfo; server: GatewayServer; field: string; label: string }[]>();
    for (const info of gatewaysOf(graph)) {
      for (const server of info.servers) {
        const cert = certificateOf(server);
        if (cert) push(byCert, cert.key, { info, server, field: cert.field, label: cert.label });
      }
    }
    for (const users of byCert.values()) {
      if (users.length < 2) continue;
      for (const u of users) {
        const others = users.filter((o) => o !== u && (o.info === u.info || shareWorkloads(o.info, u.info))).map((o) => describeServer(o.server));
        if (others.length === 0) continue;
        ctx.report(
          u.server.gateway,
          `Duplicate certificate: ${u.label} is also used by ${listSome(others)} on the same gateway workloads; ` +
            'HTTP/2 clients may reuse connections across these servers and get 404s; merge the hosts into one server or use a certificate per server',
          { path: [...u.server.path, 'tls', u.field] },
        );
      }
    }
  },
};

/** The certificate a server presents: `credentialName`, or the certificate and key files. */
function certificateOf(s: GatewayServer): { key: string; field: string; label: string } | undefined {
  const tls = s.tls;
  if (!tls) return undefined;
  if (typeof tls.credentialName === 'string' && tls.credentialName !== '') return { key: `credential\u0000${tls.credentialName}`, field: 'credentialName', label: `credentialName "${tls.credentialName}"` };
  if (typeof tls.serverCertificate === 'string' && tls.serverCertificate !== '' && typeof tls.privateKey === 'string') {
    return { key: `files\u0000${tls.serverCertificate}\u0000${tls.privateKey}`, field: 'serverCertificate', label: `serverCertificate "${tls.serverCertificate}"` };
  }
  return undefined;
}

export default duplicateCertificate;
