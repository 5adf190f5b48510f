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

test.run();
