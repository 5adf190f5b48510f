import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requestMatches, routeMatches } from '../../src/verify/static/match.js';
import { evaluateAuthorization } from '../../src/verify/static/authz.js';
import { isDryRun } from '../../src/mesh/policy.js';
import { graphOf } from '../mesh/_graph.js';

const req = (path: string, headers: Record<string, string> = {}, method = 'GET') => ({ authority: 'reviews', path, method, headers });

test('GIVEN Istio matches WHEN requests are matched THEN uri, headers, withoutHeaders, query and method behave as Envoy routes them', () => {
  const table: [Record<string, unknown>, ReturnType<typeof req>, boolean][] = [
    [{ uri: { exact: '/a' } }, req('/a?x=1'), true],
    [{ uri: { exact: '/a' } }, req('/ab'), false],
    [{ uri: { prefix: '/api' } }, req('/api/v1'), true],
    [{ uri: { regex: '/v[0-9]+' } }, req('/v12'), true],
    [{ uri: { regex: '/v[0-9]+' } }, req('/v12/x'), false],
    [{ uri: { prefix: '/API' }, ignoreUriCase: true }, req('/api/x'), true],
    [{ headers: { 'end-user': { exact: 'jason' } } }, req('/', { 'end-user': 'jason' }), true],
    [{ headers: { 'end-user': { exact: 'jason' } } }, req('/'), false],
    [{ withoutHeaders: { 'x-test': { exact: '1' } } }, req('/'), true],
    [{ withoutHeaders: { 'x-test': { exact: '1' } } }, req('/', { 'x-test': '1' }), false],
    [{ queryParams: { v: { exact: '2' } } }, req('/p?v=2'), true],
    [{ method: { exact: 'POST' } }, req('/'), false],
    // An empty StringMatch is a presence match (istiod present_match); on uri it is the default prefix "/".
    [{ headers: { 'x-canary': {} } }, req('/', { 'x-canary': 'anything' }), true],
    [{ headers: { 'x-canary': {} } }, req('/'), false],
    [{ withoutHeaders: { 'x-legacy': {} } }, req('/', { 'x-legacy': '' }), false],
    [{ withoutHeaders: { 'x-legacy': {} } }, req('/'), true],
    [{ queryParams: { preview: {} } }, req('/p?preview'), true],
    [{ uri: {} }, req('/anything'), true],
  ];
  for (const [m, r, want] of table) assert.is(requestMatches(m as never, r), want, JSON.stringify([m, r]));
  assert.ok(routeMatches([], req('/anything')));
});

const ap = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: 'shop' }, spec });

test('GIVEN default deny plus an ALLOW for one principal WHEN callers are evaluated THEN only that principal, method and path are admitted', () => {
  const g = graphOf([
    ap('allow-nothing', {}),
    ap('allow-web', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }], to: [{ operation: { methods: ['GET'], paths: ['/cart/*'], ports: ['8080'] } }] }] }),
  ]);
  const policies = g.ofKind('AuthorizationPolicy');
  const base = { principal: 'cluster.local/ns/shop/sa/web', trustDomains: ['cluster.local'], port: 8080, method: 'GET', path: '/cart/items' };
  assert.is(evaluateAuthorization(policies, base).decision, 'allow');
  assert.is(evaluateAuthorization(policies, { ...base, principal: 'cluster.local/ns/shop/sa/other' }).decision, 'deny');
  assert.is(evaluateAuthorization(policies, { ...base, method: 'POST' }).decision, 'deny');
  assert.is(evaluateAuthorization(policies, { ...base, path: '/admin' }).decision, 'deny');
  assert.is(evaluateAuthorization(policies, { ...base, port: 9090 }).decision, 'deny');
  assert.is(evaluateAuthorization([], base).decision, 'allow');
});

test('GIVEN a DENY policy or a when condition WHEN evaluated THEN DENY wins and conditions make it undecidable, not a guess', () => {
  const g = graphOf([
    ap('deny-admin', { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] }),
    ap('allow-all-tenant', { rules: [{ when: [{ key: 'request.headers[x-tenant]', values: ['a'] }] }] }),
  ]);
  const policies = g.ofKind('AuthorizationPolicy');
  const base = { principal: 'cluster.local/ns/shop/sa/web', trustDomains: ['cluster.local'], port: 8080, method: 'GET', path: '/admin/x' };
  assert.is(evaluateAuthorization(policies, base).decision, 'deny');
  assert.is(evaluateAuthorization(policies, { ...base, path: '/' }).decision, 'undecidable');
});

test('GIVEN a DENY policy in dry-run (istio.io/dry-run as Go\'s ParseBool reads it) WHEN evaluated THEN it is not enforced (Envoy shadow rules) AND an annotation ParseBool reads as false or cannot read still enforces it', () => {
  const deny = (name: string, dryRun: string) => ({ ...ap(name, { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['shop'] } }] }] }), metadata: { name, namespace: 'shop', annotations: { 'istio.io/dry-run': dryRun } } });
  const base = { principal: 'cluster.local/ns/shop/sa/web', trustDomains: ['cluster.local'], port: 8080, method: 'GET', path: '/' };
  for (const v of ['true', 'True', 'TRUE', '1', 't']) {
    const g = graphOf([deny('shadow', v)]);
    assert.is(evaluateAuthorization(g.ofKind('AuthorizationPolicy'), base).decision, 'allow', v);
    assert.ok(isDryRun(g.ofKind('AuthorizationPolicy')[0]!), v);
  }
  for (const v of ['false', '0', 'yes', '']) {
    const g = graphOf([deny('enforced', v)]);
    assert.is(evaluateAuthorization(g.ofKind('AuthorizationPolicy'), base).decision, 'deny', v);
  }
});

test('GIVEN a mesh whose trust domain is corp.example with alias old.example AND an ALLOW policy naming old.example and cluster.local principals WHEN callers of corp.example are evaluated THEN both admit them (istiod writes each principal for every trust domain of the bundle) AND a foreign trust domain is still refused', () => {
  const g = graphOf([
    ap('allow-old', { rules: [{ from: [{ source: { principals: ['old.example/ns/shop/sa/web'] } }] }] }),
    ap('allow-local', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/cart'] } }] }] }),
  ]);
  const policies = g.ofKind('AuthorizationPolicy');
  const req = (principal: string) => ({ principal, trustDomains: ['corp.example', 'old.example'], port: 8080, method: 'GET', path: '/' });
  assert.is(evaluateAuthorization(policies, req('corp.example/ns/shop/sa/web')).decision, 'allow');
  assert.is(evaluateAuthorization(policies, req('corp.example/ns/shop/sa/cart')).decision, 'allow');
  assert.is(evaluateAuthorization(policies, req('other.example/ns/shop/sa/web')).decision, 'deny');
  assert.is(evaluateAuthorization(policies, { ...req('corp.example/ns/shop/sa/web'), trustDomains: ['corp.example'] }).decision, 'deny', 'without the alias, old.example is a foreign trust domain');
});

test.run();
