/**
 * The policy of one upstream cluster (host, port, subset) from the DestinationRule that applies,
 * merged the way Istio does (`networking/core/cluster_traffic_policy.go MergeTrafficPolicy`):
 * top-level policy; its `portLevelSettings` for the port replace connectionPool, loadBalancer,
 * outlierDetection and tls together (port-level settings do not inherit); then the subset's
 * fields override one by one; then the subset's own `portLevelSettings`. Client TLS left unset
 * is filled by auto mTLS (MeshConfig `enableAutoMtls`): per endpoint, see {@link AutoMtlsFacts}.
 */
import type { FieldPath } from '../types.js';
import type { Dataplane } from '../membership.js';
import type { MergedDestinationRule } from '../destination-rules.js';
import type { MeshConfig } from '../mesh-config.js';
import type { MtlsMode } from '../policy.js';
import { isRecord, stringList, type MeshObject } from '../object.js';
import { connectionPool, meshTlsDefaults, outlierDetection } from './defaults.js';
import { durationMs, originOf } from './origin.js';
import type { ClientTlsView, ClusterPolicyView, LoadBalancerView, Origin } from './types.js';

type Policy = Readonly<Record<string, unknown>>;
const SECTIONS = ['connectionPool', 'loadBalancer', 'outlierDetection', 'tls'] as const;

interface Layer {
  readonly values: Partial<Record<(typeof SECTIONS)[number], unknown>>;
  readonly origins: Origin[];
}

function portLevel(policy: Policy, port: number): { settings: Policy; index: number } | null {
  const list = Array.isArray(policy.portLevelSettings) ? policy.portLevelSettings : [];
  const index = list.findIndex((p) => isRecord(p) && isRecord(p.port) && p.port.number === port);
  return index < 0 ? null : { settings: list[index] as Policy, index };
}

function apply(layer: Layer, policy: Policy, object: MeshObject, path: FieldPath, port: number): void {
  let touched = false;
  for (const s of SECTIONS) if (policy[s] !== undefined) { layer.values[s] = policy[s]; touched = true; }
  if (touched) layer.origins.push(originOf(object, path));
  const pl = portLevel(policy, port);
  if (pl) {
    for (const s of SECTIONS) layer.values[s] = pl.settings[s];
    layer.origins.push(originOf(object, [...path, 'portLevelSettings', pl.index]));
  }
}

function loadBalancer(lb: unknown): LoadBalancerView {
  if (!isRecord(lb)) return {};
  const warmup = durationMs(lb.warmupDurationSecs);
  return {
    ...(typeof lb.simple === 'string' ? { simple: lb.simple } : {}),
    ...(isRecord(lb.consistentHash) ? { consistentHash: lb.consistentHash } : {}),
    ...(isRecord(lb.localityLbSetting) ? { localityLbSetting: lb.localityLbSetting } : {}),
    ...(warmup !== null ? { warmupDurationMs: warmup } : {}),
  };
}

/**
 * What auto mTLS needs to know about a destination (Istio `BestEffortInferServiceMTLSMode`).
 * `dataplane`: membership of the workloads behind the service; `external`: MESH_EXTERNAL ServiceEntry;
 * `passthrough`: ServiceEntry `resolution: NONE` (an `ORIGINAL_DST` cluster; `loadBalancer.simple:
 * PASSTHROUGH` is read from the policy itself); `namespaceMtls`: the PeerAuthentication mode of the
 * service's namespace (namespace policy, else mesh policy, else PERMISSIVE: istiod reads no
 * workload-level or port-level policy here).
 */
export interface AutoMtlsFacts {
  readonly dataplane: Dataplane;
  readonly external: boolean;
  readonly passthrough: boolean;
  readonly namespaceMtls: MtlsMode;
}

/**
 * Client TLS as istiod's `buildUpstreamTLSSettings`: a DestinationRule `tls` is used as written.
 * Without one, auto mTLS (MeshConfig `enableAutoMtls`, on by default) gives `AUTO`, Envoy
 * `transport_socket_matches` (ISTIO_MUTUAL toward endpoints whose metadata says `tlsMode: istio`,
 * plaintext toward the rest); nothing for MESH_EXTERNAL hosts or when the service's namespace
 * PeerAuthentication is DISABLE. Passthrough clusters cannot choose per endpoint: ISTIO_MUTUAL when
 * every workload behind the service has a sidecar, else plaintext.
 */
function clientTls(tls: unknown, mc: MeshConfig, facts: AutoMtlsFacts, lbSimple: string | undefined): ClientTlsView {
  if (isRecord(tls) && typeof tls.mode === 'string') {
    const str = (k: string) => (typeof tls[k] === 'string' ? { [k]: tls[k] as string } : {});
    const sans = stringList(tls.subjectAltNames);
    const d = tls.mode === 'SIMPLE' || tls.mode === 'MUTUAL' ? meshTlsDefaults(mc) : null;
    const meshDefaults = d && (d.cipherSuites || d.ecdhCurves) ? { ...(d.cipherSuites ? { cipherSuites: d.cipherSuites } : {}), ...(d.ecdhCurves ? { ecdhCurves: d.ecdhCurves } : {}) } : undefined;
    return {
      mode: tls.mode as ClientTlsView['mode'], source: 'destination-rule',
      ...str('sni'), ...str('caCertificates'), ...str('clientCertificate'), ...str('privateKey'), ...str('credentialName'),
      ...(sans ? { subjectAltNames: sans } : {}),
      ...(typeof tls.insecureSkipVerify === 'boolean' ? { insecureSkipVerify: tls.insecureSkipVerify } : {}),
      ...(meshDefaults ? { meshDefaults } : {}),
    };
  }
  if (!mc.enableAutoMtls || facts.external) return { mode: 'DISABLE', source: 'none' };
  if (facts.namespaceMtls === 'DISABLE') return { mode: 'DISABLE', source: 'auto-mtls' };
  if (facts.passthrough || lbSimple?.toUpperCase() === 'PASSTHROUGH') return { mode: facts.dataplane === 'sidecar' ? 'ISTIO_MUTUAL' : 'DISABLE', source: 'auto-mtls' };
  return { mode: 'AUTO', source: 'auto-mtls' };
}

/**
 * The policy for (`port`, `subset`) of a host. `dr` is the merged DestinationRule in force (or
 * null); `facts` describe the destination for auto mTLS (see {@link AutoMtlsFacts}).
 */
export function clusterPolicy(dr: MergedDestinationRule | null, port: number, subset: string | undefined, mc: MeshConfig, facts: AutoMtlsFacts): ClusterPolicyView {
  const layer: Layer = { values: {}, origins: [] };
  if (dr?.trafficPolicy) apply(layer, dr.trafficPolicy.value, dr.trafficPolicy.object, dr.trafficPolicy.path, port);
  const s = subset === undefined ? undefined : dr?.subsets.find((x) => x.name === subset);
  if (s?.trafficPolicy) apply(layer, s.trafficPolicy, s.object, [...s.path, 'trafficPolicy'], port);
  const lb = loadBalancer(layer.values.loadBalancer);
  const tls = clientTls(layer.values.tls, mc, facts, lb.simple);
  return {
    connectionPool: connectionPool(layer.values.connectionPool, mc),
    outlierDetection: outlierDetection(layer.values.outlierDetection),
    loadBalancer: lb,
    tls: tls.source === 'destination-rule' && hasWorkloadSelector(dr) ? { ...tls, workloadSelected: true } : tls,
    tcpProxy: tcpProxySettings(dr),
    origins: layer.origins,
  };
}

const NO_TCP_PROXY_SETTINGS = Object.freeze({ idleTimeoutMs: null, maxConnectionDurationMs: null });

/** The top-level `connectionPool.tcp` timeouts a TCP proxy takes (see `ClusterPolicyView.tcpProxy`). */
function tcpProxySettings(dr: MergedDestinationRule | null): ClusterPolicyView['tcpProxy'] {
  const pool = dr?.trafficPolicy?.value.connectionPool;
  const tcp = isRecord(pool) && isRecord(pool.tcp) ? pool.tcp : null;
  if (!tcp) return NO_TCP_PROXY_SETTINGS;
  return { idleTimeoutMs: durationMs(tcp.idleTimeout), maxConnectionDurationMs: durationMs(tcp.maxConnectionDuration) };
}

/** Whether the rule in force selects workloads (istiod keeps such rules apart from the others of the host, and puts them first). */
function hasWorkloadSelector(dr: MergedDestinationRule | null): boolean {
  const ws = dr?.rules[0]?.spec.workloadSelector;
  return isRecord(ws) && isRecord(ws.matchLabels) && Object.keys(ws.matchLabels).length > 0;
}

/** Istio's cluster name: `outbound|<port>|<subset>|<fqdn>`. */
export function outboundClusterName(port: number, subset: string | undefined, host: string): string {
  return `outbound|${port}|${subset ?? ''}|${host}`;
}

type ConsistentHash = Readonly<Record<string, unknown>>;

/** `loadBalancer.consistentHash` of a policy, or of its `portLevelSettings` entry for `port` (null: none). */
function consistentHashOf(policy: unknown, port: number | null): ConsistentHash | undefined {
  if (!isRecord(policy)) return undefined;
  const settings = port === null ? policy : portLevel(policy, port)?.settings;
  const lb = settings?.loadBalancer;
  return isRecord(lb) && isRecord(lb.consistentHash) ? lb.consistentHash : undefined;
}

/**
 * The consistent hash a route to one VirtualService destination hashes on (istiod
 * `HashForHTTPDestination`), which is not the cluster's load balancer: the first of the subset's
 * `portLevelSettings` hash for the port, the subset's hash, the top-level `portLevelSettings` hash,
 * the top-level hash. Port-level settings count only when the destination writes `port.number`
 * (`portWritten`); a subset with `loadBalancer.simple` does not hide the top-level hash.
 */
export function destinationConsistentHash(dr: MergedDestinationRule | null, subset: string | undefined, portWritten: number | null): ConsistentHash | undefined {
  if (!dr) return undefined;
  const top = dr.trafficPolicy?.value;
  const own = subset === undefined ? undefined : dr.subsets.find((s) => s.name === subset)?.trafficPolicy;
  const at = (policy: unknown): ConsistentHash | undefined => (portWritten === null ? undefined : consistentHashOf(policy, portWritten));
  return at(own) ?? consistentHashOf(own, null) ?? at(top) ?? consistentHashOf(top, null);
}

/**
 * The consistent hash of the default route of a service port without VirtualService (istiod
 * `hashForService`): the top-level `portLevelSettings` hash for the port, else the top-level hash.
 */
export function serviceConsistentHash(dr: MergedDestinationRule | null, port: number): ConsistentHash | undefined {
  const top = dr?.trafficPolicy?.value;
  return consistentHashOf(top, port) ?? consistentHashOf(top, null);
}
