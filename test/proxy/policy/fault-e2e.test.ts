/** Fault injection over real sockets: abort share with FI, delay with DI then the request continues, a wrong percentage tells apart. */
import { create } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HTTPFaultSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/fault/v3/fault_pb.js';
import { RouterSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { FractionalPercent_DenominatorType as D } from '../../../src/xds/gen/envoy/type/v3/percent_pb.js';
import { assignment, edsCluster, httpListener, routeConfig, startEcho, startTestProxy, startXds } from '../_harness.js';
import { createExtensions } from '../../../src/proxy/extensions.js';
import { ADDR, ms, vhost } from './_e2e.js';
import { get } from '../_harness.js';
import { seeded } from './_helpers.js';

const FAULT = 'envoy.filters.http.fault';

async function withFault(fault: Record<string, unknown>, fn: (port: number, proxy: Awaited<ReturnType<typeof startTestProxy>>, echo: Awaited<ReturnType<typeof startEcho>>) => Promise<void>) {
  const echo = await startEcho('a');
  const faultAny = anyPack(HTTPFaultSchema, create(HTTPFaultSchema, fault));
  const listener = httpListener('l1', ADDR, 'r1', {
    httpFilters: [
      { name: FAULT, configType: { case: 'typedConfig', value: anyPack(HTTPFaultSchema, create(HTTPFaultSchema)) } },
      { name: 'envoy.filters.http.router', configType: { case: 'typedConfig', value: anyPack(RouterSchema, create(RouterSchema)) } },
    ],
  });
  const xds = await startXds({
    clusters: [edsCluster('svc')], endpoints: [assignment('svc', [{ port: echo.port }])], listeners: [listener],
    routes: [routeConfig('r1', [vhost('svc', {}, { typedPerFilterConfig: { [FAULT]: faultAny } })])],
  });
  const proxy = await startTestProxy(xds.port, { extensions: createExtensions({ random: seeded(42) }) });
  try {
    await proxy.waitReady(30_000);
    assert.equal(proxy.ads.nacks, []);
    await fn(proxy.listenerAddress('l1')!.port, proxy, echo);
  } finally {
    await proxy.close();
    await xds.close();
    await echo.close();
  }
}

test('GIVEN an abort of 503 at 50 % WHEN 60 requests THEN ~half are 503 "fault filter abort" with FI and never reach the backend', async () => {
  await withFault({ abort: { errorType: { case: 'httpStatus', value: 503 }, percentage: { numerator: 500_000, denominator: D.MILLION } } }, async (port, proxy, echo) => {
    const rs = [];
    for (let i = 0; i < 60; i++) rs.push(await get(port, '/', { host: 'svc.local' }, 'GET', undefined, ADDR));
    const aborted = rs.filter((r) => r.status === 503);
    assert.ok(aborted.length > 60 * 0.5 - 4 * Math.sqrt(15) && aborted.length < 60 * 0.5 + 4 * Math.sqrt(15), `aborted ${aborted.length}/60`);
    assert.ok(aborted.every((r) => r.body === 'fault filter abort'));
    assert.is(echo.received.length, 60 - aborted.length);
    await proxy.accessLog!.flush();
    assert.is(proxy.log.filter((e) => e.flags.includes('FI')).length, aborted.length);
  });
});

test('GIVEN a 150 ms delay at 100 % THEN the request is delayed, flagged DI, then reaches the backend (200)', async () => {
  await withFault({ delay: { faultDelaySecifier: { case: 'fixedDelay', value: ms(150) }, percentage: { numerator: 100 } } }, async (port, proxy, echo) => {
    const t0 = performance.now();
    const r = await get(port, '/', { host: 'svc.local' }, 'GET', undefined, ADDR);
    const took = performance.now() - t0;
    assert.is(r.status, 200);
    assert.ok(took >= 145, `took ${took} ms`);
    assert.is(echo.received.length, 1);
    await proxy.accessLog!.flush();
    assert.equal(proxy.log.at(-1)!.flags, ['DI']);
  });
});

test('GIVEN a delay then an abort (both 100 %) THEN the abort answers after the delay with DI and FI', async () => {
  await withFault({ delay: { faultDelaySecifier: { case: 'fixedDelay', value: ms(60) }, percentage: { numerator: 100 } }, abort: { errorType: { case: 'httpStatus', value: 418 }, percentage: { numerator: 100 } } }, async (port, proxy) => {
    const t0 = performance.now();
    const r = await get(port, '/', { host: 'svc.local' }, 'GET', undefined, ADDR);
    assert.is(r.status, 418);
    assert.ok(performance.now() - t0 >= 55);
    await proxy.accessLog!.flush();
    assert.equal([...proxy.log.at(-1)!.flags].sort(), ['DI', 'FI']);
  });
});

test('GIVEN a wrong percentage (0 %) THEN no request is aborted', async () => {
  await withFault({ abort: { errorType: { case: 'httpStatus', value: 503 }, percentage: { numerator: 0 } } }, async (port) => {
    for (let i = 0; i < 10; i++) assert.is((await get(port, '/', { host: 'svc.local' }, 'GET', undefined, ADDR)).status, 200);
  });
});

test.run();
