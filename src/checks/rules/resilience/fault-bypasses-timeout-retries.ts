import { DEFAULT_RETRY_ON } from '../../../mesh/mesh-config.js';
import { isRecord } from '../../../mesh/object.js';
import { retryOnRetriesStatus } from '../../../mesh/retry-on.js';
import type { Rule } from '../../rule.js';
import { durationMs, faultPercentOf, formatMs, httpRoutesOf, retryAttempts } from './_helpers.js';

/**
 * Whether `retryOn` retries an upstream answer with HTTP `status` (Envoy: `5xx`, `gateway-error` 502-504,
 * `retriable-4xx` 409, `retriable-status-codes` with the codes listed; Istio adds that condition for a bare
 * code) or gRPC status `grpc` (`UNAVAILABLE` → `unavailable`). No `retryOn`: Istio's default, which lists no
 * status code since Istio 1.24 (route/retry/retry.go DefaultPolicy), so only its gRPC conditions apply.
 */
function retries(retryOn: unknown, status: number | undefined, grpc: string | undefined): boolean {
  const list = typeof retryOn === 'string' && retryOn !== '' ? retryOn : DEFAULT_RETRY_ON;
  const conditions = list.split(',').map((c) => c.trim());
  if (grpc !== undefined) return conditions.includes(grpc.toLowerCase().replace(/_/g, '-'));
  return status !== undefined && retryOnRetriesStatus(conditions, status);
}

/**
 * `resilience/fault-bypasses-timeout-retries`: an injected fault that escapes the route's own retries or
 * timeout. istiod keeps a faulted route's timeout and retry policy (pilot/pkg/networking/core/route/route.go
 * `applyHTTPRouteDestination`), but Envoy's fault filter runs before the router: its abort is a local reply
 * the router never sees, and its delay passes before the router starts the route and per-try timeouts.
 */
const faultBypassesTimeoutRetries: Rule = {
  id: 'resilience/fault-bypasses-timeout-retries',
  severity: 'info',
  summary: 'A route\'s injected fault escapes its own retries or timeout: an abort its retry policy would retry, or a delay at least as long as its timeout.',
  docs: [
    'A route with a `fault` keeps its `timeout` and `retries` (istiod sets both), but Envoy\'s fault filter runs',
    'before the router. An injected abort is answered by the caller\'s sidecar (flag `FI`) and never reaches the',
    'router, so it is never retried, even when `retryOn` covers its status; an injected delay passes before the',
    'router starts the route timeout and the per-try timeout, so it never ends in 504 (`UT`): a delayed request',
    'waits the delay and then gets the whole timeout. Requests the fault does not hit are retried and timed out as',
    'usual. Reported: an abort whose HTTP status (or gRPC status) the route\'s own `retries` (`attempts` > 0) would',
    'retry from an upstream (without `retryOn`, Istio\'s default retries no HTTP status, only gRPC unavailable and cancelled), and a delay at least as long as the',
    'route `timeout` or, with retries, `retries.perTryTimeout`. A delegate route is judged with what it takes from',
    'its root. Fix: when the point is to exercise the retries or the timeout, let the upstream fail or stall',
    'instead: inject the fault on a route of the next hop (as Istio\'s request-timeouts task does) or make the',
    'upstream slow; when the point is to show callers the error or the latency, this is what happens.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { route, path, label } of httpRoutesOf(vs, graph)) {
        const fault = route.fault;
        if (!isRecord(fault)) continue;
        const r = isRecord(route.retries) ? route.retries : undefined;
        const attempts = r ? retryAttempts(r) : 0;
        const abort = isRecord(fault.abort) ? fault.abort : undefined;
        if (abort && r && attempts > 0 && faultPercentOf(abort, false) > 0) {
          const status = typeof abort.httpStatus === 'number' ? abort.httpStatus : undefined;
          const grpc = typeof abort.grpcStatus === 'string' ? abort.grpcStatus : undefined;
          if (retries(r.retryOn, status, grpc)) {
            const what = grpc !== undefined ? `gRPC status ${grpc}` : `${status}`;
            const on = typeof r.retryOn === 'string' && r.retryOn !== '' ? `retryOn "${r.retryOn}"` : 'Istio\'s default retryOn';
            ctx.report(vs, `${label}: its fault aborts ${faultPercentOf(abort, false)} % of requests with ${what}, which its retries (attempts ${attempts}, ${on}) would retry from an upstream, ` +
              `but Envoy's fault filter answers them before the router: the caller gets ${what} (flag FI) without a retry, and the retries apply only to the requests not aborted; ` +
              'to exercise the retries, let the upstream fail instead (a fault on a route of the next hop)', { path: [...path, 'fault', 'abort'] });
          }
        }
        const delay = isRecord(fault.delay) ? fault.delay : undefined;
        const delayMs = delay ? durationMs(delay.fixedDelay) : undefined;
        if (delay && delayMs !== undefined && faultPercentOf(delay, true) > 0) {
          const timeoutMs = durationMs(route.timeout);
          const perTryMs = r && attempts > 0 ? durationMs(r.perTryTimeout) : undefined;
          const limit = timeoutMs !== undefined && timeoutMs > 0 && delayMs >= timeoutMs ? { name: 'timeout', ms: timeoutMs }
            : perTryMs !== undefined && perTryMs > 0 && delayMs >= perTryMs ? { name: 'retries.perTryTimeout', ms: perTryMs } : undefined;
          if (limit) {
            ctx.report(vs, `${label}: its fault delays ${faultPercentOf(delay, true)} % of requests by ${formatMs(delayMs)}, at least its ${limit.name} ${formatMs(limit.ms)}, but Envoy's fault filter ` +
              `holds them before the router starts that timeout: a delayed request waits ${formatMs(delayMs)} and then gets the whole ${formatMs(limit.ms)}, and the delay ends in no 504 (UT); ` +
              'to exercise the timeout, inject the delay on a route of the next hop or make the upstream slow', { path: [...path, 'fault', 'delay', 'fixedDelay'] });
          }
        }
      }
    }
  },
};

export default faultBypassesTimeoutRetries;
