import { isRecord } from '../../../mesh/object.js';
import { editDistance } from '../../config/did-you-mean.js';
import type { Rule } from '../../rule.js';
import { RETRY_ON_POLICIES, isValidRetryOnEntry, retryOnStatusOf } from '../../../validate/retry-on.js';

/** The closest supported condition, for the hint: same letters after dropping case, spaces and separators. */
function suggestion(policy: string): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const want = squash(policy);
  for (const p of RETRY_ON_POLICIES) if (squash(p) === want) return p;
  let best: [string, number] | undefined;
  for (const p of RETRY_ON_POLICIES) {
    const d = editDistance(want, squash(p));
    if (d <= 2 && (!best || d < best[1])) best = [p, d];
  }
  return best?.[0];
}

/** `validation/http-retry` (IST0106): retry policies Istio's webhook refuses (`validateHTTPRetry`). */
const httpRetry: Rule = {
  id: 'validation/http-retry',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A VirtualService retry policy has a retryOn condition Envoy does not know, negative attempts, or settings on disabled retries.',
  docs: [
    'Istio validates `http[].retries` (`validateHTTPRetry`): every comma-separated `retryOn` entry must be one of',
    'Envoy\'s retry conditions (`5xx`, `gateway-error`, `reset`, `reset-before-request`, `connect-failure`,',
    '`retriable-4xx`, `refused-stream`, `retriable-status-codes`, `retriable-headers`, `envoy-ratelimited`,',
    '`http3-post-connect-failure`, and the gRPC ones `cancelled`, `deadline-exceeded`, `internal`,',
    '`resource-exhausted`, `unavailable`) or an HTTP status code; entries are not trimmed, so `5xx, reset` holds',
    '" reset". `attempts` may not be negative, and with `attempts: 0` (retries disabled, also when unset) no',
    '`perTryTimeout`, `retryOn` or `retryRemoteLocalities` may be set. The webhook refuses the VirtualService',
    '(IST0106); applied anyway (e.g. without the webhook), a proxy NACKs the route configuration and keeps the last',
    'one it accepted. Fix: spell the condition as Envoy does, without spaces, and set attempts when you set the rest.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      (Array.isArray(vs.spec.http) ? vs.spec.http : []).forEach((rule, i) => {
        if (!isRecord(rule) || !isRecord(rule.retries)) return;
        const r = rule.retries;
        const at = ['spec', 'http', i, 'retries'];
        // A non-finite or non-integer attempts is schema/crd-validation's finding; judge the rest as if unset.
        if (r.attempts !== undefined && !(typeof r.attempts === 'number' && Number.isInteger(r.attempts))) return;
        const attempts = typeof r.attempts === 'number' ? r.attempts : 0;
        if (attempts < 0) ctx.report(vs, `retries.attempts is ${attempts}: attempts cannot be negative; use 0 to disable retries`, { path: [...at, 'attempts'] });
        const settings = (['perTryTimeout', 'retryOn', 'retryRemoteLocalities'] as const).filter((k) => r[k] !== undefined && r[k] !== null && r[k] !== '');
        if (attempts === 0 && settings.length > 0) {
          ctx.report(vs, `retries sets ${settings.join(', ')} while attempts is ${r.attempts === undefined ? 'unset (0)' : '0'}, which disables retries: Istio refuses a retry policy configured with attempts 0; set attempts (e.g. 2) or remove ${settings.length === 1 ? 'it' : 'them'}`, { path: [...at, r.attempts === undefined ? settings[0]! : 'attempts'] });
        }
        if (typeof r.retryOn !== 'string' || r.retryOn === '') return;
        for (const policy of r.retryOn.split(',')) {
          if (isValidRetryOnEntry(policy)) continue;
          const status = retryOnStatusOf(policy);
          const trimmed = policy.trim();
          const spaced = trimmed !== policy && isValidRetryOnEntry(trimmed);
          const hint = status === null && !spaced ? suggestion(policy) : undefined;
          const fix = spaced ? `remove the spaces around the commas ("${r.retryOn.split(',').map((p) => p.trim()).join(',')}"): Istio splits on "," alone` : hint ? `did you mean "${hint}"?` : status !== null ? 'use a standard HTTP status code' : `use one of ${RETRY_ON_POLICIES.join(', ')}, or a status code`;
          ctx.report(vs, `retries.retryOn ${JSON.stringify(r.retryOn)}: ${JSON.stringify(policy)} is not a valid retryOn policy (Envoy's retry conditions, comma-separated without spaces); ${fix}`, { path: [...at, 'retryOn'] });
        }
      });
    }
  },
};

export default httpRetry;
