import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshService } from '../../src/constructs/mesh-service.js';
import { collectExpectations } from '../../src/verify/expectations/collect.js';
import { expect } from '../../src/verify/expectations/expect.js';

function twoCharts() {
  const app = new App();
  const shop = new Chart(app, 'shop', { namespace: 'shop' });
  const cart = new MeshService(shop, 'cart', { name: 'cart', ports: [{ port: 8080, protocol: 'http' }], versions: ['v1', 'v2'].map((name) => ({ name, image: `cart:${name}` })) });
  const other = new Chart(app, 'other', { namespace: 'other' });
  return { app, shop, other, cart };
}

test('GIVEN expect() calls in two charts, one from a nested construct WHEN collected THEN each promise is filed under its own chart (the app `verify --app` selects)', () => {
  const { app, shop, other, cart } = twoCharts();
  expect(new Construct(shop, 'nested')).request({ host: cart, headers: { 'end-user': 'bob' } }).reaches({ service: cart, version: 'v2' });
  expect(other).request({ host: 'shop.example.com', path: '/admin', gateway: 'shop/public', port: 443 }).answers(404);
  const ex = collectExpectations(app).filter((e) => e.id.includes('#expect.'));
  assert.equal(ex.map((e) => e.source.constructPath), ['shop/expect', 'other/expect']);
  assert.equal(ex.map((e) => e.source.constructPath.split('/')[0]), ['shop', 'other']);
  // The promise names the headers and the gateway, so two requests differing only there read differently.
  assert.is(ex[0]!.promise, 'GET cart.shop.svc.cluster.local/ with end-user: bob: every request reaches cart v2');
  assert.is(ex[1]!.promise, 'GET shop.example.com/admin through gateway shop/public:443: answered 404');
});

test('GIVEN expect() on a scope in no chart WHEN called THEN it refuses, saying the promise would belong to no app', () => {
  const { app, cart } = twoCharts();
  assert.throws(() => expect(app).request({ host: cart }).reaches({ service: cart }), /in no cdk8s Chart, so its promises would belong to no app; call expect\(this\) inside the chart/);
});

test.run();
