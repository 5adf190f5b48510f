import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { finalStatus } from '../../src/verify/report/types.js';
import { verifyProject, VerifyInputError } from '../../src/verify/run.js';
import { breakObject, copyDist } from './_dist.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures/bookinfo_routes_test.yml');

async function run(work: string, tests: string) {
  return verifyProject({ root: work, skipChecks: true, apps: ['bookinfo'], routeTests: [tests] });
}

test('GIVEN istio-config-validator test cases WHEN run unchanged against bookinfo THEN every unfolded request holds, negative cases included', async () => {
  const work = copyDist();
  try {
    const report = await run(work, FIXTURE);
    const fromFile = report.results.filter((r) => r.expectation.source.file === FIXTURE);
    // 2 methods × 2 uris, 1, 1 (wantMatch false: route only), 1 × (route + delay)
    assert.is(fromFile.length, 4 + 1 + 1 + 2);
    assert.equal(fromFile.filter((r) => finalStatus(r) !== 'held').map((r) => `${r.expectation.id}: ${r.static.detail}`), []);
    assert.is(fromFile.find((r) => r.expectation.wantMatch === false)!.expectation.source.line, 26);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN the split swapped in dist/ WHEN the same test cases run THEN the 75/25 case breaks, at its line in the YAML', async () => {
  const work = copyDist();
  try {
    breakObject(work, 'bookinfo.k8s.yaml', 'VirtualService', 'reviews', (o) => {
      const route = o.spec.http[1].route;
      [route[0].weight, route[1].weight] = [route[1].weight, route[0].weight];
    });
    const report = await run(work, FIXTURE);
    const bad = report.results.filter((r) => r.expectation.source.file === FIXTURE && finalStatus(r) === 'broken');
    assert.equal(bad.map((r) => [r.expectation.source.line, r.expectation.promise]), [[15, 'everyone else is split 75/25: GET reviews.bookinfo.svc.cluster.local/reviews/1 splits 75 to reviews.bookinfo.svc.cluster.local v1, 25 to reviews.bookinfo.svc.cluster.local v3']]);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a test file without a request list WHEN loaded THEN verify refuses it naming file, line and field', async () => {
  const work = copyDist();
  try {
    const bad = path.join(work, 'bad_test.yml');
    fs.writeFileSync(bad, 'testCases:\n  - description: no uri\n    request:\n      authority: [a.example]\n      method: [GET]\n    route: [{ destination: { host: a } }]\n');
    const error = await run(work, bad).then(() => undefined, (e: unknown) => e);
    assert.instance(error, VerifyInputError);
    assert.match((error as Error).message, /bad_test\.yml:2: testCases\[0\] \("no uri"\): request\.uri must be a non-empty list/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
