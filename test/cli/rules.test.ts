import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ruleCatalogue } from '../../src/checks/check.js';
import { main } from '../../src/cli/main.js';
import { renderRules } from '../../src/cli/rules-command.js';
import type { RuleMeta } from '../../src/checks/types.js';
import { captureIO, FIXTURES } from './_io.js';

const RULES: RuleMeta[] = [
  { id: 'routing/weights-total-100', severity: 'warning', summary: 'Weights do not sum to 100.', docs: 'd', kinds: ['VirtualService'] },
  { id: 'references/host | exists', severity: 'error', summary: 'Host not found.', docs: 'd', kinds: [], istioCode: 'IST0101', enabledByDefault: false },
];

test('GIVEN rules WHEN rendered as markdown THEN a README table sorted by id, pipes escaped', () => {
  assert.is(
    renderRules(RULES, 'markdown'),
    [
      '| Rule | Severity | istioctl | Summary |',
      '| --- | --- | --- | --- |',
      '| `references/host | exists` | error (off by default) | IST0101 | Host not found. |',
      '| `routing/weights-total-100` | warning |  | Weights do not sum to 100. |',
      '',
    ].join('\n'),
  );
});

test('GIVEN rules WHEN rendered as text THEN aligned columns with a header', () => {
  const lines = renderRules(RULES, 'text').split('\n');
  assert.is(lines[0], 'RULE                       SEVERITY                ISTIO    SUMMARY');
  assert.is(lines[2], 'routing/weights-total-100  warning                 -        Weights do not sum to 100.');
});

test('GIVEN `meshproof rules --format json` THEN the whole catalogue incl. built-in rules', async () => {
  const c = captureIO(FIXTURES);
  assert.is(await main(['rules', '--format', 'json'], c.io), 0);
  const ids = JSON.parse(c.stdout()).map((r: { id: string }) => r.id);
  assert.equal(ids, ruleCatalogue().map((r) => r.id).sort());
  assert.ok(ids.includes('config/suppression-without-reason'));
  const weights = JSON.parse(c.stdout()).find((r: { id: string }) => r.id === 'routing/weights-total-100');
  assert.equal(Object.keys(weights.optionsSchema.properties), ['total']);
});

test('GIVEN `meshproof rules --format yaml` THEN exit 2', async () => {
  const c = captureIO(FIXTURES);
  assert.is(await main(['rules', '--format', 'yaml'], c.io), 2);
});

test.run();
