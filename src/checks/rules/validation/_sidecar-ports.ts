// What Istio's ValidateSidecar (pkg/config/validation/validation.go) refuses in a Sidecar's listener ports and binds
// (validateSidecarIngressPortAndBind, validateSidecarEgressPortBindAndCaptureMode, ValidateUnixAddress) and in its
// `outboundTrafficPolicy` (validateSidecarOutboundTrafficPolicy), beyond the CRD schema.
import { isIP } from 'node:net';
import { isRecord } from '../../../mesh/object.js';
import { parseProtocol } from '../../../mesh/protocol.js';
import type { FieldPath } from '../../types.js';
import { fqdnError, isDns1123Label } from './_dns.js';

/** One refusal: the webhook's words plus where and how to fix, and the field (absolute path). */
export type SidecarProblem = [message: string, path: FieldPath];

export const UNIX_PREFIX = 'unix://';

/** Go netip.ParseAddr, which agent.ValidateIPAddress uses: an IPv4 or IPv6 address, IPv6 with an optional `%zone`. */
export function isIpAddr(addr: string): boolean {
  if (isIP(addr) !== 0) return true;
  const pct = addr.indexOf('%');
  return pct > 0 && pct < addr.length - 1 && isIP(addr.slice(0, pct)) === 6;
}

/**
 * Why Istio's ValidateUnixAddress refuses the path of a `unix://` address, or undefined: empty, or neither an
 * abstract socket (`@name`) nor an absolute path to a file (a leading `/`, no trailing `/`).
 */
export function unixAddressProblem(path: string): string | undefined {
  if (path === '') return 'unix address must not be empty';
  if (path.startsWith('@')) return undefined;
  return path.startsWith('/') && !path.endsWith('/') ? undefined : `${path} is not an absolute path to a file`;
}

/**
 * What ValidatePortName, ValidateProtocol and agent.ValidatePort refuse in one listener `port` ({number, protocol, name}) at
 * `at` (`spec.ingress[i].port` or `spec.egress[i].port`): a name that is not a DNS-1123 label, a protocol `protocol.Parse`
 * does not know (HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, HTTP_PROXY, TCP, UDP, TLS, MONGO, REDIS, MYSQL, any case), and a
 * number above 65535 (a missing or 0 number is told by the caller, as it depends on the bind).
 */
export function portProblems(port: Readonly<Record<string, unknown>>, at: FieldPath, where: string): SidecarProblem[] {
  const out: SidecarProblem[] = [];
  if (typeof port.name === 'string' && port.name !== '' && !isDns1123Label(port.name)) {
    out.push([`invalid port name: ${port.name}: ${where}.port.name is not a DNS-1123 label; use letters, digits and "-", starting and ending with a letter or digit (e.g. http-web)`, [...at, 'name']]);
  }
  if (typeof port.protocol === 'string' && port.protocol !== '' && parseProtocol(port.protocol) === 'UnsupportedProtocol') {
    out.push([`unsupported protocol: ${port.protocol}: ${where}.port.protocol is none of HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, HTTP_PROXY, TCP, UDP, TLS, MONGO, ` +
      'REDIS, MYSQL; name one of them, or remove protocol to let the proxy detect it', [...at, 'protocol']]);
  }
  if (typeof port.number === 'number' && port.number > 65535) {
    out.push([`port number ${port.number} must be in the range 1..65535: ${where}.port.number; give the port the listener serves`, [...at, 'number']]);
  }
  return out;
}

/** What agent.ValidateIPAddress refuses in an IP `bind` of `where` (a listener bound to a port number). */
export function ipBindProblem(bind: unknown, at: FieldPath, where: string): SidecarProblem[] {
  if (typeof bind !== 'string' || bind === '' || isIpAddr(bind)) return [];
  const unix = bind.startsWith(UNIX_PREFIX) ? ' (a unix:// bind needs port.number 0 on an egress listener)' : '';
  return [[`${bind} is not a valid IP: ${where}.bind must be an IP address such as 127.0.0.1 or 0.0.0.0${unix}; remove bind to use the default`, [...at, 'bind']]];
}

/** A path under `spec.outboundTrafficPolicy`. */
const at = (...p: FieldPath): FieldPath => ['spec', 'outboundTrafficPolicy', ...p];

/**
 * What validateSidecarOutboundTrafficPolicy refuses in `spec.outboundTrafficPolicy` ({mode, egressProxy: {host, subset,
 * port}}) beyond the CRD's mode enum: an `egressProxy` unless mode is ALLOW_ANY (unset is
 * REGISTRY_ONLY); an egressProxy host that is not an FQDN (agent.ValidateFQDN: no wildcard); an egressProxy without
 * `port`; and validateDestination on it: a subset that is not a DNS-1123 label, a port number outside 1..65535.
 */
export function outboundTrafficPolicyProblems(policy: unknown): SidecarProblem[] {
  if (!isRecord(policy)) return [];
  const mode = typeof policy.mode === 'string' && policy.mode !== '' ? policy.mode : 'REGISTRY_ONLY';
  // Another mode (ALLOW_ANY_DYNAMIC_DNS, which ValidateSidecar refuses as MeshConfig-only) is the CRD enum's refusal.
  if (mode !== 'REGISTRY_ONLY' && mode !== 'ALLOW_ANY') return [];
  const proxy = policy.egressProxy;
  if (!isRecord(proxy)) return [];
  if (mode !== 'ALLOW_ANY') {
    return [[`sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode: mode is ${mode}, which sends unknown destinations ` +
      'nowhere, so there is nothing for egressProxy to receive; set mode: ALLOW_ANY, or remove egressProxy', at('egressProxy')]];
  }
  const out: SidecarProblem[] = [];
  const host = typeof proxy.host === 'string' ? proxy.host : '';
  const fqdn = fqdnError(host);
  if (typeof proxy.host === 'string' && fqdn) {
    out.push([`${fqdn}: spec.outboundTrafficPolicy.egressProxy.host must be the fully qualified name of the egress service (e.g. istio-egressgateway.istio-system.svc.cluster.local)`, at('egressProxy', 'host')]);
  }
  if (!isRecord(proxy.port)) {
    out.push(['sidecar: egress_proxy port must be non-nil: spec.outboundTrafficPolicy.egressProxy has no port; add port: {number: <port of the egress service>}', at('egressProxy')]);
    return out;
  }
  if (typeof proxy.subset === 'string' && proxy.subset !== '' && !isDns1123Label(proxy.subset)) {
    out.push([`subset name is invalid: ${proxy.subset}: spec.outboundTrafficPolicy.egressProxy.subset must be a DNS-1123 label (a DestinationRule subset name)`, at('egressProxy', 'subset')]);
  }
  const n = typeof proxy.port.number === 'number' ? proxy.port.number : 0;
  if (!(n >= 1 && n <= 65535)) {
    out.push([`port number ${n} must be in the range 1..65535: spec.outboundTrafficPolicy.egressProxy.port.number; give the port of the egress service`, at('egressProxy', 'port', 'number')]);
  }
  return out;
}
