/** A minimal SotW ADS client for the tests (and the benchmark): send requests, await responses or an end status. */
import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { type DiscoveryRequest, DiscoveryRequestSchema, type DiscoveryResponse, DiscoveryResponseSchema } from '../../src/xds/gen/envoy/service/discovery/v3/discovery_pb.js';
import { type Secret, SecretSchema } from '../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { SECRET_TYPE_URL } from '../../src/xds/resources.js';

export const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

const definition = {
  StreamAggregatedResources: {
    path: ADS_PATH, requestStream: true, responseStream: true,
    requestSerialize: (m: DiscoveryRequest) => Buffer.from(toBinary(DiscoveryRequestSchema, m)),
    requestDeserialize: (b: Buffer) => fromBinary(DiscoveryRequestSchema, b),
    responseSerialize: (m: DiscoveryResponse) => Buffer.from(toBinary(DiscoveryResponseSchema, m)),
    responseDeserialize: (b: Buffer) => fromBinary(DiscoveryResponseSchema, b),
  },
};
const AdsClientCtor = grpc.makeGenericClientConstructor(definition, 'AggregatedDiscoveryService');

export interface AdsTestStream {
  send(req: MessageInitShape<typeof DiscoveryRequestSchema>): void;
  /** The next response; rejects after `ms` (default 30 s: a loaded machine may answer late, a lost push still fails) or when the stream ends first. */
  next(ms?: number): Promise<DiscoveryResponse>;
  /** Resolves true when no response arrives within `ms`. */
  silentFor(ms: number): Promise<boolean>;
  /** The final status of the call. */
  readonly ended: Promise<grpc.StatusObject>;
  cancel(): void;
  close(): void;
}

/**
 * Opens a stream; without `client`, on a channel of its own (its own HTTP/2 connection, like a separate
 * proxy); `metadata` is sent with it (e.g. `{ authorization: 'Bearer <token>' }`).
 */
export function openAds(port: number, client: grpc.Client = newAdsClient(port), metadata: Record<string, string> = {}): AdsTestStream {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  const call = (client as unknown as { StreamAggregatedResources(md: grpc.Metadata): grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse> }).StreamAggregatedResources(md);
  const queue: DiscoveryResponse[] = [];
  let waiter: ((r: DiscoveryResponse | undefined) => void) | undefined;
  let finished = false;
  call.on('data', (r: DiscoveryResponse) => { if (waiter) { const w = waiter; waiter = undefined; w(r); } else queue.push(r); });
  const ended = new Promise<grpc.StatusObject>((resolve) => {
    call.on('status', (s) => { finished = true; resolve(s); if (waiter) { const w = waiter; waiter = undefined; w(undefined); } });
    call.on('error', () => {});
  });
  return {
    send: (req) => call.write(create(DiscoveryRequestSchema, req)),
    next: (ms = 30_000) => new Promise((resolve, reject) => {
      if (queue.length) return resolve(queue.shift()!);
      if (finished) return reject(new Error('stream ended'));
      const t = setTimeout(() => { waiter = undefined; reject(new Error(`no response within ${ms} ms`)); }, ms);
      waiter = (r) => { clearTimeout(t); r ? resolve(r) : reject(new Error('stream ended')); };
    }),
    silentFor: async (ms) => {
      await new Promise((r) => setTimeout(r, ms));
      return queue.length === 0;
    },
    ended,
    cancel: () => call.cancel(),
    close: () => { call.end(); client.close(); },
  };
}

/** A client with its own connection: grpc-js otherwise shares one HTTP/2 connection between clients of one target. */
export function newAdsClient(port: number, credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure()): grpc.Client {
  return new AdsClientCtor(`127.0.0.1:${port}`, credentials, { 'grpc.use_local_subchannel_pool': 1 });
}

/** The Secrets of an SDS response, by name. */
export function secretsOf(r: Pick<DiscoveryResponse, 'resources'>): Map<string, Secret> {
  return new Map(r.resources.map((a) => { const x = anyUnpack(a, SecretSchema)!; return [x.name, x]; }));
}

/**
 * Asks `node`'s secrets `names` on a new stream of `client` (default: a channel of its own), ACKs the answer and closes
 * the stream. Throws when the answer is not an SDS response or none comes within 30 s.
 */
export async function fetchSecrets(port: number, node: MessageInitShape<typeof DiscoveryRequestSchema>['node'], names: string[], client?: grpc.Client): Promise<Map<string, Secret>> {
  const s = openAds(port, client);
  try {
    s.send({ node, typeUrl: SECRET_TYPE_URL, resourceNames: names });
    const r = await s.next(30_000);
    if (r.typeUrl !== SECRET_TYPE_URL) throw new Error(`expected an SDS response, got ${r.typeUrl}`);
    s.send({ typeUrl: SECRET_TYPE_URL, resourceNames: names, versionInfo: r.versionInfo, responseNonce: r.nonce });
    return secretsOf(r);
  } finally {
    s.close();
  }
}
