/**
 * Non-finite numbers (`.inf`, `-.inf`, `.nan`) in every numeric field rules read: every rule
 * still runs (no crash) and no message shows NaN or Infinity (schema/crd-validation names the
 * field with the YAML spelling; other rules skip the value or say it is not a number).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RULE_CRASHED } from '../../../src/checks/engine.js';
import { ALL_RULES } from '../../../src/checks/rules/index.js';
import { findingsOf } from './_harness.js';

const MANIFESTS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1, port: {number: .inf}}
      weight: .inf
    - destination: {host: reviews, subset: v2}
      weight: .nan
    timeout: 5s
    retries: {attempts: .inf, perTryTimeout: 2s}
    mirrorPercentage: {value: .nan}
    fault: {delay: {percentage: {value: .inf}, fixedDelay: 1s}}
  - route:
    - destination: {host: reviews, subset: v1}
    timeout: 1s
    retries: {attempts: .inf, perTryTimeout: 2s}
  - route:
    - destination: {host: reviews, subset: v2}
    retries: {attempts: -.inf}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: r, namespace: shop}
spec:
  host: reviews
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: .inf}, http: {http1MaxPendingRequests: .nan, maxRetries: -.inf}}
    outlierDetection: {consecutive5xxErrors: .inf, maxEjectionPercent: .nan, baseEjectionTime: 30s}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: .inf, targetPort: .nan}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews, namespace: shop}
spec:
  replicas: .inf
  selector: {matchLabels: {app: reviews}}
  template:
    metadata: {labels: {app: reviews, version: v1}}
    spec: {containers: [{name: c, image: reviews:1, ports: [{containerPort: .nan}]}]}
`;

test('GIVEN .inf, -.inf and .nan in numeric fields WHEN every rule runs THEN none crashes and no message shows NaN or Infinity', async () => {
  const findings = await findingsOf(MANIFESTS, ALL_RULES, {}, 'm.yaml');
  assert.equal(findings.filter((f) => f.ruleId === RULE_CRASHED).map((f) => f.message), []);
  assert.ok(findings.some((f) => f.ruleId === 'routing/weights-total-100'), 'the weights rule still reports the route');
  assert.equal(findings.filter((f) => /NaN|Infinity/.test(f.message)).map((f) => `${f.ruleId}: ${f.message}`), []);
});

test.run();
