/**
 * httpRouteRuleTimeouts reads an HTTPRoute rule's timeouts and retry as istiod's convertHTTPRoute does
 * (pilot/pkg/config/kube/gateway/conversion.go): request → route timeout; retry → HTTPRetry (attempts
 * default 2, retryOn connect-failure,refused-stream,unavailable,cancelled plus codes); backendRequest →
 * that retry's perTryTimeout, or without retry the route timeout in place of request; zero left out.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { httpRouteRuleTimeouts, type HttpRouteRuleTimeouts } from '../../src/mesh/http-route-timeouts.js';

const RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled';

const TABLE: readonly [rule: Record<string, unknown>, istio: HttpRouteRuleTimeouts][] = [
  [{}, { timeoutMs: null, timeoutFrom: null, requestMs: null, backendRequestMs: null, retry: null }],
  [{ timeouts: { request: '10s' } }, { timeoutMs: 10_000, timeoutFrom: 'request', requestMs: 10_000, backendRequestMs: null, retry: null }],
  [{ timeouts: { request: '10s', backendRequest: '2s' } }, { timeoutMs: 2000, timeoutFrom: 'backendRequest', requestMs: 10_000, backendRequestMs: 2000, retry: null }],
  [{ timeouts: { request: '0s', backendRequest: '500ms' } }, { timeoutMs: 500, timeoutFrom: 'backendRequest', requestMs: null, backendRequestMs: 500, retry: null }],
  [{ timeouts: { request: '10s', backendRequest: '2s' }, retry: {} },
    { timeoutMs: 10_000, timeoutFrom: 'request', requestMs: 10_000, backendRequestMs: 2000, retry: { attempts: 2, retryOn: RETRY_ON, perTryTimeoutMs: 2000 } }],
  [{ timeouts: { backendRequest: '1m' }, retry: { attempts: 3, codes: [503, 504] } },
    { timeoutMs: null, timeoutFrom: null, requestMs: null, backendRequestMs: 60_000, retry: { attempts: 3, retryOn: `${RETRY_ON},503,504`, perTryTimeoutMs: 60_000 } }],
  [{ timeouts: { request: '5s', backendRequest: '1s' }, retry: { attempts: 0 } },
    { timeoutMs: 5000, timeoutFrom: 'request', requestMs: 5000, backendRequestMs: 1000, retry: { attempts: 0, retryOn: '', perTryTimeoutMs: 1000 } }],
  [{ timeouts: { request: '1d', backendRequest: 'soon' } }, { timeoutMs: null, timeoutFrom: null, requestMs: null, backendRequestMs: null, retry: null }],
];

for (const [rule, istio] of TABLE) {
  test(`GIVEN an HTTPRoute rule ${JSON.stringify(rule)} WHEN istiod converts it THEN ${JSON.stringify(istio)}`, () => {
    assert.equal(httpRouteRuleTimeouts(rule), istio);
  });
}

test.run();
