/**
 * The registry the proxy runs with: which unit implements each HTTP filter, network filter, load
 * balancing policy, router policy, filter-chain selection, TLS and extra xDS type. The policy and
 * security units add themselves here (one line each); the core's own entries are the router (built
 * in), CORS (evaluated during route selection, see cors.ts) and ext_authz (`ext-authz/`, it calls its
 * service through the core's async client). The policy units (fault filter,
 * load balancers with circuit breakers and outlier detection, router retries/timeouts/mirrors) come
 * from `policy/wiring`.
 */
import { extAuthzFilterFactory } from './ext-authz/filter.js';
import { networkExtAuthzFactory } from './ext-authz/network.js';
import type { HttpFilterFactory, ProxyExtensions } from './http/pipeline.js';
import { type PolicyExtensionOptions, policyExtensions } from './policy/wiring/index.js';
import { securityExtensions } from './tls/provider.js';

const CORS: HttpFilterFactory = {
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors'],
  create: () => ({ onRequest: () => undefined }),
};

/**
 * A fresh registry for one proxy (units with state, e.g. SDS secrets, get their own instances).
 * `policy` injects the random source and clock of the policy units (tests make them deterministic).
 */
export function createExtensions(policy: PolicyExtensionOptions = {}): ProxyExtensions {
  const p = policyExtensions(policy);
  const sec = securityExtensions();
  return {
    httpFilters: new Map<string, HttpFilterFactory>([
      ['envoy.filters.http.cors', CORS],
      ...p.httpFilters,
      ...sec.httpFilters,
      ['envoy.filters.http.ext_authz', extAuthzFilterFactory],
    ]),
    networkFilters: new Map([...sec.networkFilters, ['envoy.filters.network.ext_authz', networkExtAuthzFactory]]),
    loadBalancers: new Map(p.loadBalancers),
    routerInterceptors: [...p.routerInterceptors],
    validators: p.validators,
    outlierEjected: (name) => p.clusters.ejected(name),
    filterChainSelector: sec.filterChainSelector,
    tls: sec.tls,
    extraResourceTypes: [...sec.extraResourceTypes],
  };
}
