import type { FieldPath } from './types.js';
import { analyzerHostKey, hostMatches, hostsIntersect, isWildcard, resolveHost, serviceFqdn, wildcardsCovering } from './hosts.js';
import { isRecord, stringList, stringMap, type MeshObject } from './object.js';
import { DEFAULT_MESH_CONFIG, type MeshConfig } from './mesh-config.js';
import { exportToOf, exportedTo } from './visibility.js';
import { gatewayOfManagedService } from './gateway-api-service.js';
import { declaredPortProtocol, servicePortProtocol, type IstioProtocol, type PortProtocol } from './protocol.js';

/** A port of a Service or ServiceEntry. */
export interface ServicePort {
  readonly number: number;
  readonly name: string;
  /**
   * Istio protocol (`protocol.ts`): ServiceEntry `protocol`; for a Service, `appProtocol`, else
   * the port-name prefix (`http-web` → `HTTP`); `UnsupportedProtocol` when sniffed.
   */
  readonly protocol: IstioProtocol;
  /** What decided `protocol`, and whether the proxy sniffs it (always set by the registry). */
  readonly protocolInfo?: PortProtocol;
  /** Service `targetPort` / ServiceEntry `targetPort`, when set. */
  readonly targetPort?: number | string;
  /** Field path of this port in its object. */
  readonly path: FieldPath;
}

/** One host in the service registry: a Kubernetes Service, or one host of a ServiceEntry. */
export interface ServiceInfo {
  /**
   * The host istiod gives the service (`model.Service.Hostname`): a Kubernetes Service's FQDN; a ServiceEntry host
   * exactly as written, a short one (`payments`) included (`serviceentry/conversion.go` `convertServices`:
   * `host.Name(hostname)`). Cluster names (`outbound|80||payments`), virtual host domains and every istiod lookup
   * use it, so a VirtualService's short host, expanded in its own namespace, never meets a short ServiceEntry host.
   */
  readonly host: string;
  /**
   * The host `istioctl analyze` keys the service by (`util.ConvertHostToFQDN` in `InitServiceEntryHostMap`): `host`,
   * except that a short ServiceEntry host is expanded in the entry's namespace (`payments.<ns>.svc.<domain>`).
   * Only the rules that reproduce the analyzers (IST codes) read it, through {@link ServiceRegistry.forAnalyzerHost}.
   */
  readonly analyzerHost: string;
  readonly namespace: string;
  readonly kind: 'Service' | 'ServiceEntry';
  readonly object: MeshObject;
  readonly ports: readonly ServicePort[];
  /**
   * Effective exportTo: the `networking.istio.io/exportTo` annotation (Service) or `spec.exportTo`
   * (ServiceEntry), else MeshConfig `defaultServiceExportTo` (`visibility.ts`).
   */
  readonly exportTo: readonly string[];
  /** Pods selected: Service `spec.selector` / ServiceEntry `workloadSelector.labels`; null when none. */
  readonly selector: Readonly<Record<string, string>> | null;
  /** ServiceEntry `location`; Services are `MESH_INTERNAL`. */
  readonly location: 'MESH_INTERNAL' | 'MESH_EXTERNAL';
  /** ServiceEntry `resolution` (`NONE`, `STATIC`, `DNS`, `DNS_ROUND_ROBIN`); Services `STATIC`. */
  readonly resolution: string;
  /** ServiceEntry `addresses`, Service `clusterIP` (when set and not `None`). */
  readonly addresses: readonly string[];
  /** Field path of the host in its object (`['spec','hosts',i]`, or `['metadata','name']`). */
  readonly hostPath: FieldPath;
  /**
   * The Gateway API Gateway whose automated deployment istiod creates this Service with (`gateway-api-service.ts`),
   * when the Service is not in the input but made from that Gateway; unset for the input's services.
   */
  readonly generatedFrom?: MeshObject;
}

/** Istio protocol from a port name (`http-web`, `grpc`), or undefined when the name declares none. */
export function protocolFromPortName(name: string): IstioProtocol | undefined {
  const p = servicePortProtocol({ name });
  return p.sniffed ? undefined : p.protocol;
}

function servicesOf(o: MeshObject, domain: string, mc: MeshConfig): ServiceInfo[] {
  const exportTo = exportToOf(o, mc).values;
  const spec = o.spec;
  if (o.kind === 'Service') {
    const ports = (Array.isArray(spec.ports) ? spec.ports : []).flatMap((p, i): ServicePort[] => {
      if (!isRecord(p) || typeof p.port !== 'number') return [];
      const name = typeof p.name === 'string' ? p.name : '';
      const protocolInfo = servicePortProtocol({
        port: p.port, name,
        ...(typeof p.protocol === 'string' ? { protocol: p.protocol } : {}),
        ...(typeof p.appProtocol === 'string' ? { appProtocol: p.appProtocol } : {}),
      });
      const protocol = protocolInfo.protocol;
      const targetPort = typeof p.targetPort === 'number' || typeof p.targetPort === 'string' ? p.targetPort : undefined;
      return [{ number: p.port, name, protocol, protocolInfo, ...(targetPort !== undefined ? { targetPort } : {}), path: ['spec', 'ports', i] }];
    });
    const selector = isRecord(spec.selector) ? stringMap(spec.selector) : null;
    const ip = typeof spec.clusterIP === 'string' && spec.clusterIP !== 'None' && spec.clusterIP !== '' ? [spec.clusterIP] : [];
    const generatedFrom = gatewayOfManagedService(o);
    return [{
      ...(generatedFrom ? { generatedFrom } : {}),
      host: serviceFqdn(o.name, o.namespace, domain), analyzerHost: serviceFqdn(o.name, o.namespace, domain), namespace: o.namespace, kind: 'Service', object: o, ports,
      exportTo, selector: selector && Object.keys(selector).length > 0 ? selector : null,
      location: 'MESH_INTERNAL', resolution: 'STATIC', addresses: ip, hostPath: ['metadata', 'name'],
    }];
  }
  // ServiceEntry
  const ports = (Array.isArray(spec.ports) ? spec.ports : []).flatMap((p, i): ServicePort[] => {
    if (!isRecord(p) || typeof p.number !== 'number') return [];
    const targetPort = typeof p.targetPort === 'number' ? p.targetPort : undefined;
    const protocolInfo = declaredPortProtocol(typeof p.protocol === 'string' ? p.protocol : undefined);
    return [{
      number: p.number, name: typeof p.name === 'string' ? p.name : '',
      protocol: protocolInfo.protocol, protocolInfo,
      ...(targetPort !== undefined ? { targetPort } : {}), path: ['spec', 'ports', i],
    }];
  });
  const ws = isRecord(spec.workloadSelector) ? stringMap(spec.workloadSelector.labels) : null;
  const base = {
    namespace: o.namespace, kind: 'ServiceEntry' as const, object: o, ports,
    exportTo,
    selector: ws && Object.keys(ws).length > 0 ? ws : null,
    location: spec.location === 'MESH_INTERNAL' ? ('MESH_INTERNAL' as const) : ('MESH_EXTERNAL' as const),
    resolution: typeof spec.resolution === 'string' ? spec.resolution : 'NONE',
    addresses: stringList(spec.addresses) ?? [],
  };
  return (stringList(spec.hosts) ?? []).map((h, i) => ({ ...base, host: serviceEntryHost(h), analyzerHost: analyzerHostKey(h.trim(), o.namespace, domain), hostPath: ['spec', 'hosts', i] }));
}

/**
 * Every Service and ServiceEntry host, indexed by exact host and by wildcard suffix, so a
 * concrete host is looked up in O(labels) and never by scanning. Hosts are kept as written, letter
 * case included, as istiod's ServiceEntry conversion keeps them (`serviceentry/conversion.go`
 * `convertServices`: `host.Name(ha.host)`, never lower-cased); Kubernetes Service hosts are lower
 * case by construction (DNS-1035 names).
 */
export class ServiceRegistry {
  readonly all: readonly ServiceInfo[];
  private readonly byHost = new Map<string, ServiceInfo[]>();
  /** Wildcard ServiceEntry hosts, keyed by the pattern itself (`*.example.com`). */
  private readonly wildcards = new Map<string, ServiceInfo[]>();
  /** `byHost` and `wildcards` again, keyed by the lower-cased host, for {@link forHostIgnoringCase}. */
  private readonly byFoldedHost = new Map<string, ServiceInfo[]>();
  private readonly foldedWildcards = new Map<string, ServiceInfo[]>();
  /** ServiceEntry hosts written without a dot, keyed by their {@link ServiceInfo.analyzerHost}, for {@link forAnalyzerHost}. */
  private readonly expandedShortHosts = new Map<string, ServiceInfo[]>();
  /** Kubernetes Services by namespace, then by one `key=value` selector pair. */
  private readonly bySelectorPair = new Map<string, Map<string, ServiceInfo[]>>();
  /** ServiceEntry hosts with `workloadSelector`, the same way. */
  private readonly entriesBySelectorPair = new Map<string, Map<string, ServiceInfo[]>>();
  /** The services of each object, for a successor's reuse (made on first use). */
  private byObject: Map<MeshObject, readonly ServiceInfo[]> | undefined;

  /**
   * Indexes the services of `objects`. With `previous` (the registry of a graph this one replaces,
   * built with the same `domain` and `meshConfig`: the caller's duty), an object of it gets its very
   * `ServiceInfo`s (a pure function of the object, domain and MeshConfig), so what is keyed on a
   * service stays valid; an object it does not hold gets new ones.
   */
  constructor(objects: Iterable<MeshObject>, domain: string, meshConfig: MeshConfig = DEFAULT_MESH_CONFIG, previous?: ServiceRegistry) {
    const all: ServiceInfo[] = [];
    const before = previous?.servicesByObject();
    for (const o of objects) {
      for (const s of before?.get(o) ?? servicesOf(o, domain, meshConfig)) {
        all.push(s);
        push(isWildcard(s.host) ? this.wildcards : this.byHost, s.host, s);
        push(isWildcard(s.host) ? this.foldedWildcards : this.byFoldedHost, s.host.toLowerCase(), s);
        if (s.analyzerHost !== s.host) push(this.expandedShortHosts, s.analyzerHost, s);
        if (s.selector) {
          const index = s.kind === 'Service' ? this.bySelectorPair : this.entriesBySelectorPair;
          const [k, v] = Object.entries(s.selector)[0]!;
          let m = index.get(s.namespace);
          if (!m) index.set(s.namespace, (m = new Map()));
          push(m, `${k}=${v}`, s);
        }
      }
    }
    this.all = all;
  }

  private servicesByObject(): ReadonlyMap<MeshObject, readonly ServiceInfo[]> {
    if (this.byObject === undefined) {
      const m = new Map<MeshObject, ServiceInfo[]>();
      for (const s of this.all) push(m, s.object, s);
      this.byObject = m;
    }
    return this.byObject;
  }

  /**
   * Services whose host matches `host` (an FQDN or a wildcard, already resolved) and that are
   * visible from `fromNamespace`. A concrete host also matches wildcard ServiceEntry hosts; a
   * wildcard host matches every host it covers (this case scans).
   */
  forHost(host: string, fromNamespace: string | null): ServiceInfo[] {
    let found: ServiceInfo[];
    if (isWildcard(host)) {
      found = this.all.filter((s) => hostMatches(host, s.host) || hostMatches(s.host, host));
    } else {
      found = [...(this.byHost.get(host) ?? [])];
      for (const w of wildcardsCovering(host)) found.push(...(this.wildcards.get(w) ?? []));
    }
    return fromNamespace === null ? found : found.filter((s) => exportedTo(s.exportTo, s.namespace, fromNamespace));
  }

  /**
   * {@link forHost} as `istioctl analyze` reads the registry: by {@link ServiceInfo.analyzerHost}, so a short
   * ServiceEntry host (`payments` in `shop`) is found as `payments.shop.svc.<domain>` and not as `payments`.
   * istiod never looks hosts up this way; only the rules that reproduce the analyzers' verdicts (IST codes) do.
   */
  forAnalyzerHost(host: string, fromNamespace: string | null): ServiceInfo[] {
    let found: ServiceInfo[];
    if (this.expandedShortHosts.size === 0) return this.forHost(host, fromNamespace);
    if (isWildcard(host)) {
      found = this.all.filter((s) => hostMatches(host, s.analyzerHost) || hostMatches(s.analyzerHost, host));
    } else {
      found = [...this.forHost(host, null).filter((s) => s.analyzerHost === s.host), ...(this.expandedShortHosts.get(host) ?? [])];
    }
    return fromNamespace === null ? found : found.filter((s) => exportedTo(s.exportTo, s.namespace, fromNamespace));
  }

  /**
   * Like {@link forHost}, but letter case ignored: `API.example.com` finds a ServiceEntry host written
   * `api.example.com` and the other way round. istiod never looks hosts up this way; rules use it to say
   * "did you mean the host in other letter case".
   */
  forHostIgnoringCase(host: string, fromNamespace: string | null): ServiceInfo[] {
    const h = host.toLowerCase();
    let found: ServiceInfo[];
    if (isWildcard(h)) {
      found = this.all.filter((s) => hostsIntersect(h, s.host.toLowerCase()));
    } else {
      found = [...(this.byFoldedHost.get(h) ?? [])];
      for (const w of wildcardsCovering(h)) found.push(...(this.foldedWildcards.get(w) ?? []));
    }
    return fromNamespace === null ? found : found.filter((s) => exportedTo(s.exportTo, s.namespace, fromNamespace));
  }

  /**
   * Kubernetes Services in `namespace` whose selector selects `labels` (ServiceEntries are left out:
   * see {@link entriesSelecting}).
   */
  selecting(namespace: string, labels: Readonly<Record<string, string>>): ServiceInfo[] {
    return selectingIn(this.bySelectorPair, namespace, labels);
  }

  /**
   * ServiceEntry hosts in `namespace` whose `workloadSelector.labels` select `labels` (a pod or a
   * WorkloadEntry of that namespace): istiod's ServiceEntry controller makes such workloads endpoints of
   * every host of the entry, on its ports (`targetPort`, else the port number; a WorkloadEntry's
   * `ports` map overrides by port name). One ServiceInfo per host, so a ServiceEntry with two hosts
   * appears twice; [] when none.
   */
  entriesSelecting(namespace: string, labels: Readonly<Record<string, string>>): ServiceInfo[] {
    return selectingIn(this.entriesBySelectorPair, namespace, labels);
  }
}

function selectingIn(index: ReadonlyMap<string, ReadonlyMap<string, ServiceInfo[]>>, namespace: string, labels: Readonly<Record<string, string>>): ServiceInfo[] {
  const m = index.get(namespace);
  if (!m) return [];
  const out: ServiceInfo[] = [];
  for (const k of Object.keys(labels)) {
    for (const s of m.get(`${k}=${labels[k]}`) ?? []) if (selects(s.selector!, labels)) out.push(s);
  }
  return out;
}

/** Whether every `selector` pair is in `labels` (an empty selector selects everything). */
export function selects(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  for (const k of Object.keys(selector)) if (!Object.hasOwn(labels, k) || labels[k] !== selector[k]) return false;
  return true;
}

export function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/**
 * Whether `host` as written in `namespace` names `service` as istiod compares hosts: case-sensitively
 * (host.Name.Matches and map lookups by host.Name, against the registry's hosts as written). A host written
 * with capitals names only a ServiceEntry host written with the same capitals, never a Kubernetes Service
 * (whose host names are lower case); a lower-case host never names a ServiceEntry host written with capitals.
 */
export function namesAsWritten(service: ServiceInfo, host: string, namespace: string, domain: string): boolean {
  return hostsIntersect(service.host, resolveHost(host, namespace, domain).fqdn);
}

/** {@link namesAsWritten} as `istioctl analyze` compares: against {@link ServiceInfo.analyzerHost}. */
export function analyzerNamesAsWritten(service: ServiceInfo, host: string, namespace: string, domain: string): boolean {
  return hostsIntersect(service.analyzerHost, resolveHost(host, namespace, domain).fqdn);
}

/**
 * The host istiod gives a ServiceEntry host: as written, a short name (`payments`) included
 * (`serviceentry/conversion.go` `convertServices`: `host.Name(hostname)`, never expanded), so its clusters are
 * `outbound|<port>||payments` and a VirtualService's short host, expanded in the VirtualService's namespace, never
 * meets it. `istioctl analyze` expands it instead: see {@link ServiceInfo.analyzerHost}.
 */
function serviceEntryHost(written: string): string {
  return written.trim();
}
