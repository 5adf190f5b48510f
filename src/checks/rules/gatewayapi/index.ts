// Rules of the gatewayapi area (Kubernetes Gateway API objects), one line each.
export { default as backendTlsPolicyCaUnusable } from './backend-tls-policy-ca-unusable.js';
export { default as backendTlsPolicyConflicted } from './backend-tls-policy-conflicted.js';
export { default as backendTlsPolicyOverridden } from './backend-tls-policy-overridden.js';
export { default as backendTlsPolicyTargetNotFound } from './backend-tls-policy-target-not-found.js';
export { default as certificateRefNotFound } from './certificate-ref-not-found.js';
export { default as consumerRouteNotVisible } from './consumer-route-not-visible.js';
export { default as crdVersionBelowMinimum } from './crd-version-below-minimum.js';
export { default as headerValueRefusedByEnvoy } from './header-value-refused-by-envoy.js';
export { default as ineffectiveSelector } from './ineffective-selector.js';
export { default as invalidCertificateRef } from './invalid-certificate-ref.js';
export { default as routeInvalidRegex } from './invalid-regex.js';
export { default as listenerConflict } from './listener-conflict.js';
export { default as listenerWithoutTls } from './listener-without-tls.js';
export { default as mergedRouteShadowed } from './merged-route-shadowed.js';
export { default as routeReferenceNotFound } from './route-reference-not-found.js';
export { default as routeTimeouts } from './route-timeouts.js';
export { default as unsupportedFilter } from './unsupported-filter.js';
