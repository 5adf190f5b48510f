/**
 * STRICT mTLS and authorization proven with real traffic: the runtime puts an inbound sidecar (the
 * translated virtualInbound chains with SDS certificates and RBAC) in front of every mesh workload;
 * the proofs hold on the committed dist/ and break, naming what got through, on a broken copy.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { createRuntime } from '../../src/verify/runtime/index.js';
import { breakObject, copyDist, ROOT } from './_dist.js';
import { PROOF_OPTIONS } from './_proof.js';

const EXPECTATIONS = (JSON.parse(fs.readFileSync(path.join(ROOT, '.meshproof/expectations.json'), 'utf8')) as { expectations: Expectation[] }).expectations;
const byId = (id: string) => EXPECTATIONS.find((e) => e.id === id)!;
const IDS = ['customers/namespace#mtls-strict', 'customers/namespace#default-deny', 'customers/allow-web-frontend#allow.0', 'customers/web-frontend-routes#route0.reaches'];

async function proveIn(work: string) {
  const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
  return (await createRuntime().run(graph, IDS.map(byId), () => {}, PROOF_OPTIONS)).verdicts;
}

test('GIVEN the committed customers app (STRICT, allow-nothing, ALLOW per workload) WHEN its security promises are sent to the inbound sidecars THEN plaintext is refused, a stranger gets 403 RBAC: access denied, the named caller and routed traffic get through over mTLS', async () => {
  const verdicts = await proveIn(ROOT);
  for (const id of IDS) assert.is(verdicts.get(id)?.status, 'held', `${id}: ${verdicts.get(id)?.detail}`);
  assert.match(verdicts.get(IDS[0]!)!.detail, /customers\/customers-v1 port 3000: plaintext E[A-Z]+, mTLS 403/);
  assert.match(verdicts.get(IDS[1]!)!.detail, /customers\/web-frontend-v1:8080 GET \/: 403 "RBAC: access denied"/);
  assert.match(verdicts.get(IDS[2]!)!.detail, /as cluster\.local\/ns\/istio-ingress\/sa\/istio-ingressgateway: customers\/web-frontend-v1:8080 GET \/: 200 from customers\/web-frontend-v1/);
  // Routed through a caller sidecar whose clusters keep ISTIO_MUTUAL: only an mTLS hop reaches the STRICT workload.
  assert.match(verdicts.get(IDS[3]!)!.detail, /^20× 200 customers\/web-frontend-v1$/);
});

test('GIVEN a copy with PERMISSIVE mTLS, an allow-all policy on customers and the wrong principal allowed WHEN the same promises are proven THEN each breaks saying what the traffic got', async () => {
  const work = copyDist();
  try {
    breakObject(work, 'customers.k8s.yaml', 'PeerAuthentication', 'default', (o) => { o.spec.mtls.mode = 'PERMISSIVE'; });
    breakObject(work, 'customers.k8s.yaml', 'AuthorizationPolicy', 'allow-nothing', (o) => { o.spec = { selector: { matchLabels: { app: 'customers' } }, rules: [{}] }; });
    breakObject(work, 'customers.k8s.yaml', 'AuthorizationPolicy', 'allow-web-frontend', (o) => { o.spec.rules[0].from[0].source.principals = ['cluster.local/ns/istio-ingress/sa/someone-else']; });
    const verdicts = await proveIn(work);
    assert.is(verdicts.get(IDS[0]!)?.status, 'broken', verdicts.get(IDS[0]!)?.detail);
    assert.match(verdicts.get(IDS[0]!)!.detail, /port \d+ answered plaintext with (200 from customers\/[a-z-]+v1|403): plaintext gets through/);
    assert.is(verdicts.get(IDS[1]!)?.status, "broken", verdicts.get(IDS[1]!)?.detail);
    assert.match(verdicts.get(IDS[1]!)!.detail, /as cluster\.local\/ns\/meshproof-verify-stranger\/sa\/meshproof-verify-stranger: 200 from customers\/[a-z-]+v1; promised 403 RBAC: access denied/);
    assert.is(verdicts.get(IDS[2]!)?.status, 'broken', verdicts.get(IDS[2]!)?.detail);
    assert.match(verdicts.get(IDS[2]!)!.detail, /web-frontend-v1:8080 GET \/ as cluster\.local\/ns\/istio-ingress\/sa\/istio-ingressgateway: 403 "RBAC: access denied"; promised to be let through/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
