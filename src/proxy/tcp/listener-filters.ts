/**
 * Which listener filters run on a connection, pure: Envoy runs each of `Listener.listener_filters` in
 * order unless its `filter_disabled` predicate (`ListenerFilterChainMatchPredicate`) matches the
 * connection (`source/common/listener_manager/listener_impl.cc`, `ListenerFilterMatcher`). meshproof
 * knows two: `envoy.filters.listener.tls_inspector` and `envoy.filters.listener.http_inspector`.
 */
import type { ListenerFilterChainMatchPredicate } from '../../xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import type { Listener } from '../../xds/gen/envoy/config/listener/v3/listener_pb.js';

export const TLS_INSPECTOR = 'envoy.filters.listener.tls_inspector';
export const HTTP_INSPECTOR = 'envoy.filters.listener.http_inspector';

/** Whether `predicate` matches a connection to local port `port` (Envoy's `ListenerFilterMatcher` implementations). */
export function predicateMatches(predicate: ListenerFilterChainMatchPredicate, port: number): boolean {
  const r = predicate.rule;
  switch (r.case) {
    case 'anyMatch': return r.value;
    case 'notMatch': return !predicateMatches(r.value, port);
    case 'orMatch': return r.value.rules.some((x) => predicateMatches(x, port));
    case 'andMatch': return r.value.rules.every((x) => predicateMatches(x, port));
    // Int32Range: [start, end).
    case 'destinationPortRange': return port >= r.value.start && port < r.value.end;
    default: return false;
  }
}

/**
 * The inspectors that run on a connection to local port `port`: a configured inspector whose
 * `filter_disabled` does not match. A listener with no `tls_inspector` at all whose chains terminate
 * TLS still has its ClientHello read (meshproof's long-standing leniency: such a listener could
 * otherwise never select its TLS chain by `transport_protocol`); `http_inspector` runs only when configured.
 */
export function enabledInspectors(listener: Pick<Listener, 'listenerFilters'>, chainsTerminateTls: boolean, port: number): { tls: boolean; http: boolean } {
  const on = (name: string) => {
    const f = listener.listenerFilters.find((x) => x.name === name);
    if (!f) return undefined;
    return !(f.filterDisabled && predicateMatches(f.filterDisabled, port));
  };
  return { tls: on(TLS_INSPECTOR) ?? chainsTerminateTls, http: on(HTTP_INSPECTOR) ?? false };
}
