/**
 * The protocol of a Service or ServiceEntry port, the way istiod decides it
 * (`pkg/config/kube.ConvertProtocol`, `pkg/config/protocol.Parse`). Pure functions.
 */

/** Istio `protocol.Instance`, spelled exactly as Istio spells it. */
export type IstioProtocol =
  | 'HTTP' | 'HTTP2' | 'HTTPS' | 'HTTP_PROXY' | 'GRPC' | 'GRPC-Web'
  | 'TCP' | 'TLS' | 'UDP' | 'Mongo' | 'Redis' | 'MySQL'
  | 'UnsupportedProtocol';

/** What decided a port's protocol. */
export type ProtocolSource =
  | 'appProtocol' // Service `ports[].appProtocol`
  | 'port-name' // Service port name prefix (`http-web`, `grpc`)
  | 'serviceentry' // ServiceEntry / Gateway `ports[].protocol`
  | 'udp' // Kubernetes `protocol: UDP`
  | 'well-known-port' // unnamed port on 25, 53, 3306 or 27017: TCP, never sniffed
  | 'none'; // nothing declared: the proxy sniffs

export interface PortProtocol {
  /** `UnsupportedProtocol` when nothing declares it: Envoy then sniffs HTTP/1.1, HTTP/2 or TCP. */
  readonly protocol: IstioProtocol;
  readonly source: ProtocolSource;
  /** True when istiod leaves the protocol to detection (`protocol === 'UnsupportedProtocol'`). */
  readonly sniffed: boolean;
}

const BY_NAME: Readonly<Record<string, IstioProtocol>> = {
  tcp: 'TCP', udp: 'UDP', grpc: 'GRPC', 'grpc-web': 'GRPC-Web', http: 'HTTP', http_proxy: 'HTTP_PROXY',
  http2: 'HTTP2', https: 'HTTPS', tls: 'TLS', mongo: 'Mongo', redis: 'Redis', mysql: 'MySQL',
};

/** Ports istiod never sniffs (server-first protocols): SMTP, DNS, MySQL, MongoDB. */
export const WELL_KNOWN_PORTS: ReadonlySet<number> = new Set([25, 53, 3306, 27017]);

/** Istio `protocol.Parse`: case-insensitive exact name, else `UnsupportedProtocol`. */
export function parseProtocol(name: string): IstioProtocol {
  return BY_NAME[name.toLowerCase()] ?? 'UnsupportedProtocol';
}

const result = (protocol: IstioProtocol, source: ProtocolSource): PortProtocol => ({ protocol, source, sniffed: protocol === 'UnsupportedProtocol' });

/**
 * Protocol of a Kubernetes Service port (`kube.ConvertProtocol`): UDP when `protocol: UDP`;
 * else `appProtocol` (with Kubernetes' `kubernetes.io/h2c`, `/ws`, `/wss`), else the port name
 * (`grpc-web…`, then the part before the first `-`); an unknown name on a well-known port is TCP.
 */
export function servicePortProtocol(port: { readonly port?: number; readonly name?: string; readonly protocol?: string; readonly appProtocol?: string }): PortProtocol {
  if (port.protocol?.toUpperCase() === 'UDP') return result('UDP', 'udp');
  let name = port.name ?? '';
  let source: ProtocolSource = 'port-name';
  if (port.appProtocol !== undefined && port.appProtocol !== '') {
    switch (port.appProtocol) {
      case 'kubernetes.io/h2c': return result('HTTP2', 'appProtocol');
      case 'kubernetes.io/ws': return result('HTTP', 'appProtocol');
      case 'kubernetes.io/wss': return result('HTTPS', 'appProtocol');
    }
    name = port.appProtocol;
    source = 'appProtocol';
  }
  if (name.toLowerCase().startsWith('grpc-web')) return result('GRPC-Web', source);
  const dash = name.indexOf('-');
  const p = parseProtocol(dash >= 0 ? name.slice(0, dash) : name);
  if (p !== 'UnsupportedProtocol') return result(p, source);
  if (port.port !== undefined && WELL_KNOWN_PORTS.has(port.port)) return result('TCP', 'well-known-port');
  return result('UnsupportedProtocol', 'none');
}

/** Protocol of a ServiceEntry (or Gateway, Sidecar) port: its `protocol` field, else sniffed. */
export function declaredPortProtocol(protocol: string | undefined): PortProtocol {
  if (protocol === undefined || protocol === '') return result('UnsupportedProtocol', 'none');
  return result(parseProtocol(protocol), 'serviceentry');
}

/** HTTP/2 transport: HTTP2, GRPC, GRPC-Web (`Instance.IsHTTP2`). */
export function isHttp2(p: IstioProtocol): boolean {
  return p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-Web';
}

/** HTTP routes apply: HTTP, HTTP2, HTTP_PROXY, GRPC, GRPC-Web (`Instance.IsHTTP`). */
export function isHttp(p: IstioProtocol): boolean {
  return p === 'HTTP' || p === 'HTTP_PROXY' || isHttp2(p);
}

/** Plain TCP proxying (`Instance.IsTCP`): TCP, HTTPS, TLS, Mongo, Redis, MySQL. */
export function isTcp(p: IstioProtocol): boolean {
  return p === 'TCP' || p === 'HTTPS' || p === 'TLS' || p === 'Mongo' || p === 'Redis' || p === 'MySQL';
}

/** TLS on the wire (`Instance.IsTLS`): HTTPS, TLS; `tls` routes match these by SNI. */
export function isTls(p: IstioProtocol): boolean {
  return p === 'HTTPS' || p === 'TLS';
}

/** The protocol once a gateway terminates TLS (`AfterTLSTermination`): HTTPS→HTTP, TLS→TCP. */
export function afterTlsTermination(p: IstioProtocol): IstioProtocol {
  return p === 'HTTPS' ? 'HTTP' : p === 'TLS' ? 'TCP' : p;
}

/**
 * Which route kinds of a VirtualService can apply to a port of this protocol: `http` for HTTP
 * protocols, `tls` for TLS/HTTPS (passthrough, by SNI), `tcp` for everything TCP; a sniffed
 * port can carry `http` and `tcp` (Envoy picks per connection).
 */
export function routeKindsFor(p: IstioProtocol): readonly ('http' | 'tls' | 'tcp')[] {
  if (p === 'UnsupportedProtocol') return ['http', 'tcp'];
  if (isHttp(p)) return ['http'];
  if (isTls(p)) return ['tls', 'tcp'];
  if (p === 'UDP') return [];
  return ['tcp'];
}
