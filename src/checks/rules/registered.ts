// Every rule module, by area; each area's index.ts has one line per rule. ALL_RULES (index.ts)
// sorts them by id and refuses duplicates.
export * from './annotations/index.js';
export * from './deprecation/index.js';
export * from './egress/index.js';
export * from './envoyfilter/index.js';
export * from './gateway/index.js';
export * from './gatewayapi/index.js';
export * from './references/index.js';
export * from './resilience/index.js';
export * from './routing/index.js';
export * from './schema/index.js';
export * from './security/index.js';
export * from './service/index.js';
export * from './serviceentry/index.js';
export * from './sidecar/index.js';
export * from './telemetry/index.js';
export * from './tls/index.js';
export * from './validation/index.js';
export * from './injection/index.js';
export * from './multicluster/index.js';
export * from './deployment/index.js';
export * from './status/index.js';
export * from './webhook/index.js';
