import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CanaryRelease } from '../../src/constructs/canary-release.js';
import { Duration } from '../../src/constructs/duration.js';
import { HeaderSplit } from '../../src/constructs/header-split.js';
import { Percent } from '../../src/constructs/percent.js';
import { RouteTable } from '../../src/constructs/route-table.js';
import { StringMatch } from '../../src/constructs/string-match.js';
import { only, synth } from '../_synth.js';

const reviews = { host: 'reviews.default.svc.cluster.local', namespace: 'default', subsetNames: ['v1', 'v2', 'v3'], portNumbers: [9080] };
const host = 'reviews.default.svc.cluster.local';

test('GIVEN a 90/10 canary without a route table WHEN synthesized THEN it creates one VirtualService with the weighted split', () => {
  const objects = synth((chart) => {
    new CanaryRelease(chart, 'reviews-canary', { service: reviews, stable: 'v1', canary: 'v2', canaryWeight: 10 });
  });
  assert.equal(objects, [{
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: {
      hosts: [host],
      http: [{
        name: 'reviews-canary-split',
        route: [
          { destination: { host, subset: 'v1' }, weight: 90 },
          { destination: { host, subset: 'v2' }, weight: 10 },
        ],
      }],
    },
  }]);
});

test('GIVEN a canary pinned by cookie with timeout and retries WHEN synthesized THEN the pinned route comes first and both carry the policy', () => {
  const vs = only(synth((chart) => {
    new CanaryRelease(chart, 'rc', {
      service: reviews, stable: 'v1', canary: 'v3', canaryWeight: 0, port: 9080,
      pinCanary: { cookie: 'canary', value: 'yes' },
      timeout: Duration.seconds(3),
      retries: { attempts: 2, perTryTimeout: '1s', retryOn: ['connect-failure', 'refused-stream'] },
    });
  }), 'VirtualService');
  const policy = { timeout: '3s', retries: { attempts: 2, perTryTimeout: '1s', retryOn: 'connect-failure,refused-stream' } };
  assert.equal(vs.spec.http, [
    {
      name: 'rc-pinned',
      match: [{ headers: { cookie: { regex: '^(.*?;\\s*)?(canary=yes)(;.*)?$' } } }],
      route: [{ destination: { host, subset: 'v3', port: { number: 9080 } } }],
      ...policy,
    },
    {
      name: 'rc-split',
      route: [
        { destination: { host, subset: 'v1', port: { number: 9080 } }, weight: 100 },
        { destination: { host, subset: 'v3', port: { number: 9080 } }, weight: 0 },
      ],
      ...policy,
    },
  ]);
});

test('GIVEN a CanaryRelease (pinned header, 90/10, 100 % mirror) and a HeaderSplit in one RouteTable WHEN synthesized THEN one VirtualService holds matched routes first and the split last', () => {
  const objects = synth((chart) => {
    const table = new RouteTable(chart, 'reviews', { hosts: [reviews] });
    new CanaryRelease(chart, 'canary', {
      service: reviews, stable: 'v1', canary: 'v2', canaryWeight: 10,
      pinCanary: { header: 'x-canary', value: StringMatch.exact('always') },
      mirrorToCanary: Percent.ALL,
      routeTable: table,
    });
    new HeaderSplit(chart, 'testers', {
      service: reviews,
      rules: [{ match: [{ headers: { 'end-user': 'jason' } }, { queryParams: { tester: 'true' } }], subset: 'v3' }],
      routeTable: table,
    });
  });
  assert.is(objects.length, 1);
  assert.equal(only(objects, 'VirtualService', 'reviews').spec, {
    hosts: [host],
    http: [
      {
        name: 'canary-pinned',
        match: [{ headers: { 'x-canary': { exact: 'always' } } }],
        route: [{ destination: { host, subset: 'v2' } }],
      },
      {
        name: 'testers-v3',
        match: [{ headers: { 'end-user': { exact: 'jason' } } }, { queryParams: { tester: { exact: 'true' } } }],
        route: [{ destination: { host, subset: 'v3' } }],
      },
      {
        name: 'canary-split',
        route: [
          { destination: { host, subset: 'v1' }, weight: 90 },
          { destination: { host, subset: 'v2' }, weight: 10 },
        ],
        mirror: { host, subset: 'v2' },
        mirrorPercentage: { value: 100 },
      },
    ],
  });
});

test('GIVEN a canary whose subset is the stable one WHEN constructed THEN it is refused', () => {
  assert.throws(() => synth((chart) => {
    new CanaryRelease(chart, 'c', { service: reviews, stable: 'v1', canary: 'v1', canaryWeight: 10 });
  }), /test\/c: canary is "v1"; expected a subset other than the stable one/);
});

test.run();
