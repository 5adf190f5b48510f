import type { MeshGraph, Workload } from '../../../mesh/graph.js';
import { parseGatewayHost } from '../../../mesh/hosts.js';
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
  /** `scope` as one sorted string: gateways with equal keys run on exactly the same proxies. */
  readonly scopeKey: string;
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
  const scopeKey = [...scope].sort().join('\u0000');
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
  return { gateway, selector, selectorText, workloads, scope, scopeKey, servers };
}

/** Whether two gateways run on at least one common workload (or, lacking workloads, have the same selector). */
export function shareWorkloads(a: GatewayInfo, b: GatewayInfo): boolean {
  const [small, large] = a.scope.size <= b.scope.size ? [a.scope, b.scope] : [b.scope, a.scope];
  for (const k of small) if (large.has(k)) return true;
  return false;
}

/**
 * Gateways grouped by `scopeKey`, and for each group the groups sharing a workload with it (itself
 * included). Rules compare a gateway with the gateways of its overlapping groups instead of with
 * every gateway: linear while gateways run on a few shared Deployments, as they do.
 */
export class ScopeGroups {
  private readonly known = new Set<string>();
  private readonly byScope = new Map<string, Set<string>>();
  private readonly overlapCache = new Map<string, readonly string[]>();

  constructor(infos: readonly GatewayInfo[]) {
    for (const g of infos) {
      if (this.known.has(g.scopeKey)) continue;
      this.known.add(g.scopeKey);
      for (const k of g.scope) {
        let keys = this.byScope.get(k);
        if (!keys) this.byScope.set(k, (keys = new Set()));
        keys.add(g.scopeKey);
      }
    }
  }

  /** Scope keys of the groups sharing a workload with `g`'s group, `g`'s own first. */
  overlapping(g: GatewayInfo): readonly string[] {
    let keys = this.overlapCache.get(g.scopeKey);
    if (!keys) {
      const set = new Set([g.scopeKey]);
      for (const k of g.scope) for (const other of this.byScope.get(k) ?? []) set.add(other);
      this.overlapCache.set(g.scopeKey, (keys = [...set]));
    }
    return keys;
  }
}

/** `Gateway ns/name`. */
export function nameOf(gateway: MeshObject): string {
  return `${gateway.namespace}/${gateway.name}`;
}

/** `ns/name server[i]`, for messages that list other servers. */
export function describeServer(s: GatewayServer): string {
  return `${nameOf(s.gateway)} spec.servers[${s.index}]`;
}

export { listSome } from '../_lists.js';

/** Lists longer than this are sampled rather than gathered and sorted whole. */
export const SORTED_LIST_LIMIT = 64;

const PUBLIC_SERVICE_TYPES = new Set(['LoadBalancer', 'NodePort']);

/**
 * Whether a gateway faces the outside world: a Service of type LoadBalancer or NodePort (or with
 * `externalIPs`) selects one of its workloads. When the input has none of its workloads, a
 * selector `istio: ingressgateway` (Istio's default ingress) counts as public.
 */
export function isPublicGateway(graph: MeshGraph, g: GatewayInfo): boolean {
  if (g.workloads.length === 0) return g.selector.istio === 'ingressgateway';
  let known = publicCache.get(graph);
  if (!known) publicCache.set(graph, (known = new Map()));
  let answer = known.get(g.scopeKey);
  if (answer === undefined) known.set(g.scopeKey, (answer = exposedPublicly(graph, g)));
  return answer;
}

const publicCache = new WeakMap<MeshGraph, Map<string, boolean>>();

function exposedPublicly(graph: MeshGraph, g: GatewayInfo): boolean {
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
