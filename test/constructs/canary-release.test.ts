import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CanaryRelease } from '../../src/constructs/canary-release.js';
import { Duration } from '../../src/constructs/duration.js';
import { HeaderSplit } from '../../src/constructs/header-split.js';
import { Percent } from '../../src/constructs/percent.js';
import { RouteTable } from '../../src/constructs/route-table.js';
import { StringMatch } from '../../src/constructs/string-match.js';
import { only, synth, throwsProp } from '../_synth.js';

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

test('GIVEN a CanaryRelease (pinned header, 90/10, 100 % mirror to the next version v3) and a HeaderSplit in one RouteTable WHEN synthesized THEN one VirtualService holds matched routes first and the split last', () => {
  const objects = synth((chart) => {
    const table = new RouteTable(chart, 'reviews', { hosts: [reviews] });
    new CanaryRelease(chart, 'canary', {
      service: reviews, stable: 'v1', canary: 'v2', canaryWeight: 10,
      pinCanary: { header: 'x-canary', value: StringMatch.exact('always') },
      mirror: { subset: 'v3', percent: Percent.ALL },
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
        mirror: { host, subset: 'v3' },
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

test('GIVEN a shadow-phase canary (canaryWeight 0, mirrorToCanary 25 %) WHEN synthesized THEN v2 takes no weighted traffic and gets a quarter mirrored', () => {
  const vs = only(synth((chart) => {
    new CanaryRelease(chart, 'c', { service: reviews, stable: 'v1', canary: 'v2', canaryWeight: 0, mirrorToCanary: 25 });
  }), 'VirtualService');
  assert.equal(vs.spec.http, [{
    name: 'c-split',
    route: [{ destination: { host, subset: 'v1' }, weight: 100 }, { destination: { host, subset: 'v2' }, weight: 0 }],
    mirror: { host, subset: 'v2' },
    mirrorPercentage: { value: 25 },
  }]);
});

test('GIVEN a fully promoted canary (canaryWeight 100) mirroring to the old stable WHEN synthesized THEN the mirror defaults to 100 %', () => {
  const vs = only(synth((chart) => {
    new CanaryRelease(chart, 'c', { service: reviews, stable: 'v1', canary: 'v2', canaryWeight: 100, mirror: { subset: 'v1' } });
  }), 'VirtualService');
  assert.equal(vs.spec.http[0].mirror, { host, subset: 'v1' });
  assert.equal(vs.spec.http[0].mirrorPercentage, { value: 100 });
});

test('GIVEN mirrorToCanary with canaryWeight 10 WHEN constructed THEN it is refused, pointing at canaryWeight 0 or a mirror of another version', () => {
  const err = throwsProp(() => synth((chart) => {
    new CanaryRelease(chart, 'c', { service: reviews, stable: 'v1', canary: 'v2', canaryWeight: 10, mirrorToCanary: Percent.ALL });
  }), { code: 'MP_INVALID_PROP', field: 'mirrorToCanary', path: 'test/c', value: Percent.ALL });
  assert.match(err.message, 'test/c: mirrorToCanary is 100%; expected mirrorToCanary only while canaryWeight is 0 (the shadow phase): ' +
    'with canaryWeight 10 the canary v2 serves 10 % of requests and would receive their mirrored copies too, processing them twice');
  assert.match(err.message, "Set canaryWeight: 0 to shadow v2 before shifting traffic, or keep the split and mirror a version that serves no traffic: mirror: { subset: 'v3' }");
});

test('GIVEN mirrorToCanary with canaryWeight 10 on a service without a third version WHEN constructed THEN the fix says to add one', () => {
  const twoVersions = { ...reviews, subsetNames: ['v1', 'v2'] };
  const err = throwsProp(() => synth((chart) => {
    new CanaryRelease(chart, 'c', { service: twoVersions, stable: 'v1', canary: 'v2', canaryWeight: 10, mirrorToCanary: 5 });
  }), { code: 'MP_INVALID_PROP', field: 'mirrorToCanary', path: 'test/c' });
  assert.match(err.message, "mirror: { subset: '<next version>' } (add that version to the service)");
});

test('GIVEN mirror to the canary while it takes 10 % WHEN constructed THEN mirror.subset is refused', () => {
  const err = throwsProp(() => synth((chart) => {
    new CanaryRelease(chart, 'c', { service: reviews, stable: 'v1', canary: 'v2', canaryWeight: 10, mirror: { subset: 'v2' } });
  }), { code: 'MP_INVALID_PROP', field: 'mirror.subset', path: 'test/c', value: 'v2' });
  assert.match(err.message, "expected a version the split sends no requests to: v2 is the canary and serves 10 % of them, which would be processed twice " +
    "(served and mirrored). Mirror another version: mirror: { subset: 'v3' }; or shadow the canary with canaryWeight: 0");
});

test('GIVEN mirror to the stable while it takes 90 % WHEN constructed THEN mirror.subset is refused', () => {
  const err = throwsProp(() => synth((chart) => {
    new CanaryRelease(chart, 'c', { service: reviews, stable: 'v1', canary: 'v2', canaryWeight: 10, mirror: { subset: 'v1', percent: 1 } });
  }), { code: 'MP_INVALID_PROP', field: 'mirror.subset', path: 'test/c', value: 'v1' });
  assert.match(err.message, 'v1 is the stable and serves 90 % of them');
});

test('GIVEN both mirrorToCanary and mirror WHEN constructed THEN mirror is refused as one or the other', () => {
  throwsProp(() => synth((chart) => {
    new CanaryRelease(chart, 'c', { service: reviews, stable: 'v1', canary: 'v2', canaryWeight: 0, mirrorToCanary: 10, mirror: { subset: 'v3' } });
  }), { code: 'MP_INVALID_PROP', field: 'mirror', path: 'test/c', value: 'v3' });
});

test('GIVEN mirror to a version the service lacks, or an out-of-range mirror.percent WHEN constructed THEN each names its field', () => {
  throwsProp(() => synth((chart) => {
    new CanaryRelease(chart, 'c', { service: reviews, stable: 'v1', canary: 'v2', canaryWeight: 10, mirror: { subset: 'v4' } });
  }), { code: 'MP_MISSING_VERSION', field: 'mirror.subset', path: 'test/c', value: 'v4' });
  throwsProp(() => synth((chart) => {
    new CanaryRelease(chart, 'c', { service: reviews, stable: 'v1', canary: 'v2', canaryWeight: 10, mirror: { subset: 'v3', percent: 150 } });
  }), { code: 'MP_INVALID_PERCENT', field: 'mirror.percent', path: 'test/c', value: 150 });
});

test('GIVEN a table whose route is already named canary-pinned WHEN a CanaryRelease named canary adds to it THEN its pinned route is canary-pinned-2: generated names never repeat one in the table', () => {
  const vs = only(synth((chart) => {
    const table = new RouteTable(chart, 't', { hosts: [reviews] });
    table.addRoute({ name: 'canary-pinned', match: [{ uri: StringMatch.prefix('/x') }], route: [{ destination: reviews, subset: 'v3' }] });
    new CanaryRelease(chart, 'canary', { service: reviews, stable: 'v1', canary: 'v2', canaryWeight: 10, pinCanary: { header: 'x-canary', value: 'always' }, routeTable: table });
  }), 'VirtualService');
  assert.equal(vs.spec.http.map((h: { name: string }) => h.name), ['canary-pinned', 'canary-pinned-2', 'canary-split']);
});

test.run();
