/**
 * The ingress gateway proven with traffic: the platform's istio-ingressgateway runs as a gateway
 * proxy with its credentials over SDS; plain HTTP is redirected to https (301), the MUTUAL server
 * refuses clients without a certificate or with one from another CA and admits one from the
 * credential's CA, and route promises through the gateway go over TLS with SNI (SIMPLE) and cross
 * the mTLS hop to the destination's inbound sidecar. A broken copy (MUTUAL switched to SIMPLE, the
 * redirect dropped, the gateway route pointed at another service's subset) breaks each of those promises,
 * with traffic and in `verify`'s report.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { verifyProject } from '../../src/verify/run.js';
import { createRuntime } from '../../src/verify/runtime/index.js';
import { breakObject, copyDist, ROOT } from './_dist.js';
import { PROOF_OPTIONS } from './_proof.js';

const EXPECTATIONS = (JSON.parse(fs.readFileSync(path.join(ROOT, '.meshproof/expectations.json'), 'utf8')) as { expectations: Expectation[] }).expectations;
const MUTUAL = 'httpbin/httpbin-gateway#client-certificate-required.443';
const REDIRECT = 'bookinfo/bookinfo-gateway#https-redirect.80';
const REDIRECT_HTTPBIN = 'httpbin/httpbin-gateway#https-redirect.80';
const SIMPLE_ROUTE = 'bookinfo/bookinfo-gateway/Routes#productpage.m0.reaches';
const MUTUAL_ROUTE = 'httpbin/httpbin-gateway/Routes#api.reaches';
const IDS = [MUTUAL, REDIRECT, REDIRECT_HTTPBIN, SIMPLE_ROUTE, MUTUAL_ROUTE];

/** A route redirect promised through the bookinfo gateway: GET /old answered 301 to `https://<authority>/new`. */
function redirectPromise(id: string, authority: string): Expectation {
  return {
    id, promise: `GET bookinfo.app/old is redirected to ${authority}/new`, source: { constructPath: 'bookinfo/test' },
    request: { host: 'bookinfo.app', path: '/old', method: 'GET', headers: {}, via: { kind: 'gateway', gateway: 'bookinfo/bookinfo-gateway', port: 443 } },
    outcome: { kind: 'redirect', status: 301, authority, uri: '/new' },
  };
}

async function proveIn(work: string, extra: readonly Expectation[] = []) {
  const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
  const wanted = [...IDS.map((id) => EXPECTATIONS.find((e) => e.id === id)!), ...extra];
  return (await createRuntime().run(graph, wanted, () => {}, PROOF_OPTIONS)).verdicts;
}

test('GIVEN the committed apps WHEN the ingress gateway is sent real requests THEN it redirects plain HTTP, demands client certificates from the right CA on MUTUAL, and routes TLS requests to the backends', async () => {
  const v = await proveIn(ROOT);
  for (const id of IDS) assert.is(v.get(id)?.status, 'held', `${id}: ${v.get(id)?.detail}`);
  assert.is(v.get(REDIRECT)!.detail, 'http://bookinfo.app/meshproof-verify/redirect?from=http → 301 Location https://bookinfo.app/meshproof-verify/redirect?from=http');
  assert.is(v.get(REDIRECT_HTTPBIN)!.detail, 'http://httpbin.example.com/meshproof-verify/redirect?from=http → 301 Location https://httpbin.example.com/meshproof-verify/redirect?from=http');
  assert.match(v.get(MUTUAL)!.detail, /^httpbin\.example\.com:443: no client certificate → no answer \((ERR_SSL_[A-Z0-9_]+|ECONNRESET[^)]*)\); a certificate from another CA → no answer \([^)]+\); one from the credential's CA → 200 from httpbin\/httpbin-v1 \(TLSv1\.3\)$/);
  // Every request crossed the gateway's TLS termination and its mTLS hop to the inbound sidecar of productpage / httpbin.
  assert.is(v.get(SIMPLE_ROUTE)!.detail, '20× 200 bookinfo/productpage-v1');
  assert.is(v.get(MUTUAL_ROUTE)!.detail, '20× 200 httpbin/httpbin-v1');
});

test('GIVEN a copy whose httpbin Gateway and VirtualService write the host in mixed case (Httpbin.Example.COM) WHEN the gateway promises are proven with the host so written THEN they hold: Envoy lower-cases server names, SNI and Host, and the Location host compares case-insensitively', async () => {
  const work = copyDist();
  const upper = (h: unknown) => (h === 'httpbin.example.com' ? 'Httpbin.Example.COM' : h);
  try {
    breakObject(work, 'httpbin.k8s.yaml', 'Gateway', 'httpbin-gateway', (o) => { for (const srv of o.spec.servers) srv.hosts = srv.hosts.map(upper); });
    breakObject(work, 'httpbin.k8s.yaml', 'VirtualService', 'httpbin-gateway', (o) => { o.spec.hosts = o.spec.hosts.map(upper); });
    const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
    const written = [MUTUAL, REDIRECT_HTTPBIN, MUTUAL_ROUTE].map((id) => {
      const e = EXPECTATIONS.find((x) => x.id === id)!;
      const outcome = 'hosts' in e.outcome ? { ...e.outcome, hosts: e.outcome.hosts.map(upper) as string[] } : e.outcome;
      // Route promises name the host as synth writes it (lower case); Gateway promises list the server hosts as written.
      return { ...e, outcome } as Expectation;
    });
    const v = (await createRuntime().run(graph, written, () => {}, PROOF_OPTIONS)).verdicts;
    for (const id of [MUTUAL, REDIRECT_HTTPBIN, MUTUAL_ROUTE]) assert.is(v.get(id)?.status, 'held', `${id}: ${v.get(id)?.detail}`);
    assert.match(v.get(REDIRECT_HTTPBIN)!.detail, /→ 301 Location https:\/\/httpbin\.example\.com\//i);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a copy with the MUTUAL server made SIMPLE, the redirect dropped and the gateway route sent to reviews v2 WHEN proven with traffic THEN each promise breaks saying how, and verify reports them broken', async () => {
  const work = copyDist();
  try {
    breakObject(work, 'httpbin.k8s.yaml', 'Gateway', 'httpbin-gateway', (o) => { o.spec.servers[0].tls.mode = 'SIMPLE'; });
    breakObject(work, 'bookinfo.k8s.yaml', 'Gateway', 'bookinfo-gateway', (o) => { delete o.spec.servers[1].tls; });
    breakObject(work, 'bookinfo.k8s.yaml', 'VirtualService', 'bookinfo-gateway', (o) => {
      for (const h of o.spec.http) for (const r of h.route) r.destination = { host: 'reviews.bookinfo.svc.cluster.local', subset: 'v2', port: { number: 9080 } };
      o.spec.http.unshift({ name: 'moved', match: [{ uri: { exact: '/old' } }], redirect: { uri: '/new', authority: 'shop.example.com' } });
    });
    breakObject(work, 'bookinfo.k8s.yaml', 'VirtualService', 'productpage', (o) => {
      o.spec.http.unshift({ name: 'moved', match: [{ uri: { exact: '/old' } }], redirect: { uri: '/new' } });
    });
    const meshRedirect: Expectation = {
      id: 'mesh-redirect', promise: 'GET productpage/old is redirected to /new', source: { constructPath: 'bookinfo/test' },
      request: { host: 'productpage.bookinfo.svc.cluster.local', path: '/old', method: 'GET', headers: {}, via: { kind: 'mesh', namespace: 'bookinfo' } },
      outcome: { kind: 'redirect', status: 301, uri: '/new' },
    };
    const v = await proveIn(work, [redirectPromise('redirect-held', 'shop.example.com'), redirectPromise('redirect-broken', 'elsewhere.example.com'), meshRedirect]);
    // The same judgement through a caller sidecar.
    assert.is(v.get('mesh-redirect')?.status, 'held', v.get('mesh-redirect')?.detail);
    assert.is(v.get('mesh-redirect')!.detail, 'GET productpage.bookinfo.svc.cluster.local/old → 301 Location http://productpage.bookinfo.svc.cluster.local:9080/new');
    // A route redirect through the gateway is judged on its Location (and can fail).
    assert.is(v.get('redirect-held')?.status, 'held', v.get('redirect-held')?.detail);
    assert.is(v.get('redirect-held')!.detail, 'GET bookinfo.app/old → 301 Location https://shop.example.com/new');
    assert.is(v.get('redirect-broken')?.status, 'broken');
    assert.is(v.get('redirect-broken')!.detail, 'GET bookinfo.app/old → 301 Location https://shop.example.com/new: authority shop.example.com, not elsewhere.example.com');
    assert.is(v.get(MUTUAL)?.status, 'broken', v.get(MUTUAL)?.detail);
    assert.match(v.get(MUTUAL)!.detail, /^a client without a certificate was answered: httpbin\.example\.com:443: no client certificate → 200 from httpbin\/httpbin-v1/);
    assert.is(v.get(REDIRECT)?.status, 'broken', v.get(REDIRECT)?.detail);
    assert.match(v.get(REDIRECT)!.detail, /^http:\/\/bookinfo\.app\/meshproof-verify\/redirect\?from=http → (404|200)[^;]*; promised 301 from the gateway with Location https:\/\/bookinfo\.app\//);
    assert.is(v.get(REDIRECT_HTTPBIN)?.status, 'held', v.get(REDIRECT_HTTPBIN)?.detail);
    assert.is(v.get(SIMPLE_ROUTE)?.status, 'broken', v.get(SIMPLE_ROUTE)?.detail);
    assert.match(v.get(SIMPLE_ROUTE)!.detail, /^20× 403 RBAC: access denied at bookinfo\/reviews-v2$/);

    const report = await verifyProject({ root: work, apps: ['httpbin', 'bookinfo'], skipChecks: true });
    const status = (id: string) => report.results.find((r) => r.expectation.id === id)?.static.status;
    assert.is(status(MUTUAL), 'broken');
    assert.is(status(REDIRECT), 'broken');
    assert.is(status(SIMPLE_ROUTE), 'broken');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a copy without the platform app (no workload the Gateways select) WHEN gateway promises are proven THEN they are not run, naming the selector', async () => {
  const work = copyDist();
  try {
    fs.rmSync(path.join(work, 'dist', 'platform.k8s.yaml'));
    const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
    const v = (await createRuntime().run(graph, [EXPECTATIONS.find((e) => e.id === REDIRECT)!], () => {}, PROOF_OPTIONS)).verdicts.get(REDIRECT);
    assert.is(v?.status, 'not-run');
    assert.is(v!.detail, 'no workload in dist/ matches Gateway bookinfo/bookinfo-gateway\'s selector {"istio":"ingressgateway"} (the gateway Deployment, e.g. of the platform app, is not in the input)');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
