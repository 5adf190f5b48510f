import { isRecord, type MeshObject } from '../../../mesh/object.js';

/** Port-name prefixes Istio parses (`pkg/config/protocol` `Parse`, compared in lower case). */
const PROTOCOLS: ReadonlySet<string> = new Set(['tcp', 'udp', 'grpc', 'grpc-web', 'http', 'http_proxy', 'http2', 'https', 'tls', 'mongo', 'redis', 'mysql']);
/** Kubernetes' standard appProtocol values Istio maps (`kube.ConvertProtocol`). */
const K8S_APP_PROTOCOLS: ReadonlySet<string> = new Set(['kubernetes.io/h2c', 'kubernetes.io/ws', 'kubernetes.io/wss']);
/** Ports Istio treats as TCP when the name says nothing (`wellKnownPorts`: SMTP, DNS, MySQL, MongoDB). */
const WELL_KNOWN_PORTS: ReadonlySet<number> = new Set([25, 53, 3306, 27017]);

/**
 * Whether Istio finds no protocol for a Service port, exactly as `pkg/config/kube` `ConvertProtocol`
 * decides it: UDP is UDP; a set `appProtocol` (even empty) REPLACES the name; then `grpc-web…`, else
 * the text before the first `-`, parsed ignoring case; an unknown one on a well-known port is TCP.
 */
export function portProtocolUnsupported(port: Record<string, unknown>): boolean {
  if (port.protocol === 'UDP') return false;
  let name = typeof port.name === 'string' ? port.name : '';
  if (typeof port.appProtocol === 'string') {
    name = port.appProtocol;
    if (K8S_APP_PROTOCOLS.has(name)) return false;
  }
  if (name.toLowerCase().startsWith('grpc-web')) return false;
  const dash = name.indexOf('-');
  if (PROTOCOLS.has((dash >= 0 ? name.slice(0, dash) : name).toLowerCase())) return false;
  return !(typeof port.port === 'number' && WELL_KNOWN_PORTS.has(port.port));
}

/** `gateway.istio.io/managed` values of Services Istio's gateway controllers create. */
const MANAGED = new Set(['istio.io-gateway-controller', 'istio.io-mesh-controller', 'istio.io-eastwest-controller']);

/**
 * Services `service.PortNameAnalyzer` skips: the control plane's (labelled `istio`, or `release: istio`,
 * `util.IsIstioControlPlane`) and those a gateway controller manages.
 */
export function portNamesUnchecked(svc: MeshObject): boolean {
  return Object.hasOwn(svc.labels, 'istio') || svc.labels.release === 'istio' || MANAGED.has(svc.labels['gateway.istio.io/managed'] ?? '');
}

/** The Service's `spec.ports` entries that are objects, with their index. */
export function servicePorts(svc: MeshObject): { readonly port: Record<string, unknown>; readonly index: number }[] {
  const ports = Array.isArray(svc.spec.ports) ? svc.spec.ports : [];
  return ports.flatMap((port, index) => (isRecord(port) ? [{ port, index }] : []));
}
