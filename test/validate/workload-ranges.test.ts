/**
 * `meshproof check` refuses what the API server refuses in core workloads' numbers: an int32 field
 * out of range (`replicas: 99999999999`) and a containerPort that is no port, at file:line, naming
 * the field, the value and the range. The paths come from the Kubernetes OpenAPI
 * (schemas/kubernetes/workload-ranges.json), compiled like the CRDs.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { generatedIndex } from '../../src/validate/generated.js';
import { rangeCheckedKinds, validateWorkloadNumbers } from '../../src/validate/kubernetes.js';
import { captureIO } from '../cli/_io.js';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  selector: {matchLabels: {app: web}}
  replicas: 99999999999
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        ports:
        - containerPort: 70000
`;

test('GIVEN a Deployment with replicas 99999999999 and containerPort 70000 WHEN checked THEN two errors at their lines naming field, range and value', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-workload-ranges-'));
  mkdirSync(join(dir, 'dist'));
  writeFileSync(join(dir, 'dist', 'web.yaml'), DEPLOYMENT);
  const c = captureIO(dir);
  assert.is(await main(['check', '--format', 'text', '--no-color'], c.io), 1, c.stderr());
  const lines = c.stdout().split('\n').filter((l) => l.includes('[schema/workload-ranges]'));
  assert.equal(lines, [
    'error [schema/workload-ranges] (Deployment default/web dist/web.yaml:6) Schema validation error: spec.replicas: must be an integer from -2147483648 to 2147483647: the field is an int32, and the API server refuses values outside its range (got 99999999999)',
    'error [schema/workload-ranges] (Deployment default/web dist/web.yaml:14) Schema validation error: spec.template.spec.containers[0].ports[0].containerPort: must be an integer from 1 to 65535: a port number, and the API server refuses others (ValidateContainerPorts) (got 70000)',
  ]);
});

test('GIVEN each checked kind WHEN replicas-like int32 fields sit at and past the int32 edge THEN only the values past it are refused', () => {
  assert.equal(rangeCheckedKinds(), ['apps/v1 DaemonSet', 'apps/v1 Deployment', 'apps/v1 ReplicaSet', 'apps/v1 StatefulSet', 'batch/v1 CronJob', 'batch/v1 Job', 'v1 Pod', 'v1 PodTemplate', 'v1 ReplicationController']);
  const pod = (priority: number) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { priority, containers: [] } });
  assert.equal(validateWorkloadNumbers(pod(2147483647)), []);
  assert.equal(validateWorkloadNumbers(pod(-2147483648)), []);
  assert.equal(validateWorkloadNumbers(pod(2147483648)).map((v) => v.path), [['spec', 'priority']]);
  assert.equal(validateWorkloadNumbers(pod(-2147483649)).map((v) => v.path), [['spec', 'priority']]);
  const rs = (replicas: unknown) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r' }, spec: { replicas } });
  assert.match(validateWorkloadNumbers(rs(3e10))[0]!.message, /^spec\.replicas: must be an integer from -2147483648 to 2147483647: .* \(got 30000000000\)$/);
  assert.equal(validateWorkloadNumbers(rs(null)), [], 'a null is unset, as the API server prunes it');
  assert.equal(validateWorkloadNumbers({ ...rs(3e10), apiVersion: 'apps/v1beta2' }), [], 'only the served versions of the vendored OpenAPI');
  assert.equal(validateWorkloadNumbers({ ...rs(3e10), status: { replicas: 3e10 } }).map((v) => v.path), [['spec', 'replicas']], 'status is not applied from Git');
});

test('GIVEN the generated index THEN every kind of schemas/kubernetes/workload-ranges.json has a validator', () => {
  assert.is(generatedIndex().kubernetes.length, 9);
});

test.run();
