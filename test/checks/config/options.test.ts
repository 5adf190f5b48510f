import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ruleCatalogue } from '../../../src/checks/check.js';
import { ConfigError, parseConfig, type MeshproofConfig } from '../../../src/checks/config/index.js';

const config = (yaml: string): MeshproofConfig => parseConfig(yaml, 'meshproof.config.yaml', ruleCatalogue());

function configError(yaml: string): ConfigError {
  try {
    config(yaml);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

test('GIVEN valid rule options WHEN the config is read THEN they are kept', () => {
  const c = config('rules:\n  routing/weights-total-100: { options: { total: 1000 } }\n  security/mesh-strict-mtls: { options: { requireMeshWide: false } }\n');
  assert.equal(c.rules['routing/weights-total-100'], { options: { total: 1000 } });
});

test('GIVEN a rule option of the wrong type WHEN the config is read THEN refused at the option with the rule and field named', () => {
  const e = configError('rules:\n  routing/weights-total-100:\n    options:\n      total: "100"\n');
  assert.equal([e.at?.line, e.at?.column], [4, 14]);
  assert.match(e.message, /rules\.routing\/weights-total-100\.options\.total: "100" must be integer/);
});

test('GIVEN a rule option out of range WHEN the config is read THEN refused', () => {
  const e = configError('rules:\n  routing/weights-total-100: { options: { total: 0 } }\n');
  assert.match(e.message, /options\.total: 0 must be >= 1/);
});

test('GIVEN an unknown rule option WHEN the config is read THEN refused naming the options the rule takes', () => {
  const e = configError('rules:\n  routing/weights-total-100:\n    options:\n      totl: 100\n');
  assert.equal([e.at?.line, e.at?.column], [4, 7]);
  assert.match(e.message, /unknown option "totl" for routing\/weights-total-100; it takes "total"/);
});

test('GIVEN options for a rule that takes none WHEN the config is read THEN refused', () => {
  const e = configError('rules:\n  routing/unused-subset: { options: { strict: true } }\n');
  assert.match(e.message, /routing\/unused-subset takes no options; remove them/);
});

test('GIVEN an exception that expires on a day that does not exist (2026-02-30) WHEN the config is read THEN refused', () => {
  const e = configError('exceptions:\n  - rule: routing/unused-subset\n    resource: "DestinationRule a/b"\n    reason: migrating\n    expires: 2026-02-30\n');
  assert.equal([e.at?.line, e.at?.column], [5, 14]);
  assert.match(e.message, /exceptions\.0\.expires: 2026-02-30 is not a day of the calendar/);
  assert.not.throws(() => config('exceptions:\n  - rule: routing/unused-subset\n    resource: "DestinationRule a/b"\n    reason: leap day\n    expires: 2028-02-29\n'));
});

test('GIVEN exclude and limits keys WHEN the config is read THEN sizes are parsed, bad sizes refused', () => {
  const c = config('exclude: ["charts/**"]\nlimits: { maxInputSize: 2MiB, maxDocuments: 10, maxAliases: 5 }\n');
  assert.equal([c.exclude, c.limits], [['charts/**'], { maxInputBytes: 2 * 1024 * 1024, maxDocuments: 10, maxAliasCount: 5 }]);
  assert.match(configError('limits: { maxInputSize: lots }\n').message, /limits\.maxInputSize: expected a number of bytes or a size such as 64MiB/);
  assert.match(configError('limits: { maxDocuments: 0 }\n').message, /limits\.maxDocuments/);
});

test('GIVEN every rule in the catalogue WHEN its optionsSchema is compiled THEN it is a closed object schema', () => {
  for (const rule of ruleCatalogue()) {
    if (!rule.optionsSchema) continue;
    assert.is(rule.optionsSchema['type'], 'object', rule.id);
    assert.is(rule.optionsSchema['additionalProperties'], false, rule.id);
  }
});

test.run();
