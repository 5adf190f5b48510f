/**
 * A routing promise is not kept by a 403 from the destination's sidecar: a gateway route to cart v1
 * in a default-deny namespace whose only ALLOW rule admits orders/checkout is dead for the gateway
 * (every request `403 RBAC: access denied`), so "every request reaches cart v1" is broken, by the
 * config and by traffic through the real gateway proxy and cart's inbound sidecar, naming the policy
 * and the principal to admit. Negative twins: the gateway admitted (200s); an authorization promise
 * that expects the refusal (both hold); a refusal of the probe's path only (the route still serves
 * the gateway's other requests).
 *
 * The fixture is a team repository's dist/ (orders + payments) plus the platform's gateway.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { formatMarkdown } from '../../src/verify/report/markdown.js';
import { verifyProject } from '../../src/verify/run.js';
import { createRuntime } from '../../src/verify/runtime/index.js';
import { breakObject } from './_dist.js';
import { PROOF_OPTIONS } from './_proof.js';

const FIXTURE = path.resolve(import.meta.dirname, 'fixtures/route-refusal');
const GATEWAY_ROUTE = 'orders/shop-gateway/Routes#cart.reaches';
const CHECKOUT_ROUTE = 'orders/checkout-routes#route1.reaches';
const CART_ROUTE = 'orders/cart-routes#route0.reaches';
const GATEWAY_PRINCIPAL = 'cluster.local/ns/istio-ingress/sa/istio-ingressgateway';

function copyFixture(): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-route-refusal-'));
  fs.cpSync(FIXTURE, work, { recursive: true });
  return work;
}

function expectationsOf(work: string): Expectation[] {
  return (JSON.parse(fs.readFileSync(path.join(work, '.meshproof/expectations.json'), 'utf8')) as { expectations: Expectation[] }).expectations;
}

/** The gateway principal refused at cart, as an authorization promise (what a DENY policy's promise would say). */
const REFUSAL_PROMISE: Expectation = {
  id: 'orders/expect#expect.0', promise: 'the ingress gateway gets 403 from cart', source: { constructPath: 'orders/expect', file: 'apps/orders/orders.ts', line: 50 },
  outcome: { kind: 'authorization', namespace: 'orders', selector: { app: 'cart' }, principal: GATEWAY_PRINCIPAL, allowed: false },
};

/** Traffic for the gateway route promise (plus `extra` promises of the run) through the embedded runtime. */
async function prove(work: string, extra: readonly Expectation[] = []) {
  const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
  const route = expectationsOf(work).find((e) => e.id === GATEWAY_ROUTE)!;
  const v = (await createRuntime().run(graph, [route, ...extra], () => {}, PROOF_OPTIONS)).verdicts;
  return v.get(GATEWAY_ROUTE)!;
}

const allowCart = (edit: (rule: Record<string, any>) => void) => (work: string) => breakObject(work, 'orders.k8s.yaml', 'AuthorizationPolicy', 'allow-cart', (o) => edit(o.spec.rules[0]));

test('GIVEN a gateway route to cart v1 whose AuthorizationPolicies admit only orders/checkout WHEN verified statically THEN the routing promise is broken, naming the gateway principal, the policies with their lines, and the fix', async () => {
  const work = copyFixture();
  try {
    const report = await verifyProject({ root: work, apps: ['orders'], skipChecks: true });
    const r = (id: string) => report.results.find((x) => x.expectation.id === id)!.static;
    assert.is(r(GATEWAY_ROUTE).status, 'broken', r(GATEWAY_ROUTE).detail);
    assert.is(r(GATEWAY_ROUTE).detail, 'selects route "cart" at dist/orders.k8s.yaml:292 (VirtualService orders/shop-gateway spec.http[0]; apps/orders/orders.ts:33); '
      + 'the route goes to cart v1 as promised, but its sidecar (orders/cart-v1, port 8080) refuses every request from gateway istio-ingress/istio-ingressgateway '
      + `(${GATEWAY_PRINCIPAL}) with 403 RBAC: access denied: AuthorizationPolicy orders/allow-nothing (dist/orders.k8s.yaml:27; apps/orders/orders.ts:13) has no rules, so it admits nothing; `
      + 'orders/allow-cart (dist/orders.k8s.yaml:319; apps/orders/orders.ts:44) admits only cluster.local/ns/orders/sa/checkout; '
      + `fix: add an ALLOW rule for ${GATEWAY_PRINCIPAL} on port 8080 to orders/allow-cart, or route elsewhere`);
    // checkout admits nobody at all (default deny, no ALLOW policy of its own): its mesh route is dead for every caller.
    assert.is(r(CHECKOUT_ROUTE).status, 'broken');
    assert.match(r(CHECKOUT_ROUTE).detail, /refuses every request from every caller in the mesh \(no workload identity in the input is admitted\) with 403 RBAC: access denied: AuthorizationPolicy orders\/allow-nothing \(dist\/orders\.k8s\.yaml:27; apps\/orders\/orders\.ts:13\) has no rules, so it admits nothing; fix: add an ALLOW rule for the callers that should reach it/);
    // cart's mesh route is sent by checkout, whom allow-cart admits; default deny's own promise still holds.
    assert.is(r(CART_ROUTE).status, 'held', r(CART_ROUTE).detail);
    assert.is(r('orders/namespace#default-deny').status, 'held');
    assert.is(report.summary.broken, 2);
    assert.match(formatMarkdown(report), /❌ \| GET shop\.example\.com\/cart through gateway orders\/shop-gateway:443: every request reaches cart v1 \| `apps\/orders\/orders\.ts:42` \| .*refuses every request from gateway istio-ingress\/istio-ingressgateway/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN the same config with a ConfigMap inserted at the top of dist/orders.k8s.yaml (every object moves 6 lines down) WHEN verified statically THEN the proof names the route and policies at their new lines and the same TypeScript lines (found through the loaded mesh; the Envoy metadata carries no line)', async () => {
  const work = copyFixture();
  try {
    const manifest = path.join(work, 'dist/orders.k8s.yaml');
    fs.writeFileSync(manifest, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inserted\n  namespace: orders\n---\n${fs.readFileSync(manifest, 'utf8')}`);
    const report = await verifyProject({ root: work, apps: ['orders'], skipChecks: true });
    const r = report.results.find((x) => x.expectation.id === GATEWAY_ROUTE)!.static;
    assert.is(r.status, 'broken', r.detail);
    assert.match(r.detail, 'selects route "cart" at dist/orders.k8s.yaml:298 (VirtualService orders/shop-gateway spec.http[0]; apps/orders/orders.ts:33); ');
    assert.match(r.detail, 'AuthorizationPolicy orders/allow-nothing (dist/orders.k8s.yaml:33; apps/orders/orders.ts:13) has no rules');
    assert.match(r.detail, 'orders/allow-cart (dist/orders.k8s.yaml:325; apps/orders/orders.ts:44) admits only');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN the same config WHEN the gateway route is sent real requests through the gateway proxy THEN cart\'s sidecar answers 403 and the promise breaks with the same explanation', async () => {
  const work = copyFixture();
  try {
    const v = await prove(work);
    assert.is(v.status, 'broken', v.detail);
    assert.match(v.detail, /^20× 403 RBAC: access denied at orders\/cart-v1: the route goes to cart v1 as promised, but its sidecar \(orders\/cart-v1, port 8080\) refuses every request from gateway istio-ingress\/istio-ingressgateway/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN an authorization promise that the gateway is refused at cart WHEN the route is judged THEN both hold: the route reaches cart, whose sidecar refuses the gateway as promised', async () => {
  const work = copyFixture();
  try {
    const file = path.join(work, '.meshproof/expectations.json');
    fs.writeFileSync(file, JSON.stringify({ version: 1, expectations: [...expectationsOf(work), REFUSAL_PROMISE] }));
    const report = await verifyProject({ root: work, apps: ['orders'], skipChecks: true });
    const r = (id: string) => report.results.find((x) => x.expectation.id === id)!.static;
    assert.is(r(GATEWAY_ROUTE).status, 'held', r(GATEWAY_ROUTE).detail);
    assert.match(r(GATEWAY_ROUTE).detail, /; the route reaches cart v1 \(orders\/cart-v1\), whose sidecar refuses cluster\.local\/ns\/istio-ingress\/sa\/istio-ingressgateway with 403 as promised by "the ingress gateway gets 403 from cart" \(apps\/orders\/orders\.ts:50\)$/);
    assert.is(r(REFUSAL_PROMISE.id).status, 'held');
    const v = await prove(work, [REFUSAL_PROMISE]);
    assert.is(v.status, 'held', v.detail);
    assert.is(v.detail, '20× 403 RBAC: access denied at orders/cart-v1');
    // The PR summary says why a ✅ came from 403s, not only the check mark.
    const md = formatMarkdown({ ...report, results: report.results.map((x) => (x.expectation.id === GATEWAY_ROUTE ? { ...x, traffic: v } : x)) });
    assert.match(md, /Held, but answered 403 by the destination's sidecar, not by its app:[\s\S]*\| ✅ \| GET shop\.example\.com\/cart through gateway orders\/shop-gateway:443: every request reaches cart v1 \| `apps\/orders\/orders\.ts:42` \| the route reaches cart v1 \(orders\/cart-v1\), whose sidecar refuses .* as promised by "the ingress gateway gets 403 from cart"/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN allow-cart admitting the gateway only on /cart/* WHEN the /cart route is judged THEN it holds (the route\'s other requests are served) and says the probe GET /cart itself is refused', async () => {
  const work = copyFixture();
  try {
    allowCart((rule) => {
      rule.from[0].source.principals.push(GATEWAY_PRINCIPAL);
      rule.to[0].operation.paths = ['/cart/*'];
    })(work);
    const report = await verifyProject({ root: work, apps: ['orders'], skipChecks: true });
    const s = report.results.find((x) => x.expectation.id === GATEWAY_ROUTE)!.static;
    assert.is(s.status, 'held', s.detail);
    assert.match(s.detail, /orders\/cart-v1's sidecar answers GET \/cart from cluster\.local\/ns\/istio-ingress\/sa\/istio-ingressgateway 403 \(AuthorizationPolicy orders\/allow-cart \([^)]*\) admits this caller only on paths \/cart\/\*; methods GET\)/);
    const v = await prove(work);
    assert.is(v.status, 'held', v.detail);
    assert.is(v.detail, '20× 403 RBAC: access denied at orders/cart-v1');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN allow-cart admitting the gateway only on /api/* WHEN the /cart route (prefix /cart) is judged THEN broken: no path this route takes is admitted', async () => {
  const work = copyFixture();
  try {
    allowCart((rule) => {
      rule.from[0].source.principals.push(GATEWAY_PRINCIPAL);
      rule.to[0].operation.paths = ['/api/*'];
    })(work);
    const report = await verifyProject({ root: work, apps: ['orders'], skipChecks: true });
    const s = report.results.find((x) => x.expectation.id === GATEWAY_ROUTE)!.static;
    assert.is(s.status, 'broken', s.detail);
    assert.match(s.detail, /its sidecar \(orders\/cart-v1, port 8080\) refuses every request this route sends it \(paths under \/cart\) from gateway istio-ingress\/istio-ingressgateway .*orders\/allow-cart \([^)]*\) admits it only on paths \/api\/\*; methods GET; fix: add an ALLOW rule for cluster\.local\/ns\/istio-ingress\/sa\/istio-ingressgateway on port 8080 and the paths this route takes to orders\/allow-cart, or route elsewhere$/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN allow-cart also admitting the gateway\'s service account WHEN the route is judged THEN it holds, and real requests reach cart v1\'s app', async () => {
  const work = copyFixture();
  try {
    allowCart((rule) => { rule.from[0].source.principals.push(GATEWAY_PRINCIPAL); })(work);
    const report = await verifyProject({ root: work, apps: ['orders'], skipChecks: true });
    const s = report.results.find((x) => x.expectation.id === GATEWAY_ROUTE)!.static;
    assert.is(s.status, 'held', s.detail);
    assert.match(s.detail, /^selects route "cart" at dist\/orders\.k8s\.yaml:\d+ \(VirtualService orders\/shop-gateway spec\.http\[0\]; apps\/orders\/orders\.ts:33\)$/);
    const v = await prove(work);
    assert.is(v.status, 'held', v.detail);
    assert.is(v.detail, '20× 200 orders/cart-v1');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
