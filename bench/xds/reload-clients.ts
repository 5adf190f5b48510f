/**
 * bench/xds reload's client process: one lightweight ADS stream per node id (its own HTTP/2
 * connection, as a proxy has), subscribed to CDS and LDS (wildcard, as Envoy) and to EDS and RDS
 * with the explicit wildcard `*`: the same resources Envoy would name one by one (every EDS
 * cluster's assignment, every route configuration its listeners name), without decoding clusters
 * and listeners in this process. Every response is ACKed. Driven over IPC: {cmd:'open', port, ids}
 * → {opened, ms} once every stream got all four types; {cmd:'close'} → {closed}.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { type DiscoveryRequest, DiscoveryRequestSchema, type DiscoveryResponse, DiscoveryResponseSchema } from '../../src/xds/gen/envoy/service/discovery/v3/discovery_pb.js';
import { TYPE_URL } from '../../src/xds/resources.js';

const Ads = grpc.makeGenericClientConstructor({
  StreamAggregatedResources: {
    path: '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources', requestStream: true, responseStream: true,
    requestSerialize: (m: DiscoveryRequest) => Buffer.from(toBinary(DiscoveryRequestSchema, m)),
    requestDeserialize: (b: Buffer) => fromBinary(DiscoveryRequestSchema, b),
    responseSerialize: (m: DiscoveryResponse) => Buffer.from(toBinary(DiscoveryResponseSchema, m)),
    responseDeserialize: (b: Buffer) => fromBinary(DiscoveryResponseSchema, b),
  },
}, 'ADS');
const NAMES: Record<string, string[]> = { [TYPE_URL.cluster]: [], [TYPE_URL.listener]: [], [TYPE_URL.endpoint]: ['*'], [TYPE_URL.route]: ['*'] };

interface Stream { client: grpc.Client; call: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>; seen: Set<string> }

function open(port: number, id: string, onChange: () => void): Stream {
  const client = new Ads(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  const call = (client as unknown as { StreamAggregatedResources(): Stream['call'] }).StreamAggregatedResources();
  const s: Stream = { client, call, seen: new Set() };
  call.on('data', (r: DiscoveryResponse) => {
    call.write(create(DiscoveryRequestSchema, { typeUrl: r.typeUrl, resourceNames: NAMES[r.typeUrl] ?? [], versionInfo: r.versionInfo, responseNonce: r.nonce }));
    s.seen.add(r.typeUrl);
    onChange();
  });
  call.on('error', () => {});
  let first = true;
  for (const typeUrl of [TYPE_URL.cluster, TYPE_URL.endpoint, TYPE_URL.listener, TYPE_URL.route]) {
    call.write(create(DiscoveryRequestSchema, { ...(first ? { node: { id } } : {}), typeUrl, resourceNames: NAMES[typeUrl] }));
    first = false;
  }
  return s;
}

/** Serves the IPC protocol of the module comment until the parent kills the process. */
export function runClients(): void {
  let streams: Stream[] = [];
  process.on('message', (msg: { cmd: string; port?: number; ids?: string[] }) => {
    if (msg.cmd === 'open') {
      const t0 = performance.now();
      let done = false;
      const finish = () => {
        done = true;
        clearTimeout(timer);
        process.send!({ opened: streams.filter((s) => s.seen.size === 4).length, ms: performance.now() - t0 });
      };
      const check = () => { if (!done && streams.every((s) => s.seen.size === 4)) finish(); };
      const timer = setTimeout(finish, 300_000);
      streams = msg.ids!.map((id) => open(msg.port!, id, check));
    } else if (msg.cmd === 'close') {
      for (const s of streams) { s.call.cancel(); s.client.close(); }
      streams = [];
      process.send!({ closed: true });
    }
  });
  process.send!({ ready: true });
}
