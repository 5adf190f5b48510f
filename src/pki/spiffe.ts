/**
 * SPIFFE identities as Istio issues them: `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`
 * (istio `pkg/spiffe`). A workload certificate carries its identity as its only URI SAN.
 */
import { PkiError } from './errors.js';

const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;

/** A parsed SPIFFE ID. */
export interface SpiffeId {
  /** e.g. `cluster.local` */
  readonly trustDomain: string;
  /** The path without its leading slash, e.g. `ns/shop/sa/reviews`. */
  readonly path: string;
  /** Istio's `ns/<namespace>/sa/<serviceAccount>` parts, when the path has that shape. */
  readonly namespace?: string;
  readonly serviceAccount?: string;
}

/**
 * Checks a trust domain (SPIFFE: lowercase letters, digits, `.`, `-`, `_`; at most 255 characters).
 * Throws `PKI_BAD_TRUST_DOMAIN`.
 */
export function checkTrustDomain(trustDomain: string, field = 'trustDomain'): string {
  if (typeof trustDomain !== 'string' || trustDomain === '' || trustDomain.length > 255 || !TRUST_DOMAIN.test(trustDomain)) {
    throw new PkiError('PKI_BAD_TRUST_DOMAIN', `${field}: ${JSON.stringify(trustDomain)} is not a SPIFFE trust domain; use lowercase letters, digits, ".", "-" and "_", e.g. "cluster.local"`);
  }
  return trustDomain;
}

/** Istio's workload identity `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. Throws `PKI_BAD_TRUST_DOMAIN` / `PKI_BAD_SPIFFE_ID`. */
export function workloadSpiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return parseSpiffeId(`spiffe://${checkTrustDomain(trustDomain)}/ns/${namespace}/sa/${serviceAccount}`).toString();
}

/**
 * Parses and checks a SPIFFE ID (`spiffe://` scheme, a trust domain, a non-empty path of segments
 * of letters, digits, `.`, `-`, `_`, none `.` or `..`; no query, fragment, port or user info).
 * Throws `PKI_BAD_SPIFFE_ID` naming what is wrong.
 */
export function parseSpiffeId(uri: string, field = 'spiffeId'): SpiffeId & { toString(): string } {
  const bad = (why: string) => new PkiError('PKI_BAD_SPIFFE_ID', `${field}: ${JSON.stringify(uri)} is not a SPIFFE ID: ${why}; expected spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>, e.g. spiffe://cluster.local/ns/shop/sa/reviews`);
  if (typeof uri !== 'string' || !uri.startsWith('spiffe://')) throw bad('the scheme must be "spiffe://"');
  const rest = uri.slice('spiffe://'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) throw bad(slash === 0 ? 'the trust domain is empty' : 'the path is empty');
  const trustDomain = rest.slice(0, slash);
  if (!TRUST_DOMAIN.test(trustDomain)) throw bad(`trust domain "${trustDomain}" may only hold lowercase letters, digits, ".", "-" and "_"`);
  const path = rest.slice(slash + 1);
  const segments = path.split('/');
  for (const s of segments) {
    if (s === '') throw bad('a path segment is empty');
    if (s === '.' || s === '..') throw bad(`path segment "${s}" is not allowed`);
    if (!PATH_SEGMENT.test(s)) throw bad(`path segment "${s}" may only hold letters, digits, ".", "-" and "_"`);
  }
  const istio = segments.length === 4 && segments[0] === 'ns' && segments[2] === 'sa';
  return {
    trustDomain, path,
    ...(istio ? { namespace: segments[1], serviceAccount: segments[3] } : {}),
    toString: () => `spiffe://${trustDomain}/${path}`,
  };
}
