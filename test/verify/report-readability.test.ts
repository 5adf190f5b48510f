import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { formatMarkdown } from '../../src/verify/report/markdown.js';
import { formatText } from '../../src/verify/report/text.js';
import { summarize, type VerifyReport, type VerifyResult } from '../../src/verify/report/types.js';
import { verifyProject } from '../../src/verify/run.js';
import { copyDist } from './_dist.js';

const TESTS = `testCases:
  - description: product page on v1
    wantMatch: true
    request: { authority: [productpage.bookinfo.svc.cluster.local], method: [GET], uri: [/productpage] }
    route:
      - destination: { host: productpage, subset: v1 }
  - description: bob
    wantMatch: true
    request: { authority: [reviews.bookinfo.svc.cluster.local], method: [GET], uri: [/reviews/1], headers: { end-user: bob } }
    route:
      - destination: { host: reviews, subset: v1 }
        weight: 75
      - destination: { host: reviews, subset: v3 }
        weight: 25
`;

test('GIVEN a route-test file with short hosts WHEN verified statically with --app THEN short hosts resolve in the VirtualService namespace (held), the file is named in the summary and the JSON has top-level counts', async () => {
  const work = copyDist();
  try {
    fs.writeFileSync(path.join(work, 't1.yaml'), TESTS);
    const report = await verifyProject({ root: work, skipChecks: true, apps: ['bookinfo'], routeTests: ['t1.yaml'] });
    const fromFile = report.results.filter((r) => r.expectation.source.file === 't1.yaml');
    assert.equal(fromFile.map((r) => [r.static.status, r.static.detail.includes('not productpage')]), [['held', false], ['held', false]]);
    assert.match(fromFile[1]!.expectation.promise, /^bob: GET reviews\.bookinfo\.svc\.cluster\.local\/reviews\/1 with end-user: bob splits 75 to/);
    assert.equal(report.apps, ['bookinfo', 'route tests (t1.yaml)']);
    assert.match(formatText(report), /\nverify bookinfo, route tests \(t1\.yaml\): \d+ promises/);
    assert.equal(report.summary, summarize(report.results));
    assert.is(report.summary.held + report.summary.broken + report.summary.undefined + report.summary.runtimeOnly, report.results.length);
    assert.ok('summary' in JSON.parse(JSON.stringify(report)));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

const ex = (id: string, outcome: Expectation['outcome'], source: Expectation['source']): Expectation => ({ id, promise: `promise ${id}`, source, outcome });
const reaches: Expectation['outcome'] = { kind: 'reaches', destination: { host: 'reviews.bookinfo.svc.cluster.local', subset: 'v2', labels: { version: 'v2' } } };

function reportOf(results: VerifyResult[], ran: boolean): VerifyReport {
  return {
    version: 1, root: '.', apps: ['bookinfo'], summary: summarize(results), confidence: 0.999, tolerance: 0.05,
    traffic: ran ? { ran: true } : { ran: false, reason: 'static only' }, results, notes: [], timings: { staticMs: 1, totalMs: 2 },
  };
}

test('GIVEN a routing promise proven by 403s, one broken by the config and a status one WHEN reported THEN the 403 says why it proves routing, the broken one says traffic was not sent and why, and Markdown names file:line everywhere', () => {
  const results: VerifyResult[] = [
    { expectation: ex('a', reaches, { constructPath: 'bookinfo/reviews-routes', file: 'apps/bookinfo.ts', line: 42 }), static: { id: 'a', status: 'held', detail: 'route jason-on-v2' }, traffic: { status: 'held', detail: '20× 403 RBAC: access denied at bookinfo/reviews-v2', requests: 20 } },
    { expectation: ex('b', reaches, { constructPath: 'bookinfo/other', file: 'apps/bookinfo.ts', line: 50 }), static: { id: 'b', status: 'broken', detail: 'it goes to reviews v1' } },
    { expectation: ex('c', { kind: 'status', status: 404 }, { constructPath: 'bookinfo/c' }), static: { id: 'c', status: 'held', detail: 'no route' }, traffic: { status: 'held', detail: '20× 403 RBAC: access denied at bookinfo/x', requests: 20 } },
  ];
  const text = formatText(reportOf(results, true), true);
  assert.match(text, /traffic: 20× 403 RBAC: access denied at bookinfo\/reviews-v2 \(a 403 from the destination's sidecar proves the routing: the route did reach bookinfo\/reviews-v2, whose AuthorizationPolicies then refused the request\)/);
  assert.match(text, /BROKEN  promise b\n.*\n    config: it goes to reviews v1\n    traffic: not sent — broken by the config\n/);
  assert.not.match(text, /access denied at bookinfo\/x \(/, 'a 403 proves routing only for routing promises');
  assert.not.match(formatText(reportOf(results, false), true), /not sent — broken/, 'without a traffic run the summary line says why');
  const md = formatMarkdown(reportOf(results, true));
  const every = md.slice(md.indexOf('Every promise'));
  assert.match(every, /\| promise a \| `apps\/bookinfo\.ts:42` \|/);
  assert.match(every, /\| promise c \| `bookinfo\/c` \|/);
});

test('GIVEN a promise held on the config while traffic was sent (left to the config) and one proven WHEN reported verbosely THEN the first is marked config only, in text and Markdown, and the proven one is not', () => {
  const results: VerifyResult[] = [
    { expectation: ex('r', { kind: 'retries', attempts: 2 }, { constructPath: 'bookinfo/r' }), static: { id: 'r', status: 'held', detail: 'retries 2' }, traffic: { status: 'not-run', detail: "retryOn has no condition an echo backend can trigger", requests: 0 } },
    { expectation: ex('p', reaches, { constructPath: 'bookinfo/p' }), static: { id: 'p', status: 'held', detail: 'route' }, traffic: { status: 'held', detail: '20× 200 bookinfo/reviews-v2', requests: 20 } },
  ];
  const text = formatText(reportOf(results, true), true);
  assert.match(text, /^✓ HELD \(config only\)  promise r$/m);
  assert.match(text, /^✓ HELD  promise p$/m);
  const md = formatMarkdown(reportOf(results, true));
  assert.match(md, /\| ✅ \(config only\) \| promise r \|/);
  assert.match(md, /\| ✅ \| promise p \|/);
  assert.not.match(formatText(reportOf(results, false), true), /config only/, 'without traffic every promise is judged on the config: nothing to set apart');
});

test('GIVEN an expectations file written before expect() promises had a chart (app/expect) WHEN verified with --app THEN a note says they were left out and how to file them', async () => {
  const work = copyDist();
  try {
    const file = path.join(work, '.meshproof/expectations.json');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { expectations: Expectation[] };
    const orphan: Expectation = { ...doc.expectations.find((e) => e.source.constructPath.startsWith('bookinfo/'))!, id: 'app/expect#expect.0', source: { constructPath: 'app/expect' } };
    fs.writeFileSync(file, JSON.stringify({ ...doc, expectations: [...doc.expectations, orphan] }));
    const report = await verifyProject({ root: work, skipChecks: true, apps: ['bookinfo'] });
    assert.ok(report.results.every((r) => r.expectation.id !== orphan.id));
    assert.equal(report.notes, ['1 expect() promise is filed under no chart (app/expect) in .meshproof/expectations.json, so --app left it out: run `npx cdk8s synth` again to file it under its chart']);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
