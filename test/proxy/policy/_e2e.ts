/** Real-socket setup for the policy tests: our ADS server, a proxy with the policy units, echo or scripted backends. */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Cluster } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { ClusterLoadAssignment } from '../../../src/xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import type { RouteActionSchema, VirtualHostSchema } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { createExtensions } from '../../../src/proxy/extensions.js';
import type { RandomSource } from '../../../src/proxy/policy/_common.js';
import { get, httpListener, routeConfig, startTestProxy, startXds } from '../_harness.js';

export const ADDR = '127.0.0.1';

type Vhost = MessageInitShape<typeof VirtualHostSchema>;
type Action = MessageInitShape<typeof RouteActionSchema>;

/** A catch-all virtual host with one prefix `/` route to `cluster`, extra action fields and route fields. */
export function vhost(cluster: string, action: Partial<Action> = {}, route: Record<string, unknown> = {}, vh: Partial<Vhost> = {}): Vhost {
  return {
    name: 'vh', domains: ['*'], ...vh,
    routes: [{ name: 'r0', match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: cluster }, ...action } }, ...route }],
  } as Vhost;
}

export interface Env {
  readonly port: number;
  readonly proxy: Awaited<ReturnType<typeof startTestProxy>>;
  request(path?: string, headers?: Record<string, string>, method?: string, body?: string): ReturnType<typeof get>;
  /** Publishes a new snapshot to the proxy. */
  publish(cfg: { clusters: Cluster[]; endpoints: ClusterLoadAssignment[]; vhosts: Vhost[] }): void;
  /** Access-log entries once flushed. */
  entries(): Promise<Awaited<ReturnType<typeof startTestProxy>>['log']>;
}

/** Starts xDS + proxy with `clusters`, `endpoints` and one route config of `vhosts`; runs `fn`; closes everything. */
export async function withProxy(cfg: { clusters: Cluster[]; endpoints: ClusterLoadAssignment[]; vhosts: Vhost[]; random?: RandomSource }, fn: (env: Env) => Promise<void>): Promise<void> {
  const xds = await startXds({ clusters: cfg.clusters, endpoints: cfg.endpoints, listeners: [httpListener('l1', ADDR, 'r1')], routes: [routeConfig('r1', cfg.vhosts)] });
  let proxy: Awaited<ReturnType<typeof startTestProxy>> | undefined;
  try {
    proxy = await startTestProxy(xds.port, { extensions: createExtensions({ random: cfg.random }) });
    await proxy.waitReady(30_000);
    const p = proxy;
    const { port } = p.listenerAddress('l1')!;
    await fn({
      port, proxy: p,
      request: (path = '/', headers = {}, method = 'GET', body) => get(port, path, { host: 'svc.local', ...headers }, method, body, ADDR),
      entries: async () => { await p.accessLog!.flush(); return p.log; },
      publish: (c) => xds.publish({ clusters: c.clusters, endpoints: c.endpoints, listeners: [httpListener('l1', ADDR, 'r1')], routes: [routeConfig('r1', c.vhosts)] }),
    });
  } finally {
    await proxy?.close();
    await xds.close();
  }
}

export const ms = (n: number) => ({ seconds: BigInt(Math.floor(n / 1000)), nanos: (n % 1000) * 1e6 });
