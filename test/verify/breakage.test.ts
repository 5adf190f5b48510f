import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { finalStatus, verifyExitCode, type VerifyReport } from '../../src/verify/report/types.js';
import { verifyProject } from '../../src/verify/run.js';
import { breakObject, copyDist } from './_dist.js';

/** Static verification of a copy of the committed dist/ (the check-suite gate is tested elsewhere). */
async function verify(work: string, apps?: string[]): Promise<VerifyReport> {
  return verifyProject({ root: work, skipChecks: true, ...(apps ? { apps } : {}) });
}

function broken(report: VerifyReport): { id: string; detail: string; file?: string; line?: number }[] {
  return report.results.filter((r) => finalStatus(r) === 'broken')
    .map((r) => ({ id: r.expectation.id, detail: r.static.detail, file: r.expectation.source.file, line: r.expectation.source.line }));
}

const cases: [string, string, (work: string) => void, string, RegExp][] = [
  ['swap the weights of the reviews split', 'bookinfo', (w) => breakObject(w, 'bookinfo.k8s.yaml', 'VirtualService', 'reviews', (o) => {
    const route = o.spec.http[1].route;
    [route[0].weight, route[1].weight] = [route[1].weight, route[0].weight];
  }), 'bookinfo/reviews-routes#v1-v3-split.split', /sends 25 % to reviews v1, not 75 %/],
  ['point subset v2 of reviews at the v1 pods', 'bookinfo', (w) => breakObject(w, 'bookinfo.k8s.yaml', 'DestinationRule', 'reviews', (o) => {
    o.spec.subsets[1].labels.version = 'v1';
  }), 'bookinfo/reviews-routes#jason-on-v2.reaches', /subset v2 selects Deployment bookinfo\/reviews-v1 \(version=v1\), not version=v2/],
  ['drop the retry policy of the ratings route', 'bookinfo', (w) => breakObject(w, 'bookinfo.k8s.yaml', 'VirtualService', 'ratings', (o) => {
    delete o.spec.http[1].retries;
  }), 'bookinfo/ratings-routes#default.retries', /no retry policy: Istio's default applies \(2 attempts/],
  ['remove the header match of the canary pin', 'customers', (w) => breakObject(w, 'customers.k8s.yaml', 'VirtualService', 'customers', (o) => {
    delete o.spec.http[0].match;
  }), 'customers/customers-canary#customers-canary-split.split', /selects route "customers-canary-pinned".*sends 0 % to customers v1, not 90 %/],
  ['turn the httpbin gateway from MUTUAL to SIMPLE TLS', 'httpbin', (w) => breakObject(w, 'httpbin.k8s.yaml', 'Gateway', 'httpbin-gateway', (o) => {
    o.spec.servers[0].tls.mode = 'SIMPLE';
  }), 'httpbin/httpbin-gateway#client-certificate-required.443', /tls\.mode SIMPLE, not MUTUAL: clients without a certificate get through/],
  ['relax httpbin to PERMISSIVE mTLS', 'httpbin', (w) => breakObject(w, 'httpbin.k8s.yaml', 'PeerAuthentication', 'default', (o) => {
    o.spec.mtls.mode = 'PERMISSIVE';
  }), 'httpbin/namespace#mtls-strict', /accepts PERMISSIVE \(PeerAuthentication httpbin\/default at dist\/httpbin\.k8s\.yaml:\d+\): plaintext gets through/],
  ['allow the wrong caller to customers', 'customers', (w) => breakObject(w, 'customers.k8s.yaml', 'AuthorizationPolicy', 'allow-customers', (o) => {
    o.spec.rules[0].from[0].source.principals = ['cluster.local/ns/customers/sa/someone-else'];
  }), 'customers/allow-customers#allow.0', /refuses \(403\) cluster\.local\/ns\/customers\/sa\/web-frontend: none of .*allow-customers \(ALLOW\) matches/],
  ['drop the connection limit of customers', 'customers', (w) => breakObject(w, 'customers.k8s.yaml', 'DestinationRule', 'customers', (o) => {
    delete o.spec.trafficPolicy.connectionPool.tcp;
  }), 'customers/customers#circuit-breaker', /has maxConnections unlimited \(2\^32-1\), not 1/],
  ['stop mirroring to customers v3', 'customers', (w) => breakObject(w, 'customers.k8s.yaml', 'VirtualService', 'customers', (o) => {
    delete o.spec.http[1].mirror;
    delete o.spec.http[1].mirrorPercentage;
  }), 'customers/customers-canary#customers-canary-split.mirror', /it mirrors nothing, not customers v3/],
];

test('GIVEN the committed dist/ WHEN verified statically THEN every promise of every app holds (exit 0)', async () => {
  const work = copyDist();
  try {
    const report = await verify(work);
    assert.equal(broken(report), []);
    assert.ok(report.results.length >= 40, `only ${report.results.length} promises`);
    assert.is(verifyExitCode(report), 0);
    assert.ok(report.timings.staticMs < 5000, `static judgement took ${report.timings.staticMs} ms`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

for (const [what, app, breakIt, id, detail] of cases) {
  test(`GIVEN dist/ broken (${what}) WHEN verified THEN the promise ${id} breaks, naming its TypeScript line, and verify exits 1`, async () => {
    const work = copyDist();
    try {
      breakIt(work);
      const report = await verify(work, [app]);
      const hit = broken(report).find((b) => b.id === id);
      assert.ok(hit, `expected ${id} among the broken: ${JSON.stringify(broken(report), null, 1)}`);
      assert.match(hit!.detail, detail);
      assert.match(hit!.file ?? '', /^apps\/.+\.ts$/);
      assert.ok((hit!.line ?? 0) > 0);
      assert.is(verifyExitCode(report), 1);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
}

test('GIVEN a second mesh VirtualService for reviews WHEN verified THEN the promises on reviews hold only by Istio\'s undefined order, which fails the run', async () => {
  const work = copyDist();
  try {
    const file = `${work}/dist/bookinfo.k8s.yaml`;
    fs.appendFileSync(file, '---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews-hotfix\n  namespace: bookinfo\nspec:\n  hosts: [reviews]\n  http:\n    - route:\n        - destination: { host: reviews, subset: v1 }\n');
    const report = await verify(work, ['bookinfo']);
    const r = report.results.find((x) => x.expectation.id === 'bookinfo/reviews-routes#v1-v3-split.split')!;
    assert.is(finalStatus(r), 'undefined');
    assert.match(r.static.detail, /order undefined: Istio applies one of several VirtualServices for reviews\.bookinfo\.svc\.cluster\.local \(IST0109\)/);
    assert.is(verifyExitCode(report), 1);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
