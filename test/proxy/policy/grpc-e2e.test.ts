/** Real gRPC through the proxy (h2c both sides): retry_on unavailable retries an UNAVAILABLE answer; a gRPC fault abort answers its status. */
import { create } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HTTPFaultSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/fault/v3/fault_pb.js';
import { RouterSchema } from '../../../src/xds/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { HttpConnectionManager_CodecType } from '../../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { createExtensions } from '../../../src/proxy/extensions.js';
import { assignment, edsCluster, httpListener, routeConfig, startTestProxy, startXds } from '../_harness.js';
import { ADDR, vhost } from './_e2e.js';

const PATH = '/meshproof.test.Who/Who';
const identity = (b: Buffer) => b;

/** A gRPC server whose `Who` fails with UNAVAILABLE `failures` times, then answers "ok". */
async function flakyGrpc(failures: number): Promise<{ port: number; calls: () => number; close(): Promise<void> }> {
  let calls = 0;
  const server = new grpc.Server();
  server.addService({ Who: { path: PATH, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
    { Who: (_c: unknown, cb: grpc.sendUnaryData<Buffer>) => (++calls <= failures ? cb({ code: grpc.status.UNAVAILABLE, details: 'try again' }) : cb(null, Buffer.from('ok'))) });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { port, calls: () => calls, close: () => new Promise((r) => server.tryShutdown(() => r())) };
}

function call(port: number): Promise<{ value?: string; code?: number }> {
  const client = new grpc.Client(`${ADDR}:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(PATH, identity, (b: Buffer) => b.toString(), Buffer.alloc(0), new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, value) => {
      client.close();
      resolve(err ? { code: err.code } : { value: value! });
    });
  });
}

async function withGrpcProxy(backendPort: number, action: Record<string, unknown>, route: Record<string, unknown>, filters: { name: string; configType: unknown }[], fn: (port: number) => Promise<void>) {
  const listener = httpListener('l1', ADDR, 'r1', {
    codecType: HttpConnectionManager_CodecType.AUTO,
    httpFilters: [...filters, { name: 'envoy.filters.http.router', configType: { case: 'typedConfig', value: anyPack(RouterSchema, create(RouterSchema)) } }] as never,
  });
  const xds = await startXds({ clusters: [edsCluster('svc', { http2: true })], endpoints: [assignment('svc', [{ port: backendPort }])], listeners: [listener], routes: [routeConfig('r1', [vhost('svc', action, route)])] });
  const proxy = await startTestProxy(xds.port, { extensions: createExtensions() });
  try {
    await proxy.waitReady(30_000);
    await fn(proxy.listenerAddress('l1')!.port);
  } finally {
    await proxy.close();
    await xds.close();
  }
}

test('GIVEN retry_on unavailable, 2 retries WHEN the server answers UNAVAILABLE twice THEN the client gets "ok" on the third call', async () => {
  const b = await flakyGrpc(2);
  try {
    await withGrpcProxy(b.port, { retryPolicy: { retryOn: 'unavailable', numRetries: 2 } }, {}, [], async (port) => {
      assert.equal(await call(port), { value: 'ok' });
      assert.is(b.calls(), 3);
    });
  } finally { await b.close(); }
});

test('GIVEN a wrong retry_on (cancelled) WHEN the server answers UNAVAILABLE THEN no retry: one call, the client gets an error', async () => {
  const b = await flakyGrpc(1);
  try {
    await withGrpcProxy(b.port, { retryPolicy: { retryOn: 'cancelled', numRetries: 2 } }, {}, [], async (port) => {
      const r = await call(port);
      assert.ok(r.code !== undefined && r.value === undefined, JSON.stringify(r));
      assert.is(b.calls(), 1);
    });
  } finally { await b.close(); }
});

test('GIVEN a fault abort grpc_status 14 at 100 % THEN the gRPC client gets UNAVAILABLE without reaching the server', async () => {
  const b = await flakyGrpc(0);
  const FAULT = 'envoy.filters.http.fault';
  const perRoute = anyPack(HTTPFaultSchema, create(HTTPFaultSchema, { abort: { errorType: { case: 'grpcStatus', value: 14 }, percentage: { numerator: 100 } } }));
  try {
    await withGrpcProxy(b.port, {}, { typedPerFilterConfig: { [FAULT]: perRoute } }, [{ name: FAULT, configType: { case: 'typedConfig', value: anyPack(HTTPFaultSchema, create(HTTPFaultSchema)) } }], async (port) => {
      assert.equal(await call(port), { code: grpc.status.UNAVAILABLE });
      assert.is(b.calls(), 0);
    });
  } finally { await b.close(); }
});

test.run();
