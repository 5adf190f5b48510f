/**
 * Envoy's RBAC engine, pure (`source/extensions/filters/common/rbac/engine_impl.cc`,
 * `matchers.cc`): an `envoy.config.rbac.v3.RBAC` plus connection and request attributes gives
 * allow/deny and the name of the policy that matched.
 *
 * - A policy matches when any of its permissions AND any of its principals match.
 * - Policies are tried in name order (Envoy keeps them in a `std::map`); the first match names the
 *   decision.
 * - `ALLOW`: allowed iff some policy matches. `DENY`: denied iff some policy matches. `LOG`: always
 *   allowed (the match is only reported).
 */
import { type Permission, type Policy, type Principal, type RBAC, RBAC_Action } from '../../xds/gen/envoy/config/rbac/v3/rbac_pb.js';
import { addressInRange } from './cidr.js';
import { type HeaderLookup, matchHeader, matchPath, matchString } from './string-match.js';

/** The verified peer certificate's names, as Envoy's `Ssl::ConnectionInfo` exposes them. */
export interface PeerCertificateNames {
  /** URI SANs, e.g. `spiffe://cluster.local/ns/shop/sa/reviews`. */
  readonly uriSans: readonly string[];
  /** DNS SANs. */
  readonly dnsSans: readonly string[];
  /** Subject in RFC 2253 form, e.g. `CN=reviews,O=shop`; `''` when unknown. */
  readonly subject: string;
}

/** Connection attributes the matchers read (Envoy `Network::Connection` and `StreamInfo`). */
export interface RbacConnection {
  /** Downstream local (destination) address and port: `destination_ip`, `destination_port(_range)`. */
  readonly localAddress?: string;
  readonly localPort?: number;
  /** The peer socket's address: `direct_remote_ip`, and `source_ip` (the connection's remote address). */
  readonly directRemoteAddress?: string;
  /** The client address after `x-forwarded-for` / PROXY protocol trust: `remote_ip`. @default directRemoteAddress */
  readonly remoteAddress?: string;
  /** SNI of the downstream TLS handshake: `requested_server_name`. @default '' */
  readonly requestedServerName?: string;
  /**
   * `undefined` for a plaintext connection (then `authenticated` never matches). For TLS, the peer
   * certificate's names, or `null` when the peer sent none.
   */
  readonly tls?: { readonly peer: PeerCertificateNames | null };
}

/** Request attributes; absent for the network RBAC filter (no headers: header matchers see none). */
export interface RbacRequest {
  /** Lower-case header lookup including `:method`, `:path`, `:authority`. */
  readonly headers: HeaderLookup;
}

/** The decision. `matchedPolicy` is the first matching policy by name, if any. */
export interface RbacDecision {
  readonly allowed: boolean;
  readonly matchedPolicy?: string;
}

interface Attrs {
  readonly conn: RbacConnection;
  readonly headers: HeaderLookup;
}

const NO_HEADERS: HeaderLookup = () => undefined;

/** Evaluates `rbac` for a connection (and request, for the HTTP filter). Never throws on valid config; see `validateRbac`. */
export function evaluateRbac(rbac: RBAC, conn: RbacConnection, request?: RbacRequest): RbacDecision {
  const attrs: Attrs = { conn, headers: request?.headers ?? NO_HEADERS };
  let matchedPolicy: string | undefined;
  for (const name of Object.keys(rbac.policies).sort(byteOrder)) {
    if (policyMatches(rbac.policies[name]!, attrs)) { matchedPolicy = name; break; }
  }
  const matched = matchedPolicy !== undefined;
  const allowed = rbac.action === RBAC_Action.ALLOW ? matched : rbac.action === RBAC_Action.DENY ? !matched : true;
  return matched ? { allowed, matchedPolicy } : { allowed };
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Whether one policy matches: any permission and any principal. */
export function policyMatches(p: Policy, a: Attrs): boolean {
  return p.permissions.some((x) => permissionMatches(x, a)) && p.principals.some((x) => principalMatches(x, a));
}

function permissionMatches(p: Permission, a: Attrs): boolean {
  const r = p.rule;
  switch (r.case) {
    case 'andRules': return r.value.rules.every((x) => permissionMatches(x, a));
    case 'orRules': return r.value.rules.some((x) => permissionMatches(x, a));
    case 'notRule': return !permissionMatches(r.value, a);
    case 'any': return true;
    case 'header': return matchHeader(r.value, a.headers);
    case 'urlPath': return matchPath(r.value, a.headers(':path'));
    case 'destinationIp': return addressInRange(r.value, a.conn.localAddress);
    case 'destinationPort': return a.conn.localPort === r.value;
    case 'destinationPortRange': return a.conn.localPort !== undefined && r.value.start <= a.conn.localPort && a.conn.localPort < r.value.end;
    case 'requestedServerName': return matchString(r.value, a.conn.requestedServerName ?? '');
    default: return false;
  }
}

function principalMatches(p: Principal, a: Attrs): boolean {
  const r = p.identifier;
  switch (r.case) {
    case 'andIds': return r.value.ids.every((x) => principalMatches(x, a));
    case 'orIds': return r.value.ids.some((x) => principalMatches(x, a));
    case 'notId': return !principalMatches(r.value, a);
    case 'any': return true;
    case 'authenticated': return authenticatedMatches(r.value.principalName, a.conn);
    case 'sourceIp': return addressInRange(r.value, a.conn.directRemoteAddress);
    case 'directRemoteIp': return addressInRange(r.value, a.conn.directRemoteAddress);
    case 'remoteIp': return addressInRange(r.value, a.conn.remoteAddress ?? a.conn.directRemoteAddress);
    case 'header': return matchHeader(r.value, a.headers);
    case 'urlPath': return matchPath(r.value, a.headers(':path'));
    default: return false;
  }
}

/**
 * `Principal.authenticated` (Envoy `AuthenticatedMatcher`): never on plaintext; any TLS connection
 * when `principal_name` is unset; otherwise any URI SAN, then any DNS SAN, then the subject.
 */
function authenticatedMatches(principalName: Parameters<typeof matchString>[0] | undefined, conn: RbacConnection): boolean {
  if (!conn.tls) return false;
  if (!principalName) return true;
  const peer = conn.tls.peer;
  if (peer?.uriSans.some((u) => matchString(principalName, u))) return true;
  if (peer?.dnsSans.some((d) => matchString(principalName, d))) return true;
  return matchString(principalName, peer?.subject ?? '');
}
