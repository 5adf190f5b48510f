import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ajv } from 'ajv';
import { sarifReporter } from '../../../src/checks/reporters/sarif.js';
import { HOST_NOT_FOUND, OPTS, resultOf, SUPPRESSED, WEIGHTS } from './_fixtures.js';

const schema = JSON.parse(readFileSync(new URL('../../../schemas/sarif/sarif-2.1.0.json', import.meta.url), 'utf8'));
const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);

type Json = any;
const render = (): Json =>
  JSON.parse(sarifReporter.render(resultOf([HOST_NOT_FOUND, WEIGHTS, { ...WEIGHTS, ruleId: 'input/unparsable', severity: 'error', resource: null }], { suppressed: [SUPPRESSED, { ...HOST_NOT_FOUND, suppression: { by: 'annotation', reason: 'owned by team x' } }], notices: ['n'] }), OPTS));

test('GIVEN findings, suppressions and an unknown rule WHEN rendered as SARIF THEN it validates against the vendored SARIF 2.1.0 schema', () => {
  const log = render();
  assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
});

test('GIVEN rules WHEN rendered THEN tool.driver lists them with descriptions, level and istioCode', () => {
  const driver = render().runs[0].tool.driver;
  assert.is(driver.name, 'meshproof');
  assert.is(driver.version, '0.1.0');
  assert.is(driver.informationUri, 'https://meshproof.dev');
  assert.equal(driver.rules.map((r: Json) => r.id), ['routing/host-not-found', 'routing/weights-total-100', 'input/unparsable']);
  assert.equal(driver.rules[0].shortDescription, { text: 'A destination host resolves to no Service.' });
  assert.equal(driver.rules[0].defaultConfiguration.level, 'error');
  assert.is(driver.rules[0].properties.istioCode, 'IST0101');
  assert.is(driver.rules[1].properties.istioCode, null);
});

test('GIVEN a finding with a TypeScript origin WHEN rendered THEN locations[0] is the YAML and locations[1] the TS source', () => {
  const result = render().runs[0].results.find((r: Json) => r.ruleId === 'routing/host-not-found' && !r.suppressions);
  assert.is(result.ruleIndex, 0);
  assert.is(result.level, 'error');
  assert.equal(result.locations[0].physicalLocation, { artifactLocation: { uri: 'dist/x.yaml' }, region: { startLine: 12, startColumn: 9 } });
  assert.equal(result.locations[0].logicalLocations, [{ name: 'reviews', fullyQualifiedName: 'VirtualService default/reviews', kind: 'resource' }]);
  assert.equal(result.locations[1].physicalLocation, { artifactLocation: { uri: 'apps/bookinfo.ts' }, region: { startLine: 42 } });
  assert.is(result.locations[1].logicalLocations[0].fullyQualifiedName, 'bookinfo/reviews/virtual-service');
});

test('GIVEN suppressed findings WHEN rendered THEN they carry suppressions: external for config exceptions, inSource for annotations', () => {
  const results = render().runs[0].results.filter((r: Json) => r.suppressions);
  assert.equal(results.map((r: Json) => r.suppressions[0].kind).sort(), ['external', 'inSource']);
  assert.ok(results.some((r: Json) => r.suppressions[0].justification === 'migration ticket MESH-12'));
});

test('GIVEN an info finding WHEN rendered THEN its level is note', () => {
  const log = JSON.parse(sarifReporter.render(resultOf([{ ...WEIGHTS, severity: 'info' }]), OPTS));
  assert.is(log.runs[0].results[0].level, 'note');
  assert.ok(validate(log));
});

test('GIVEN two findings of one rule on one resource WHEN rendered THEN their partialFingerprints differ (field path, else message hash)', () => {
  const a = { ...HOST_NOT_FOUND, fieldPath: ['spec', 'http', 0, 'route', 1, 'destination', 'subset'] };
  const b = { ...HOST_NOT_FOUND, fieldPath: ['spec', 'http', 0, 'route', 2, 'destination', 'subset'] };
  const c = { ...HOST_NOT_FOUND, message: 'another message' };
  const log = JSON.parse(sarifReporter.render(resultOf([a, b, HOST_NOT_FOUND, c]), OPTS));
  const prints = log.runs[0].results.map((r: Json) => JSON.stringify(r.partialFingerprints));
  assert.is(new Set(prints).size, 4, prints.join('\n'));
  const again = JSON.parse(sarifReporter.render(resultOf([a, b, HOST_NOT_FOUND, c]), OPTS)).runs[0].results.map((r: Json) => JSON.stringify(r.partialFingerprints));
  assert.equal(again, prints, 'stable across runs');
});

test.run();
