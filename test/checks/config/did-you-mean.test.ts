import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ruleCatalogue } from '../../../src/checks/check.js';
import { ConfigError, parseConfig } from '../../../src/checks/config/index.js';
import { closest, editDistance } from '../../../src/checks/config/did-you-mean.js';

function configError(yaml: string): string {
  try {
    parseConfig(yaml, 'meshproof.config.yaml', ruleCatalogue());
  } catch (e) {
    assert.instance(e, ConfigError);
    return (e as Error).message;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(yaml)}`);
}

test('GIVEN two names WHEN their edit distance is taken THEN it counts single-character insertions, deletions and substitutions', () => {
  assert.equal([editDistance('foramt', 'format'), editDistance('prfile', 'profile'), editDistance('', 'abc'), editDistance('same', 'same')], [2, 1, 3, 0]);
  assert.is(closest('foramt', ['fail-on', 'format', 'config']), 'format');
  assert.is(closest('zzzzzzzz', ['format', 'config']), undefined, 'no guess when every candidate is far off');
});

const near: [string, string[], string | undefined][] = [
  ['cart.shop.svc.cluster.local', ['api.shop.svc.cluster.local'], undefined],
  ['foo', ['bar'], undefined],
  ['reviws.shop.svc.cluster.local', ['ratings.shop.svc.cluster.local', 'reviews.shop.svc.cluster.local'], 'reviews.shop.svc.cluster.local'],
  ['istio-sytem', ['istio-system', 'shop'], 'istio-system'],
  ['--fial-on', ['--fail-on', '--format'], '--fail-on'],
  ['recomendaton', ['recommendation'], 'recommendation'],
];
for (const [value, candidates, expected] of near) {
  test(`GIVEN ${JSON.stringify(value)} and ${candidates.join(', ')} WHEN the closest is asked THEN it is ${expected ?? 'none (the part that differs is mostly replaced)'}`, () => {
    assert.is(closest(value, candidates), expected);
  });
}

test('GIVEN a mistyped config key WHEN the config is parsed THEN the error names the key it is closest to', () => {
  assert.match(configError('prfile: strict\n'), /^meshproof\.config\.yaml:1:1: \(top level\): unknown key "prfile"; did you mean "profile"\?$/);
  assert.match(configError('limits:\n  maxDocument: 3\n'), /limits: unknown key "maxDocument"; did you mean "maxDocuments"\?$/);
  assert.match(configError('zzzzzzzzzzzz: 1\n'), /unknown key "zzzzzzzzzzzz"; known keys are "profile", "rules", /);
});

test('GIVEN rules written as a list WHEN the config is parsed THEN the error says rules is a mapping and shows one', () => {
  const message = configError('rules: [a, b]\n');
  assert.match(message, /^meshproof\.config\.yaml:1:8: rules: must be a mapping of rule id to setting, e\.g\.\n  rules:\n    [a-z-]+\/[a-z0-9-]+: off\n/);
  assert.match(message, /got \["a","b"\]$/);
});


test.run();
