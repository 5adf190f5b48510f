import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HeaderSplit } from '../../src/constructs/header-split.js';
import { RouteTable } from '../../src/constructs/route-table.js';
import { StringMatch } from '../../src/constructs/string-match.js';
import { only, synth, throwsProp } from '../_synth.js';

const reviews = { host: 'reviews.default.svc.cluster.local', namespace: 'default', subsetNames: ['v1', 'v2', 'v3'], portNumbers: [9080] };
const host = 'reviews.default.svc.cluster.local';

test('GIVEN rules on header AND uri, cookie, query, method and uri regex WHEN synthesized THEN one matched route per rule, then the default subset', () => {
  const objects = synth((chart) => {
    new HeaderSplit(chart, 'reviews-split', {
      service: reviews,
      rules: [
        { name: 'jason-api', match: { headers: { 'end-user': 'jason' }, uri: StringMatch.prefix('/api') }, subset: 'v2' },
        {
          match: [{ cookie: { name: 'beta', value: 'on' } }, { queryParams: { beta: StringMatch.regex('on|yes') } }, { uri: StringMatch.regex('/v3/.*'), method: 'POST' }],
          subset: 'v3',
        },
      ],
      defaultSubset: 'v1',
    });
  });
  assert.equal(objects, [{
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: {
      hosts: [host],
      http: [
        {
          name: 'jason-api',
          match: [{ headers: { 'end-user': { exact: 'jason' } }, uri: { prefix: '/api' } }],
          route: [{ destination: { host, subset: 'v2' } }],
        },
        {
          name: 'reviews-split-v3',
          match: [
            { headers: { cookie: { regex: '^(.*?;\\s*)?(beta=on)(;.*)?$' } } },
            { queryParams: { beta: { regex: 'on|yes' } } },
            { uri: { regex: '/v3/.*' }, method: { exact: 'POST' } },
          ],
          route: [{ destination: { host, subset: 'v3' } }],
        },
        { name: 'reviews-split-default', route: [{ destination: { host, subset: 'v1' } }] },
      ],
    },
  }]);
});

test('GIVEN a default destination on another service and a timeout WHEN synthesized THEN the default route forwards there', () => {
  const vs = only(synth((chart) => {
    new HeaderSplit(chart, 's', {
      service: reviews,
      rules: [{ match: { headers: { 'x-version': 'v2' } }, subset: 'v2' }],
      defaultDestination: { destination: { host: 'reviews-legacy.default.svc.cluster.local', port: 80 } },
      timeout: '500ms',
    });
  }), 'VirtualService');
  assert.equal(vs.spec.http, [
    { name: 's-v2', match: [{ headers: { 'x-version': { exact: 'v2' } } }], route: [{ destination: { host, subset: 'v2' } }], timeout: '500ms' },
    { name: 's-default', route: [{ destination: { host: 'reviews-legacy.default.svc.cluster.local', port: { number: 80 } } }], timeout: '500ms' },
  ]);
});

test('GIVEN a HeaderSplit composed into a table with its own default route WHEN synthesized THEN its rules precede the table default', () => {
  const vs = only(synth((chart) => {
    const table = new RouteTable(chart, 'reviews', { hosts: [reviews], defaultRoute: { name: 'stable', route: [{ destination: reviews, subset: 'v1' }] } });
    new HeaderSplit(chart, 's', { service: reviews, rules: [{ match: { headers: { 'end-user': 'jason' } }, subset: 'v2' }], routeTable: table });
  }), 'VirtualService');
  assert.equal(vs.spec.http.map((r: { name: string }) => r.name), ['s-v2', 'stable']);
});

test('GIVEN three unnamed rules to one subset and a named one WHEN synthesized THEN the unnamed ones get distinct names (-2, -3 after the first), the named one keeps its name', () => {
  const objects = synth((chart) => {
    new HeaderSplit(chart, 'checkout-split', {
      service: reviews,
      rules: [
        { match: { headers: { 'x-beta': 'on' } }, subset: 'v2' },
        { match: { uri: StringMatch.prefix('/beta/') }, subset: 'v2' },
        { name: 'cookie-beta', match: { cookie: { name: 'beta', value: 'on' } }, subset: 'v2' },
        { match: { queryParams: { beta: StringMatch.exact('1') } }, subset: 'v2' },
        { match: { headers: { 'x-next': 'on' } }, subset: 'v3' },
      ],
      defaultSubset: 'v1',
    });
  });
  const http = (only(objects, 'VirtualService').spec as { http: { name: string }[] }).http;
  assert.equal(http.map((h) => h.name), ['checkout-split-v2', 'checkout-split-v2-2', 'cookie-beta', 'checkout-split-v2-3', 'checkout-split-v3', 'checkout-split-default']);
});

test('GIVEN an explicit rule name equal to a generated one WHEN synthesized THEN the generated name moves on, every route name distinct', () => {
  const objects = synth((chart) => {
    new HeaderSplit(chart, 'split', {
      service: reviews,
      rules: [
        { match: { headers: { a: '1' } }, subset: 'v2' },
        { match: { headers: { b: '1' } }, subset: 'v2' },
        { name: 'split-v2-2', match: { headers: { c: '1' } }, subset: 'v3' },
      ],
      defaultSubset: 'v1',
    });
  });
  const http = (only(objects, 'VirtualService').spec as { http: { name: string }[] }).http;
  assert.equal(http.map((h) => h.name), ['split-v2', 'split-v2-3', 'split-v2-2', 'split-default']);
});

test('GIVEN no default subset and no shared table WHEN constructed THEN the missing default route is refused', () => {
  throwsProp(() => synth((chart) => {
    new HeaderSplit(chart, 's', { service: reviews, rules: [{ match: { headers: { 'end-user': 'jason' } }, subset: 'v2' }] });
  }), { code: 'MP_INVALID_PROP', field: 'defaultSubset', path: 'test/s' });
});

test('GIVEN a rule with an empty match list WHEN constructed THEN it is refused (a catch-all belongs in defaultSubset)', () => {
  throwsProp(() => synth((chart) => {
    new HeaderSplit(chart, 's', { service: reviews, rules: [{ match: [], subset: 'v2' }], defaultSubset: 'v1' });
  }), { code: 'MP_INVALID_PROP', field: 'rules[0].match', path: 'test/s' });
});

test('GIVEN a rule whose match has no condition ({}) WHEN constructed THEN it is refused (it would match every request and hide the rules after it)', () => {
  const err = throwsProp(() => synth((chart) => {
    new HeaderSplit(chart, 's', { service: reviews, rules: [{ match: {}, subset: 'v2' }, { match: { headers: { 'end-user': 'jason' } }, subset: 'v3' }], defaultSubset: 'v1' });
  }), { code: 'MP_INVALID_PROP', field: 'rules[0].match[0]', path: 'test/s', value: {} });
  assert.match(err.message, /expected at least one condition \(uri, .*\): without one it matches every request/);
});

test('GIVEN a rule whose match has only a name and empty header conditions WHEN constructed THEN it is refused as conditionless', () => {
  throwsProp(() => synth((chart) => {
    new HeaderSplit(chart, 's', { service: reviews, rules: [{ match: [{ headers: { 'end-user': 'jason' } }, { name: 'all', headers: {} }], subset: 'v2' }], defaultSubset: 'v1' });
  }), { code: 'MP_INVALID_PROP', field: 'rules[0].match[1]', path: 'test/s' });
});

const headerHints: [string, string][] = [
  ['X User', ' (use "x-user")'],
  ['X-Tenant', ' (use "x-tenant")'],
  ['x-user:id', ' (use "x-user-id")'],
  [' : ', ''],
];
for (const [name, hint] of headerHints) {
  test(`GIVEN the header name ${JSON.stringify(name)} WHEN a HeaderSplit is constructed THEN the fix suggests ${hint === '' ? 'nothing' : 'a valid name'}`, () => {
    const err = throwsProp(() => synth((chart) => {
      new HeaderSplit(chart, 's', { service: reviews, rules: [{ match: { headers: { [name]: 'a' } }, subset: 'v2' }], defaultSubset: 'v1' });
    }), { code: 'MP_INVALID_HEADER_NAME', field: `rules[0].match[0].headers.${name}`, path: 'test/s', value: name });
    assert.ok(err.message.endsWith(`!#$%&'*+-.^_\`|~${hint}`), err.message);
  });
}

test('GIVEN a table that already has a route named s-v2, or a second HeaderSplit named s WHEN a HeaderSplit named s adds a rule to v2 THEN its route is s-v2-2: generated names never repeat one in the table', () => {
  for (const first of ['addRoute', 'HeaderSplit']) {
    const vs = only(synth((chart) => {
      const table = new RouteTable(chart, 't', { hosts: [reviews], defaultRoute: { name: 'stable', route: [{ destination: reviews, subset: 'v1' }] } });
      if (first === 'addRoute') table.addRoute({ name: 's-v2', match: [{ uri: StringMatch.prefix('/x') }], route: [{ destination: reviews, subset: 'v2' }] });
      else new HeaderSplit(chart, 'a', { name: 's', service: reviews, rules: [{ match: { uri: StringMatch.prefix('/x') }, subset: 'v2' }], routeTable: table });
      new HeaderSplit(chart, 'b', { name: 's', service: reviews, rules: [{ match: { headers: { 'x-beta': 'on' } }, subset: 'v2' }], routeTable: table });
    }), 'VirtualService');
    assert.equal(vs.spec.http.map((h: { name: string }) => h.name), ['s-v2', 's-v2-2', 'stable'], first);
  }
});

test('GIVEN a rule explicitly named like the default route (<name>-default) WHEN synthesized THEN the default route takes <name>-default-2', () => {
  const vs = only(synth((chart) => {
    new HeaderSplit(chart, 's', { service: reviews, rules: [{ name: 's-default', match: { headers: { 'x-beta': 'on' } }, subset: 'v2' }], defaultSubset: 'v1' });
  }), 'VirtualService');
  assert.equal(vs.spec.http.map((h: { name: string }) => h.name), ['s-default', 's-default-2']);
});

test.run();
