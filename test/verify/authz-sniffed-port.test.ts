/**
 * Authorization on a port no protocol is declared for (Istio sniffs it): istiod gives it an HTTP
 * chain (HTTP RBAC) and a TCP chain (network RBAC), told apart by http_inspector or the caller's
 * ALPN. An HTTP caller — what an authorization promise describes — meets the HTTP chain, so an
 * ALLOW rule on paths admits it where the path matches; raw TCP meets the TCP chain, where that rule
 * is dropped. The static judge, the xDS translator and the traffic proof agree on it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FilterChain } from '../../src/xds/gen/envoy/config/listener/v3/listener_components_pb.js';
import { buildProxyView, proxyOf } from '../../src/mesh/view/index.js';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { createRuntime } from '../../src/verify/runtime/index.js';
import { judgeAuthorization } from '../../src/verify/static/policies.js';
import { translateProxy, VIRTUAL_INBOUND } from '../../src/xds/translate/index.js';
import { graphOf } from '../mesh/_graph.js';
import { ns } from '../mesh/view-fixtures.js';
import { PROOF_OPTIONS } from './_proof.js';

const WEB = 'cluster.local/ns/web/sa/frontend';
const shop = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shop', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'shop' } }, template: { metadata: { labels: { app: 'shop' } }, spec: { containers: [{ name: 'shop', image: 'shop:1', ports: [{ containerPort: 7070 }] }] } } } };
/** Port name "web": no protocol prefix, no appProtocol, so Istio sniffs it. */
const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'shop', namespace: 'shop' }, spec: { selector: { app: 'shop' }, ports: [{ name: 'web', port: 7070 }] } };
const publicOnly = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'public-only', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'shop' } }, rules: [{ from: [{ source: { principals: [WEB] } }], to: [{ operation: { paths: ['/public/*'] } }] }] } };
const promise = (id: string, path: string, allowed: boolean): Expectation => ({
  id, promise: `${WEB} ${allowed ? 'is admitted' : 'is refused'} on GET ${path}`, source: { constructPath: id, file: 'apps/shop.ts', line: 1 },
  outcome: { kind: 'authorization', namespace: 'shop', selector: { app: 'shop' }, principal: WEB, port: 7070, method: 'GET', path, allowed },
});
const graph = () => graphOf([ns('shop'), ns('web'), shop, service, publicOnly]);
const translated = (c: FilterChain) => (c.metadata!.filterMetadata.meshproof as unknown as { rbac: Record<string, { translated: boolean }> }).rbac['ns[shop]-policy[public-only]-rule[0]']!.translated;

test('GIVEN an ALLOW rule on paths for a sniffed port WHEN judged statically THEN GET /public/x is admitted and GET /admin refused (403), as the port\'s HTTP chain decides; the translator keeps the rule on that HTTP chain and drops it on the TCP chain', () => {
  const g = graph();
  const open = promise('shop#public', '/public/x', true);
  const admitted = judgeAuthorization(g, open, open.outcome as Extract<Expectation['outcome'], { kind: 'authorization' }>);
  assert.is(admitted.status, 'held', admitted.detail);
  const closed = promise('shop#admin', '/admin', true);
  const refused = judgeAuthorization(g, closed, closed.outcome as Extract<Expectation['outcome'], { kind: 'authorization' }>);
  assert.is(refused.status, 'broken', refused.detail);
  assert.match(refused.detail, `refuses (403) ${WEB}`);
  const inbound = translateProxy(buildProxyView(g, proxyOf(g, g.workloads.all[0]!)), []).listeners.find((l) => l.name === VIRTUAL_INBOUND)!;
  const chains = inbound.filterChains.filter((c) => c.filterChainMatch?.destinationPort === 7070);
  assert.equal(chains.map((c) => [c.name, translated(c)]), [
    ['inbound_0.0.0.0_7070_mtls_http', true], ['inbound_0.0.0.0_7070_plaintext_http', true],
    ['inbound_0.0.0.0_7070_mtls', false], ['inbound_0.0.0.0_7070_plaintext', false], ['inbound_0.0.0.0_7070_tls', false],
  ], 'HTTP chains carry the rule, TCP chains drop it (ALLOW with an HTTP-only field)');
});

test('GIVEN the same sniffed port WHEN the promises are proven with traffic THEN the mTLS caller (a sidecar\'s HTTP ALPN) meets the HTTP chain: 200 on /public/x, 403 RBAC: access denied on /admin, as the static judge says', async () => {
  const { verdicts } = await createRuntime().run(graph(), [promise('shop#public', '/public/x', true), promise('shop#admin', '/admin', false)], () => {}, PROOF_OPTIONS);
  const open = verdicts.get('shop#public')!;
  assert.is(open.status, 'held', open.detail);
  assert.match(open.detail, 'shop/shop:7070 GET /public/x: 200 from shop/shop');
  const closed = verdicts.get('shop#admin')!;
  assert.is(closed.status, 'held', closed.detail);
  assert.match(closed.detail, 'shop/shop:7070 GET /admin: 403');
});

test.run();
