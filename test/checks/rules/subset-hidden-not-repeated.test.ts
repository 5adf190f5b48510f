/**
 * references/subset-hidden-from-clients reports a subset that the client namespaces' DestinationRule
 * lacks while the VirtualService's own namespace has it (exportTo, shadowing). A subset no rule
 * defines, where the clients use the very rules `references/subset-exists` judged, is that rule's
 * finding alone (it was reported twice, the second time with an exportTo explanation that did not
 * apply); and the finding points at the destination's `subset` line.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import hidden from '../../../src/checks/rules/references/subset-hidden-from-clients.js';
import exists from '../../../src/checks/rules/references/subset-exists.js';
import { findingsOf } from './_harness.js';

/** cart in shop with a DestinationRule (subset v1, `ruleExport`), a client namespace, and a VirtualService routing to `subset`. */
function mesh(subset: string, ruleExport: string): string {
  return `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    istio-injection: enabled
---
apiVersion: v1
kind: Namespace
metadata:
  name: client
  labels:
    istio-injection: enabled
---
apiVersion: v1
kind: Service
metadata:
  name: cart
  namespace: shop
spec:
  selector:
    app: cart
  ports:
    - name: http
      port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart-v1
  namespace: shop
spec:
  template:
    metadata:
      labels:
        app: cart
        version: v1
    spec:
      containers:
        - name: cart
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: caller
  namespace: client
spec:
  template:
    metadata:
      labels:
        app: caller
    spec:
      containers:
        - name: caller
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: cart
  namespace: shop
spec:
  host: cart${ruleExport}
  subsets:
    - name: v1
      labels:
        version: v1
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: cart
  namespace: shop
spec:
  hosts:
    - cart
  http:
    - route:
        - destination:
            host: cart
            subset: ${subset}
`;
}

function findings(yaml: string) {
  return findingsOf(yaml, [hidden, exists]);
}

/** The 1-based line of the destination's `subset:` in `yaml`. */
const subsetLine = (yaml: string): number => yaml.split('\n').findIndex((l) => l.trim().startsWith('subset: ')) + 1;

test('GIVEN a subset no DestinationRule defines, the rule exported everywhere WHEN checked THEN references/subset-exists reports it once AND subset-hidden-from-clients says nothing', async () => {
  const found = await findings(mesh('v3', ''));
  assert.equal(found.map((f) => f.ruleId), ['references/subset-exists'], found.map((f) => `${f.ruleId}: ${f.message}`).join('\n'));
});

test('GIVEN a subset the rule defines but exports only to its own namespace WHEN checked THEN subset-hidden-from-clients reports it for namespace client, at the destination\'s subset line', async () => {
  const yaml = mesh('v1', '\n  exportTo: ["."]');
  const found = await findings(yaml);
  assert.equal(found.map((f) => f.ruleId), ['references/subset-hidden-from-clients'], found.map((f) => `${f.ruleId}: ${f.message}`).join('\n'));
  assert.match(found[0]!.message, /namespace client .*not defined by any DestinationRule the client sees/);
  assert.ok(subsetLine(yaml) > 80);
  assert.is(found[0]!.location.line, subsetLine(yaml), 'the destination\'s subset line, not its route entry\'s');
});

test.run();
