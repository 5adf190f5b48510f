/**
 * The per-proxy view: what istiod computes for one proxy (its SidecarScope and the parts of the
 * PushContext it reads), as plain, immutable, JSON-serialisable data. The xDS translator takes
 * this view as its only input; nothing downstream re-derives Istio semantics.
 *
 * Conventions: hosts are resolved FQDNs (lower case); durations are milliseconds; every resolved
 * piece carries an `Origin` (object, field path, file:line, TypeScript line) so a finding or a
 * proof can point back at the YAML and at the construct that produced it (an Envoy route's metadata
 * names the object, field path and files, without lines: `originJson`).
 */
import type { FieldPath, FileLocation, ResourceRef, SourceOrigin } from '../types.js';
import type { Dataplane } from '../membership.js';
import type { IstioProtocol } from '../protocol.js';
import type { OutboundTrafficMode, PathNormalizationType } from '../mesh-config.js';
import type { ExtAuthzProvider } from '../extension-providers.js';

/** Where a resolved value came from. Plain data (fit for Envoy route metadata). */
export interface Origin {
  readonly ref: ResourceRef;
  /** Field path inside the object, e.g. `['spec','http',0,'route',1]`. */
  readonly path: FieldPath;
  /** File position of the field (closest existing node). */
  readonly location: FileLocation;
  /** The TypeScript that produced the object, when it came from a cdk8s app. */
  readonly source: SourceOrigin | null;
}

/** Istio node type: `sidecar` (also VMs) or `router` (gateways). */
export type ProxyType = 'sidecar' | 'router';

/** The proxy a view is computed for (istiod's `model.Proxy`, the parts that matter offline). */
export interface ProxyIdentity {
  readonly type: ProxyType;
  /** Workload name (Deployment, Pod, WorkloadEntry…), for messages and node ids. */
  readonly name: string;
  readonly namespace: string;
  /** Pod labels (Sidecar, Gateway and workloadSelector selection). */
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  /** Where the workload is defined, when it came from the input. */
  readonly origin: Origin | null;
  /**
   * Other node names that get this proxy's config: when every pod of a StatefulSet has a proxy of its
   * own (`name` `<statefulset>-<ordinal>`), the first answers to the StatefulSet's name too. Absent otherwise.
   */
  readonly aliases?: readonly string[];
  /**
   * The workload's name when `name` is not it (a StatefulSet pod with a proxy of its own: `name` is
   * the pod's), for what the proxy reads of its workload (container ports). Absent otherwise.
   */
  readonly workload?: string;
}

/** A Kubernetes StringMatch: exactly one of exact, prefix, regex (RE2). */
export type StringMatch = { readonly exact: string } | { readonly prefix: string } | { readonly regex: string };

/**
 * A header, query parameter, `method`, `authority` or `scheme` condition: a StringMatch, or
 * `{ present: true }` for an empty StringMatch (`x-canary: {}`) or regex `*`, which istiod turns into
 * Envoy's `present_match` (`route.go` `canBeConvertedToPresentMatch`): the header (or parameter) must
 * be there, whatever its value; under `withoutHeaders`, absent.
 */
export type HeaderMatch = StringMatch | { readonly present: true };

/** Istio `HTTPMatchRequest`, resolved: gateway names as `namespace/name` or `mesh`. */
export interface HttpMatchView {
  readonly name?: string;
  /** An empty StringMatch leaves it out (istiod's default path match, prefix `/`). */
  readonly uri?: StringMatch;
  readonly scheme?: HeaderMatch;
  readonly method?: HeaderMatch;
  readonly authority?: HeaderMatch;
  /** Lower-case header names. */
  readonly headers?: Readonly<Record<string, HeaderMatch>>;
  readonly withoutHeaders?: Readonly<Record<string, HeaderMatch>>;
  readonly queryParams?: Readonly<Record<string, HeaderMatch>>;
  readonly port?: number;
  readonly sourceLabels?: Readonly<Record<string, string>>;
  readonly sourceNamespace?: string;
  readonly ignoreUriCase?: boolean;
  /**
   * With a `uri.prefix` other than `/`: istiod's gateway semantics for a Gateway API PathPrefix
   * (route.go `UseGatewaySemantics`), Envoy `path_separated_prefix`: the prefix matches the whole path or
   * is followed by `/`, so `/foo` matches `/foo` and `/foo/bar`, not `/foobar`. @default false
   */
  readonly pathSeparated?: boolean;
  readonly origin: Origin;
}

/** Istio's default and explicit retry policy (`HTTPRetry`) after defaults. */
export interface RetryPolicyView {
  /** Retries after the first try; 0 = none. Istio default 2. */
  readonly attempts: number;
  /** Envoy `retry_on`. */
  readonly retryOn: string;
  /** Per try timeout; null = the route timeout (Istio's default), itself possibly disabled. */
  readonly perTryTimeoutMs: number | null;
  /** `retryRemoteLocalities`: Envoy `retry_priority` previous_priorities. Istio default false. */
  readonly retryRemoteLocalities: boolean;
  /** `retryIgnorePreviousHosts`: Envoy `retry_host_predicate` previous_hosts; null = Istio's choice (on unless the route hashes consistently). */
  readonly retryIgnorePreviousHosts: boolean | null;
  /** `backoff`: Envoy `retry_back_off.base_interval`; null = not set (istiod sets none), Envoy's 25 ms default. */
  readonly backoffBaseMs: number | null;
  readonly source: 'route' | 'mesh-default';
  readonly origin: Origin | null;
}

/**
 * `HTTPFaultInjection`, normalised: percentages are 0..100, `percentage.value`, else (delay only) the
 * deprecated `percent`, else 0: istiod's `TranslateFault` injects nothing without a percentage.
 * `whole`: sent as a whole percentage over 100 (the deprecated `percent`, or none), as istiod does.
 */
export interface FaultView {
  readonly delay?: { readonly fixedDelayMs: number; readonly percentage: number; readonly whole?: true };
  /** `unset`: the abort has no percentage (istiod sends none; Envoy reads 0 %). */
  readonly abort?: { readonly httpStatus?: number; readonly grpcStatus?: string; readonly percentage: number; readonly unset?: true };
  readonly origin: Origin;
}

/**
 * One mirror target: `mirror` + `mirrorPercentage` (else the deprecated `mirrorPercent`), or an entry
 * of `mirrors`. Percentage 0..100, default 100; 0 (also an empty `Percent`) mirrors nothing, and
 * istiod then emits no mirror policy.
 */
export interface MirrorView {
  readonly destination: DestinationView;
  readonly percentage: number;
  /** Sent as a whole percentage over 100, as istiod sends the deprecated `mirrorPercent` and the default (`translateIntegerToFractionalPercent`); else in millionths. */
  readonly whole?: true;
}

/** `HTTPRedirect`. */
export interface RedirectView {
  /** `path_redirect`; absent (with no `prefixRewrite`) keeps the request's path. */
  readonly uri?: string;
  /** Replaces the matched prefix (istiod prefers it to `uri`). */
  readonly prefixRewrite?: string;
  readonly authority?: string;
  readonly scheme?: string;
  readonly port?: number;
  /** `derivePort`: FROM_REQUEST_PORT redirects to the listener's port, FROM_PROTOCOL_DEFAULT to none. */
  readonly derivePort?: 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT';
  /** Istio default 301 (also for 0). */
  readonly redirectCode: number;
  readonly origin: Origin;
}

export interface DirectResponseView {
  readonly status: number;
  readonly body?: string;
  readonly origin: Origin;
}

export interface RewriteView {
  readonly uri?: string;
  readonly authority?: string;
  readonly uriRegexRewrite?: { readonly match: string; readonly rewrite: string };
  readonly origin: Origin;
}

/** `Headers` operations (`request` / `response`: `set`, `add`, `remove`). */
export interface HeaderOperationsView {
  readonly request?: HeaderOperations;
  readonly response?: HeaderOperations;
  readonly origin: Origin;
}

export interface HeaderOperations {
  readonly set?: Readonly<Record<string, string>>;
  readonly add?: Readonly<Record<string, string>>;
  readonly remove?: readonly string[];
}

/** `CorsPolicy`, as written (origins are StringMatch). */
export interface CorsPolicyView {
  readonly allowOrigins: readonly StringMatch[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeMs: number | null;
  readonly allowCredentials: boolean | null;
  /**
   * `unmatchedPreflights`: IGNORE answers a preflight that matches no allowed origin at the proxy; FORWARD (and
   * unset) sends it on. Envoy `CorsPolicy.forward_not_matching_preflights`, which istiod always writes.
   */
  readonly ignoreUnmatchedPreflights: boolean;
  readonly origin: Origin;
}

/** Envoy circuit-breaker and connection limits (`ConnectionPoolSettings`); Istio's defaults filled in. */
export interface ConnectionPoolView {
  /** `tcp.maxConnections`. Default 2^32-1. */
  readonly maxConnections: number;
  /** `tcp.connectTimeout`, else MeshConfig `connectTimeout` (10 s). */
  readonly connectTimeoutMs: number;
  /** `http.http1MaxPendingRequests`. Default 2^32-1. */
  readonly http1MaxPendingRequests: number;
  /** `http.http2MaxRequests`. Default 2^32-1. */
  readonly http2MaxRequests: number;
  /** `http.maxRequestsPerConnection`; 0 = unlimited. */
  readonly maxRequestsPerConnection: number;
  /** `http.maxRetries`. Default 2^32-1. */
  readonly maxRetries: number;
  /** `http.idleTimeout`; null = unset (istiod then takes `tcp.idleTimeout`, else Envoy's 1 h). */
  readonly idleTimeoutMs: number | null;
  /** `http.h2UpgradePolicy`, else MeshConfig `h2UpgradePolicy`. */
  readonly h2UpgradePolicy: 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE';
  /** Who set {@link h2UpgradePolicy}: a rule's UPGRADE upgrades any port (istiod trusts it is HTTP), MeshConfig's only HTTP ports. */
  readonly h2UpgradeSource: 'destination-rule' | 'mesh';
  /** `tcp.idleTimeout`; null = unset. */
  readonly tcpIdleTimeoutMs: number | null;
  /** `tcp.maxConnectionDuration`; null = unset (no limit). */
  readonly maxConnectionDurationMs: number | null;
  /** `http.maxConcurrentStreams`; 0 = unset (Envoy's 2^31-1). Applies to HTTP/2 upstreams only. */
  readonly maxConcurrentStreams: number;
  /** `http.useClientProtocol`: the upstream speaks the downstream's protocol; also stops any h2 upgrade. */
  readonly useClientProtocol: boolean;
  /** `http.http2KeepAlive` (HTTP/2 PING interval and timeout); null = unset. */
  readonly http2KeepAlive: { readonly intervalMs: number | null; readonly timeoutMs: number | null } | null;
  /** MeshConfig `tcpKeepalive`, then `tcp.tcpKeepalive` field by field (istiod `applyTCPKeepalive`); null = neither. */
  readonly tcpKeepalive: TcpKeepaliveView | null;
}

/** TCP keepalive (`ConnectionPoolSettings.TCPSettings.TcpKeepalive`); times in whole seconds as Envoy takes them; null = OS default. */
export interface TcpKeepaliveView {
  readonly probes: number | null;
  readonly timeS: number | null;
  readonly intervalS: number | null;
}

/** The `OutlierDetection` fields istiod copies only when written (else Envoy's default applies). */
export type OutlierOptionalField = 'consecutive5xxErrors' | 'consecutiveGatewayErrors' | 'interval' | 'baseEjectionTime' | 'maxEjectionPercent';

/**
 * `OutlierDetection` in force: the values Envoy applies, Istio's documented defaults (which are
 * Envoy's) for fields left out. `unset` lists the fields istiod leaves out of Envoy's
 * `outlier_detection`, so that the translator leaves them out too.
 */
export interface OutlierDetectionView {
  /** Default 5; 0 turns the detector off. */
  readonly consecutive5xxErrors: number;
  /** Default 0 (off; Envoy counts 5 but enforces 0 %); Envoy's `consecutive_gateway_failure`. */
  readonly consecutiveGatewayErrors: number;
  /** Default 10 s. */
  readonly intervalMs: number;
  /** Default 30 s (multiplied by the number of ejections). */
  readonly baseEjectionTimeMs: number;
  /** Default 10. A written 0 is unset for istiod (proto3 int32), so Envoy's 10 applies: it is never 0. */
  readonly maxEjectionPercent: number;
  /** Default 0: Envoy's panic threshold, always sent (0 turns panic mode off). */
  readonly minHealthPercent: number;
  /** Default false. */
  readonly splitExternalLocalOriginErrors: boolean;
  /** Default 0 (unset: Envoy's 5 then counts, enforced 100 %, when errors are split). */
  readonly consecutiveLocalOriginFailures: number;
  /** Fields istiod leaves out of Envoy's `outlier_detection` (not written, or a 0 it cannot tell from unset). */
  readonly unset: readonly OutlierOptionalField[];
}

/** `LoadBalancerSettings`: simple (default LEAST_REQUEST in Istio ≥ 1.14) or consistent hash, as written. */
export interface LoadBalancerView {
  readonly simple?: string;
  readonly consistentHash?: Readonly<Record<string, unknown>>;
  readonly localityLbSetting?: Readonly<Record<string, unknown>>;
  readonly warmupDurationMs?: number;
}

/** Client TLS toward an upstream cluster. */
export interface ClientTlsView {
  /** DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL; `AUTO` = auto mTLS by endpoint label (membership unknown). */
  readonly mode: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL' | 'AUTO';
  /** `destination-rule` (as written), `auto-mtls` (MeshConfig enableAutoMtls and the destination's membership). */
  readonly source: 'destination-rule' | 'auto-mtls' | 'none';
  readonly sni?: string;
  readonly subjectAltNames?: readonly string[];
  readonly caCertificates?: string;
  readonly clientCertificate?: string;
  readonly privateKey?: string;
  readonly credentialName?: string;
  readonly insecureSkipVerify?: boolean;
  /** The DestinationRule giving this setting has a `workloadSelector` (istiod `isDrWithSelector`: sidecars take `credentialName` only from such rules). */
  readonly workloadSelected?: boolean;
  /** SIMPLE and MUTUAL: MeshConfig `tlsDefaults` cipher suites and ECDH curves (istiod `applyTLSDefaults`); absent when it sets neither. */
  readonly meshDefaults?: { readonly cipherSuites?: readonly string[]; readonly ecdhCurves?: readonly string[] };
}

/**
 * MeshConfig `tlsDefaults` (`MeshConfig.TLSConfig`), as istiod applies it under a Gateway server's own
 * SIMPLE, MUTUAL or OPTIONAL_MUTUAL settings (`applyDownstreamTLSDefaults`; the server's own fields
 * win): a minimum protocol version (`TLSV1_3` is TLS 1.3, any other set value TLS 1.2, as
 * `GetMinTLSVersion`; absent for TLS_AUTO), cipher suites and ECDH curves (absent when empty).
 */
export interface MeshTlsDefaultsView {
  readonly minProtocolVersion?: 'TLSV1_2' | 'TLSV1_3';
  readonly cipherSuites?: readonly string[];
  readonly ecdhCurves?: readonly string[];
}

/** The traffic policy of one upstream cluster (host, port, subset), merged the way Istio merges it. */
export interface ClusterPolicyView {
  readonly connectionPool: ConnectionPoolView;
  /** null when no outlierDetection is configured (Envoy then does no ejection). */
  readonly outlierDetection: OutlierDetectionView | null;
  readonly loadBalancer: LoadBalancerView;
  readonly tls: ClientTlsView;
  /**
   * What a TCP proxy to this host takes from the rule (istiod `buildOutboundNetworkFilters*`): the
   * top-level `connectionPool.tcp` `idleTimeout` and `maxConnectionDuration` only, never port-level
   * or subset settings; null = unset (Envoy's 1 h idle timeout, no duration limit).
   */
  readonly tcpProxy: { readonly idleTimeoutMs: number | null; readonly maxConnectionDurationMs: number | null };
  /** Where each part came from (DestinationRule top level, portLevelSettings, subset). */
  readonly origins: readonly Origin[];
}

/** One destination of a route (or a mirror), fully resolved. */
export interface DestinationView {
  /** Resolved FQDN. */
  readonly host: string;
  readonly subset?: string;
  /** The service port; null when the route gives none and the service has several. */
  readonly port: number | null;
  /** Raw weight as written (default 100 for a single destination); Envoy uses weight / sum. */
  readonly weight: number;
  /** Istio's cluster name `outbound|<port>|<subset>|<fqdn>`; null without a port. */
  readonly cluster: string | null;
  /** Whether the host is a service this proxy can see (else Envoy would answer 503 NR / blackhole). */
  readonly known: boolean;
  /** Subset labels from the DestinationRule, when `subset` is set and defined. */
  readonly subsetLabels?: Readonly<Record<string, string>>;
  /**
   * What a route to this destination hashes on (istiod `HashForHTTPDestination`, `hashForService`
   * for a default route): a `loadBalancer.consistentHash` of the DestinationRule in force, as
   * written. Route destinations of a service the proxy sees only, never mirrors.
   */
  readonly consistentHash?: Readonly<Record<string, unknown>>;
  /** `HTTPRouteDestination.headers`: header operations for requests sent to this destination only. */
  readonly headers?: HeaderOperationsView;
  readonly origin: Origin;
}

/** One HTTP route after delegation, `match.gateways`, and Istio's defaults. */
export interface HttpRouteView {
  readonly name?: string;
  /** ORed; empty = match everything. */
  readonly match: readonly HttpMatchView[];
  readonly destinations: readonly DestinationView[];
  /** Route `timeout`; null = disabled (Istio's default). */
  readonly timeoutMs: number | null;
  /**
   * Retries (`attempts` 0: none). A `fault` leaves timeout and retries in place: Envoy's fault filter runs
   * before the router, so a request it aborts is never retried and its delay is not bounded by the timeout.
   */
  readonly retries: RetryPolicyView;
  readonly fault?: FaultView;
  readonly mirrors: readonly MirrorView[];
  readonly redirect?: RedirectView;
  readonly directResponse?: DirectResponseView;
  readonly rewrite?: RewriteView;
  readonly headers?: HeaderOperationsView;
  readonly corsPolicy?: CorsPolicyView;
  /**
   * Envoy `cluster_not_found_response_code` as a status: 500 on routes converted from Gateway API
   * HTTPRoutes (istiod's gateway semantics: a backend that does not exist answers 500); unset, Envoy's 503.
   */
  readonly clusterNotFoundStatus?: 500;
  /** The route in its VirtualService (`['spec','http',i]`), or in its Gateway API HTTPRoute (`['spec','rules',i]`). */
  readonly origin: Origin;
  /** For a route taken from a delegate: the root route that delegated to it. */
  readonly delegatedFrom?: Origin;
}

/**
 * One `TLSMatchAttributes` / `L4MatchAttributes` that applies to this proxy (its static predicates,
 * `gateways`, `port`, `sourceLabels`, `sourceNamespace`, already checked). What is left are the runtime
 * predicates Envoy evaluates: `sniHosts` (tls only; Envoy `filter_chain_match.server_names`) and
 * `destinationSubnets` (Envoy `prefix_ranges`).
 */
export interface L4MatchView {
  /**
   * As written, letter case included (istiod copies `match.SniHosts` into `server_names`: `tls.go`
   * buildSidecarOutboundTLSFilterChainOpts, `gateway.go` PASSTHROUGH chains; no short-name expansion). Envoy
   * compares them with the SNI case-insensitively. Empty for `tcp`.
   */
  readonly sniHosts: readonly string[];
  /** CIDRs or IPs as written. */
  readonly destinationSubnets: readonly string[];
  /**
   * The destination CIDRs istiod builds this match's filter chain with (`filterChainOpts.destinationCIDRs`, Envoy
   * `prefix_ranges`): `destinationSubnets` when it has some; on a sidecar's `tls` routes otherwise those of the
   * latest earlier applicable match of the host that had some, in this or an earlier VirtualService, a dropped
   * repeat included (tls.go buildSidecarOutboundTLSFilterChainOpts assigns its `destinationCIDRs` parameter inside
   * the loop over matches, Istio 1.23 and later); elsewhere (`tcp`, gateways) none. Empty: the service's own CIDR
   * address, or any address.
   */
  readonly destinationCidrs: readonly string[];
  readonly origin: Origin;
}

/** A `tcp` or `tls` route (L4: destinations only). */
export interface L4RouteView {
  /**
   * Applicable matches, ORed; empty = match every connection (`tcp` without `match`). A match whose
   * runtime predicates equal an earlier one's for this host and port is dropped (it can never be
   * reached; Istio's `matchHasBeenHandled`).
   */
  readonly match: readonly L4MatchView[];
  readonly destinations: readonly DestinationView[];
  readonly origin: Origin;
}

/**
 * One filter chain of a sidecar outbound TCP or TLS listener, as istiod builds it (listener.go `filterChainOpts`,
 * from tls.go buildSidecarOutboundTLSFilterChainOpts / buildSidecarOutboundTCPFilterChainOpts).
 */
export interface OutboundL4ChainView {
  /** The host routes it comes from. */
  readonly routes: HostRoutesView;
  /** The route it forwards by; null: the default chain to the service's own cluster. */
  readonly route: L4RouteView | null;
  /** The match it stands for (tcp: the catch-all match, or a route's first subnet match); null when none. */
  readonly match: L4MatchView | null;
  /** SNI hosts as istiod takes them: a `tls` match's `sniHosts` as written, `[host]` for a default SNI chain. */
  readonly sniHosts: readonly string[];
  /** Destination CIDRs as istiod takes them: the match's `destinationCidrs`, a tcp route's subnets, else the service's CIDR. */
  readonly destinationCidrs: readonly string[];
  /**
   * Envoy `filter_chain_match.server_names` (listener.go `toFilterChainMatch`): `sniHosts` sorted; none when one of
   * them is `*` (every SNI matches).
   */
  readonly serverNames: readonly string[];
  /** Envoy `filter_chain_match.prefix_ranges`: `destinationCidrs` sorted, `0.0.0.0` prefixes left out (`toFilterChainMatch`). */
  readonly prefixRanges: readonly string[];
}

/** A sidecar outbound listener carrying L4 chains: `<vip>_<port>`, or `0.0.0.0_<port>` shared by services without an IP. */
export interface OutboundL4ListenerView {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** The chains istiod keeps, in its order (`mergeTCPFilterChains`). */
  readonly chains: readonly OutboundL4ChainView[];
}

/** The routing a proxy applies for one host on one port. */
export interface HostRoutesView {
  /** The host as a client addresses it (service FQDN, or the VirtualService / Gateway host). */
  readonly host: string;
  readonly port: number;
  readonly protocol: IstioProtocol;
  /**
   * The VirtualServices that supply the routes, in the order Istio merges them; empty = default route. Sidecar:
   * the one whose `http` routes apply, then those whose `tcp` / `tls` routes are merged (`sidecar-l4-routes.ts`);
   * on a TCP or TLS port none of them routes, the first candidate.
   */
  readonly virtualServices: readonly Origin[];
  /**
   * Other VirtualServices for the same host (its most specific host group) that this proxy ignores: mesh `http`
   * routes come from one only (the first, in istiod's order, with routes for the port); a `tcp` / `tls` one is listed when all its routes come after a catch-all or repeat
   * earlier matches.
   */
  readonly ignoredVirtualServices: readonly Origin[];
  readonly http: readonly HttpRouteView[];
  readonly tcp: readonly L4RouteView[];
  readonly tls: readonly L4RouteView[];
}

/** A service or ServiceEntry host the proxy can see. */
export interface ServiceView {
  readonly host: string;
  readonly namespace: string;
  readonly kind: 'Service' | 'ServiceEntry';
  readonly ports: readonly ServicePortView[];
  readonly location: 'MESH_INTERNAL' | 'MESH_EXTERNAL';
  readonly resolution: string;
  readonly addresses: readonly string[];
  /** Pods behind it (Service selector / ServiceEntry workloadSelector); null when none. */
  readonly selector: Readonly<Record<string, string>> | null;
  /** The data plane of the workloads behind it (`unknown` when mixed, absent or undecidable). */
  readonly dataplane: Dataplane;
  /**
   * Identities istiod expects behind it (Istio `Service.ServiceAccounts`), sorted: `spiffe://<trust
   * domain>/ns/<ns>/sa/<sa>` of every workload its selector picks, plus a ServiceEntry's
   * `subjectAltNames` as written. ISTIO_MUTUAL / auto mTLS verify the server against them.
   */
  readonly serviceAccounts: readonly string[];
  readonly origin: Origin;
}

export interface ServicePortView {
  readonly number: number;
  readonly name: string;
  readonly protocol: IstioProtocol;
  /** True when istiod leaves the protocol to sniffing. */
  readonly sniffed: boolean;
  readonly targetPort?: number | string;
}

/** One endpoint of a ServiceEntry: `spec.endpoints[i]` or a WorkloadEntry its `workloadSelector` picks. */
export interface ServiceEntryEndpointView {
  /** IP (STATIC) or host name (DNS resolutions). */
  readonly address: string;
  /** The endpoint port for this cluster's service port: `ports[<port name>]`, else `targetPort`, else the port number. */
  readonly port: number;
  readonly labels: Readonly<Record<string, string>>;
  /**
   * The endpoint's TLS mode as istiod reads it (serviceentry/conversion.go `getTLSModeFromWorkloadEntry`):
   * the `security.istio.io/tlsMode` label; without it `istio` when the entry names a `serviceAccount`,
   * else `disabled`. Auto mTLS sends Istio mTLS only toward `istio` (Envoy `transport_socket_matches`).
   */
  readonly tlsMode: string;
  /** `locality` as `region/zone/subzone`; empty when unset. */
  readonly locality: string;
  /** `weight`; 1 when unset. */
  readonly weight: number;
  readonly origin: Origin;
}

/**
 * How Envoy finds a cluster's endpoints (Istio's cluster `type` per ServiceEntry `resolution`):
 * `EDS` for Services and STATIC ServiceEntries, `STRICT_DNS` for DNS, `LOGICAL_DNS` for
 * DNS_ROUND_ROBIN, `ORIGINAL_DST` for NONE (connect where the client connected).
 */
export type ClusterDiscovery = 'EDS' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'ORIGINAL_DST';

/** One upstream cluster the proxy needs, with its policy. */
export interface ClusterView {
  /** `outbound|<port>|<subset>|<fqdn>`. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly discovery: ClusterDiscovery;
  /**
   * ServiceEntry endpoints for this port and subset (subset labels applied). For DNS resolutions
   * without `spec.endpoints`, the host itself on the port. Absent for Kubernetes Services (pods come
   * from the workload source) and NONE.
   */
  readonly endpoints?: readonly ServiceEntryEndpointView[];
  readonly subset?: string;
  readonly subsetLabels?: Readonly<Record<string, string>>;
  readonly policy: ClusterPolicyView;
  /** The DestinationRule in force (merged), if any. */
  readonly destinationRule: { readonly scope: string; readonly rules: readonly Origin[] } | null;
}

/**
 * A Gateway server bound to this (router) proxy, with the routes for each of its hosts. A Gateway API listener is
 * one too, as istiod converts it: `gateway` its internal Gateway `<ns>/<name>~istio-autogenerated-k8s-gateway~<listener>`,
 * `portName` `default`, `hosts` `<ns>/<hostname or *>` per admitted namespace, `tls` the Istio TLS settings
 * (`mesh/gateway-api-gateway-routes.ts`), `origin` the listener.
 */
export interface GatewayServerView {
  /** `namespace/name` of the Gateway. */
  readonly gateway: string;
  /** `port.number` as written in the Gateway server. */
  readonly port: number;
  /** `port.name` as written (part of an HTTPS server's RDS name); `''` when absent. */
  readonly portName: string;
  /**
   * The port the gateway workload listens on for this server (Istio `resolvePorts`): the
   * `targetPort` of the first Service port selecting the gateway pod whose `port` equals the server
   * port (a named targetPort resolved through the pod's container ports), else the server port.
   * Names the listener `0.0.0.0_<listenerPort>` and the plain HTTP RDS `http.<listenerPort>`.
   */
  readonly listenerPort: number;
  /**
   * `Server.bind`: the address the gateway listens on for this server; `''` when unset (the
   * wildcard address). Servers with another bind get their own listener `<bind>_<port>` (istiod's
   * `mergeGateways`, see `mergeGatewayServers`).
   */
  readonly bind: string;
  readonly protocol: IstioProtocol;
  /** Server hosts as written (`ns/host` form included). */
  readonly hosts: readonly string[];
  readonly tls: Readonly<Record<string, unknown>> | null;
  /** MeshConfig `tlsDefaults` when set and the server has `tls`. */
  readonly meshTlsDefaults?: MeshTlsDefaultsView;
  /** Routes per virtual host, merged across VirtualServices (creation time, then name). */
  readonly routes: readonly HostRoutesView[];
  readonly origin: Origin;
}

/**
 * A Gateway API route that names this proxy's Gateway or a visible Service as parent. Mesh HTTPRoutes and GRPCRoutes
 * are routed in `routes`, those on a Gateway's listeners (and TCPRoutes and TLSRoutes there) in `gatewayServers`;
 * mesh TCPRoutes and TLSRoutes are only listed.
 */
export interface GatewayApiRouteView {
  readonly kind: string;
  readonly parent: string;
  readonly origin: Origin;
}

/** Something in the input that makes part of the view unusable (delegate cycle, malformed egress host…). */
export interface ViewProblem {
  readonly code: 'view/delegate-not-found' | 'view/delegate-has-hosts' | 'view/delegate-not-exported' | 'view/delegate-chain' | 'view/delegate-match-conflict' | 'view/egress-host' | 'view/export-to' | 'view/tcp-port-shared' | 'view/subset-not-found' | 'view/host-letter-case';
  readonly message: string;
  readonly origin: Origin;
}

/** Everything istiod computes for one proxy. */
export interface ProxyView {
  readonly proxy: ProxyIdentity;
  /** Cluster domain and trust domain in force. */
  readonly clusterDomain: string;
  readonly trustDomain: string;
  readonly rootNamespace: string;
  /** Sidecar `outboundTrafficPolicy.mode`, else MeshConfig's. */
  readonly outboundTrafficPolicy: OutboundTrafficMode;
  /** MeshConfig `pathNormalization.normalization` (BASE by default), for every HTTP connection manager. */
  readonly pathNormalization: PathNormalizationType;
  /**
   * MeshConfig `connectTimeout` in milliseconds (default 10000): the `connect_timeout` of the clusters no
   * DestinationRule shapes (BlackHoleCluster, PassthroughCluster, inbound clusters), as istiod's
   * `applyDefaultConnectionPool` and `buildBlackHoleCluster` set it.
   */
  readonly connectTimeoutMs: number;
  /** The Sidecar resource that scopes this proxy, if any. */
  readonly sidecar: Origin | null;
  /** Services visible to the proxy, sorted by host. */
  readonly services: readonly ServiceView[];
  /** Outbound routing per (host, port), sidecars only; sorted by port then host. */
  readonly routes: readonly HostRoutesView[];
  /** Upstream clusters referenced by the routes (and the default ones of visible services), sorted by name. */
  readonly clusters: readonly ClusterView[];
  /**
   * The outbound listeners istiod builds for the TCP and TLS ports of the routes, with their L4 filter chains merged
   * as istiod merges them (`outbound-l4-listeners.ts`); sidecars only. HTTP hosts add no chain here.
   */
  readonly outboundL4Listeners: readonly OutboundL4ListenerView[];
  /** Gateway servers, routers only. */
  readonly gatewayServers: readonly GatewayServerView[];
  readonly gatewayApiRoutes: readonly GatewayApiRouteView[];
  /** The workload's own ports, mTLS mode and AuthorizationPolicies (routers: the policies only, `ports: []`). */
  readonly inbound: InboundView | null;
  readonly problems: readonly ViewProblem[];
}

// ---------------------------------------------------------------------------------------------
// Inbound (src/mesh/view/inbound.ts, inbound-authz.ts)

/** PeerAuthentication mode in force; Istio's default (no policy sets one) is PERMISSIVE. */
export type InboundMtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

/** The mTLS mode a workload accepts (on one port or workload-wide) and the policy that decides it. */
export interface MtlsView {
  readonly mode: InboundMtlsMode;
  /**
   * Which level decided: `workload-port` (`portLevelMtls` of a selector policy), `workload`
   * (selector policy), `namespace`, `mesh` (root namespace), `default` (none sets a mode; UNSET inherits).
   */
  readonly source: 'workload-port' | 'workload' | 'namespace' | 'mesh' | 'default';
  /** The deciding PeerAuthentication field (`spec.mtls` or `spec.portLevelMtls.<port>`); null for `default`. */
  readonly origin: Origin | null;
}

/** A Service port, or a port of a ServiceEntry whose `workloadSelector` selects the workload, that sends traffic to an inbound port (`origin.ref.kind` tells which). */
export interface InboundServicePortView {
  readonly host: string;
  /** The Service (or ServiceEntry) port number (what clients dial; never what the sidecar sees). */
  readonly port: number;
  readonly name: string;
  readonly origin: Origin;
}

/** One port the workload serves, as the sidecar sees it (Istio's inbound listener chain and `inbound|<port>||` cluster). */
export interface InboundPortView {
  /** Container port: the Service `targetPort` resolved (a named one through the pod's `containerPort` names), or a ServiceEntry port's endpoint port. */
  readonly port: number;
  /** Protocol of the first service port targeting it, in `services` order (`protocol.ts`); `UnsupportedProtocol` = sniffed. */
  readonly protocol: IstioProtocol;
  readonly sniffed: boolean;
  /** Every Service and ServiceEntry port targeting this container port, in istiod's order (`SetServiceTargets`: creationTimestamp, then host; a Kubernetes Service first; each service's ports in its order). */
  readonly services: readonly InboundServicePortView[];
  readonly mtls: MtlsView;
  /**
   * The retry policy of the default route of the port's HTTP chain (istiod `route.BuildDefaultHTTPInboundRoute`):
   * MeshConfig `defaultInboundHttpRetryPolicy` (Istio's built-in: 2 retries on `reset-before-request`);
   * null on gRPC and gRPC-Web ports (never retried inbound) and when the policy's `attempts` is 0.
   */
  readonly retry: InboundRetryView | null;
}

/** A retry policy on an inbound route (istiod `retry.ConvertInboundPolicy`): attempts, conditions, backoff only. */
export interface InboundRetryView {
  /** Envoy `num_retries`. */
  readonly attempts: number;
  /** Istio `retryOn` as written: Envoy conditions and HTTP status codes. */
  readonly retryOn: string;
  /** Envoy `retry_back_off.base_interval` in ms; null: Envoy's 25 ms. */
  readonly backoffMs: number | null;
}

/**
 * An AuthorizationPolicy attribute, named as Istio's authz model names it
 * (`pilot/pkg/security/authz/model`): `from.source` fields and source-side `when` keys become
 * principals, `to.operation` fields and destination-side `when` keys permissions.
 */
export type AuthzAttribute =
  | 'source.principal' | 'source.namespace' | 'source.ip' | 'remote.ip'
  | 'request.auth.principal' | 'request.auth.audiences' | 'request.auth.presenter' | 'request.auth.claims' | 'request.headers'
  | 'destination.ip' | 'destination.port' | 'connection.sni' | 'host' | 'method' | 'path'
  | 'unsupported';

/** One field of a rule: values ORed, `notValues` (the `not*` field) excluded; the two ANDed. */
export interface AuthzMatchView {
  readonly attribute: AuthzAttribute;
  /** `request.headers[<name>]`: the header name (lower case); `request.auth.claims[a][b]`: the claim path; else []. */
  readonly key: readonly string[];
  /** As written, except `source.principal`: trust domain aliases expanded (Istio's `ReplaceTrustDomainAliases`). */
  readonly values: readonly string[];
  readonly notValues: readonly string[];
  /** Only meaningful for HTTP (paths, methods, hosts, request headers, JWT attributes). */
  readonly httpOnly: boolean;
  /**
   * Set when Envoy RBAC cannot express this field (unknown `when` key, malformed IP block or port,
   * path template): the translator does what istiod does with a generation error, dropping the rule
   * from an ALLOW policy and ignoring the field in DENY and AUDIT policies.
   */
  readonly unsupported?: string;
  /** A remark that does not change the translation (a port that is not a container port of this workload…). */
  readonly note?: string;
  readonly origin: Origin;
}

/** One rule of a policy, consolidated like Istio's `authz/model.Model`. */
export interface AuthzRuleView {
  /** Istio's Envoy policy name: `ns[<namespace>]-policy[<name>]-rule[<i>]`. */
  readonly name: string;
  /** One entry per `from` (ORed; source-side `when` conditions ANDed into each); one entry when `from` is absent. */
  readonly principals: readonly (readonly AuthzMatchView[])[];
  /** One entry per `to` (ORed; destination-side `when` conditions ANDed into each); one entry when `to` is absent. */
  readonly permissions: readonly (readonly AuthzMatchView[])[];
  /** ALLOW rules only: why the rule matches every request (`validate/authorization.ts`), else null. */
  readonly allowsEverything: string | null;
  readonly origin: Origin;
}

/** An AuthorizationPolicy that applies to the workload. */
export interface AuthzPolicyView {
  readonly name: string;
  readonly namespace: string;
  /** `spec.action`, default ALLOW. */
  readonly action: 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';
  /** `mesh` (root namespace, no selector), `namespace`, `workload` (selector; a root-namespace selector policy too). */
  readonly scope: 'mesh' | 'namespace' | 'workload';
  /** CUSTOM: `spec.provider.name`. */
  readonly provider?: string;
  /** Annotation `istio.io/dry-run` true (Go `ParseBool`: `true`, `True`, `1`, …): evaluated and logged, never enforced (Envoy `shadow_rules`). */
  readonly dryRun: boolean;
  /** Empty for `spec: {}` (an ALLOW policy without rules allows nothing). */
  readonly rules: readonly AuthzRuleView[];
  readonly origin: Origin;
}

/** Something inbound translation cannot use, with where it is and how to fix it. */
export interface InboundProblem {
  readonly code: 'view/inbound-target-port' | 'view/authz-target-ref';
  readonly message: string;
  readonly origin: Origin;
}

/** The inbound side of a proxy. */
export interface InboundView {
  /** Sorted by port. Empty when no Service and no ServiceEntry `workloadSelector` selects the workload, and for routers. */
  readonly ports: readonly InboundPortView[];
  /** The workload-wide mode (no `portLevelMtls`): what ports no Service declares get. */
  readonly mtls: MtlsView;
  /** The retry policy of the passthrough HTTP chains' route (ports no Service declares: a sniffed protocol, so not gRPC). */
  readonly passthroughRetry: InboundRetryView | null;
  /** MeshConfig `protocolDetectionTimeout` in ms (istiod's `listener_filters_timeout` on inbound listeners; 0: none). */
  readonly protocolDetectionTimeoutMs: number;
  /**
   * MeshConfig `meshMTLS` as the inbound ISTIO_MUTUAL server context reads it (istiod `BuildInboundTLS`):
   * the minimum version (`TLSV1_3` is TLS 1.3, else TLS 1.2) and the cipher suites (absent: Istio's
   * `SupportedCiphers`); absent when `meshMTLS` sets neither.
   */
  readonly meshMtls?: { readonly minProtocolVersion: 'TLSV1_2' | 'TLSV1_3'; readonly cipherSuites?: readonly string[] };
  /** Policies that apply: root namespace first, then the workload's namespace, input order. */
  readonly authorizationPolicies: readonly AuthzPolicyView[];
  /** The extension providers the CUSTOM policies among them name, sorted by name (empty without CUSTOM policies). */
  readonly customAuthz: readonly CustomAuthzView[];
  readonly problems: readonly InboundProblem[];
}

/**
 * One provider named by CUSTOM policies of a proxy: istiod's builder (`buildHTTP` / `buildTCP`) makes,
 * per provider, an RBAC filter in shadow mode and an ext_authz filter; when it cannot use the provider
 * (unknown, invalid, its service not found, or more than one provider on the workload), an RBAC filter
 * that DENIES what the CUSTOM rules match (`getBadCustomDenyRules`).
 */
export interface CustomAuthzView {
  /** `AuthorizationPolicy.spec.provider.name`. */
  readonly provider: string;
  /** The provider with its service resolved; null when istiod cannot use it (see `error`). */
  readonly extAuthz: ExtAuthzView | null;
  /** Why istiod denies what this provider's CUSTOM rules match instead of asking it (istiod's log line); null when usable. */
  readonly error: string | null;
}

/** A MeshConfig ext_authz provider and its authorizer's cluster (istiod `LookupCluster`). */
export interface ExtAuthzView extends ExtAuthzProvider {
  /** The authorizer's hostname (FQDN of its Service or ServiceEntry host). */
  readonly host: string;
  /** `outbound|<port>||<host>`: the cluster the ext_authz filter calls. */
  readonly cluster: string;
}
