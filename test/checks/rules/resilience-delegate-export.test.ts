/**
 * The resilience rules read a delegate's http routes with what it inherits from each root route
 * (timeout, retries, fault; Istio `mergeHTTPRoute`), but only from roots istiod actually merges it into:
 * `mergeVirtualServicesIfNeeded` skips a delegate whose exportTo leaves out the root's namespace.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import retriesWithoutPerTryTimeout from '../../../src/checks/rules/resilience/retries-without-per-try-timeout.js';
import faultBypassesTimeoutRetries from '../../../src/checks/rules/resilience/fault-bypasses-timeout-retries.js';
import { findingsOf } from './_harness.js';

/** A root in `shop` (timeout 300ms) delegating to `catalog/catalog-routes` (retries, no perTryTimeout) exported to `exportTo`. */
function findings(exportTo: string | null, delegateNamespace = 'catalog', rootExtra: readonly string[] = []) {
  return findingsOf([
    'apiVersion: networking.istio.io/v1', 'kind: VirtualService', 'metadata: {name: edge, namespace: shop}',
    'spec:', '  hosts: [catalog.catalog.svc.cluster.local]', '  http:',
    `  - delegate: {name: catalog-routes, namespace: ${delegateNamespace}}`, '    timeout: 300ms', ...rootExtra,
    '---',
    'apiVersion: networking.istio.io/v1', 'kind: VirtualService', 'metadata: {name: catalog-routes, namespace: catalog}',
    'spec:', ...(exportTo === null ? [] : [`  exportTo: ${exportTo}`]), '  http:', '  - retries: {attempts: 2, retryOn: gateway-error}',
    '    route:', '    - destination: {host: catalog.catalog.svc.cluster.local}', '',
  ].join('\n'), [retriesWithoutPerTryTimeout, faultBypassesTimeoutRetries], {}, 'vs.yaml');
}

for (const exportTo of ['[shop]', '["*"]', null]) {
  test(`GIVEN a delegate exported with ${exportTo ?? 'the mesh default (*)'} to the root's namespace WHEN the resilience rules run THEN its retries are judged against the root's 300ms timeout`, async () => {
    const found = await findings(exportTo);
    assert.is(found.length, 1, found.map((f) => f.message).join('\n'));
    assert.is(found[0]!.resource?.name, 'catalog-routes');
    assert.match(found[0]!.message, /with timeout from its root shop\/edge spec\.http\[0\]/);
  });
}

for (const exportTo of ['["."]', '[catalog]', '["~"]', '[payments]']) {
  test(`GIVEN a delegate with exportTo ${exportTo} (not the root's namespace) WHEN the resilience rules run THEN it inherits nothing from that root (istiod does not merge it)`, async () => {
    const found = await findings(exportTo);
    assert.equal(found.map((f) => f.message), []);
  });
}

test('GIVEN a root naming a delegate namespace the delegate is not in WHEN the resilience rules run THEN nothing is inherited', async () => {
  assert.equal((await findings('[shop]', 'other')).map((f) => f.message), []);
});

test('GIVEN a root with a 503 abort delegating to routes retried on gateway-error WHEN the resilience rules run THEN the abort is reported on the delegate route, which takes the fault from its root, and not where the delegate is not exported', async () => {
  const abort = ['    fault: {abort: {httpStatus: 503, percentage: {value: 50}}}'];
  const found = (await findings('[shop]', 'catalog', abort)).filter((f) => f.ruleId === 'resilience/fault-bypasses-timeout-retries');
  assert.equal(found.map((f) => [f.resource?.name, f.location.line]), [['catalog-routes', 17]]);
  assert.match(found[0]!.message, /^spec\.http\[0\] \(with timeout, fault from its root shop\/edge spec\.http\[0\]\): its fault aborts 50 % of requests with 503, which its retries \(attempts 2, retryOn "gateway-error"\)/);
  assert.equal((await findings('[catalog]', 'catalog', abort)).map((f) => f.message), []);
});

test.run();
