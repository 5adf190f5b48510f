import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatConfidence, formatShare, judgeShare, sampleSizeFor, wilsonInterval, zFor } from '../../src/verify/stats.js';

test('GIVEN a confidence WHEN its z is asked THEN it is the two-sided normal quantile', () => {
  assert.ok(Math.abs(zFor(0.95) - 1.959964) < 1e-5);
  assert.ok(Math.abs(zFor(0.999) - 3.290527) < 1e-5);
});

test('GIVEN 90 of 100 WHEN the 95 % Wilson interval is computed THEN it matches the textbook value', () => {
  const [lo, hi] = wilsonInterval(90, 100, 0.95);
  assert.ok(Math.abs(lo - 0.82565) < 1e-4 && Math.abs(hi - 0.94479) < 1e-4, `${lo} ${hi}`);
  assert.equal(wilsonInterval(0, 10, 0.95).map((x) => +x.toFixed(4)), [0, 0.2775]);
});

test('GIVEN a 90 % promise WHEN 900 of 1000 are observed THEN it holds; 750 of 1000 THEN it is broken', () => {
  const ok = judgeShare(900, 1000, 0.9);
  assert.ok(ok.holds);
  assert.ok(ok.exactInterval[0] < 0.9 && ok.exactInterval[1] > 0.9);
  const bad = judgeShare(750, 1000, 0.9);
  assert.not.ok(bad.holds);
  assert.ok(bad.pValue < 0.001);
  assert.match(formatShare(bad), /75\.0 % of 1000 \(expected 90\.0 %; 99\.9 % Wilson/);
});

test('GIVEN a promise of 0 % or 100 % WHEN one request strays THEN it is broken (no noise allowance)', () => {
  assert.ok(judgeShare(500, 500, 1).holds);
  assert.not.ok(judgeShare(499, 500, 1).holds);
  assert.ok(judgeShare(0, 500, 0).holds);
  assert.not.ok(judgeShare(1, 500, 0).holds);
});

test('GIVEN a tolerance WHEN the sample size is derived THEN a tighter tolerance or a share near 50 % needs more requests', () => {
  assert.ok(sampleSizeFor(0.9, 0.05) < sampleSizeFor(0.9, 0.02));
  assert.ok(sampleSizeFor(0.9, 0.05) < sampleSizeFor(0.5, 0.05));
  assert.ok(sampleSizeFor(1, 0.05) >= 20);
  // The derived n catches a share off by the tolerance: 90 % promised, 85 % true, at the expected count.
  const n = sampleSizeFor(0.9, 0.05);
  assert.not.ok(judgeShare(Math.round(0.85 * n), n, 0.9).holds);
  assert.ok(judgeShare(Math.round(0.9 * n), n, 0.9).holds);
});

test('GIVEN nonsense counts or shares WHEN judged THEN a RangeError names the argument', () => {
  assert.throws(() => judgeShare(5, 0, 0.5), /trials must be a whole number/);
  assert.throws(() => judgeShare(11, 10, 0.5), /successes must be a whole number from 0 to trials/);
  assert.throws(() => judgeShare(1, 10, 1.5), /expected share must be a number from 0 to 1/);
  assert.throws(() => sampleSizeFor(0.5, 0), /tolerance must be a number strictly between 0 and 1/);
});

test('GIVEN confidence levels with more nines than one decimal shows WHEN formatted THEN every nine is kept and none rounds up to 100.0', () => {
  assert.equal([0.9, 0.95, 0.99, 0.999, 0.9999, 0.99999, 0.57].map(formatConfidence), ['90.0', '95.0', '99.0', '99.9', '99.99', '99.999', '57.0']);
  assert.match(formatShare(judgeShare(70, 100, 0.75, 0.99999)), /expected 75\.0 %; 99\.999 % Wilson/);
});

test.run();
