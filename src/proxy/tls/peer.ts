/**
 * The peer certificate's names as Envoy exposes them (`Ssl::ConnectionInfo`): URI SANs (the SPIFFE
 * identity of a mesh workload), DNS SANs, e-mail and IP SANs, and the subject in RFC 2253 form; and
 * `match_typed_subject_alt_names` / `match_subject_alt_names` against them (Envoy
 * `DefaultCertValidator::matchSubjectAltName`).
 */
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { CertificateValidationContext, SubjectAltNameMatcher } from '../../xds/gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import { SubjectAltNameMatcher_SanType as SanType } from '../../xds/gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import type { StringMatcher } from '../../xds/gen/envoy/type/matcher/v3/string_pb.js';
import type { PeerCertificateNames } from '../rbac/engine.js';
import { matchString } from '../rbac/string-match.js';

/** All names of a certificate. */
export interface CertificateNames extends PeerCertificateNames {
  readonly emailSans: readonly string[];
  readonly ipSans: readonly string[];
}

/**
 * Splits Node's `subjectAltName` text (`URI:spiffe://a, DNS:b, IP Address:1.2.3.4`; values with
 * special characters are JSON-quoted since Node 17) into typed names.
 */
export function parseSubjectAltName(text: string | undefined): Omit<CertificateNames, 'subject'> {
  const out = { uriSans: [] as string[], dnsSans: [] as string[], emailSans: [] as string[], ipSans: [] as string[] };
  if (!text) return out;
  const re = /(URI|DNS|email|IP Address|othername|DirName|Registered ID):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/gy;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const value = m[2]!.startsWith('"') ? JSON.parse(m[2]!) as string : m[2]!;
    if (m[1] === 'URI') out.uriSans.push(value);
    else if (m[1] === 'DNS') out.dnsSans.push(value);
    else if (m[1] === 'email') out.emailSans.push(value);
    else if (m[1] === 'IP Address') out.ipSans.push(value);
    if (re.lastIndex >= text.length) break;
  }
  return out;
}

/** The names of a DER or PEM certificate. */
export function certificateNames(cert: Buffer | string): CertificateNames {
  const x = new X509Certificate(cert);
  // RFC 2253 prints the most specific RDN first; Node lists them in certificate order.
  const subject = (x.subject ?? '').split('\n').filter(Boolean).reverse().join(',');
  return { ...parseSubjectAltName(x.subjectAltName), subject };
}

const cache = new WeakMap<TLSSocket, CertificateNames | null>();

/** The verified peer certificate's names on a TLS socket, or null when the peer sent none. Cached per socket. */
export function peerNames(socket: TLSSocket): CertificateNames | null {
  const hit = cache.get(socket);
  if (hit !== undefined) return hit;
  const raw = socket.getPeerCertificate?.()?.raw;
  const names = raw && raw.length ? certificateNames(raw) : null;
  cache.set(socket, names);
  return names;
}

/** The peer's SPIFFE identity (first `spiffe://` URI SAN), as `%DOWNSTREAM_PEER_URI_SAN%` shows it; undefined without one. */
export function peerSpiffeId(socket: TLSSocket | undefined): string | undefined {
  if (!socket) return undefined;
  return peerNames(socket)?.uriSans.find((u) => u.startsWith('spiffe://'));
}

/** DNS SAN match: a certificate's `*.example.com` covers exactly one label (Envoy `dnsNameMatch`). */
function dnsMatches(m: StringMatcher, san: string): boolean {
  if (matchString(m, san)) return true;
  if (m.matchPattern.case === 'exact' && san.startsWith('*.')) {
    const want = m.ignoreCase ? m.matchPattern.value.toLowerCase() : m.matchPattern.value;
    const dot = want.indexOf('.');
    return dot > 0 && want.slice(dot) === (m.ignoreCase ? san.slice(1).toLowerCase() : san.slice(1));
  }
  return false;
}

function typedMatches(m: SubjectAltNameMatcher, n: CertificateNames): boolean {
  if (!m.matcher) return false;
  switch (m.sanType) {
    case SanType.URI: return n.uriSans.some((s) => matchString(m.matcher!, s));
    case SanType.DNS: return n.dnsSans.some((s) => dnsMatches(m.matcher!, s));
    case SanType.EMAIL: return n.emailSans.some((s) => matchString(m.matcher!, s));
    case SanType.IP_ADDRESS: return n.ipSans.some((s) => matchString(m.matcher!, s));
    default: return false;
  }
}

/**
 * Whether a certificate passes the context's SAN matchers: none configured passes; otherwise any
 * typed matcher (or any legacy `match_subject_alt_names` entry, tried against DNS, URI, e-mail and
 * IP SANs) must match. Returns an error message naming what was wanted and what the peer has.
 */
export function checkSubjectAltNames(v: CertificateValidationContext | undefined, n: CertificateNames): string | undefined {
  const typed = v?.matchTypedSubjectAltNames ?? [];
  const legacy = v?.matchSubjectAltNames ?? [];
  if (typed.length === 0 && legacy.length === 0) return undefined;
  if (typed.some((m) => typedMatches(m, n))) return undefined;
  if (legacy.some((m) => [...n.dnsSans].some((s) => dnsMatches(m, s)) || [...n.uriSans, ...n.emailSans, ...n.ipSans].some((s) => matchString(m, s)))) return undefined;
  const want = [...typed.map((m) => `${SanType[m.sanType]}:${describe(m.matcher)}`), ...legacy.map((m) => describe(m))].join(' or ');
  const have = [...n.uriSans.map((s) => `URI:${s}`), ...n.dnsSans.map((s) => `DNS:${s}`)].join(', ') || 'no SAN';
  return `peer certificate SAN does not match: want ${want}, peer has ${have}`;
}

function describe(m: StringMatcher | undefined): string {
  const p = m?.matchPattern;
  if (!p?.case) return '(nothing)';
  return `${p.case}=${JSON.stringify(p.case === 'safeRegex' ? p.value.regex : p.case === 'custom' ? p.value.name : p.value)}`;
}
