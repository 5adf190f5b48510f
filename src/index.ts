/**
 * meshproof: typed cdk8s constructs for the Istio service mesh.
 *
 * `import { MeshApp, MeshService, CanaryRelease, Duration } from 'meshproof'`. The check API is
 * `meshproof/checks`; the cdk8s validation plugin is `meshproof/cdk8s-plugin`.
 */
export * from './app/mesh-app.js';
export * from './constructs/_errors.js';
export * from './constructs/authorization-policy.js';
export * from './constructs/canary-release.js';
export * from './constructs/connection-pool.js';
export * from './constructs/destination.js';
export * from './constructs/duration.js';
export * from './constructs/external-service.js';
export * from './constructs/header-split.js';
export * from './constructs/http-route-match.js';
export * from './constructs/http-route-policy.js';
export * from './constructs/http-route.js';
export * from './constructs/ingress-gateway.js';
export * from './constructs/load-balancer.js';
export * from './constructs/mesh-service.js';
export * from './constructs/mutual-tls-gateway.js';
export * from './constructs/outlier-detection.js';
export * from './constructs/peer-authentication.js';
export * from './constructs/percent.js';
export * from './constructs/pod-labels.js';
export * from './constructs/route-table.js';
export * from './constructs/sidecar-scope.js';
export * from './constructs/string-match.js';
export * from './constructs/traffic-policy.js';
