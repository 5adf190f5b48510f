/**
 * meshproof: typed cdk8s constructs for the Istio service mesh.
 *
 * `import { MeshApp, MeshNamespace, MeshService, CanaryRelease, Duration } from 'meshproof'`. The
 * check API is `meshproof/checks`; the cdk8s validation plugin is `meshproof/cdk8s-plugin`.
 *
 * The public surface, named one by one so that growing it is a decision (test/public-api.test.ts
 * lists it): the constructs, their props and option interfaces, value types (Duration, Percent,
 * StringMatch, PolicyScope, Destination), PropError and its codes, MeshApp, and `expect` (the
 * user's own promises for `meshproof verify`). Translators and validators (`translate*`, `check*`)
 * are internal.
 */
export { MeshApp, type MeshAppProps, type SourceMapEntry } from './app/mesh-app.js';
export { PropError, type PropErrorCode } from './constructs/_errors.js';
export { AllowPolicy, type AllowPolicyProps, type AuthorizationAction, type AuthorizationRule, DefaultDenyPolicy, type DefaultDenyPolicyProps, type RequestCondition, type RequestOperation, type RequestSource } from './constructs/authorization-policy.js';
export { type CanaryMirror, CanaryRelease, type CanaryReleaseProps, type CookiePin, type HeaderPin } from './constructs/canary-release.js';
export { type ConnectionPoolOptions, type HttpConnectionPoolOptions, type TcpConnectionPoolOptions } from './constructs/connection-pool.js';
export { type Destination, type IRoutable } from './constructs/destination.js';
export { Duration } from './constructs/duration.js';
export { type ExternalResolution, ExternalService, type ExternalServicePort, type ExternalServiceProps, type TlsOriginationOptions } from './constructs/external-service.js';
export { HeaderSplit, type HeaderSplitProps, type HeaderSplitRule } from './constructs/header-split.js';
export { type CookieMatch, type HttpMethod, type RequestMatch } from './constructs/http-route-match.js';
export { type CorsPolicy, type DirectResponse, type FaultAbort, type FaultDelay, type FaultInjection, type HeaderOperations, type HeaderPolicy, type HttpRedirect, type HttpRewrite, type RetryOn, type RetryPolicy } from './constructs/http-route-policy.js';
export { type HttpRouteOptions, type MirrorPolicy, type RouteDestination, type RouteTarget } from './constructs/http-route.js';
export { IngressGateway, type IngressGatewayProps, type IngressTlsMode, type TlsVersion } from './constructs/ingress-gateway.js';
export { type ConsistentHashOptions, type HashCookie, type LoadBalancerOptions, type SimpleLoadBalancer } from './constructs/load-balancer.js';
export { CLUSTER_DOMAIN_CONTEXT, MeshNamespace, type MeshNamespaceProps, type MeshSettings, meshSettingsOf, TRUST_DOMAIN_CONTEXT } from './constructs/mesh-namespace.js';
export { MeshService, type MeshServicePort, type MeshServiceProps, type MeshServiceVersion, type PortProtocol } from './constructs/mesh-service.js';
export { MutualTlsGateway, type MutualTlsGatewayProps } from './constructs/mutual-tls-gateway.js';
export { type OutlierDetectionOptions } from './constructs/outlier-detection.js';
export { type MtlsMode, PeerAuthenticationPolicy, type PeerAuthenticationPolicyProps, PolicyScope } from './constructs/peer-authentication.js';
export { Percent } from './constructs/percent.js';
export { RouteTable, type RouteTableProps } from './constructs/route-table.js';
export { type OutboundTrafficMode, SidecarScope, type SidecarScopeProps } from './constructs/sidecar-scope.js';
export { StringMatch, type StringMatchKind, type StringMatchSpec } from './constructs/string-match.js';
export { type ClientTlsMode, type ClientTlsOptions, type PortTrafficPolicyOptions, type TrafficPolicyOptions } from './constructs/traffic-policy.js';
export { expect, type ExpectedRequest, type ExpectedTarget } from './verify/expectations/expect.js';
