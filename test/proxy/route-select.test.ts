/**
 * Route selection as a pure function, over the shared case table (the same table runs through the
 * real proxy in route-table-e2e.test.ts), plus configuration the selector must refuse.
 */
import { create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HeaderValueOptionSchema } from '../../src/xds/gen/envoy/config/core/v3/base_pb.js';
import { RouteConfigurationSchema } from '../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import { ConfigError } from '../../src/proxy/config/config-error.js';
import { applyHeaderMutations, compileHeaderMutation, getHeader } from '../../src/proxy/header-mutation.js';
import { compileRouteConfiguration, routeSelect } from '../../src/proxy/route-select.js';
import { ROUTE_CASES } from './_route-cases.js';

function randomFrom(draws: readonly number[] = []): () => number {
  let i = 0;
  return () => {
    if (i >= draws.length) throw new Error('the selector drew more random numbers than the case provides');
    return draws[i++]!;
  };
}

for (const c of ROUTE_CASES) {
  test(`GIVEN ${c.name} WHEN selecting THEN ${c.expect.kind}${'cluster' in c.expect ? ` → ${c.expect.cluster}` : ''}`, () => {
    const headers: Record<string, string> = { ...(c.req.headers ?? {}) };
    const d = routeSelect(c.rc, { authority: c.req.authority, path: c.req.path, method: c.req.method ?? 'GET', scheme: 'http', headers }, randomFrom(c.random));
    assert.is(d.kind, c.expect.kind);
    const e = c.expect;
    if (e.kind === 'forward' && d.kind === 'forward') {
      assert.is(d.cluster, e.cluster);
      if (e.path !== undefined) assert.is(d.path, e.path);
      if (e.authority !== undefined) assert.is(d.authority, e.authority);
      if (e.requestHeaders) {
        const flat = Object.entries(headers).flat();
        if (d.path !== c.req.path) flat.push('x-envoy-original-path', c.req.path);
        applyHeaderMutations(flat, d.requestHeaders);
        for (const [k, v] of Object.entries(e.requestHeaders)) assert.is(getHeader(flat, k), v, k);
      }
      if (e.responseHeaders) {
        const flat: string[] = [];
        applyHeaderMutations(flat, d.responseHeaders);
        flat.push(...(d.corsHeaders ?? []));
        for (const [k, v] of Object.entries(e.responseHeaders)) assert.is(getHeader(flat, k), v, k);
      }
    }
    if (e.kind === 'redirect' && d.kind === 'redirect') {
      assert.is(d.status, e.status);
      assert.is(d.location, e.location);
    }
    if (e.kind === 'direct' && d.kind === 'direct') {
      assert.is(d.status, e.status);
      assert.is(d.body, e.body);
    }
    if (e.kind === 'cors-preflight' && d.kind === 'cors-preflight') {
      for (const [k, v] of Object.entries(e.headers)) assert.is(getHeader(d.headers as string[], k), v, k);
    }
  });
}

function refused(rc: Parameters<typeof create<typeof RouteConfigurationSchema>>[1]): ConfigError {
  try {
    compileRouteConfiguration(create(RouteConfigurationSchema, rc));
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

test('GIVEN a regex with a look-ahead WHEN compiling THEN the error names the field path and says RE2', () => {
  const e = refused({ name: 'r', virtualHosts: [{ name: 'v', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'safeRegex', value: { regex: '/a(?=b)' } } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'c' } } } }] }] });
  assert.is(e.path, 'virtual_hosts[0].routes[0].match.safe_regex.regex');
  assert.match(e.detail, /not valid RE2/);
});

test('GIVEN two virtual hosts with one domain WHEN compiling THEN the duplicate is refused as Envoy does', () => {
  const route = { match: { pathSpecifier: { case: 'prefix' as const, value: '/' } }, action: { case: 'route' as const, value: { clusterSpecifier: { case: 'cluster' as const, value: 'c' } } } };
  const e = refused({ name: 'r', virtualHosts: [{ name: 'a', domains: ['x.test'], routes: [route] }, { name: 'b', domains: ['X.test'], routes: [route] }] });
  assert.is(e.path, 'virtual_hosts[1].domains[0]');
});

test('GIVEN weighted clusters summing to 0 WHEN compiling THEN refused', () => {
  const e = refused({ name: 'r', virtualHosts: [{ name: 'a', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'weightedClusters', value: { clusters: [{ name: 'c', weight: 0 }] } } } } }] }] });
  assert.match(e.message, /virtual_hosts\[0\]\.routes\[0\]\.route\.weighted_clusters: the weights sum to 0/);
});

test('GIVEN a route with a non_forwarding_action WHEN compiling THEN the action is named as unsupported', () => {
  const e = refused({ name: 'r', virtualHosts: [{ name: 'a', domains: ['*'], routes: [{ match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'nonForwardingAction', value: {} } }] }] });
  assert.match(e.message, /routes\[0\]\.action: nonForwardingAction is not supported/);
});

test('GIVEN a header value with a substitution command WHEN compiling THEN refused (literal values only)', () => {
  const e = refused({ name: 'r', requestHeadersToAdd: [{ header: { key: 'x-peer', value: '%DOWNSTREAM_REMOTE_ADDRESS%' } }], virtualHosts: [] });
  assert.is(e.path, 'request_headers_to_add[0].header.value');
});

test('GIVEN header values Envoy cannot parse (a lone %, an unknown command) WHEN compiling THEN refused in Envoy\'s words; escaped, the value is the literal', () => {
  const lone = refused({ name: 'r', requestHeadersToAdd: [{ header: { key: 'x-share', value: '100%' } }], virtualHosts: [] });
  assert.is(lone.path, 'request_headers_to_add[0].header.value');
  assert.match(lone.message, /invalid header value "100%": Incorrect configuration: 100%\. Couldn't find valid command at position 3/);
  const unknown = refused({ name: 'r', requestHeadersToAdd: [{ header: { key: 'x-share', value: '%FOO%' } }], virtualHosts: [] });
  assert.match(unknown.message, /Not supported field in StreamInfo: FOO/);
  const escaped = compileHeaderMutation([create(HeaderValueOptionSchema, { header: { key: 'x-share', value: '100%% off' } })], [], 'request_headers');
  assert.equal(escaped?.add.map((a) => a.value), ['100% off']);
});

test('GIVEN host or a pseudo-header in headers to add or to remove WHEN compiling THEN refused, as Envoy refuses to modify them (isModifiableHeader / isRemovableHeader); the authority is rewritten with host_rewrite_literal instead', () => {
  const add = refused({ name: 'r', requestHeadersToAdd: [{ header: { key: 'x-a', value: '1' } }, { header: { key: 'Host', value: 'b.example' } }], virtualHosts: [] });
  assert.is(add.path, 'request_headers_to_add[1].header.key');
  const remove = refused({ name: 'r', virtualHosts: [{ name: 'a', domains: ['*'], requestHeadersToRemove: ['x-a', ':path'], routes: [] }] });
  assert.match(`${remove.path}: ${remove.message}`, /request_headers_to_remove\[1\]/);
  const removeHost = refused({ name: 'r', responseHeadersToRemove: ['host'], virtualHosts: [] });
  assert.match(removeHost.path ?? '', /response_headers_to_remove\[0\]/);
});

test.run();
