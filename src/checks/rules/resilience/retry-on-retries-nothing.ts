import { isRecord } from '../../../mesh/object.js';
import { inertRetryOn } from '../../../mesh/retry-on.js';
import type { Rule } from '../../rule.js';
import { retryingRoutesOf } from './_helpers.js';

/** `resilience/retry-on-retries-nothing`: a retry policy whose retryOn conditions can never fire. */
const retryOnRetriesNothing: Rule = {
  id: 'resilience/retry-on-retries-nothing',
  severity: 'warning',
  summary: 'A route\'s retries.retryOn lists only `retriable-status-codes` (with no status code) or `retriable-headers`, so the retry attempts never happen.',
  docs: [
    'Istio passes each non-numeric `retryOn` token to Envoy `retry_on` and each numeric one into `retriable_status_codes`',
    '(pilot/pkg/networking/core/route/retry/retry.go parseRetryOn). `retriable-status-codes` therefore retries the codes',
    'written beside it, and alone it retries none; `retriable-headers` needs `retriable_headers`, which Istio never sets. A',
    'policy made only of these retries no response, reset or connect failure, so its attempts are dead configuration',
    '(only a client that names codes in `x-envoy-retriable-status-codes` gets retries). Checked for every http route with',
    '`retries.attempts` > 0 and a written `retryOn`; a MeshConfig `defaultHttpRetryPolicy` that does this is reported once, on',
    'the MeshConfig (validation/mesh-config, or the --mesh-config file), not on each route that takes it. Fix: list the codes',
    '(`retriable-status-codes,503`), or name the conditions meant (`5xx`, `gateway-error`, `connect-failure`).',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { route, retries, path, label, attempts } of retryingRoutesOf(vs, graph)) {
        // A MeshConfig defaultHttpRetryPolicy is judged once, where it is written (validation/mesh-config, parseMeshConfig).
        if (attempts === 0 || !isRecord(route.retries)) continue;
        const conditions = inertRetryOn(retries.retryOn);
        if (!conditions) continue;
        ctx.report(vs, `${label}: retries.retryOn "${String(retries.retryOn)}" lists no status code${conditions.includes('retriable-headers') ? ' and no header Istio could pass (it sets no retriable_headers)' : ''}, ` +
          `so Envoy retries no response, reset or connect failure and the ${attempts} ${attempts === 1 ? 'attempt never happens' : 'attempts never happen'}; ` +
          'add the codes to retry (e.g. "retriable-status-codes,503") or name the conditions meant (5xx, gateway-error, connect-failure)', { path: [...path, 'retries', 'retryOn'] });
      }
    }
  },
};

export default retryOnRetriesNothing;
