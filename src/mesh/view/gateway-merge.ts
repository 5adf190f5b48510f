/**
 * How istiod merges the servers of every Gateway bound to one gateway proxy into listeners
 * (`pilot/pkg/model/gateway.go` `mergeGateways`), as one model the translator (listeners and route
 * configurations) and the check rules read:
 * - servers are grouped by server port: the listener port (`resolvePorts`), the protocol and the
 *   `bind` address. Groups with one listener port and bind share one listener `<bind>_<port>`
 *   (`0.0.0.0_<port>` without `bind`);
 * - the first plain-text server on a listener port (no `tls`, or an HTTP server with `tls`, e.g. an
 *   `httpsRedirect` one) claims it: a later server with the same `bind` joins its group only when
 *   both are HTTP-like (`canMergeProtocols`: HTTP, HTTP2, HTTP_PROXY, GRPC, GRPC-Web), and is skipped
 *   otherwise (TCP after HTTP, HTTPS after HTTP, a second TCP server);
 * - a server with `tls` whose host (after `sanitizeServerHostNamespace`) an earlier server with `tls`
 *   on that listener port and `bind` already declared is skipped (`CheckDuplicates`);
 * - a TLS-terminating HTTPS server whose route configuration name an earlier one took is skipped.
 * A skipped server gets no filter chain and no routes; istiod logs "skipping server on gateway" and
 * counts the Gateway as rejected config.
 */
import { gatewayServerHostKey } from '../hosts.js';
import { type IstioProtocol, isHttp } from '../protocol.js';
import type { GatewayServerView } from './types.js';

/** One server port of istiod's merged gateway (`model.ServerPort` with its `MergedServers`). */
export interface GatewayServerPortView {
  /** The port the gateway listens on (`GatewayServerView.listenerPort`). */
  readonly port: number;
  /** The protocol of the server that made the group; HTTP-like servers that joined it may differ. */
  readonly protocol: IstioProtocol;
  /** `Server.bind`; `''` when unset (the wildcard address). */
  readonly bind: string;
  /**
   * The route configuration of an HTTP-like group (`http.<port>[.<bind>]`): its one connection
   * manager's RDS name. `''` for other groups, whose servers each get their own chain.
   */
  readonly routeName: string;
  /** The servers of the group, in merge order (Gateways by creation time, servers as written). */
  readonly servers: readonly GatewayServerView[];
}

/** Why istiod skips a Gateway server on a gateway proxy. */
export type SkippedServerReason =
  /** A host of this server with `tls` is already declared by an earlier server with `tls` on the listener port and bind (`CheckDuplicates`). */
  | 'duplicate-tls-host'
  /** The listener port and bind are taken by an earlier plain-text server of a protocol this one cannot merge with. */
  | 'protocol-conflict'
  /** The server's route configuration name is taken by an earlier TLS-terminating HTTPS server. */
  | 'route-name-taken'
  /** A later plain-text server of the same port, protocol and bind replaced this server with `tls` (istiod overwrites its merged servers). */
  | 'replaced';

/** A server istiod leaves out, and the earlier server it lost to. */
export interface SkippedGatewayServerView {
  readonly server: GatewayServerView;
  readonly reason: SkippedServerReason;
  /** The earlier server that holds what this one wanted. */
  readonly heldBy: GatewayServerView;
  /** For `duplicate-tls-host`: the hosts (as istiod compares them) already declared. */
  readonly hosts?: readonly string[];
}

/** A gateway proxy's servers as istiod merges them. */
export interface MergedGatewayView {
  /** Server ports in the order istiod lists them (`MergedGateway.ServerPorts`). */
  readonly serverPorts: readonly GatewayServerPortView[];
  /** The servers left out, in merge order. */
  readonly skipped: readonly SkippedGatewayServerView[];
}

/** Envoy listener name of a gateway server port: `<bind>_<port>`, `0.0.0.0_<port>` without bind (istiod `getListenerName`). */
export function gatewayListenerName(serverPort: { readonly port: number; readonly bind: string }): string {
  return `${serverPort.bind === '' ? '0.0.0.0' : serverPort.bind}_${serverPort.port}`;
}

/**
 * The server's `tls.mode`, `null` without `tls`; an unset mode is `PASSTHROUGH`, the proto's zero
 * value (`ServerTLSSettings.TLSmode`).
 */
export function gatewayServerTlsMode(s: GatewayServerView): string | null {
  if (s.tls === null) return null;
  const mode = (s.tls as { mode?: unknown }).mode;
  return typeof mode === 'string' ? mode : 'PASSTHROUGH';
}

/** istiod `IsPassThroughServer`: `tls` in PASSTHROUGH or AUTO_PASSTHROUGH mode. */
function passthrough(s: GatewayServerView): boolean {
  const mode = gatewayServerTlsMode(s);
  return mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH';
}

/** istiod `IsTLSServer`: `tls` set on a server whose protocol is not HTTP-like. */
export function isTlsGatewayServer(s: GatewayServerView): boolean {
  return s.tls !== null && !isHttp(s.protocol);
}

/** istiod `IsHTTPServer`: HTTP-like, or HTTPS terminating TLS. */
export function isHttpGatewayServer(s: GatewayServerView): boolean {
  return isHttp(s.protocol) || (s.protocol === 'HTTPS' && !passthrough(s));
}

/** istiod `IsHTTPSServerWithTLSTermination`: HTTPS with `tls` that is not a passthrough. */
export function terminatesHttps(s: GatewayServerView): boolean {
  return s.tls !== null && s.protocol === 'HTTPS' && !passthrough(s);
}

/**
 * The route configuration name of a server (istiod `gatewayRDSRouteName`): `http.<listener port>` for
 * HTTP-like servers, `https.<server port>.<port name>.<gateway>.<namespace>` for HTTPS servers that
 * terminate TLS (the server's own port number), each with `.<bind>` when the server has one; `''`
 * for the rest (TCP, TLS, passthrough), which use no route configuration.
 */
export function gatewayServerRouteName(s: GatewayServerView): string {
  const bind = s.bind === '' ? '' : `.${s.bind}`;
  if (isHttp(s.protocol)) return `http.${s.listenerPort}${bind}`;
  if (s.protocol === 'HTTPS' && !passthrough(s)) {
    // an HTTPS server without `tls` is refused by validation; istiod names it as one that terminates
    const slash = s.gateway.indexOf('/');
    return `https.${s.port}.${s.portName}.${s.gateway.slice(slash + 1)}.${s.gateway.slice(0, slash)}${bind}`;
  }
  return '';
}

/** `canMergeProtocols(current, p)` as istiod calls it: (new server's protocol, the port holder's protocol). */
function canMergeProtocols(current: IstioProtocol, p: IstioProtocol): boolean {
  return (isHttp(current) || current === p) && isHttp(p);
}

/**
 * The servers of a gateway proxy's view (`ProxyView.gatewayServers`, in istiod's merge order) merged
 * as istiod's `mergeGateways` merges them. Pure; the same servers give the same result.
 */
export function mergeGatewayServers(servers: readonly GatewayServerView[]): MergedGatewayView {
  const ports = new Set<number>();
  const groups = new Map<string, { port: number; protocol: IstioProtocol; bind: string; routeName: string; servers: GatewayServerView[] }>();
  const order: string[] = [];
  const plainText = new Map<number, { key: string; protocol: IstioProtocol; bind: string; holder: GatewayServerView }>();
  const byRouteName = new Map<string, GatewayServerView>();
  const tlsHosts = new Map<number, Map<string, { bind: string; holder: GatewayServerView }>>();
  const nonPlainTextBinds = new Map<number, Set<string>>();
  const skipped: SkippedGatewayServerView[] = [];
  const keyOf = (port: number, protocol: IstioProtocol, bind: string) => `${port}\u0000${protocol}\u0000${bind}`;
  const open = (s: GatewayServerView, key: string, routeName: string) => {
    groups.set(key, { port: s.listenerPort, protocol: s.protocol, bind: s.bind, routeName, servers: [s] });
    order.push(key);
  };
  // addPlainTextServer: despite its name, the first server of a listener port (or of a new bind) of any kind.
  const addFirst = (s: GatewayServerView, key: string, routeName: string) => {
    if (!isTlsGatewayServer(s)) plainText.set(s.listenerPort, { key, protocol: s.protocol, bind: s.bind, holder: s });
    if (isHttpGatewayServer(s)) byRouteName.set(routeName, s);
    open(s, key, routeName);
  };
  for (const s of servers) {
    const port = s.listenerPort;
    const routeName = gatewayServerRouteName(s);
    if (s.tls !== null) {
      let known = tlsHosts.get(port);
      if (!known) tlsHosts.set(port, (known = new Map()));
      const namespace = s.gateway.slice(0, s.gateway.indexOf('/'));
      const keys = s.hosts.map((h) => gatewayServerHostKey(h, namespace));
      const dup = keys.filter((h) => known!.get(h)?.bind === s.bind);
      if (dup.length > 0) {
        skipped.push({ server: s, reason: 'duplicate-tls-host', heldBy: known.get(dup[0]!)!.holder, hosts: dup });
        continue;
      }
      for (const h of keys) known.set(h, { bind: s.bind, holder: s });
    }
    const key = keyOf(port, s.protocol, s.bind);
    if (!ports.has(port)) {
      ports.add(port);
      addFirst(s, key, routeName);
      continue;
    }
    const current = plainText.get(port);
    if (current) {
      if (!canMergeProtocols(s.protocol, current.protocol) && current.bind === s.bind) {
        skipped.push({ server: s, reason: 'protocol-conflict', heldBy: current.holder });
        continue;
      }
      // istiod next skips a server without a route name on the same bind ("could not build RDS name"): only
      // a non-HTTP server has none, and canMergeProtocols already refused it.
      if (current.bind !== s.bind) {
        const group = groups.get(key);
        if (!group) addFirst(s, key, routeName);
        else {
          group.routeName = routeName;
          group.servers.push(s);
        }
      } else groups.get(current.key)!.servers.push(s);
      continue;
    }
    if (!isTlsGatewayServer(s)) {
      // istiod replaces a group of the same port, protocol and bind (a TCP server with `tls` before a
      // plain TCP one): the earlier server is lost. It lists the server port twice; here it keeps its place.
      plainText.set(port, { key, protocol: s.protocol, bind: s.bind, holder: s });
      if (isHttpGatewayServer(s)) byRouteName.set(routeName, s);
      if (!groups.has(key)) open(s, key, routeName);
      else {
        for (const lost of groups.get(key)!.servers) skipped.push({ server: lost, reason: 'replaced', heldBy: s });
        groups.set(key, { port, protocol: s.protocol, bind: s.bind, routeName, servers: [s] });
      }
      continue;
    }
    if (isHttpGatewayServer(s)) {
      const holder = byRouteName.get(routeName);
      if (holder) {
        skipped.push({ server: s, reason: 'route-name-taken', heldBy: holder });
        continue;
      }
      byRouteName.set(routeName, s);
    }
    let binds = nonPlainTextBinds.get(port);
    if (!binds) nonPlainTextBinds.set(port, (binds = new Set()));
    binds.add(s.bind);
    const group = groups.get(key);
    if (!group) open(s, key, '');
    else group.servers.push(s);
  }
  const serverPorts = order.map((k) => {
    const g = groups.get(k)!;
    return Object.freeze({ port: g.port, protocol: g.protocol, bind: g.bind, routeName: isHttp(g.protocol) ? g.routeName : '', servers: Object.freeze(g.servers) });
  });
  return Object.freeze({ serverPorts: Object.freeze(serverPorts), skipped: Object.freeze(skipped) });
}
