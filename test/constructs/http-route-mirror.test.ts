import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Percent } from '../../src/constructs/percent.js';
import { RouteTable } from '../../src/constructs/route-table.js';
import { only, synth, throwsProp } from '../_synth.js';

const reviews = { host: 'reviews.default.svc.cluster.local', namespace: 'default', subsetNames: ['v1', 'v2', 'v3'], portNumbers: [9080] };
const host = 'reviews.default.svc.cluster.local';
const split = [{ destination: reviews, subset: 'v1', weight: 90 }, { destination: reviews, subset: 'v2', weight: 10 }];

test('GIVEN a 90/10 route that mirrors to its 10 % destination WHEN added to a RouteTable THEN it is refused naming mirror, target, route and share', () => {
  const err = throwsProp(() => synth((chart) => {
    new RouteTable(chart, 'rt', { hosts: [reviews] }).addRoute({ route: split, mirror: { destination: reviews, subset: 'v2' } });
  }), { code: 'MP_INVALID_PROP', field: 'routes[0].mirror', path: 'test/rt', value: `${host} subset v2` });
  assert.match(err.message, `test/rt: routes[0].mirror is "${host} subset v2"; expected a mirror target that takes none of this route's traffic: ` +
    'routes[0].route[1] already sends it 10 % of requests');
  assert.match(err.message, /processed twice/);
  assert.match(err.message, /Mirror a version that serves no live traffic/);
});

test('GIVEN a route whose second mirrors entry targets its 90 % destination by plain host WHEN added THEN mirrors[1] is refused', () => {
  throwsProp(() => synth((chart) => {
    new RouteTable(chart, 'rt', { hosts: [reviews] }).addRoute({
      route: split,
      mirrors: [{ destination: reviews, subset: 'v3' }, { destination: { host, subset: 'v1', port: 9080 }, percentage: 5 }],
    });
  }), { code: 'MP_INVALID_PROP', field: 'routes[0].mirrors[1]', path: 'test/rt', value: `${host} subset v1 port 9080` });
});

test('GIVEN a route with one destination that mirrors to that same destination WHEN added as defaultRoute THEN it is refused as every request twice', () => {
  const err = throwsProp(() => synth((chart) => {
    new RouteTable(chart, 'rt', { hosts: [reviews], defaultRoute: { route: [{ destination: reviews, subset: 'v1' }], mirror: { destination: reviews, subset: 'v1' } } });
  }), { code: 'MP_INVALID_PROP', field: 'defaultRoute.mirror', path: 'test/rt' });
  assert.match(err.message, 'defaultRoute.route[0] sends it every request');
});

test('GIVEN mirrors to a weight-0 destination, at 0 %, and to another subset or port WHEN added THEN each renders as written', () => {
  const vs = only(synth((chart) => {
    new RouteTable(chart, 'rt', { hosts: [reviews] }).addRoutes(
      { name: 'shadow', match: [{ uri: '/shadow' }], route: [{ destination: reviews, subset: 'v1', weight: 100 }, { destination: reviews, subset: 'v2', weight: 0 }], mirror: { destination: reviews, subset: 'v2' } },
      { name: 'off', match: [{ uri: '/off' }], route: split, mirror: { destination: reviews, subset: 'v2' }, mirrorPercentage: Percent.of(0) },
      { name: 'next', route: split, mirrors: [{ destination: reviews, subset: 'v3' }, { destination: { host: 'reviews-next.default.svc.cluster.local', subset: 'v2' } }] },
    );
  }), 'VirtualService');
  assert.equal(vs.spec.http.map((r: { name: string; mirror?: unknown; mirrors?: unknown }) => [r.name, r.mirror ?? r.mirrors]), [
    ['shadow', { host, subset: 'v2' }],
    ['off', { host, subset: 'v2' }],
    ['next', [{ destination: { host, subset: 'v3' } }, { destination: { host: 'reviews-next.default.svc.cluster.local', subset: 'v2' } }]],
  ]);
});

test.run();
