/**
 * bench/xds client process: N lightweight ADS clients (one HTTP/2 connection each, as N proxies
 * would have), subscribed to CDS (wildcard), EDS, LDS and RDS, ACKing every response. Driven over IPC
 * by run.ts: {cmd:'open', port, n} → {opened, ms}; {cmd:'expect', version} → {ackTimes} once every
 * stream has ACKed that RDS version (epoch ms per stream).
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { type DiscoveryRequest, DiscoveryRequestSchema, type DiscoveryResponse, DiscoveryResponseSchema } from '../../src/xds/gen/envoy/service/discovery/v3/discovery_pb.js';
import { TYPE_URL } from '../../src/xds/resources.js';
import { CLUSTERS, LISTENER, ROUTES } from './resources.js';

const Ads = grpc.makeGenericClientConstructor({
  StreamAggregatedResources: {
    path: '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources', requestStream: true, responseStream: true,
    requestSerialize: (m: DiscoveryRequest) => Buffer.from(toBinary(DiscoveryRequestSchema, m)),
    requestDeserialize: (b: Buffer) => fromBinary(DiscoveryRequestSchema, b),
    responseSerialize: (m: DiscoveryResponse) => Buffer.from(toBinary(DiscoveryResponseSchema, m)),
    responseDeserialize: (b: Buffer) => fromBinary(DiscoveryResponseSchema, b),
  },
}, 'ADS');
const now = () => performance.timeOrigin + performance.now();
const NAMES: Record<string, string[]> = { [TYPE_URL.cluster]: [], [TYPE_URL.endpoint]: CLUSTERS, [TYPE_URL.listener]: [LISTENER], [TYPE_URL.route]: [ROUTES] };

interface Client { acked: Map<string, string>; routeAckAt: Map<string, number>; client: grpc.Client; call: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse> }
const clients: Client[] = [];
let onAck: (() => void) | undefined;

function open(port: number, i: number): Client {
  const client = new Ads(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  const call = (client as unknown as { StreamAggregatedResources(): Client['call'] }).StreamAggregatedResources();
  const c: Client = { acked: new Map(), routeAckAt: new Map(), client, call };
  call.on('data', (r: DiscoveryResponse) => {
    call.write(create(DiscoveryRequestSchema, { typeUrl: r.typeUrl, resourceNames: NAMES[r.typeUrl], versionInfo: r.versionInfo, responseNonce: r.nonce }));
    c.acked.set(r.typeUrl, r.versionInfo);
    if (r.typeUrl === TYPE_URL.route) c.routeAckAt.set(r.versionInfo, now());
    onAck?.();
  });
  call.on('error', (e) => process.stderr.write(`stream ${i}: ${e.message}\n`));
  let first = true;
  for (const typeUrl of [TYPE_URL.cluster, TYPE_URL.endpoint, TYPE_URL.listener, TYPE_URL.route]) {
    call.write(create(DiscoveryRequestSchema, { node: first ? { id: `proxy-${i}` } : undefined, typeUrl, resourceNames: NAMES[typeUrl] }));
    first = false;
  }
  return c;
}

function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => { onAck = undefined; resolve(false); }, ms);
    onAck = () => { if (cond()) { clearTimeout(t); onAck = undefined; resolve(true); } };
    onAck();
  });
}

process.on('message', async (msg: { cmd: string; port?: number; n?: number; version?: string }) => {
  if (msg.cmd === 'open') {
    const t0 = now();
    for (let i = 0; i < msg.n!; i++) clients.push(open(msg.port!, i));
    const ok = await waitFor(() => clients.every((c) => c.acked.size === 4), 60_000);
    process.send!({ opened: ok ? clients.length : clients.filter((c) => c.acked.size === 4).length, ms: now() - t0 });
  } else if (msg.cmd === 'expect') {
    await waitFor(() => clients.every((c) => c.routeAckAt.has(msg.version!)), 30_000);
    process.send!({ ackTimes: clients.map((c) => c.routeAckAt.get(msg.version!) ?? Number.NaN) });
  } else if (msg.cmd === 'stop') {
    for (const c of clients) { c.call.cancel(); c.client.close(); }
    process.exit(0);
  }
});
process.send!({ ready: true });
