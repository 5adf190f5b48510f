// Rules of the security area, one line each: export { default as camelName } from './file.js';
export { default as allowEverything } from './allow-everything.js';
export { default as authzNamespaceNotFound } from './authz-namespace-not-found.js';
export { default as authzSelectsNoWorkload } from './authz-selects-no-workload.js';
export { default as jwtClaimRoutingWithoutRequestAuthentication } from './jwt-claim-routing-without-request-authentication.js';
export { default as meshStrictMtls } from './mesh-strict-mtls.js';
export { default as namespaceDefaultDeny } from './namespace-default-deny.js';
export { default as tlsDisableTowardStrict } from './tls-disable-toward-strict.js';
