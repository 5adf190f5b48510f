/**
 * Rule ids that were retired. An id is never reused (the registry refuses one of these), and a
 * config naming one is told why it went and what to use instead.
 */
export const RETIRED_RULES: Readonly<Record<string, string>> = Object.freeze({
  'resilience/fault-disables-timeout-retries':
    'a fault does not disable a route\'s timeout and retries (istiod keeps both; Envoy\'s fault filter runs before the router, so only the requests it aborts or delays escape them); resilience/fault-bypasses-timeout-retries reports those',
});
