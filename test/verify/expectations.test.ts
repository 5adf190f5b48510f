import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Chart } from 'cdk8s';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { enableSourceTracking } from '../../src/app/source-tracking.js';
import { CanaryRelease } from '../../src/constructs/canary-release.js';
import { HeaderSplit } from '../../src/constructs/header-split.js';
import { MeshService } from '../../src/constructs/mesh-service.js';
import { StringMatch } from '../../src/constructs/string-match.js';
import { Duration } from '../../src/constructs/duration.js';
import { RouteTable } from '../../src/constructs/route-table.js';
import { collectExpectations } from '../../src/verify/expectations/collect.js';
import { expect } from '../../src/verify/expectations/expect.js';
import { Bookinfo } from '../../apps/bookinfo.js';
import { Customers } from '../../apps/customers.js';
import { Httpbin } from '../../apps/httpbin.js';
import { Platform } from '../../apps/platform.js';
import { ROOT } from './_dist.js';

enableSourceTracking();
const THIS = 'test/verify/expectations.test.ts';
/** The 1-based line of this file that contains `marker` (so the assertions survive edits above them). */
const lineOf = (marker: string) => fs.readFileSync(path.join(ROOT, THIS), 'utf8').split('\n').findIndex((l) => l.includes(marker) && !l.includes('lineOf(')) + 1;

function shop() {
  const app = new App();
  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  const cart = new MeshService(chart, 'cart', { name: 'cart', ports: [{ port: 8080, protocol: 'http' }], versions: ['v1', 'v2', 'v3'].map((name) => ({ name, image: `cart:${name}` })) });
  return { app, chart, cart };
}

test('GIVEN a CanaryRelease 90/10 with a header pin and a mirror WHEN collected THEN it promises the split, the pin and the mirror, at its own line', () => {
  const { app, chart, cart } = shop();
  new CanaryRelease(chart, 'canary', { service: cart, stable: 'v1', canary: 'v2', canaryWeight: 10, pinCanary: { header: 'x-canary', value: 'always' }, mirror: { subset: 'v3' } });
  const ex = collectExpectations(app, ROOT).filter((e) => e.source.constructPath === 'shop/canary');
  assert.equal(ex.map((e) => e.id), ['shop/canary#canary-pinned.reaches', 'shop/canary#canary-split.split', 'shop/canary#canary-split.mirror']);
  assert.equal(ex[0]!.request!.headers, { 'x-canary': 'always' });
  assert.equal(ex[0]!.outcome, { kind: 'reaches', destination: { host: 'cart.shop.svc.cluster.local', subset: 'v2', labels: { version: 'v2' } } });
  assert.equal(ex[1]!.request!.headers, {});
  assert.equal(ex[1]!.outcome, { kind: 'split', shares: [
    { destination: { host: 'cart.shop.svc.cluster.local', subset: 'v1', labels: { version: 'v1' } }, percent: 90 },
    { destination: { host: 'cart.shop.svc.cluster.local', subset: 'v2', labels: { version: 'v2' } }, percent: 10 },
  ] });
  assert.equal(ex[2]!.outcome, { kind: 'mirror', destination: { host: 'cart.shop.svc.cluster.local', subset: 'v3', labels: { version: 'v3' } }, percent: 100 });
  assert.equal([ex[0]!.source.file, ex[0]!.source.line], [THIS, lineOf("new CanaryRelease(chart, 'canary'")]);
});

test('GIVEN a HeaderSplit and route policies WHEN collected THEN each rule, the default, the fault abort, retries and timeout are promised', () => {
  const { app, chart, cart } = shop();
  const table = new RouteTable(chart, 'routes', { hosts: [cart] });
  new HeaderSplit(chart, 'split', { service: cart, routeTable: table, rules: [{ match: { headers: { 'x-beta': StringMatch.exact('1') } }, subset: 'v2' }] });
  table.addRoute({ name: 'chaos', match: [{ uri: StringMatch.prefix('/chaos') }], route: [{ destination: cart, subset: 'v1' }], fault: { abort: { httpStatus: 503, percentage: 30 } } });
  table.addRoute({ name: 'main', route: [{ destination: cart, subset: 'v1' }], timeout: Duration.seconds(2), retries: { attempts: 3, retryOn: ['5xx'] } });
  const ex = collectExpectations(app, ROOT).filter((e) => e.source.constructPath !== 'shop/cart');
  assert.equal(ex.map((e) => `${e.id} ${e.outcome.kind}`), [
    'shop/split#split-v2.reaches reaches',
    'shop/routes#chaos.reaches reaches', 'shop/routes#chaos.abort abort',
    'shop/routes#main.reaches reaches', 'shop/routes#main.retries retries', 'shop/routes#main.timeout timeout',
  ]);
  assert.equal(ex[2]!.outcome, { kind: 'abort', status: 503, percent: 30 });
  assert.equal(ex[2]!.request!.path, '/chaos');
  // The 30 % the fault aborts never reach a backend: the destination is promised for the rest.
  assert.equal(ex[1]!.outcome, { kind: 'reaches', destination: { host: 'cart.shop.svc.cluster.local', subset: 'v1', labels: { version: 'v1' } }, aborted: { status: 503, percent: 30 } });
  assert.is(ex[1]!.promise, 'GET cart.shop.svc.cluster.local/chaos: every request not aborted reaches cart v1');
  assert.not.ok('aborted' in ex[3]!.outcome, 'a route without a fault promises every request');
  assert.equal(ex[4]!.outcome, { kind: 'retries', attempts: 3, retryOn: ['5xx'] });
  assert.is(ex[5]!.source.line, lineOf("table.addRoute({ name: 'main'"), 'the addRoute line, not the RouteTable line');
});

test('GIVEN routes with a fault and their own retries and timeout WHEN collected THEN the retry and timeout promises speak of the requests the fault does not abort, and the timeout of a delayed one after its delay', () => {
  const { app, chart, cart } = shop();
  const table = new RouteTable(chart, 'routes', { hosts: [cart] });
  table.addRoute({ name: 'abort', match: [{ uri: StringMatch.prefix('/a') }], route: [{ destination: cart, subset: 'v1' }], fault: { abort: { httpStatus: 503, percentage: 50 } }, timeout: Duration.seconds(2), retries: { attempts: 2, retryOn: ['5xx'] } });
  table.addRoute({ name: 'delay', route: [{ destination: cart, subset: 'v1' }], fault: { delay: { fixedDelay: Duration.millis(500), percentage: 20 } }, timeout: Duration.seconds(1) });
  const ex = collectExpectations(app, ROOT).filter((e) => e.source.constructPath === 'shop/routes');
  const of = (id: string) => ex.find((e) => e.id === `shop/routes#${id}`)!;
  assert.equal(of('abort.retries').outcome, { kind: 'retries', attempts: 2, retryOn: ['5xx'], aborted: { status: 503, percent: 50 } });
  assert.is(of('abort.retries').promise, 'GET cart.shop.svc.cluster.local/a: retried up to 2 times on 5xx, except the 50 % the fault aborts');
  assert.equal(of('abort.timeout').outcome, { kind: 'timeout', timeoutMs: 2000, routeRetries: true, aborted: { status: 503, percent: 50 } });
  assert.equal(of('delay.timeout').outcome, { kind: 'timeout', timeoutMs: 1000, delayed: { delayMs: 500, percent: 20 } });
  assert.is(of('delay.timeout').promise, "GET cart.shop.svc.cluster.local/: ends 504 (UT) after 1000 ms when the backend is slower (20 % only after the fault's 500 ms delay)");
});

test('GIVEN routes whose per-try timeouts end a slow request before the route timeout WHEN collected THEN the timeout promise says when it ends and why: one try when retryOn retries no timed-out try, else every try; no per-try part when the route timeout comes first', () => {
  const { app, chart, cart } = shop();
  const table = new RouteTable(chart, 'routes', { hosts: [cart] });
  // The README's CanaryRelease: no retryOn (Istio's default retries no per-try timeout).
  table.addRoute({ name: 'one', match: [{ uri: StringMatch.prefix('/one') }], route: [{ destination: cart, subset: 'v1' }], timeout: Duration.seconds(3), retries: { attempts: 2, perTryTimeout: Duration.millis(900) } });
  table.addRoute({ name: 'all', match: [{ uri: StringMatch.prefix('/all') }], route: [{ destination: cart, subset: 'v1' }], timeout: Duration.seconds(3), retries: { attempts: 1, perTryTimeout: Duration.seconds(1), retryOn: ['gateway-error'] } });
  table.addRoute({ name: 'route', route: [{ destination: cart, subset: 'v1' }], timeout: Duration.seconds(3), retries: { attempts: 2, perTryTimeout: Duration.seconds(1), retryOn: ['5xx'] } });
  const ex = collectExpectations(app, ROOT).filter((e) => e.source.constructPath === 'shop/routes');
  const of = (id: string) => ex.find((e) => e.id === `shop/routes#${id}`)!;
  assert.equal(of('one.timeout').outcome, { kind: 'timeout', timeoutMs: 3000, perTry: { perTryTimeoutMs: 900, tries: 1 }, routeRetries: true });
  assert.is(of('one.timeout').promise, "GET cart.shop.svc.cluster.local/one: ends 504 (UT) after 900 ms when the backend is slower: its 900 ms per-try timeout ends it before the 3000 ms route timeout (retryOn Istio's default retries no timed-out try)");
  assert.equal(of('all.timeout').outcome, { kind: 'timeout', timeoutMs: 3000, perTry: { perTryTimeoutMs: 1000, tries: 2, backoffMaxMs: 25 }, routeRetries: true });
  assert.is(of('all.timeout').promise, 'GET cart.shop.svc.cluster.local/all: ends 504 (UT) after 2000 ms when the backend is slower: 2 tries of 1000 ms end it before the 3000 ms route timeout');
  assert.equal(of('route.timeout').outcome, { kind: 'timeout', timeoutMs: 3000, routeRetries: true }, '3 tries of 1 s reach the 3 s route timeout');
  assert.is(of('route.timeout').promise, 'GET cart.shop.svc.cluster.local/: ends 504 (UT) after 3000 ms when the backend is slower');
});

test('GIVEN a route whose retries back off 1 s between 500 ms tries WHEN collected THEN the timeout promise is a window from the tries alone to the route timeout the back-off can reach', () => {
  const { app, chart, cart } = shop();
  new RouteTable(chart, 'routes', { hosts: [cart] }).addRoute({ name: 'slow', route: [{ destination: cart, subset: 'v1' }], timeout: Duration.millis(3900), retries: { attempts: 3, perTryTimeout: Duration.millis(500), retryOn: ['5xx'], backoff: Duration.seconds(1) } as never });
  const e = collectExpectations(app, ROOT).find((x) => x.id === 'shop/routes#slow.timeout')!;
  assert.equal(e.outcome, { kind: 'timeout', timeoutMs: 3900, perTry: { perTryTimeoutMs: 500, tries: 4, backoffMaxMs: 7000 }, routeRetries: true });
  assert.is(e.promise, 'GET cart.shop.svc.cluster.local/: ends 504 (UT) after 2000 to 3900 ms when the backend is slower: 4 tries of 500 ms and up to 7000 ms of back-off end it before the 3900 ms route timeout');
});

test('GIVEN routes with per-try timeouts but no route timeout WHEN collected THEN the timeout promise is the per-try ending alone (timeoutMs 0), tries per retryOn, back-off counted; a route with no timer promises no timeout', () => {
  const { app, chart, cart } = shop();
  const table = new RouteTable(chart, 'routes', { hosts: [cart] });
  table.addRoute({ name: 'five', match: [{ uri: StringMatch.prefix('/five') }], route: [{ destination: cart, subset: 'v1' }], retries: { attempts: 1, perTryTimeout: Duration.seconds(1), retryOn: ['5xx'] } });
  table.addRoute({ name: 'once', match: [{ uri: StringMatch.prefix('/once') }], route: [{ destination: cart, subset: 'v1' }], retries: { attempts: 2, perTryTimeout: Duration.millis(900) } });
  table.addRoute({ name: 'zero', match: [{ uri: StringMatch.prefix('/zero') }], route: [{ destination: cart, subset: 'v1' }], retries: { attempts: 3, perTryTimeout: Duration.millis(500), retryOn: ['reset'], backoff: Duration.seconds(1) } as never });
  table.addRoute({ name: 'plain', route: [{ destination: cart, subset: 'v1' }], retries: { attempts: 2, retryOn: ['5xx'] } });
  const ex = collectExpectations(app, ROOT).filter((e) => e.source.constructPath === 'shop/routes');
  const of = (id: string) => ex.find((e) => e.id === `shop/routes#${id}`);
  assert.equal(of('five.timeout')!.outcome, { kind: 'timeout', timeoutMs: 0, perTry: { perTryTimeoutMs: 1000, tries: 2, backoffMaxMs: 25 }, routeRetries: true });
  assert.is(of('five.timeout')!.promise, 'GET cart.shop.svc.cluster.local/five: ends 504 (UT) after 2000 ms when the backend is slower: 2 tries of 1000 ms end it (the route has no timeout)');
  assert.equal(of('once.timeout')!.outcome, { kind: 'timeout', timeoutMs: 0, perTry: { perTryTimeoutMs: 900, tries: 1 }, routeRetries: true });
  assert.is(of('once.timeout')!.promise, "GET cart.shop.svc.cluster.local/once: ends 504 (UT) after 900 ms when the backend is slower: its 900 ms per-try timeout ends it (the route has no timeout) (retryOn Istio's default retries no timed-out try)");
  assert.equal(of('zero.timeout')!.outcome, { kind: 'timeout', timeoutMs: 0, perTry: { perTryTimeoutMs: 500, tries: 4, backoffMaxMs: 7000 }, routeRetries: true });
  assert.is(of('zero.timeout')!.promise, 'GET cart.shop.svc.cluster.local/zero: ends 504 (UT) after 2000 to 9000 ms when the backend is slower: 4 tries of 500 ms and up to 7000 ms of back-off end it (the route has no timeout)');
  assert.is(of('plain.timeout'), undefined, 'retries without a per-try timeout end nothing');
});

test('GIVEN upper-case hosts in a route table and in expect() WHEN collected THEN requests name them in lower case (hosts compare case-insensitively: Envoy lower-cases domains, Host and SNI, and the model its hosts)', () => {
  const { app, chart, cart } = shop();
  new RouteTable(chart, 'routes', { hosts: ['Cart.Shop.svc.cluster.local'] }).addRoute({ route: [{ destination: cart, subset: 'v1' }] });
  expect(chart).request({ host: 'Shop.Example.com', path: '/x', gateway: 'shop/public' }).answers(404);
  const ex = collectExpectations(app, ROOT).filter((e) => e.source.constructPath.startsWith('shop'));
  assert.equal([...new Set(ex.map((e) => e.request!.host))].sort(), ['cart.shop.svc.cluster.local', 'shop.example.com']);
});

test('GIVEN expect() calls next to an app WHEN collected THEN they become expectations at the calling line', () => {
  const { app, chart, cart } = shop();
  new RouteTable(chart, 'routes', { hosts: [cart] }).addRoute({ route: [{ destination: cart, subset: 'v1' }] });
  expect(chart).request({ host: cart, headers: { 'X-User': 'a' } }).reaches({ service: cart, version: 'v1' });
  expect(chart).request({ host: cart }).reaches({ service: cart, version: 'v1', share: 40 });
  expect(chart).request({ host: 'shop.example.com', path: '/x', gateway: 'shop/public' }).answers(404);
  const ex = collectExpectations(app, ROOT).filter((e) => e.id.includes('#expect.'));
  assert.equal(ex.map((e) => e.outcome.kind), ['reaches', 'split', 'status']);
  assert.equal(ex[0]!.request!.headers, { 'x-user': 'a' });
  assert.equal(ex[2]!.request!.via, { kind: 'gateway', gateway: 'shop/public', port: 443 });
  assert.equal([ex[0]!.source.file, ex[0]!.source.line], [THIS, lineOf("headers: { 'X-User': 'a' }")]);
  assert.throws(() => expect(chart).request({ host: cart }).reaches({ service: cart, share: 0 }), /share must be a number above 0/);
  assert.throws(() => expect(chart).request({ host: cart }).answers(99), /status must be an HTTP status/);
});

test('GIVEN the apps WHEN their promises are collected THEN the committed .meshproof/expectations.json is current (run `npx cdk8s synth`)', () => {
  const app = new App();
  new Platform(app, 'platform');
  new Bookinfo(app, 'bookinfo');
  new Customers(app, 'customers');
  new Httpbin(app, 'httpbin');
  const fresh = `${JSON.stringify({ version: 1, expectations: collectExpectations(app, ROOT) }, null, 2)}\n`;
  const committed = fs.readFileSync(path.join(ROOT, '.meshproof/expectations.json'), 'utf8');
  assert.ok(fresh === committed, '.meshproof/expectations.json is stale: run `npx cdk8s synth` and commit it');
});

test.run();
