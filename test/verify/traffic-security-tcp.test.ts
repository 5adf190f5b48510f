/**
 * STRICT mTLS and authorization on a TCP port, proven with real sockets. The inbound chain of a TCP
 * port is network RBAC and a `tcp_proxy`: a refusal is the connection closed after the mTLS
 * handshake with no bytes back, never a 403, and an admitted connection reaches the echo backend
 * through the `tcp_proxy`. An ALLOW rule naming HTTP-only fields (paths, methods, hosts) is dropped
 * there, as istiod drops it, so it admits nobody.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { strangerPrincipal } from '../../src/verify/expectations/from-policies.js';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { createRuntime } from '../../src/verify/runtime/index.js';
import { graphOf } from '../mesh/_graph.js';
import { ns } from '../mesh/view-fixtures.js';
import { PROOF_OPTIONS } from './_proof.js';

const APP = 'cluster.local/ns/db/sa/app';
/** The caller a namespace's default-deny promise names (`from-policies.ts`): from a namespace of its own. */
const STRANGER = strangerPrincipal('cluster.local');

const db = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'db', namespace: 'db' }, spec: { selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db:1', ports: [{ containerPort: 5432 }] }] } } } };
/** Service port named `tcp`: Istio treats it as TCP (`http` would make it HTTP). */
const service = (portName: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'db' }, spec: { selector: { app: 'db' }, ports: [{ name: portName, port: 5432, targetPort: 5432 }] } });
const peerAuthentication = (mode: string) => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'db' }, spec: { mtls: { mode } } });
const allowNothing = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-nothing', namespace: 'db' }, spec: {} };
const allow = (name: string, rule: Record<string, unknown>) => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: 'db' }, spec: { selector: { matchLabels: { app: 'db' } }, action: 'ALLOW', rules: [rule] } });
const allowApp = allow('allow-app', { from: [{ source: { principals: [APP] } }], to: [{ operation: { ports: ['5432'] } }] });

const source = { constructPath: 'db', file: 'apps/db.ts', line: 1 };
const MTLS: Expectation = { id: 'db#mtls-strict', promise: 'plaintext refused', source, outcome: { kind: 'mtls-strict', namespace: 'db' } };
const DEFAULT_DENY: Expectation = { id: 'db#default-deny', promise: 'a stranger is refused', source, outcome: { kind: 'authorization', namespace: 'db', selector: null, principal: STRANGER, allowed: false } };
const ALLOW_APP: Expectation = { id: 'db#allow-app', promise: 'app is admitted on 5432', source, outcome: { kind: 'authorization', namespace: 'db', selector: { app: 'db' }, principal: APP, port: 5432, allowed: true } };

async function prove(bodies: Record<string, unknown>[], expectations: Expectation[]) {
  return (await createRuntime().run(graphOf(bodies), expectations, () => {}, PROOF_OPTIONS)).verdicts;
}

test('GIVEN a TCP Service port in a STRICT, default-deny namespace with an ALLOW policy for app WHEN its security promises are sent THEN all hold: plaintext gets nothing, the stranger is closed after the mTLS handshake with no bytes, app reaches the echo backend through the tcp_proxy', async () => {
  const verdicts = await prove([ns('db'), db, service('tcp'), peerAuthentication('STRICT'), allowNothing, allowApp], [MTLS, DEFAULT_DENY, ALLOW_APP]);
  for (const e of [MTLS, DEFAULT_DENY, ALLOW_APP]) assert.is(verdicts.get(e.id)?.status, 'held', `${e.id}: ${verdicts.get(e.id)?.detail}`);
  assert.match(verdicts.get(MTLS.id)!.detail, /db\/db port 5432: plaintext E[A-Z]+, mTLS handshake done, then closed with no bytes by network RBAC on TCP port 5432/);
  assert.match(verdicts.get(DEFAULT_DENY.id)!.detail, new RegExp(`as ${STRANGER}: db/db:5432 \\(TCP\\): mTLS handshake done, then closed with no bytes \\((ECONNRESET|EPIPE)\\)`));
  assert.match(verdicts.get(ALLOW_APP.id)!.detail, `as ${APP}: db/db:5432 (TCP): 200 from db/db`);
});

test('GIVEN the TCP port with the stranger allowed too and app allowed only on a path WHEN the promises are sent THEN default-deny breaks (the stranger got the echo answer) and app\'s promise breaks (the path rule is dropped on TCP: closed after the handshake)', async () => {
  const allowStranger = allow('allow-stranger', { from: [{ source: { principals: [STRANGER] } }] });
  const appOnPath = allow('allow-app', { from: [{ source: { principals: [APP] } }], to: [{ operation: { paths: ['/db'] } }] });
  const verdicts = await prove([ns('db'), db, service('tcp'), peerAuthentication('STRICT'), allowNothing, allowStranger, appOnPath], [DEFAULT_DENY, ALLOW_APP]);
  const deny = verdicts.get(DEFAULT_DENY.id)!;
  assert.is(deny.status, 'broken', deny.detail);
  assert.match(deny.detail, `as ${STRANGER}: 200 from db/db; promised the connection closed by network RBAC after the mTLS handshake (TCP port: no 403)`);
  const admitted = verdicts.get(ALLOW_APP.id)!;
  assert.is(admitted.status, 'broken', admitted.detail);
  assert.match(admitted.detail, new RegExp(`db/db:5432 \\(TCP\\) as ${APP}: mTLS handshake done, then closed with no bytes \\((ECONNRESET|EPIPE)\\); promised to be let through`));
});

test('GIVEN the namespace default-deny with an ALLOW policy admitting its own namespace\'s callers WHEN default-deny is sent THEN it holds: the stranger comes from outside the namespace, so a same-namespace rule does not admit it; a namespace caller is admitted', async () => {
  const allowOwnNamespace = allow('allow-own-namespace', { from: [{ source: { namespaces: ['db'] } }] });
  const NEIGHBOUR: Expectation = { id: 'db#neighbour', promise: 'a db caller is admitted', source, outcome: { kind: 'authorization', namespace: 'db', selector: { app: 'db' }, principal: 'cluster.local/ns/db/sa/neighbour', port: 5432, allowed: true } };
  const verdicts = await prove([ns('db'), db, service('tcp'), peerAuthentication('STRICT'), allowNothing, allowOwnNamespace], [DEFAULT_DENY, NEIGHBOUR]);
  for (const e of [DEFAULT_DENY, NEIGHBOUR]) assert.is(verdicts.get(e.id)?.status, 'held', `${e.id}: ${verdicts.get(e.id)?.detail}`);
  assert.not.match(STRANGER, '/ns/db/', 'the stranger is not a caller of the protected namespace');
});

test('GIVEN the TCP port under PERMISSIVE mTLS and a policy admitting every connection WHEN mtls-strict is sent THEN it breaks: plaintext bytes came back through the tcp_proxy', async () => {
  const verdicts = await prove([ns('db'), db, service('tcp'), peerAuthentication('PERMISSIVE'), allow('allow-all', {})], [MTLS]);
  const v = verdicts.get(MTLS.id)!;
  assert.is(v.status, 'broken', v.detail);
  assert.match(v.detail, 'db/db port 5432 answered plaintext with 200 from db/db through the tcp_proxy of TCP port 5432: plaintext gets through');
});

test.run();
