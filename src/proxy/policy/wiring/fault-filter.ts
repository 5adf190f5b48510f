/**
 * `envoy.filters.http.fault` as a core `HttpFilterFactory`: the listener-level `HTTPFault` (Istio
 * sends an empty one) and each route's `typed_per_filter_config` entry (most specific wins: route,
 * virtual host, route configuration, as merged by the core), compiled once per route. A delay sets
 * `DI` and holds the request; an abort answers locally with `FI`.
 */
import type { Any } from '@bufbuild/protobuf/wkt';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { HTTPFaultSchema } from '../../../xds/gen/envoy/extensions/filters/http/fault/v3/fault_pb.js';
import { ConfigError } from '../../config/config-error.js';
import type { HttpFilter, HttpFilterFactory, LocalReply } from '../../http/pipeline.js';
import type { CompiledRoute } from '../../route-table.js';
import type { RandomSource } from '../_common.js';
import { FAULT_FILTER_NAME, FaultInjector, type FaultRequest } from '../fault.js';

/**
 * The abort as a local reply: `fault filter abort` with the HTTP status, or for a `grpc_status` abort
 * HTTP 200 carrying that status (the core answers gRPC requests trailers-only, mapping an HTTP status
 * as Envoy's `httpToGrpcStatus` when no gRPC status is given).
 */
function toLocalReply(inj: FaultInjector, req: FaultRequest, random: RandomSource): LocalReply | undefined {
  const abort = inj.abort(req, random);
  if (!abort) return undefined;
  const base = { body: 'fault filter abort', flag: 'FI' as const, details: 'fault_filter_abort' };
  return 'grpcStatus' in abort ? { ...base, status: 200, grpcStatus: abort.grpcStatus } : { ...base, status: abort.httpStatus };
}

/** The fault filter factory; `random` draws the percentages. */
export function faultFilterFactory(random: RandomSource): HttpFilterFactory {
  const perRoute = new WeakMap<CompiledRoute, FaultInjector | null>();
  return {
    typeUrls: [`type.googleapis.com/${HTTPFaultSchema.typeName}`],
    validatePerRoute: (config: Any) => { FaultInjector.fromTypedConfig(config); },
    create: (config: Any | undefined): HttpFilter => {
      let listenerLevel: FaultInjector | undefined;
      if (config) {
        const f = anyUnpack(config, HTTPFaultSchema);
        if (!f) throw new ConfigError('typed_config', `type ${config.typeUrl} is not type.googleapis.com/${HTTPFaultSchema.typeName}`);
        if (f.delay || f.abort) listenerLevel = new FaultInjector(f);
      }
      const injectorOf = (route: CompiledRoute | undefined): FaultInjector | undefined => {
        if (!route) return listenerLevel;
        let inj = perRoute.get(route);
        if (inj === undefined) {
          const any = route.perFilterConfig.get(FAULT_FILTER_NAME);
          inj = any ? FaultInjector.fromTypedConfig(any) : null;
          perRoute.set(route, inj);
        }
        return inj ?? listenerLevel;
      };
      return {
        onRequest(ex) {
          const d = ex.decision;
          const inj = injectorOf(d && d.kind !== 'no-route' ? d.route : undefined);
          if (!inj) return undefined;
          const req: FaultRequest = { headers: ex.headers, cluster: d?.kind === 'forward' ? d.cluster : undefined };
          if (!inj.applies(req)) return undefined;
          const delay = inj.delayMs(req, random);
          if (delay === undefined) return toLocalReply(inj, req, random);
          ex.flags.push('DI');
          inj.active++;
          return new Promise<LocalReply | undefined>((resolve) => {
            const done = () => { inj.active--; ex.signal.removeEventListener('abort', gone); };
            const t = setTimeout(() => { done(); resolve(toLocalReply(inj, req, random)); }, delay);
            const gone = () => { clearTimeout(t); done(); resolve(undefined); };
            ex.signal.addEventListener('abort', gone, { once: true });
          });
        },
      };
    },
  };
}
