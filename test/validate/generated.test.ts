import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ajv, _ } from 'ajv';
import { packagePath } from '../../src/package-root.js';
import { VALIDATOR_RUNTIME } from '../../src/validate/ajv-runtime.js';
import { generateValidatorArtifacts, readCrdSources } from '../../src/validate/codegen.js';
import { GENERATED_PATH, generatedIndex, generatedSchema, generatedValidator } from '../../src/validate/generated.js';
import { HINT } from '../../src/validate/object-meta.js';
import { NUMBER_FORMAT, toJsonSchema } from '../../src/validate/structural.js';
import { destinationRule, gateway, httpRoute, serviceEntry, virtualService } from './_objects.js';

const dir = packagePath(...GENERATED_PATH);
const STALE = 'lib/generated/crds is stale: run `npm run build` (scripts/build-schemas.mjs regenerates it)';

test('GIVEN the CRD files and the generator WHEN the artifacts are generated again THEN lib/generated/crds holds exactly them', () => {
  const fresh = generateValidatorArtifacts(readCrdSources());
  assert.equal(fs.readdirSync(dir).sort(), [...fresh.keys()].sort(), STALE);
  for (const [name, text] of fresh) assert.ok(fs.readFileSync(`${dir}/${name}`, 'utf8') === text, `${name}: ${STALE}`);
});

test('GIVEN the vendored CRD files and the workload ranges WHEN the generated index is read THEN it names each file and its SHA-256', () => {
  const gatewayApi = fs.readdirSync(packagePath('schemas', 'gateway-api')).filter((f) => f.endsWith('.yaml')).sort().map((f) => `schemas/gateway-api/${f}`);
  const expected = ['schemas/istio/crd-all.gen.yaml', ...gatewayApi, 'schemas/kubernetes/workload-ranges.json'].map((path) =>
    ({ path, sha256: createHash('sha256').update(fs.readFileSync(packagePath(path), 'utf8')).digest('hex') }));
  assert.is(gatewayApi.length, 13);
  assert.equal(generatedIndex().sources, expected, STALE);
});

test('GIVEN an Istio and a Gateway API kind both named Gateway WHEN the index is read THEN each group has its own schema', () => {
  const ids = generatedIndex().crds.filter((c) => c.kind === 'Gateway').map((c) => `${c.group}: ${c.versions.map((v) => v.schema).join(', ')}`);
  assert.equal(ids, [
    'networking.istio.io: networking.istio.io_gateway-v1, networking.istio.io_gateway-v1, networking.istio.io_gateway-v1',
    // Gateway API v1.6.1's v1 schema has a description v1beta1's lacks (the RFC 1035 name advice), so the two differ.
    'gateway.networking.k8s.io: gateway.networking.k8s.io_gateway-v1, gateway.networking.k8s.io_gateway-v1beta1',
  ]);
});

/** Objects with one defect each, in different parts of the schema, and valid ones. */
function samples(): unknown[] {
  const vs = virtualService();
  const badVs = virtualService();
  Object.assign(badVs.spec.http[0]!, { timout: '1s', retries: { attempts: 'x' } });
  (badVs.spec.http[0]!.route[0] as Record<string, unknown>).weight = 2147483648;
  const badDr = destinationRule();
  Object.assign(badDr.spec.trafficPolicy.loadBalancer, { consistentHash: { httpHeaderName: 'x' } });
  (badDr.spec.subsets[0] as Record<string, unknown>).trafficPolicy = { tls: { mode: 'NOPE' }, extra: 1 };
  const badGw = gateway();
  (badGw.spec as Record<string, unknown>).servers = [{ port: { number: -1, protocol: 'HTTP' } }];
  const badSe = serviceEntry();
  Object.assign(badSe.spec, { resolution: 'DNS', ports: [{ number: 1e12 }], endpoints: 'x' });
  const badRoute = httpRoute();
  Object.assign(badRoute.spec.rules[0]!, { matches: [{ path: { type: 'Glob', value: 'x' } }], timeout: '1s' });
  return [vs, badVs, destinationRule(), badDr, gateway(), badGw, serviceEntry(), badSe, httpRoute(), badRoute,
    { ...virtualService(), metadata: { name: 'Bad_Name', labels: { 'a/b/c': 'x' } } }];
}

test('GIVEN one object node per function ($ref split, shared nodes) WHEN validating THEN the errors equal one inlined ajv schema', () => {
  for (const obj of samples()) {
    const { apiVersion, kind } = obj as { apiVersion: string; kind: string };
    const [group, version] = apiVersion.split('/');
    const crd = generatedIndex().crds.find((c) => c.group === group && c.kind === kind)!;
    const id = crd.versions.find((v) => v.name === version)!.schema;
    const ajv = new Ajv({ allErrors: true, verbose: true, messages: false, strict: false, strictNumbers: true,
      code: { regExp: Object.assign((p: string) => ({ ...VALIDATOR_RUNTIME.re2(p), toString: () => p }), { code: 'unused' }), formats: _`unused` }, formats: VALIDATOR_RUNTIME.formats });
    ajv.addKeyword(HINT);
    ajv.addKeyword(NUMBER_FORMAT);
    const inlined = ajv.compile(toJsonSchema(generatedSchema(id)));
    const generated = generatedValidator(id);
    const summary = (errors: typeof inlined.errors) => (errors ?? [])
      .map((e) => `${e.instancePath} ${e.keyword} ${JSON.stringify(e.params)}`).sort();
    assert.is(generated(obj), inlined(obj), `${kind} ${id}`);
    assert.equal(summary(generated.errors), summary(inlined.errors), `${kind} ${id}`);
  }
});

test.run();
