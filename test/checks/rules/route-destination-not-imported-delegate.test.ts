/**
 * sidecar/route-destination-not-imported judges the destinations a delegate VirtualService writes
 * under an imported root, as istiod infers imports from the merged VirtualServices
 * (`mergeVirtualServicesIfNeeded`) and the view does (`virtualServiceDestinations`): a delegate's
 * route to a service that lacks the listener's port is not imported, and the finding points at the
 * delegate's line, naming the root.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/sidecar/route-destination-not-imported.js';
import { findingsOf } from './_harness.js';

const input = (ledgerPorts: string) => `apiVersion: v1
kind: Service
metadata: {name: orders, namespace: shop}
spec:
  selector: {app: orders}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: ledger, namespace: ledger}
spec:
  selector: {app: ledger}
  ports: ${ledgerPorts}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: shop}
spec:
  egress:
  - port: {number: 9080, protocol: HTTP, name: http}
    hosts: ["./*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders, namespace: shop}
spec:
  hosts: [orders]
  http:
  - match: [{uri: {prefix: /ledger}}]
    delegate: {name: orders-ledger, namespace: shop}
  - route: [{destination: {host: orders}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders-ledger, namespace: shop}
spec:
  http:
  - route: [{destination: {host: ledger.ledger.svc.cluster.local}}]
`;

test('GIVEN a port-bound egress listener importing a root VirtualService whose delegate routes to a service without that port WHEN checked THEN the delegate\'s destination is reported at its line, naming the root', async () => {
  const found = await findingsOf(input('[{name: http, port: 8080}]'), [rule]);
  assert.is(found.length, 1, found.map((f) => f.message).join('\n'));
  const [f] = found;
  assert.match(f!.message, /^Route destination ledger\.ledger\.svc\.cluster\.local \(delegated from VirtualService shop\/orders\) is not in the scope of the sidecars Sidecar shop\/default configures/);
  assert.is(f!.location.line, 38, 'the delegate\'s route destination');
});

test('GIVEN the same delegate route to a service that has the listener\'s port WHEN checked THEN nothing: istiod infers it on that port', async () => {
  assert.equal(await findingsOf(input('[{name: http, port: 9080}]'), [rule]), []);
});

/** The root's delegating rule mirrors to ledger (port 8080 only); the delegate rule sets its own mirror, or none. */
const mirrored = (delegateMirror: string) => input('[{name: http, port: 8080}]')
  .replace('    delegate: {name: orders-ledger, namespace: shop}', '    delegate: {name: orders-ledger, namespace: shop}\n    mirror: {host: ledger.ledger.svc.cluster.local}')
  .replace('  - route: [{destination: {host: ledger.ledger.svc.cluster.local}}]\n', `  - route: [{destination: {host: orders}}]\n${delegateMirror}`);

test('GIVEN a delegating root rule with a mirror the delegate rule overrides WHEN checked THEN the root\'s mirror is not judged: istiod\'s merged rule (mergeHTTPRoute) keeps the delegate\'s', async () => {
  assert.equal(await findingsOf(mirrored('    mirror: {host: orders}\n'), [rule]), []);
});

test('GIVEN a delegating root rule with a mirror the delegate rule does not set WHEN checked THEN the root\'s mirror is judged (the merged rule takes it), once, at the root\'s line', async () => {
  const found = await findingsOf(mirrored(''), [rule]);
  assert.is(found.length, 1, found.map((f) => f.message).join('\n'));
  assert.match(found[0]!.message, /^Route mirror ledger\.ledger\.svc\.cluster\.local is not in the scope/);
  assert.is(found[0]!.location.line, 31, 'the root rule\'s mirror');
});

test('GIVEN a delegating root rule with a mirror whose delegate rules all match another sourceNamespace WHEN checked THEN the root\'s mirror is not judged: no merged rule that takes it applies to the Sidecar\'s namespace', async () => {
  assert.equal(await findingsOf(mirrored('    match: [{sourceNamespace: elsewhere}]\n'), [rule]), []);
});

test('GIVEN a mirror whose service is not imported WHEN checked THEN the message says the mirrored copies are dropped, not that the requests fail: Envoy skips a shadow whose cluster does not exist', async () => {
  const [f] = await findingsOf(mirrored(''), [rule]);
  assert.match(f!.message, /Envoy drops the mirrored copies/);
  assert.not.match(f!.message, /503/);
});

test.run();
