/**
 * The routing case table (the one route-select.test.ts runs through the pure selector) through the
 * real proxy on real sockets: our ADS server serves one listener per route configuration, echo
 * backends c1/c2/c3 report who answered and what they received.
 */
import { clone } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RouteConfigurationSchema, type RouteConfiguration } from '../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import { type Echo, assignment, edsCluster, get, httpListener, startEcho, startTestProxy, startXds } from './_harness.js';
import { ROUTE_CASES } from './_route-cases.js';

const ADDR = '127.0.9.2';

test('GIVEN the routing case table WHEN each case is sent through the proxy THEN the proxy agrees with the pure selector', async () => {
  const backends: Echo[] = await Promise.all(['c1', 'c2', 'c3'].map((n) => startEcho(n)));
  const configs = [...new Set(ROUTE_CASES.map((c) => c.rc))];
  const named = new Map<RouteConfiguration, string>(configs.map((rc, i) => [rc, `rt${i}`]));
  const xds = await startXds({
    clusters: backends.map((b) => edsCluster(b.name)),
    endpoints: backends.map((b) => assignment(b.name, [{ port: b.port }])),
    listeners: configs.map((rc) => httpListener(`l-${named.get(rc)}`, ADDR, named.get(rc)!)),
    routes: configs.map((rc) => { const r = clone(RouteConfigurationSchema, rc); r.name = named.get(rc)!; return r; }),
  });
  let draws: number[] = [];
  const proxy = await startTestProxy(xds.port, { random: () => draws.shift() ?? 0 });
  const failures: string[] = [];
  try {
    await proxy.waitReady();
    for (const c of ROUTE_CASES) {
      draws = [...(c.random ?? [])];
      const { port } = proxy.listenerAddress(`l-${named.get(c.rc)}`)!;
      const r = await get(port, c.req.path, { host: c.req.authority, ...(c.req.headers ?? {}) }, c.req.method ?? 'GET', undefined, ADDR);
      const e = c.expect;
      const fail = (what: string) => failures.push(`${c.name}: ${what} (status ${r.status}, body ${r.body.slice(0, 200)})`);
      switch (e.kind) {
        case 'no-route': if (r.status !== 404) fail('expected 404 NR'); break;
        case 'redirect':
          if (r.status !== e.status || r.headers.location !== e.location) fail(`expected ${e.status} to ${e.location}, got location ${r.headers.location}`);
          break;
        case 'direct': if (r.status !== e.status || (e.body !== undefined && r.body !== e.body)) fail(`expected direct ${e.status} ${e.body}`); break;
        case 'cors-preflight':
          if (r.status !== 200) fail('expected 200 preflight');
          for (const [k, v] of Object.entries(e.headers)) if (r.headers[k] !== v) fail(`response header ${k}: ${r.headers[k]} != ${v}`);
          break;
        case 'forward': {
          if (r.status !== 200) { fail('expected 200 from a backend'); break; }
          const body = JSON.parse(r.body) as { name: string; url: string; headers: Record<string, string> };
          if (body.name !== e.cluster) fail(`reached ${body.name}, expected ${e.cluster}`);
          if (e.path !== undefined && body.url !== e.path) fail(`upstream path ${body.url}, expected ${e.path}`);
          if (e.authority !== undefined && body.headers.host !== e.authority) fail(`upstream host ${body.headers.host}, expected ${e.authority}`);
          for (const [k, v] of Object.entries(e.requestHeaders ?? {})) if (body.headers[k] !== v) fail(`upstream header ${k}: ${body.headers[k]} != ${v}`);
          for (const [k, v] of Object.entries(e.responseHeaders ?? {})) if (r.headers[k] !== v) fail(`response header ${k}: ${r.headers[k]} != ${v}`);
          break;
        }
      }
    }
    assert.equal(failures, []);
    assert.ok(ROUTE_CASES.length >= 40);
  } finally {
    await proxy.close();
    await xds.close();
    await Promise.all(backends.map((b) => b.close()));
  }
});

test.run();
