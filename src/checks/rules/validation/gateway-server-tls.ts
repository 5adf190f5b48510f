import { isRecord, type MeshObject } from '../../../mesh/object.js';
import { isHttp, isTls, parseProtocol } from '../../../mesh/protocol.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

const nonEmpty = (v: unknown): boolean => (typeof v === 'string' && v !== '') || (Array.isArray(v) && v.length > 0);

/** Fields an ISTIO_MUTUAL server may not set, with Istio's wording for each. */
const ISTIO_MUTUAL_REFUSES: readonly [string, string][] = [
  ['serverCertificate', 'server certificate'], ['privateKey', 'private key'], ['caCertificates', 'CA bundle'],
  ['tlsCertificates', 'tlsCertificates'], ['credentialName', 'credentialName'], ['credentialNames', 'credentialNames'],
];

/** What validateServer / validateTLSOptions refuse in one server's `tls`: [message, path]. */
function serverTlsProblems(server: Record<string, unknown>, at: FieldPath): [string, FieldPath][] {
  const port = isRecord(server.port) ? server.port : {};
  if (typeof port.protocol !== 'string') return [];
  const protocol = parseProtocol(port.protocol);
  if (protocol === 'UnsupportedProtocol') return [];
  const tls = server.tls;
  const where = `server port ${String(port.number ?? '?')} (${port.protocol})`;
  if (!isRecord(tls)) {
    return isTls(protocol) ? [[`server must have TLS settings for HTTPS/TLS protocols: ${where} has no tls; add tls with mode SIMPLE and credentialName ` +
      '(or mode PASSTHROUGH to forward TLS by SNI)', [...at, 'port', 'protocol']]] : [];
  }
  // The TLSmode enum's zero value is PASSTHROUGH: an unset mode is PASSTHROUGH.
  const mode = typeof tls.mode === 'string' ? tls.mode : 'PASSTHROUGH';
  const out: [string, FieldPath][] = [];
  if (!isTls(protocol)) {
    if (!isHttp(protocol)) {
      out.push([`server cannot have TLS settings for non HTTPS/TLS ports: ${where} sets tls; remove it, or declare the port TLS to terminate or pass through TLS`, [...at, 'tls']]);
    } else if ((mode !== 'PASSTHROUGH' && mode !== 'AUTO_PASSTHROUGH') || ['caCertificates', 'privateKey', 'serverCertificate'].some((k) => nonEmpty(tls[k]))) {
      out.push([`server cannot have TLS settings for plain text HTTP ports: ${where} sets tls${typeof tls.mode === 'string' ? ` mode ${mode}` : ' with certificate files'}; ` +
        'a plain-text HTTP server takes tls only as {httpsRedirect: true} (mode left unset); terminate TLS on a separate HTTPS server', [...at, 'tls', typeof tls.mode === 'string' ? 'mode' : 'serverCertificate']]);
    }
  }
  if (mode === 'ISTIO_MUTUAL') {
    for (const [k, what] of ISTIO_MUTUAL_REFUSES) {
      if (nonEmpty(tls[k])) out.push([`ISTIO_MUTUAL TLS cannot have associated ${what}: ${where} sets tls.${k}; ISTIO_MUTUAL serves the gateway's own Istio certificate, so remove ${k} (or use mode MUTUAL with it)`, [...at, 'tls', k]]);
    }
    return out;
  }
  const sources = [nonEmpty(tls.serverCertificate) && nonEmpty(tls.privateKey), nonEmpty(tls.credentialName), nonEmpty(tls.credentialNames), nonEmpty(tls.tlsCertificates)].filter(Boolean).length;
  if (sources > 1) out.push([`only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified: ${where} sets ${sources} of them; keep one`, [...at, 'tls']]);
  // A terminating server with credentialName(s) is accepted before caCrl is looked at (validateTLSOptions returns early).
  if (['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL'].includes(mode) && (nonEmpty(tls.credentialName) || nonEmpty(tls.credentialNames))) return out;
  if (['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL'].includes(mode)) out.push(...fileCertificateProblems(tls, mode, where, at));
  if (nonEmpty(tls.caCrl) && nonEmpty(tls.credentialName)) out.push([`CRL is not supported with credentialName. CRL has to be specified in the credential: ${where} sets caCrl; put the CRL into the Secret (ca.crl) instead`, [...at, 'tls', 'caCrl']]);
  if (nonEmpty(tls.caCrl) && mode === 'SIMPLE') out.push([`CRL is not supported with SIMPLE TLS: ${where} sets caCrl; remove it, or use mode MUTUAL to verify client certificates`, [...at, 'tls', 'caCrl']]);
  return out;
}

/**
 * A terminating server without credentialName(s) reads its certificate from files: each of `tlsCertificates` (or the
 * top-level pair) needs serverCertificate and privateKey, and MUTUAL / OPTIONAL_MUTUAL a caCertificates bundle.
 */
function fileCertificateProblems(tls: Record<string, unknown>, mode: string, where: string, at: FieldPath): [string, FieldPath][] {
  const prefix = mode === 'SIMPLE' ? 'SIMPLE TLS' : 'MUTUAL TLS';
  const fix = 'name the Secret that holds the certificate in tls.credentialName (the usual way), or mount the files and set serverCertificate and privateKey';
  const out: [string, FieldPath][] = [];
  if (prefix === 'MUTUAL TLS' && !nonEmpty(tls.caCertificates)) out.push([`${prefix} requires a client CA bundle: ${where} is ${mode} without credentialName or caCertificates; ${fix}, with caCertificates`, [...at, 'tls', 'mode']]);
  const certs = Array.isArray(tls.tlsCertificates) && tls.tlsCertificates.length > 0 ? tls.tlsCertificates.map((c) => (isRecord(c) ? c : {})) : [tls];
  for (const c of certs) {
    if (!nonEmpty(c.serverCertificate)) out.push([`${prefix} requires a server certificate: ${where} is ${mode} without credentialName or serverCertificate; ${fix}`, [...at, 'tls', 'mode']]);
    if (!nonEmpty(c.privateKey)) out.push([`${prefix} requires a private key: ${where} is ${mode} without credentialName or privateKey; ${fix}`, [...at, 'tls', 'mode']]);
  }
  return out;
}

/** `validation/gateway-server-tls` (IST0106): Gateway server TLS settings Istio's webhook refuses (`validateServer`, `validateTLSOptions`). */
const gatewayServerTls: Rule = {
  id: 'validation/gateway-server-tls',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A Gateway server\'s tls settings do not fit its protocol or mode, so Istio\'s admission webhook refuses the Gateway.',
  docs: [
    'Istio validates each Gateway server (pkg/config/validation validateServer, validateTLSOptions): an HTTPS or TLS server',
    'needs `tls`; a plain-text HTTP server may carry `tls` only as a redirect, in PASSTHROUGH mode (the zero value, so',
    '`{httpsRedirect: true}` alone) without certificate files, and any other non-TLS server none at all; an ISTIO_MUTUAL server',
    'uses the gateway\'s Istio certificate and may not name a credentialName, certificate files or a CA bundle; and at most',
    'one certificate source (credentialName, credentialNames, serverCertificate/privateKey, tlsCertificates) may be set; a',
    'SIMPLE or MUTUAL server without credentialName needs serverCertificate and privateKey (MUTUAL also caCertificates), and',
    '`caCrl` goes neither with SIMPLE certificate files nor with a credentialName on a server that does not terminate TLS',
    '(a SIMPLE or MUTUAL server with credentialName is accepted before caCrl is looked at). The',
    'webhook refuses the whole Gateway, every server with it (IST0106). Fix: as the message says for the field named.',
  ].join(' '),
  kinds: ['Gateway'],
  check(graph, ctx) {
    for (const gw of graph.ofKind('Gateway') as MeshObject[]) {
      (Array.isArray(gw.spec.servers) ? gw.spec.servers : []).forEach((s, i) => {
        if (!isRecord(s)) return;
        for (const [message, path] of serverTlsProblems(s, ['spec', 'servers', i])) ctx.report(gw, message, { path });
      });
    }
  },
};

export default gatewayServerTls;
