/**
 * bench/xds reload's client process: one lightweight ADS stream per node id (its own HTTP/2
 * connection, as a proxy has), subscribed as Envoy subscribes: CDS and LDS wildcard, then EDS for
 * the EDS clusters CDS carries and RDS for the route configurations the listeners name, ACKing every
 * response. Driven over IPC: {cmd:'open', port, ids} → {opened, ms} once every stream got all four
 * types; {cmd:'close'} → {closed}. Names derived from a response are cached by its version (a
 * content hash), so a hundred streams sharing a config decode it once.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { ClusterSchema, Cluster_DiscoveryType } from '../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ListenerSchema } from '../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { HttpConnectionManagerSchema } from '../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
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

/** EDS names per CDS version, RDS names per LDS version. */
const derived = new Map<string, string[]>();

function edsNames(r: DiscoveryResponse): string[] {
  return r.resources.flatMap((a) => {
    const c = fromBinary(ClusterSchema, a.value);
    if (c.clusterDiscoveryType.case !== 'type' || c.clusterDiscoveryType.value !== Cluster_DiscoveryType.EDS) return [];
    return [c.edsClusterConfig?.serviceName || c.name];
  }).sort();
}

function rdsNames(r: DiscoveryResponse): string[] {
  const names = new Set<string>();
  for (const a of r.resources) {
    const l = fromBinary(ListenerSchema, a.value);
    for (const chain of l.filterChains) {
      for (const f of chain.filters) {
        if (f.configType.case !== 'typedConfig' || !f.configType.value.typeUrl.endsWith('HttpConnectionManager')) continue;
        const hcm = anyUnpack(f.configType.value, HttpConnectionManagerSchema);
        if (hcm?.routeSpecifier.case === 'rds') names.add(hcm.routeSpecifier.value.routeConfigName);
      }
    }
  }
  return [...names].sort();
}

interface Stream { client: grpc.Client; call: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>; seen: Set<string> }

function open(port: number, id: string, onChange: () => void): Stream {
  const client = new Ads(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  const call = (client as unknown as { StreamAggregatedResources(): Stream['call'] }).StreamAggregatedResources();
  const s: Stream = { client, call, seen: new Set() };
  const names: Record<string, string[]> = { [TYPE_URL.cluster]: [], [TYPE_URL.listener]: [] };
  const last: Record<string, { version: string; nonce: string }> = {};
  call.on('data', (r: DiscoveryResponse) => {
    last[r.typeUrl] = { version: r.versionInfo, nonce: r.nonce };
    call.write(create(DiscoveryRequestSchema, { typeUrl: r.typeUrl, resourceNames: names[r.typeUrl] ?? [], versionInfo: r.versionInfo, responseNonce: r.nonce }));
    const follow = r.typeUrl === TYPE_URL.cluster ? TYPE_URL.endpoint : r.typeUrl === TYPE_URL.listener ? TYPE_URL.route : undefined;
    if (follow) {
      const key = `${r.typeUrl} ${r.versionInfo}`;
      let next = derived.get(key);
      if (!next) derived.set(key, (next = follow === TYPE_URL.endpoint ? edsNames(r) : rdsNames(r)));
      if (next.join('\n') !== (names[follow] ?? []).join('\n')) {
        names[follow] = next;
        call.write(create(DiscoveryRequestSchema, { typeUrl: follow, resourceNames: next, versionInfo: last[follow]?.version ?? '', responseNonce: last[follow]?.nonce ?? '' }));
      }
    }
    s.seen.add(r.typeUrl);
    onChange();
  });
  call.on('error', () => {});
  call.write(create(DiscoveryRequestSchema, { node: { id }, typeUrl: TYPE_URL.cluster }));
  call.write(create(DiscoveryRequestSchema, { typeUrl: TYPE_URL.listener }));
  return s;
}

/** Serves the IPC protocol of the module comment until the parent kills the process. */
export function runClients(): void {
  let streams: Stream[] = [];
  process.on('message', (msg: { cmd: string; port?: number; ids?: string[] }) => {
    if (msg.cmd === 'open') {
      const t0 = performance.now();
      let done = false;
      const check = () => {
        if (done || !streams.every((s) => s.seen.size === 4)) return;
        done = true;
        clearTimeout(timer);
        process.send!({ opened: streams.length, ms: performance.now() - t0 });
      };
      const timer = setTimeout(() => { done = true; process.send!({ opened: streams.filter((s) => s.seen.size === 4).length, ms: performance.now() - t0 }); }, 120_000);
      streams = msg.ids!.map((id) => open(msg.port!, id, check));
    } else if (msg.cmd === 'close') {
      for (const s of streams) { s.call.cancel(); s.client.close(); }
      streams = [];
      process.send!({ closed: true });
    }
  });
  process.send!({ ready: true });
}
