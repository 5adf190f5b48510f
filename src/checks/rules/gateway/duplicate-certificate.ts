import { push } from '../../../mesh/services.js';
import type { Rule } from '../../rule.js';
import { firstOthers } from '../_lists.js';
import { describeServer, gatewaysOf, listSome, type GatewayInfo, type GatewayServer } from './_helpers.js';

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
    'each server its own certificate. Mirrors `istioctl analyze` IST0138 (GatewayDuplicateCertificate): a Gateway',
    'is reported when another server with the certificate belongs to a Gateway whose selector contains every label of',
    'its own (so every pod of the other is one of its pods; an empty selector is contained in all), which needs no',
    'pods in the input and reports only the Gateway with the smaller selector. Deliberate differences: when both',
    'Gateways select a common workload of the input they are reported both, and two servers of one Gateway sharing',
    'a certificate are reported too (Istio compares only different Gateways); both coalesce connections the same way.',
  ].join(' '),
  kinds: ['Gateway', 'Deployment', 'Pod'],
  check(graph, ctx) {
    const byCert = new Map<string, Use[]>();
    for (const info of gatewaysOf(graph)) {
      for (const server of info.servers) {
        const cert = certificateOf(server);
        if (cert) push(byCert, cert.key, { info, server, field: cert.field, label: cert.label, order: 0 });
      }
    }
    for (const users of byCert.values()) {
      if (users.length < 2) continue;
      users.forEach((u, i) => ((u as { order: number }).order = i));
      const rivalsOf = rivalFinder(users);
      for (const u of users) {
        const rivals = rivalsOf(u.info);
        // A selector contains itself, so every user is among its own rivals once.
        const total = rivals.length - 1;
        if (total === 0) continue;
        const shown = firstOthers(rivals, u).map((o) => describeServer(o.server));
        ctx.report(
          u.server.gateway,
          `Duplicate certificate: ${u.label} is also used by ${listSome(shown, 3, total)} on the same gateway workloads; ` +
            'HTTP/2 clients may reuse connections across these servers and get 404s; merge the hosts into one server or use a certificate per server',
          { path: [...u.server.path, 'tls', u.field] },
        );
      }
    }
  },
};

/** One server presenting a certificate; `order` is its place among the users of that certificate. */
interface Use {
  readonly info: GatewayInfo;
  readonly server: GatewayServer;
  readonly field: string;
  readonly label: string;
  readonly order: number;
}

/**
 * For the users of one certificate: the users whose gateway runs on proxies of `g` — Istio's test,
 * the other selector contains every label of `g`'s (an empty selector contains none), or, going
 * further than Istio, both select a common workload of the input. Answers are in `order` and
 * computed once per (selector, scope): gateways sharing both share the answer, so a thousand
 * Gateways on one selector cost a thousand steps, not a million.
 */
function rivalFinder(users: readonly Use[]): (g: GatewayInfo) => readonly Use[] {
  const byPair = new Map<string, Use[]>();
  const byScope = new Map<string, Use[]>();
  for (const u of users) {
    for (const [k, v] of Object.entries(u.info.selector)) push(byPair, `${k}=${v}`, u);
    if (u.info.workloads.length > 0) for (const k of u.info.scope) push(byScope, k, u);
  }
  const memo = new Map<string, readonly Use[]>();
  return (g) => {
    const key = `${g.selectorText}\u0001${g.scopeKey}`;
    let found = memo.get(key);
    if (found) return found;
    const set = new Set<Use>();
    const pairs = Object.entries(g.selector);
    if (pairs.length === 0) for (const u of users) set.add(u);
    else {
      const lists = pairs.map(([k, v]) => byPair.get(`${k}=${v}`) ?? []);
      const smallest = lists.reduce((a, b) => (b.length < a.length ? b : a));
      for (const u of smallest) if (selectorContains(u.info.selector, g.selector)) set.add(u);
    }
    if (g.workloads.length > 0) for (const k of g.scope) for (const u of byScope.get(k) ?? []) set.add(u);
    found = [...set].sort((a, b) => a.order - b.order);
    memo.set(key, found);
    return found;
  };
}

/** Whether `outer` has every label of `inner` with the same value (Istio's `selectorSubset(inner, outer)`). */
function selectorContains(outer: Readonly<Record<string, string>>, inner: Readonly<Record<string, string>>): boolean {
  for (const k of Object.keys(inner)) if (outer[k] !== inner[k]) return false;
  return true;
}

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
