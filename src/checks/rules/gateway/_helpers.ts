import type { MeshGraph, Workload } from '../../../mesh/graph.js';
import { hostsIntersect, isWildcard, parseGatewayHost, wildcardsCovering } from '../../../mesh/hosts.js';
import { push } from '../../../mesh/services.js';
import { isRecord, stringList, stringMap, type MeshObject } from '../../../mesh/object.js';
import type { FieldPath } from '../../types.js';

/** One `hosts` entry of a Gateway server. */
export interface GatewayHost {
  /** As written, `ns/host` form included. */
  readonly entry: string;
  /** The host part, lower-cased. */
  readonly host: string;
  readonly path: FieldPath;
}

/** A Gateway server, read once. */
export interface GatewayServer {
  readonly gateway: MeshObject;
  readonly index: number;
  /** `['spec','servers',i]`. */
  readonly path: FieldPath;
  readonly port: number | undefined;
  /** `port.protocol`, upper-cased; `''` when missing. */
  readonly protocol: string;
  readonly hosts: readonly GatewayHost[];
  readonly tls: Readonly<Record<string, unknown>> | undefined;
}

/** A Gateway with its selector, the workloads it selects and its servers. */
export interface GatewayInfo {
  readonly gateway: MeshObject;
  readonly selector: Readonly<Record<string, string>>;
  /** `key=value,...` as istioctl prints selectors; `''` for an empty selector. */
  readonly selectorText: string;
  /** Workloads in any namespace whose labels match the selector (Istio's default gateway scope). */
  readonly workloads: readonly Workload[];
  /**
   * What the gateway runs on, for comparing gateways: workload keys, or `selector:<text>` when
   * the selector matches nothing in the input (istioctl's comparison by selector).
   */
  readonly scope: ReadonlySet<string>;
  readonly servers: readonly GatewayServer[];
}

const cache = new WeakMap<MeshGraph, readonly GatewayInfo[]>();

/** Every Gateway of the graph with its workloads and servers (computed once per graph). */
export function gatewaysOf(graph: MeshGraph): readonly GatewayInfo[] {
  let infos = cache.get(graph);
  if (!infos) {
    infos = graph.ofKind('Gateway').map((g) => gatewayInfo(graph, g));
    cache.set(graph, infos);
  }
  return infos;
}

function gatewayInfo(graph: MeshGraph, gateway: MeshObject): GatewayInfo {
  const selector = stringMap(gateway.spec.selector);
  const selectorText = Object.keys(selector).sort().map((k) => `${k}=${selector[k]}`).join(',');
  const workloads = graph.workloadsSelectedBy(null, selector);
  const scope = new Set(workloads.length > 0 ? workloads.map((w) => w.object.key) : [`selector:${selectorText}`]);
  const servers: GatewayServer[] = [];
  const list = Array.isArray(gateway.spec.servers) ? gateway.spec.servers : [];
  list.forEach((s, index) => {
    if (!isRecord(s)) return;
    const path: FieldPath = ['spec', 'servers', index];
    const port = isRecord(s.port) ? s.port : {};
    const hosts = (stringList(s.hosts) ?? []).map((entry, j) => ({
      entry,
      host: parseGatewayHost(entry, gateway.namespace).host,
      path: [...path, 'hosts', j],
    }));
    servers.push({
      gateway, index, path, hosts,
      port: typeof port.number === 'number' ? port.number : undefined,
      protocol: typeof port.protocol === 'string' ? port.protocol.toUpperCase() : '',
      tls: isRecord(s.tls) ? s.tls : undefined,
    });
  });
  return { gateway, selector, selectorText, workloads, scope, servers };
}

/** Whether two gateways run on at least one common workload (or, lacking workloads, have the same selector). */
export function shareWorkloads(a: GatewayInfo, b: GatewayInfo): boolean {
  const [small, large] = a.scope.size <= b.scope.size ? [a.scope, b.scope] : [b.scope, a.scope];
  for (const k of small) if (large.has(k)) return true;
  return false;
}

/** `Gateway ns/name`. */
export function nameOf(gateway: MeshObject): string {
  return `${gateway.namespace}/${gateway.name}`;
}

/** `ns/name server[i]`, for messages that list other servers. */
export function describeServer(s: GatewayServer): string {
  return `${nameOf(s.gateway)} spec.servers[${s.index}]`;
}

/** Joins at most `max` items, then says how many more there are. */
export function listSome(items: readonly string[], max = 3): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

const PUBLIC_SERVICE_TYPES = new Set(['LoadBalancer', 'NodePort']);

/**
 * Whether a gateway faces the outside world: a Service of type LoadBalancer or NodePort (or with
 * `externalIPs`) selects one of its workloads. When the input has none of its workloads, a
 * selector `istio: ingressgateway` (Istio's default ingress) counts as public.
 */
export function isPublicGateway(graph: MeshGraph, g: GatewayInfo): boolean {
  if (g.workloads.length === 0) return g.selector.istio === 'ingressgateway';
  return g.workloads.some((w) =>
    graph.servicesSelecting(w).some((s) => {
      const spec = s.object.spec;
      return (typeof spec.type === 'string' && PUBLIC_SERVICE_TYPES.has(spec.type)) || (Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
    }),
  );
}

/** Protocols that carry plaintext HTTP when the server has no TLS. */
export const PLAINTEXT_HTTP = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);

/** Whether an HTTP server answers every request with a redirect to https. */
export function redirectsToHttps(s: GatewayServer): boolean {
  return s.tls?.httpsRedirect === true;
}

/**
 * Values keyed by host, looked up by any host they intersect with: a concrete host is found by
 * exact match and through the wildcards covering it; only wildcard lookups scan.
 */
export class HostIndex<T> {
  private readonly exact = new Map<string, T[]>();
  private readonly wildcards = new Map<string, T[]>();
  private readonly all: { host: string; value: T }[] = [];

  add(host: string, value: T): void {
    push(isWildcard(host) ? this.wildcards : this.exact, host, value);
    this.all.push({ host, value });
  }

  /** Values whose host intersects `host`. */
  intersecting(host: string): T[] {
    if (isWildcard(host)) return this.all.filter((e) => hostsIntersect(host, e.host)).map((e) => e.value);
    return [...(this.exact.get(host) ?? []), ...wildcardsCovering(host).flatMap((w) => this.wildcards.get(w) ?? [])];
  }
}
