/**
 * CI's traffic proof of the committed apps: `meshproof verify` over every app of dist/ with real
 * traffic, as `npm start` runs it (one runtime, every promise). The pieces are tested one by one in
 * the traffic-* tests, with breakage; this is the whole run a user gets, and it must hold (at the
 * suite's confidence, `_proof.ts`, so chance alone does not fail CI).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import type { VerifyReport } from '../../src/verify/report/types.js';
import { captureIO } from '../cli/_io.js';
import { ROOT } from './_dist.js';
import { PROOF_CONFIDENCE_ARG } from './_proof.js';

test('GIVEN the committed dist/ WHEN meshproof verify runs over every app with traffic THEN every promise holds and most are proven by requests', async () => {
  const cap = captureIO(ROOT);
  const code = await main(['verify', '--format', 'json', ...PROOF_CONFIDENCE_ARG], cap.io);
  assert.is(code, 0, cap.stderr() || cap.stdout().slice(0, 4000));
  const report = JSON.parse(cap.stdout()) as VerifyReport;
  assert.equal([...report.apps].sort(), ['bookinfo', 'customers', 'httpbin']);
  assert.ok(report.traffic.ran, report.traffic.reason);
  const broken = report.results.filter((r) => r.static.status === 'broken' || r.traffic?.status === 'broken');
  assert.equal(broken.map((r) => r.expectation.id), []);
  const proven = report.results.filter((r) => r.traffic?.status === 'held');
  const notRun = report.results.filter((r) => r.traffic?.status === 'not-run');
  // Every promise traffic does not prove says why (config only, with the reason).
  for (const r of notRun) assert.ok(r.traffic!.detail.length > 10, `${r.expectation.id}: not run without a reason`);
  assert.ok(proven.length >= report.results.length * 0.7, `only ${proven.length} of ${report.results.length} promises proven with traffic; not run: ${notRun.map((r) => `${r.expectation.id} (${r.traffic!.detail})`).join('; ')}`);
  assert.ok(proven.reduce((n, r) => n + r.traffic!.requests, 0) > 500, 'shares are judged on hundreds of requests');
});

test.run();
