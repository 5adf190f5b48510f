/**
 * The registry the proxy runs with: which unit implements each HTTP filter, network filter, load
 * balancing policy, router policy, filter-chain selection, TLS and extra xDS type. The policy and
 * security units add themselves here (one line each); the core's own entries are the router (built
 * in), CORS (evaluated during route selection, see cors.ts) and a fault filter placeholder that
 * accepts the filter in the chain but refuses per-route faults until the fault unit is registered,
 * so a route with a fault is NACKed rather than served without it.
 */
import { type Any, anyUnpack } from '@bufbuild/protobuf/wkt';
import { HTTPFaultSchema } from '../xds/gen/envoy/extensions/filters/http/fault/v3/fault_pb.js';
import { ConfigError } from './config/config-error.js';
import type { HttpFilterFactory, ProxyExtensions } from './http/pipeline.js';

const CORS: HttpFilterFactory = {
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors'],
  create: () => ({ onRequest: () => undefined }),
};

const FAULT_PLACEHOLDER: HttpFilterFactory = {
  typeUrls: [`type.googleapis.com/${HTTPFaultSchema.typeName}`],
  create: (config: Any | undefined) => {
    const f = config ? anyUnpack(config, HTTPFaultSchema) : undefined;
    if (f?.delay || f?.abort) throw new ConfigError('typed_config', 'listener-level fault injection (delay/abort) is not implemented in this proxy build');
    return { onRequest: () => undefined };
  },
  validatePerRoute: (config: Any) => {
    const f = anyUnpack(config, HTTPFaultSchema);
    if (f?.delay || f?.abort) throw new ConfigError('', 'fault injection (delay/abort) is not implemented in this proxy build; the route would be served without its fault');
  },
};

/** A fresh registry for one proxy (units with state, e.g. SDS secrets, get their own instances). */
export function createExtensions(): ProxyExtensions {
  return {
    httpFilters: new Map<string, HttpFilterFactory>([
      ['envoy.filters.http.cors', CORS],
      ['envoy.filters.http.fault', FAULT_PLACEHOLDER],
    ]),
    networkFilters: new Map(),
    loadBalancers: new Map(),
    routerInterceptors: [],
    extraResourceTypes: [],
  };
}
