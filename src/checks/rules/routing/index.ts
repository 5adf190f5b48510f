// Rules of the routing area, one line each.
export { default as conflictingMeshHosts } from './conflicting-mesh-hosts.js';
export { default as defaultRouteRequired } from './default-route-required.js';
export { default as delegateMatchConflict } from './delegate-match-conflict.js';
export { default as delegateTarget } from './delegate-target.js';
export { default as gatewayHostMismatch } from './gateway-host-mismatch.js';
export { default as ineffectiveMatch } from './ineffective-match.js';
export { default as ingressBypassesSubsets } from './ingress-bypasses-subsets.js';
export { default as matchGatewayNotBound } from './match-gateway-not-bound.js';
export { default as meshHostWithoutService } from './mesh-host-without-service.js';
export { default as mirrorTarget } from './mirror-target.js';
export { default as mirrorToWeightedDestination } from './mirror-to-weighted-destination.js';
export { default as routesNeverApplied } from './routes-never-applied.js';
export { default as shadowedRule } from './shadowed-rule.js';
export { default as unreachableRule } from './unreachable-rule.js';
export { default as unusedSubset } from './unused-subset.js';
export { default as uriPrefixWithoutSlash } from './uri-prefix-without-slash.js';
export { default as weightsTotal100 } from './weights-total-100.js';
