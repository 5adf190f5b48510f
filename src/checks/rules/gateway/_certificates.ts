/**
 * The servers of the input's Gateways grouped by the certificate they present, shared by
 * `gateway/duplicate-certificate` (Istio's IST0138 relation) and
 * `gateway/shared-certificate-on-workload` (the coalescing cases IST0138 does not compare).
 */
import type { MeshGraph } from '../../../mesh/graph.js';
import { push } from '../../../mesh/services.js';
import { gatewaysOf, type GatewayInfo, type GatewayServer } from './_helpers.js';

/** One server presenting a certificate; `order` is its place among the users of that certificate. */
export interface CertificateUse {
  readonly info: GatewayInfo;
  readonly server: GatewayServer;
  /** The tls field that names the certificate: `credentialName` or `serverCertificate`. */
  readonly field: string;
  /** How messages name the certificate, e.g. `credentialName "shop-cert"`. */
  readonly label: string;
  readonly order: number;
}

/**
 * The certificate a server presents, as Istio's `haveSameCertificate` compares it: a non-empty
 * `credentialName`, else a non-empty `serverCertificate` together with a non-empty `privateKey`.
 * A server with neither (PASSTHROUGH, ISTIO_MUTUAL, no tls) presents none.
 */
export function certificateOf(s: GatewayServer): { key: string; field: string; label: string } | undefined {
  const tls = s.tls;
  if (!tls) return undefined;
  if (typeof tls.credentialName === 'string' && tls.credentialName !== '') return { key: `credential\u0000${tls.credentialName}`, field: 'credentialName', label: `credentialName "${tls.credentialName}"` };
  if (typeof tls.serverCertificate === 'string' && tls.serverCertificate !== '' && typeof tls.privateKey === 'string' && tls.privateKey !== '') {
    return { key: `files\u0000${tls.serverCertificate}\u0000${tls.privateKey}`, field: 'serverCertificate', label: `serverCertificate "${tls.serverCertificate}"` };
  }
  return undefined;
}

/** Users of each certificate presented by at least two servers, each list in input order. */
export function sharedCertificates(graph: MeshGraph): CertificateUse[][] {
  const byCert = new Map<string, CertificateUse[]>();
  for (const info of gatewaysOf(graph)) {
    for (const server of info.servers) {
      const cert = certificateOf(server);
      if (cert) push(byCert, cert.key, { info, server, field: cert.field, label: cert.label, order: 0 });
    }
  }
  const out: CertificateUse[][] = [];
  for (const users of byCert.values()) {
    if (users.length < 2) continue;
    users.forEach((u, i) => ((u as { order: number }).order = i));
    out.push(users);
  }
  return out;
}

/**
 * Whether `outer` has every label of `inner` with the same value, i.e. every pod `outer` selects
 * is one `inner` selects (Istio `gateway.selectorSubset(inner, outer)`; an empty `inner` is
 * contained in every selector).
 */
export function selectorContains(outer: Readonly<Record<string, string>>, inner: Readonly<Record<string, string>>): boolean {
  for (const k of Object.keys(inner)) if (outer[k] !== inner[k]) return false;
  return true;
}

/** The first `max` uses of `list` on another Gateway than `self`'s, without walking the rest. */
export function firstOnOtherGateways(list: readonly CertificateUse[], self: CertificateUse, max: number): CertificateUse[] {
  const out: CertificateUse[] = [];
  for (const x of list) {
    if (out.length === max) break;
    if (x.info.gateway !== self.info.gateway) out.push(x);
  }
  return out;
}
