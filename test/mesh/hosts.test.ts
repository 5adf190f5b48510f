import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostMatches, hostsIntersect, isExportedTo, parseGatewayHost, resolveHost } from '../../src/mesh/hosts.js';

test('GIVEN hosts as written WHEN resolved from namespace prod THEN Istio short-name rules apply and letter case is kept (ResolveShortnameToFQDN)', () => {
  const table: [string, string, string][] = [
    ['reviews', 'reviews.prod.svc.cluster.local', 'short'],
    ['reviews.default', 'reviews.default', 'partial'],
    ['reviews.default.svc', 'reviews.default.svc', 'partial'],
    ['reviews.default.svc.cluster.local', 'reviews.default.svc.cluster.local', 'fqdn'],
    ['API.Example.com', 'API.Example.com', 'fqdn'],
    ['Reviews', 'Reviews.prod.svc.cluster.local', 'short'],
    ['*.example.com', '*.example.com', 'wildcard'],
    ['*', '*', 'wildcard'],
  ];
  for (const [host, fqdn, form] of table) {
    const r = resolveHost(host, 'prod');
    assert.equal([r.fqdn, r.form], [fqdn, form], host);
  }
  assert.is(resolveHost('reviews.default', 'prod').likely, 'reviews.default.svc.cluster.local');
});

test('GIVEN name.svc.<domain> (namespace left out) WHEN resolved THEN kept as written, likely names the resource namespace', () => {
  const r = resolveHost('recommend.svc.cluster.local', 'shop');
  assert.equal([r.fqdn, r.form, r.likely], ['recommend.svc.cluster.local', 'fqdn', 'recommend.shop.svc.cluster.local']);
  assert.is(resolveHost('recommend.svc.corp.internal', 'shop', 'corp.internal').likely, 'recommend.shop.svc.corp.internal');
  assert.is(resolveHost('recommend.svc.cluster.local', 'shop', 'corp.internal').likely, undefined);
  assert.is(resolveHost('api.example.com', 'shop').likely, undefined);
});

test('GIVEN wildcard patterns WHEN matched THEN suffix semantics as in Istio', () => {
  const table: [string, string, boolean][] = [
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*', 'anything.local', true],
    ['*.example.com', '*.a.example.com', true],
    ['*.a.example.com', '*.example.com', false],
    ['a.example.com', 'a.example.com', true],
    ['a.example.com', 'b.example.com', false],
  ];
  for (const [pattern, host, expected] of table) assert.is(hostMatches(pattern, host), expected, `${pattern} ~ ${host}`);
  assert.ok(hostsIntersect('*.a.example.com', '*.example.com'));
});

test('GIVEN exportTo values WHEN checked from another namespace THEN visibility follows Istio', () => {
  assert.ok(isExportedTo(undefined, 'a', 'b'));
  assert.ok(isExportedTo(['*'], 'a', 'b'));
  assert.ok(!isExportedTo(['.'], 'a', 'b'));
  assert.ok(isExportedTo(['.'], 'a', 'a'));
  assert.ok(isExportedTo(['b', 'c'], 'a', 'b'));
  assert.ok(!isExportedTo(['~'], 'a', 'a'));
});

test('GIVEN gateway server hosts WHEN parsed THEN the namespace part is understood', () => {
  assert.equal(parseGatewayHost('*.bookinfo.com', 'istio-system'), { namespace: '*', host: '*.bookinfo.com' });
  assert.equal(parseGatewayHost('./a.com', 'istio-system'), { namespace: 'istio-system', host: 'a.com' });
  assert.equal(parseGatewayHost('prod/a.com', 'istio-system'), { namespace: 'prod', host: 'a.com' });
});

test.run();
