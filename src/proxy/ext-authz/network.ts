/**
 * `envoy.filters.network.ext_authz` (Istio's CUSTOM action on TCP ports, gRPC providers only) is not
 * implemented: a chain holding it is refused at LDS time with a ConfigError naming the filter, so the
 * listener is NACKed instead of accepting connections a CUSTOM policy should have checked.
 */
import { ConfigError } from '../config/config-error.js';
import type { NetworkFilterFactory } from '../http/pipeline.js';

export const NETWORK_EXT_AUTHZ_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.network.ext_authz.v3.ExtAuthz';

function refuse(): never {
  throw new ConfigError('typed_config', 'envoy.filters.network.ext_authz (a CUSTOM AuthorizationPolicy on a TCP port) is not implemented by meshproof\'s proxy; the listener is refused rather than served without the check (the HTTP filter envoy.filters.http.ext_authz is supported)');
}

export const networkExtAuthzFactory: NetworkFilterFactory = {
  typeUrls: [NETWORK_EXT_AUTHZ_TYPE_URL],
  create: refuse,
  createGate: refuse,
};
