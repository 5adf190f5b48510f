/**
 * The inbound side of a sidecar, as istiod computes it for the workload's own ports
 * (`pilot/pkg/networking/core/listener_inbound.go`, `pilot/pkg/security/authn`): the container
 * ports that the Services selecting the workload, and the ServiceEntries whose `workloadSelector`
 * selects it, send to; the PeerAuthentication mode on each; and the AuthorizationPolicies that apply
 * (`inbound-authz.ts`). Pure; never throws for bad input.
 */
import type { MeshGraph } from '../graph.js';
import type { MeshObject } from '../object.js';
import { decideMtls, mtlsModeOf, type PeerAuthenticationsForWorkload } from '../policy.js';
import { entryEndpointPort } from '../endpoint-port.js';
import type { MeshConfig } from '../mesh-config.js';
import { isHttp, type IstioProtocol } from '../protocol.js';
import { retryOnRetriesStatus } from '../retry-on.js';
import type { ServiceInfo, ServicePort } from '../services.js';
import type { Workload } from '../workloads.js';
import { customAuthzOf } from './custom-authz.js';
import { meshMtlsOf } from './defaults.js';
import { authorizationPoliciesOf } from './inbound-authz.js';
import { originOf } from './origin.js';
import { selectionTarget } from './proxy.js';
import type { InboundPortView, InboundProblem, InboundRetryView, InboundServicePortView, InboundView, MtlsView, ProxyIdentity } from './types.js';

const CACHE = new WeakMap<MeshGraph, Map<string, InboundView>>();

/**
 * The inbound view of `proxy`. Routers (gateways) have no inbound ports (their listeners are the
 * Gateway servers) but AuthorizationPolicies selecting the gateway pods apply to those servers, so
 * their view lists the policies with `ports: []`. Cached per graph by namespace, workload name,
 * labels and type (named target ports depend on the workload).
 */
export function buildInbound(graph: MeshGraph, proxy: ProxyIdentity): InboundView {
  let cache = CACHE.get(graph);
  if (!cache) CACHE.set(graph, (cache = new Map()));
  const key = proxyKey(proxy);
  let v = cache.get(key);
  if (!v) cache.set(key, (v = computeInbound(graph, proxy)));
  return v;
}

/** What an inbound view depends on of its proxy: namespace, workload name, labels, type and service account. */
function proxyKey(proxy: ProxyIdentity): string {
  return `${proxy.type}\u0000${proxy.namespace}\u0000${proxy.name}\u0000${JSON.stringify(Object.entries(proxy.labels).sort())}\u0000${proxy.serviceAccount}`;
}

const PORT_PROTOCOLS = new WeakMap<MeshGraph, Map<string, ReadonlyMap<number, IstioProtocol>>>();

/**
 * The container ports of sidecar `proxy`'s inbound side, ascending, and the protocol istiod gives each: the
 * `ports[].port` and `ports[].protocol` of {@link buildInbound}, without the rest of the view (no
 * origins, which find each service port in its file, no mTLS or policies). For rules and proofs that
 * only ask what a port carries. Empty for a router. Cached per graph like {@link buildInbound}.
 */
export function inboundPortProtocols(graph: MeshGraph, proxy: ProxyIdentity): ReadonlyMap<number, IstioProtocol> {
  let cache = PORT_PROTOCOLS.get(graph);
  if (!cache) PORT_PROTOCOLS.set(graph, (cache = new Map()));
  const key = proxyKey(proxy);
  let v = cache.get(key);
  if (!v) cache.set(key, (v = proxy.type !== 'sidecar' ? new Map() : portProtocols(serviceTargets(graph, proxy, []))));
  return v;
}

/** Per container port in ascending order, the protocol of its first target (istiod `getFilterChainsByServicePort`: "we will use the oldest Service"). */
function portProtocols(targets: readonly ServiceTarget[]): Map<number, IstioProtocol> {
  const first = new Map<number, IstioProtocol>();
  for (const t of targets) if (!first.has(t.port)) first.set(t.port, t.servicePort.protocol);
  return new Map([...first].sort((a, b) => a[0] - b[0]));
}

function computeInbound(graph: MeshGraph, proxy: ProxyIdentity): InboundView {
  const problems: InboundProblem[] = [];
  const target = selectionTarget(proxy);
  const pas = graph.peerAuthenticationsFor(target);
  const targets = proxy.type !== 'sidecar' ? [] : serviceTargets(graph, proxy, problems);
  const services = new Map<number, InboundServicePortView[]>();
  for (const t of targets) {
    let list = services.get(t.port);
    if (!list) services.set(t.port, (list = []));
    list.push(servicePortView(t.service, t.servicePort));
  }
  const ports: InboundPortView[] = [...portProtocols(targets)].map(([port, protocol]) => ({
    port, protocol, sniffed: protocol === 'UnsupportedProtocol', services: services.get(port)!, mtls: mtlsView(pas, port),
    retry: inboundRetryOf(graph.meshConfig, protocol),
  }));
  const authz = authorizationPoliciesOf(graph, proxy, ports.map((p) => p.port));
  return { ports, mtls: mtlsView(pas), passthroughRetry: inboundRetryOf(graph.meshConfig, 'UnsupportedProtocol'), protocolDetectionTimeoutMs: graph.meshConfig.protocolDetectionTimeoutMs, ...meshMtlsField(graph.meshConfig), authorizationPolicies: authz.policies, customAuthz: customAuthzOf(graph, authz.policies), problems: [...problems, ...authz.problems] };
}

/**
 * The retry policy istiod puts on the default route of an inbound HTTP chain
 * (`route.BuildDefaultHTTPInboundRoute` → `retry.ConvertInboundPolicy(mesh.defaultInboundHttpRetryPolicy)`,
 * no feature flag): none on gRPC and gRPC-Web ports ("reset-before-request does not work well for gRPC
 * streaming"), none when `attempts` is 0, else the MeshConfig policy (Istio's built-in one by default).
 * A sniffed port's HTTP chain gets it (its protocol is not gRPC).
 */
export function inboundRetryOf(meshConfig: MeshConfig, protocol: IstioProtocol): InboundRetryView | null {
  if (protocol === 'GRPC' || protocol === 'GRPC-Web') return null;
  const p = meshConfig.defaultInboundHttpRetryPolicy;
  return p.attempts > 0 ? { attempts: p.attempts, retryOn: p.retryOn, backoffMs: p.backoffMs } : null;
}

/**
 * How many times an inbound sidecar retries a request its application answers with HTTP `status`
 * on a port of `protocol` ({@link inboundRetryOf}'s `num_retries` when its `retryOn` retries that
 * status, else 0: Istio's built-in `reset-before-request` retries no answer).
 */
export function inboundRetriesOfStatus(meshConfig: MeshConfig, protocol: IstioProtocol, status: number): number {
  const r = inboundRetryOf(meshConfig, protocol);
  return r && retryOnRetriesStatus(r.retryOn.split(',').map((c) => c.trim()), status) ? r.attempts : 0;
}

/**
 * Whether container `port` of sidecar `proxy` is declared a TCP port: the Service port that decides
 * its protocol names one that is not HTTP (TCP, TLS, HTTPS, Mongo, Redis, MySQL), so istiod gives it
 * only network filters: network RBAC and a `tcp_proxy`. There a refusal is a closed connection,
 * never a 403, and HTTP-only authorization fields cannot apply. A port left to protocol sniffing or
 * targeted by no Service is not one (istiod serves an HTTP client there with an HTTP chain).
 */
export function inboundPortIsTcp(graph: MeshGraph, proxy: ProxyIdentity, port: number): boolean {
  const protocol = inboundPortProtocols(graph, proxy).get(port);
  return protocol !== undefined && protocol !== 'UnsupportedProtocol' && !isHttp(protocol);
}

/** One service port that sends to the workload, and the workload port it lands on (istiod's `ServiceTarget`). */
interface ServiceTarget {
  readonly service: ServiceInfo;
  readonly servicePort: ServicePort;
  /** The endpoint (container) port: what the inbound chain and cluster are keyed by. */
  readonly port: number;
}

/**
 * istiod's `proxy.ServiceTargets` (`model.Proxy.SetServiceTargets`): the Kubernetes registry's
 * targets (Services whose selector picks the pod, `GetProxyServiceTargetsByPod`), then the
 * ServiceEntry registry's (entries of the workload's namespace whose `workloadSelector` picks it, one
 * per host and port, `convertWorkloadInstanceToServiceInstance`), stably sorted by the service's
 * creationTimestamp, then hostname. The first target of a container port wins its protocol, whichever
 * registry it came from. UDP ports are left out; a Service port whose named `targetPort` no
 * container port carries is left out with a problem.
 */
function serviceTargets(graph: MeshGraph, proxy: ProxyIdentity, problems: InboundProblem[]): ServiceTarget[] {
  const workload = workloadNamed(graph, proxy.namespace, proxy.workload ?? proxy.name);
  const out: ServiceTarget[] = [];
  for (const s of graph.services.selecting(proxy.namespace, proxy.labels)) {
    for (const p of s.ports) {
      if (p.protocol === 'UDP') continue;
      const port = containerPortOf(p, workload);
      if (port === null) {
        problems.push({
          code: 'view/inbound-target-port',
          message: `Service ${s.namespace}/${s.object.name} port ${p.number} has targetPort "${String(p.targetPort)}", which no container port of ${proxy.namespace}/${proxy.name} is named; ` +
            'istiod creates no inbound endpoint for it: name a containerPort so, or give the number',
          origin: originOf(s.object, [...p.path, 'targetPort']),
        });
        continue;
      }
      out.push({ service: s, servicePort: p, port });
    }
  }
  for (const s of graph.services.entriesSelecting(proxy.namespace, proxy.labels)) {
    for (const p of s.ports) {
      if (p.protocol === 'UDP') continue;
      out.push({ service: s, servicePort: p, port: entryEndpointPort(p, workload) });
    }
  }
  // Array.prototype.sort is stable: ties keep the Kubernetes registry first (istiod's aggregate
  // controller puts Kubernetes registries before the ServiceEntry one) and each service's port order.
  return out.sort((a, b) => {
    const ta = creationTimestamp(a.service);
    const tb = creationTimestamp(b.service);
    if (ta !== tb) return ta < tb ? -1 : 1;
    return a.service.host < b.service.host ? -1 : a.service.host > b.service.host ? 1 : 0;
  });
}

/** `metadata.creationTimestamp` (RFC 3339: strings sort as times); absent sorts first, as Go's zero time. */
function creationTimestamp(s: ServiceInfo): string {
  const meta = s.object.body.metadata as { creationTimestamp?: unknown } | undefined;
  return typeof meta?.creationTimestamp === 'string' ? meta.creationTimestamp : '';
}

const WORKLOADS = new WeakMap<MeshGraph, Map<string, Workload>>();

/** The workload `namespace/name` (first in input order), indexed once per graph. */
function workloadNamed(graph: MeshGraph, namespace: string, name: string): Workload | undefined {
  let byName = WORKLOADS.get(graph);
  if (!byName) {
    WORKLOADS.set(graph, (byName = new Map()));
    for (const w of graph.workloads.all) if (!byName.has(`${w.namespace}/${w.name}`)) byName.set(`${w.namespace}/${w.name}`, w);
  }
  return byName.get(`${namespace}/${name}`);
}

/**
 * The container port a Service port sends to: `targetPort` as a number; a named `targetPort`
 * looked up in the workload's `containerPort` names (null when the workload is known and has no
 * such name; the Service port number when the workload is not in the input); no `targetPort` =
 * the Service port (Kubernetes' default).
 */
export function containerPortOf(p: ServicePort, workload: Workload | undefined): number | null {
  if (typeof p.targetPort === 'number') return p.targetPort;
  if (typeof p.targetPort === 'string' && p.targetPort !== '') {
    if (/^\d+$/.test(p.targetPort)) return Number(p.targetPort);
    if (!workload) return null;
    return workload.containerPorts.find((c) => c.name === p.targetPort)?.containerPort ?? null;
  }
  return p.number;
}

function servicePortView(s: ServiceInfo, p: ServicePort): InboundServicePortView {
  return { host: s.host, port: p.number, name: p.name, origin: originOf(s.object, p.path) };
}

/**
 * The mode on `port` (a container port; undefined = workload-wide), by Istio's precedence:
 * `portLevelMtls` of the selector policy > its `mtls` > the namespace policy > the root namespace
 * policy > PERMISSIVE, an UNSET mode inheriting from the level above (`policy.ts` decides; this
 * says which level and field did).
 */
export function mtlsView(pas: Omit<PeerAuthenticationsForWorkload, 'effective'>, port?: number): MtlsView {
  const d = decideMtls(pas, port);
  if (d.policy === null) return { mode: d.mode, source: 'default', origin: null };
  const wl = pas.workload[0];
  if (port !== undefined && wl && d.policy === wl && portLevelMode(wl, port) !== undefined) {
    return { mode: d.mode, source: 'workload-port', origin: originOf(wl, ['spec', 'portLevelMtls', String(port)]) };
  }
  const source = d.policy === wl ? 'workload' : d.policy === pas.namespace[0] && pas.namespace !== pas.mesh ? 'namespace' : 'mesh';
  return { mode: d.mode, source, origin: originOf(d.policy, ['spec', 'mtls']) };
}

function portLevelMode(pa: MeshObject, port: number) {
  const pl = pa.spec.portLevelMtls;
  return typeof pl === 'object' && pl !== null ? mtlsModeOf((pl as Record<string, unknown>)[String(port)]) : undefined;
}

/** `meshMtls` for the inbound view, when MeshConfig `meshMTLS` sets anything. */
function meshMtlsField(mc: MeshConfig): Pick<InboundView, 'meshMtls'> {
  const m = meshMtlsOf(mc);
  return m ? { meshMtls: m } : {};
}
