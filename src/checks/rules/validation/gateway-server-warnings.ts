import { isRecord } from '../../../mesh/object.js';
import { isHttp, parseProtocol } from '../../../mesh/protocol.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { SCHEMA_WARNING } from './_schema-warning.js';

/** Cipher suites istiod accepts for a server (`security.ValidCipherSuites`). */
const CIPHER_SUITES = new Set([
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-SHA', 'ECDHE-RSA-AES256-SHA', 'AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'AES128-SHA', 'AES256-SHA', 'DES-CBC3-SHA',
]);

/** `security.IsValidCipherSuite`: '' and ALL pass, so does anything not starting with a letter or digit (`-`, `+`, `!` operators). */
const validCipher = (cs: string): boolean => cs === '' || cs === 'ALL' || !/^[\p{L}\p{N}]/u.test(cs) || CIPHER_SUITES.has(cs);

const nonEmpty = (v: unknown): boolean => (typeof v === 'string' && v !== '') || (Array.isArray(v) && v.length > 0);
const CERTIFICATE_FIELDS = ['caCrl', 'serverCertificate', 'privateKey', 'caCertificates', 'tlsCertificates', 'credentialName', 'credentialNames'];

/**
 * The warnings `validateTLSOptions` gives one ServerTLSSettings (a Gateway server's `tls`, a Sidecar ingress listener's):
 * [message, path]; `who` names what would forward TLS unterminated ("the gateway", "the sidecar").
 */
export function tlsWarnings(tls: Record<string, unknown>, at: FieldPath, who = 'the gateway'): [string, FieldPath][] {
  const out: [string, FieldPath][] = [];
  const ciphers = Array.isArray(tls.cipherSuites) ? tls.cipherSuites.filter((c): c is string => typeof c === 'string') : [];
  if ((tls.minProtocolVersion === 'TLSV1_0' || tls.minProtocolVersion === 'TLSV1_1') && ciphers.length === 0) {
    out.push(['TLS version below TLSV1_2 require setting compatible ciphers as by default they no longer include compatible ciphers: ' +
      `minProtocolVersion ${tls.minProtocolVersion} without cipherSuites negotiates nothing those clients speak; list cipherSuites (e.g. ECDHE-RSA-AES128-SHA) or raise minProtocolVersion to TLSV1_2`, [...at, 'minProtocolVersion']]);
  }
  const invalid = new Set<string>();
  const seen = new Set<string>();
  const duplicate = new Set<string>();
  for (const cs of ciphers) {
    if (!validCipher(cs)) invalid.add(cs);
    else if (seen.has(cs)) duplicate.add(cs);
    else seen.add(cs);
  }
  const list = (s: Set<string>) => `[${[...s].sort().join(' ')}]`;
  if (invalid.size > 0) out.push([`ignoring invalid cipher suites: ${list(invalid)}; use OpenSSL names Envoy knows, such as ECDHE-RSA-AES128-GCM-SHA256`, [...at, 'cipherSuites']]);
  if (duplicate.size > 0) out.push([`ignoring duplicate cipher suites: ${list(duplicate)}; list each once`, [...at, 'cipherSuites']]);
  if (tls.mode === 'ISTIO_MUTUAL') return out;
  const mode = typeof tls.mode === 'string' ? tls.mode : 'PASSTHROUGH';
  if ((mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') && CERTIFICATE_FIELDS.some((k) => nonEmpty(tls[k]))) {
    out.push([`${mode} mode does not use certificates, they will be ignored: ${who} forwards TLS unterminated; remove ${CERTIFICATE_FIELDS.filter((k) => nonEmpty(tls[k])).join(', ')}, or terminate TLS with mode SIMPLE`, [...at, 'mode']]);
  }
  if ((mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL') && Array.isArray(tls.tlsCertificates) && tls.tlsCertificates.length > 2
    && !nonEmpty(tls.credentialName) && !nonEmpty(tls.credentialNames)) {
    out.push([`${mode === 'SIMPLE' ? 'SIMPLE' : 'MUTUAL'} TLS can support up to 2 server certificates: tlsCertificates lists ${tls.tlsCertificates.length}; keep one RSA and one ECDSA certificate`, [...at, 'tlsCertificates']]);
  }
  return out;
}

/**
 * `validation/gateway-server-warnings` (IST0133): what Istio's webhook accepts on a Gateway server
 * with a warning. Mirrors the warnings of `ValidateGateway` and `validateTLSOptions`
 * (`pkg/config/validation/validation.go`), as `istioctl analyze` reports them through
 * `schema.ValidationAnalyzer`.
 */
const gatewayServerWarnings: Rule = {
  id: 'validation/gateway-server-warnings',
  istioCode: 'IST0133',
  severity: 'warning',
  summary: 'A Gateway server sets something istiod ignores: httpsRedirect on a non-HTTP port, unknown or repeated cipher suites, certificates on a PASSTHROUGH server, TLS 1.0/1.1 without ciphers, or more than two certificates.',
  docs: [
    'Istio\'s webhook accepts these Gateway servers with a warning, which `istioctl analyze` reports as IST0133',
    '(SchemaWarning): `tls.httpsRedirect` on a server whose port protocol is not HTTP (HTTP, HTTP2, HTTP_PROXY, GRPC,',
    'GRPC-Web), where no redirect is sent; `cipherSuites` entries that are not ciphers Envoy knows (ignored) or repeated;',
    '`minProtocolVersion` TLSV1_0/TLSV1_1 without `cipherSuites` (the default ciphers no longer include any that',
    'those versions use); certificates, keys or `credentialName` on a PASSTHROUGH or AUTO_PASSTHROUGH server, which',
    'terminates nothing; more than two `tlsCertificates` on a SIMPLE or MUTUAL server without `credentialName`. Fix: as',
    'each message says.',
  ].join(' '),
  kinds: ['Gateway'],
  check(graph, ctx) {
    for (const gw of graph.ofKind('Gateway')) {
      if (gw.group !== 'networking.istio.io' || !Array.isArray(gw.spec.servers)) continue;
      gw.spec.servers.forEach((server, i) => {
        if (!isRecord(server)) return;
        const at: FieldPath = ['spec', 'servers', i];
        const port = isRecord(server.port) ? server.port : undefined;
        const where = `server ${i}${port?.number !== undefined ? ` (port ${String(port.number)})` : ''}`;
        const warnings = isRecord(server.tls) ? tlsWarnings(server.tls, [...at, 'tls']) : [];
        if (port && isRecord(server.tls) && server.tls.httpsRedirect === true && !isHttp(parseProtocol(typeof port.protocol === 'string' ? port.protocol : ''))) {
          warnings.push([`tls.httpsRedirect should only be used with http servers: the port protocol is ${JSON.stringify(port.protocol ?? '')}, so no redirect is sent; put httpsRedirect on a server with protocol HTTP`, [...at, 'tls', 'httpsRedirect']]);
        }
        for (const [message, path] of warnings) ctx.report(gw, `${SCHEMA_WARNING} ${message} (${where})`, { path });
      });
    }
  },
};

export default gatewayServerWarnings;
