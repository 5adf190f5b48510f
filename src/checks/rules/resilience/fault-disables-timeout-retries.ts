import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { durationMs, httpRoutesOf, retryAttempts } from './_helpers.js';

/** `resilience/fault-disables-timeout-retries`: a client-side fault silently turns off the route's timeout and retries. */
const faultDisablesTimeoutRetries: Rule = {
  id: 'resilience/fault-disables-timeout-retries',
  severity: 'warning',
  summary: 'An HTTP route sets a fault together with timeout or retries, which Istio then does not apply.',
  docs: [
    'When an HTTP route carries a client-side `fault` (delay or abort), Istio does not enable the route\'s',
    '`timeout` or `retries` (HTTPRoute.fault: "timeouts or retries will not be enabled when faults are enabled on',
    'the client side"). A chaos experiment therefore runs without the resilience settings it is meant to test,',
    'and the YAML suggests protection that is not there. Fix: move the fault to its own route (matched by a',
    'header, say) without timeout and retries, or drop the timeout/retries from the faulted route.',
    '`timeout: 0s` and `retries.attempts: 0` disable those features anyway and are not reported.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { route, path, label } of httpRoutesOf(vs, graph)) {
        const injected = route.fault;
        if (!isRecord(injected)) continue;
        const kinds = ['delay', 'abort'].filter((k) => isRecord(injected[k]));
        const fault = kinds.length > 0 ? `fault ${kinds.join(' and ')}` : 'fault';
        if (route.timeout !== undefined && durationMs(route.timeout) !== 0) {
          ctx.report(vs, `${label} has a ${fault}, so Istio ignores its timeout ${JSON.stringify(route.timeout)}; put the fault on a separate route or remove the timeout`, {
            path: [...path, 'timeout'],
          });
        }
        if (isRecord(route.retries) && retryAttempts(route.retries) > 0) {
          ctx.report(vs, `${label} has a ${fault}, so Istio ignores its retries (attempts ${retryAttempts(route.retries)}); put the fault on a separate route or remove the retries`, {
            path: [...path, 'retries'],
          });
        }
      }
    }
  },
};

export default faultDisablesTimeoutRetries;
