// Rules of the resilience area, one line each: export { default as camelName } from './file.js';
export { default as faultBypassesTimeoutRetries } from './fault-bypasses-timeout-retries.js';
export { default as perTryTimeoutIgnored } from './per-try-timeout-ignored.js';
export { default as retriesWithoutPerTryTimeout } from './retries-without-per-try-timeout.js';
export { default as retryBudgetExceedsTimeout } from './retry-budget-exceeds-timeout.js';
export { default as routeTimeoutUnreachable } from './route-timeout-unreachable.js';
export { default as retryOnRetriesNothing } from './retry-on-retries-nothing.js';
export { default as outlierGatewayErrorsIneffective } from './outlier-gateway-errors-ineffective.js';
export { default as faultInjectsNothing } from './fault-injects-nothing.js';
