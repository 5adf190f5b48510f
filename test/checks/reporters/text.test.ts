import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { textReporter } from '../../../src/checks/reporters/text.js';
import { HOST_NOT_FOUND, OPTS, resultOf, SUPPRESSED, WEIGHTS } from './_fixtures.js';

test('GIVEN findings in two files WHEN rendered without colour THEN istioctl-style lines grouped by file, TS origin indented, summary last', () => {
  const out = textReporter.render(resultOf([HOST_NOT_FOUND, WEIGHTS], { suppressed: [SUPPRESSED], notices: ['exception for routing/x on VirtualService default/r expired on 2026-01-01: why'] }), OPTS);
  assert.is(
    out,
    [
      'dist/a.yaml',
      'warning [routing/weights-total-100] (VirtualService default/ratings dist/a.yaml:3) weights sum to 90, not 100',
      '',
      'dist/x.yaml',
      'error [IST0101] (VirtualService default/reviews dist/x.yaml:12) Referenced host not found: "ratings"',
      '  ↳ apps/bookinfo.ts:42 (bookinfo/reviews/virtual-service)',
      '',
      'notice: exception for routing/x on VirtualService default/r expired on 2026-01-01: why',
      '',
      '1 error, 1 warning, 0 info in 2 files (7 objects, 2 rules); 1 suppressed',
      '',
    ].join('\n'),
  );
});

test('GIVEN no findings WHEN rendered THEN only the summary line', () => {
  assert.is(textReporter.render(resultOf([]), OPTS), 'No findings in 2 files (7 objects, 2 rules)\n');
});

test('GIVEN a finding about a file, not an object WHEN rendered THEN the parenthesis holds only file:line', () => {
  const out = textReporter.render(resultOf([{ ...WEIGHTS, resource: null, ruleId: 'input/unparsable', severity: 'error', message: 'bad YAML' }]), OPTS);
  assert.ok(out.includes('error [input/unparsable] (dist/a.yaml:3) bad YAML\n'));
});

test('GIVEN colour on WHEN rendered THEN severities carry ANSI codes; colour off THEN none', () => {
  const result = resultOf([HOST_NOT_FOUND]);
  assert.ok(textReporter.render(result, { ...OPTS, color: true }).includes('\u001b[31m\u001b[1merror\u001b[0m [IST0101]'));
  assert.not.ok(textReporter.render(result, OPTS).includes('\u001b['));
});

test.run();
