import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkPaths } from '../../src/checks/api.js';
import { validateCrdObject, type SchemaViolation } from '../../src/validate/index.js';
import { virtualService } from './_objects.js';

/** The only violation found; fails when there are none or several. */
function only(obj: unknown): SchemaViolation {
  const found = validateCrdObject(obj);
  assert.is(found.length, 1, JSON.stringify(found, null, 2));
  return found[0]!;
}

/** A VirtualService whose first route's weight (a protobuf int32) is `weight`. */
function withWeight(weight: number) {
  const vs = virtualService();
  (vs.spec.http[0]!.route[0] as Record<string, unknown>).weight = weight;
  return vs;
}

const INT32 = 'must be an integer from -2147483648 to 2147483647: the field is a protobuf int32, and Istio\'s webhook refuses values outside its range';
const NOT_FINITE = 'has no JSON form, so kubectl and the API server refuse it';

test('GIVEN an int32 field one past the int32 maximum WHEN validated THEN a schema violation names the field and the int32 range', () => {
  const v = only(withWeight(2147483648));
  assert.equal(v.path, ['spec', 'http', 0, 'route', 0, 'weight']);
  assert.is(v.kind, 'schema');
  assert.is(v.message, `spec.http[0].route[0].weight: ${INT32} (got 2147483648)`);
});

test('GIVEN an int32 field one below the int32 minimum WHEN validated THEN it is refused with the int32 range', () => {
  const v = only(withWeight(-2147483649));
  assert.is(v.message, `spec.http[0].route[0].weight: ${INT32} (got -2147483649)`);
});

test('GIVEN an int32 field far outside the range (99999999999) WHEN validated THEN it is refused', () => {
  const vs = virtualService();
  (vs.spec.http[0]!.retries as Record<string, unknown>).attempts = 99999999999;
  const v = only(vs);
  assert.equal(v.path, ['spec', 'http', 0, 'retries', 'attempts']);
  assert.is(v.message, `spec.http[0].retries.attempts: ${INT32} (got 99999999999)`);
});

test('GIVEN int32 fields at both ends of the int32 range WHEN validated THEN they are accepted', () => {
  const vs = virtualService();
  (vs.spec.http[0]!.route[0] as Record<string, unknown>).weight = 2147483647;
  (vs.spec.http[0]!.retries as Record<string, unknown>).attempts = -2147483648;
  assert.equal(validateCrdObject(vs), []);
});

test('GIVEN a uint32 port of 99999999999 WHEN validated THEN the uint32 maximum the CRD declares is named', () => {
  const vs = virtualService();
  (vs.spec.http[0]!.route[0]!.destination as Record<string, unknown>).port = { number: 99999999999 };
  const v = only(vs);
  assert.equal(v.path, ['spec', 'http', 0, 'route', 0, 'destination', 'port', 'number']);
  assert.is(v.message, 'spec.http[0].route[0].destination.port.number: must be <= 4294967295 (got 99999999999)');
});

test('GIVEN weight: 1e400 (Infinity once parsed) WHEN validated THEN it is a schema error, not a pass', () => {
  const v = only(withWeight(Number.POSITIVE_INFINITY));
  assert.equal(v.path, ['spec', 'http', 0, 'route', 0, 'weight']);
  assert.is(v.message, `spec.http[0].route[0].weight: must be a finite number: .inf ${NOT_FINITE}`);
});

test('GIVEN NaN in an int32 field WHEN validated THEN it is refused as not finite', () => {
  const v = only(withWeight(Number.NaN));
  assert.is(v.message, `spec.http[0].route[0].weight: must be a finite number: .nan ${NOT_FINITE}`);
});

test('GIVEN .nan in a double field (fault percentage) WHEN validated THEN it is refused as not finite', () => {
  const vs = virtualService();
  vs.spec.http[1]!.fault!.delay.percentage.value = Number.NaN;
  const v = only(vs);
  assert.equal(v.path, ['spec', 'http', 1, 'fault', 'delay', 'percentage', 'value']);
  assert.is(v.message, `spec.http[1].fault.delay.percentage.value: must be a finite number: .nan ${NOT_FINITE}`);
});

test('GIVEN -.inf in a double field WHEN validated THEN it is refused as not finite', () => {
  const vs = virtualService();
  vs.spec.http[1]!.fault!.abort.percentage.value = Number.NEGATIVE_INFINITY;
  const v = only(vs);
  assert.is(v.message, `spec.http[1].fault.abort.percentage.value: must be a finite number: -.inf ${NOT_FINITE}`);
});

test('GIVEN Infinity where the schema preserves unknown fields (EnvoyFilter patch value) WHEN validated THEN it is still refused', () => {
  const ef = {
    apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name: 'ef', namespace: 'default' },
    spec: { configPatches: [{ applyTo: 'CLUSTER', patch: { operation: 'MERGE', value: { connect_timeout: Number.POSITIVE_INFINITY } } }] },
  };
  const v = only(ef);
  assert.equal(v.path, ['spec', 'configPatches', 0, 'patch', 'value', 'connect_timeout']);
  assert.is(v.message, `spec.configPatches[0].patch.value.connect_timeout: must be a finite number: .inf ${NOT_FINITE}`);
});

test('GIVEN a manifest file with weight: 1e400 WHEN checked THEN schema/crd-validation reports it at the line of the field', async () => {
  // Kubernetes' YAML reader (go-yaml v2) keeps a float literal that overflows as a string; a
  // YAML 1.2 reader makes it Infinity. Either way the object is refused, never passed.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-numbers-'));
  try {
    const file = path.join(dir, 'vs.yaml');
    fs.writeFileSync(file, [
      'apiVersion: networking.istio.io/v1', 'kind: VirtualService', 'metadata:', '  name: reviews', '  namespace: default',
      'spec:', '  hosts: [reviews]', '  http:', '  - route:', '    - destination:', '        host: reviews', '      weight: 1e400', '',
    ].join('\n'));
    const run = await checkPaths([file], { cwd: dir, config: { file: null, profile: 'recommended', rules: {}, exceptions: [] } as never });
    const schema = run.result.findings.filter((f) => f.ruleId === 'schema/crd-validation');
    assert.is(schema.length, 1, JSON.stringify(run.result.findings, null, 1));
    assert.match(schema[0]!.message, /spec\.http\[0\]\.route\[0\]\.weight: must be (an integer \(got string "1e400"\)|a finite number: \.inf)/);
    assert.is(schema[0]!.location.line, 12);
    assert.is(run.exitCode(), 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
