/**
 * The proxy's xDS client: one State-of-the-World ADS stream (`StreamAggregatedResources` over
 * @grpc/grpc-js) to the control plane. Subscribes CDS (wildcard) → EDS (the clusters' service names)
 * → LDS (wildcard) → RDS (the HCMs' route config names), plus extra types such as SDS secrets;
 * answers every response with an ACK (its version and nonce) or a NACK (the last accepted version,
 * the nonce, `error_detail` code 3 with the store's message). When the stream ends it reconnects
 * with exponential backoff (0.5 s doubling to 30 s, ±25 % jitter) and keeps serving what it has,
 * except when the server refuses the node itself (INVALID_ARGUMENT: a node id it can never serve),
 * which no retry changes: then it stops and says so (`onRefused`). Why a node gets no config, when
 * the server says (initial metadata `meshproof-unserved-bin`, see `AdsServerOptions.whyUnserved`), is logged.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { Any } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { type DiscoveryRequest, DiscoveryRequestSchema, type DiscoveryResponse, DiscoveryResponseSchema } from '../xds/gen/envoy/service/discovery/v3/discovery_pb.js';
import { TYPE_URL, UNSERVED_METADATA } from '../xds/resources.js';
import { type Change, ConfigStore, type Kind } from './config/config-store.js';
import type { ExtraResourceType } from './http/pipeline.js';

const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
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

export interface AdsClientOptions {
  /** Control plane `host:port` (plaintext gRPC unless `tls`). */
  readonly address: string;
  /**
   * Mutual TLS to the control plane (`xds serve --tls`), PEM: the roots its server certificate must
   * chain to (and name the dialled host), and this client's certificate chain and key. @default plaintext
   */
  readonly tls?: AdsClientTls;
  /**
   * A Kubernetes service-account token file (`xds serve --tls --token-review`), sent as gRPC metadata
   * `authorization: Bearer <token>` on each stream; read afresh for each stream, so a rotated projected
   * token is picked up. Needs `tls` (a token is never sent in plaintext). @default no token
   */
  readonly tokenFile?: string;
  readonly nodeId: string;
  /** `node.cluster` (Istio: the workload's service cluster). @default '' */
  readonly nodeCluster?: string;
  /** `node.metadata` entries (Istio reads e.g. NAMESPACE). */
  readonly metadata?: Record<string, string>;
  readonly store: ConfigStore;
  readonly extraTypes: readonly ExtraResourceType[];
  /**
   * Called after each applied response, before the ACK/NACK goes out. A promise delays the answer;
   * the error lines it resolves with (e.g. a listener that cannot bind) turn the ACK into a NACK.
   */
  onChange(change: Change): void | Promise<string[]>;
  /** Diagnostic lines (connects, NACKs); never per request. */
  log(line: string): void;
  /**
   * The server refused the node (gRPC INVALID_ARGUMENT, e.g. a node id that names no node): the
   * client has stopped and will not reconnect. `message` says what and where. @default logged
   */
  onRefused?(message: string): void;
  /** First reconnect delay in ms. @default 500 */
  readonly initialBackoffMs?: number;
  /** Longest reconnect delay in ms. @default 30000 */
  readonly maxBackoffMs?: number;
}

/** Client side of mutual TLS to the control plane, PEM. */
export interface AdsClientTls {
  /** Roots the server certificate must chain to (`root-cert.pem`). */
  readonly caPem: string;
  /** This client's certificate, then intermediates (`cert-chain.pem`); absent: TLS without client certificate (with `tokenFile`). */
  readonly certificateChainPem?: string;
  /** Its private key (`key.pem`); given with `certificateChainPem`. */
  readonly privateKeyPem?: string;
}

interface TypeState { names: string[] | '*'; nonce: string; sent: boolean }

/** A NACK as sent, for /config_dump and tests. */
export interface NackRecord { readonly typeUrl: string; readonly version: string; readonly nonce: string; readonly message: string; readonly at: Date }

export class AdsClient {
  private client: grpc.Client | undefined;
  private call: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse> | undefined;
  private readonly types = new Map<string, TypeState>();
  private closed = false;
  private backoffMs: number;
  private timer: NodeJS.Timeout | undefined;
  private nodeSent = false;
  private queue: Promise<void> = Promise.resolve();
  /** True while a stream is open and has delivered at least one response. */
  connected = false;
  /** Some stream has delivered a response (the control plane accepted this client once). */
  private everConnected = false;
  /** A stream ended and a new one is being opened: its first response is logged as re-established. */
  private reconnecting = false;
  /** NACKs sent, newest last (at most 50 kept). */
  readonly nacks: NackRecord[] = [];
  /** Count of streams opened (1 + reconnects). */
  streams = 0;

  constructor(private readonly o: AdsClientOptions) {
    this.backoffMs = o.initialBackoffMs ?? 500;
  }

  start(): void {
    const t = this.o.tls;
    const credentials = !t ? grpc.credentials.createInsecure()
      : t.certificateChainPem !== undefined && t.privateKeyPem !== undefined ? grpc.credentials.createSsl(Buffer.from(t.caPem), Buffer.from(t.privateKeyPem), Buffer.from(t.certificateChainPem))
        : grpc.credentials.createSsl(Buffer.from(t.caPem));
    this.client = new AdsClientCtor(this.o.address, credentials, {
      'grpc.keepalive_time_ms': 30_000, 'grpc.initial_reconnect_backoff_ms': this.o.initialBackoffMs ?? 500,
      'grpc.max_reconnect_backoff_ms': this.o.maxBackoffMs ?? 30_000, 'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
    this.open();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.call?.cancel();
    this.client?.close();
  }

  private open(): void {
    if (this.closed) return;
    const md = new grpc.Metadata();
    if (this.o.tokenFile !== undefined) {
      let token: string;
      try {
        token = readFileSync(this.o.tokenFile, 'utf8').trim();
        if (!token) throw new Error('the file is empty');
      } catch (e) {
        const delay = Math.round(this.backoffMs * (0.75 + Math.random() * 0.5));
        this.o.log(`xds: --xds-token ${this.o.tokenFile}: cannot read a token (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); retrying in ${delay} ms`);
        this.backoffMs = Math.min(this.backoffMs * 2, this.o.maxBackoffMs ?? 30_000);
        this.timer = setTimeout(() => this.open(), delay);
        return;
      }
      md.set('authorization', `Bearer ${token}`);
    }
    this.streams++;
    this.nodeSent = false;
    const call = (this.client as unknown as { StreamAggregatedResources(md: grpc.Metadata): grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse> }).StreamAggregatedResources(md);
    this.call = call;
    let ended = false;
    const end = (why: string, code?: grpc.status) => {
      if (ended) return;
      ended = true;
      this.connected = false;
      if (this.call === call) this.call = undefined;
      if (this.closed) return;
      if (code === grpc.status.INVALID_ARGUMENT) {
        // The node itself is refused: every reconnect would be refused the same way.
        this.close();
        const message = `the control plane at ${this.o.address} refuses node "${this.o.nodeId}" (${why}); not retrying`;
        if (this.o.onRefused) this.o.onRefused(message); else this.o.log(`xds: ${message}`);
        return;
      }
      const delay = Math.round(this.backoffMs * (0.75 + Math.random() * 0.5));
      const kept = this.o.store.versions.size > 0 ? 'keeping the last good config' : 'no config received yet';
      // grpc-js says only "Failed to connect" when the TLS handshake fails: name what to check.
      const tlsHint = this.o.tls && code === grpc.status.UNAVAILABLE && !this.everConnected
        ? ' (over mutual TLS this is also how a refused handshake looks: the server must run with --tls, its certificate chain to --xds-ca and name the host dialled, and --xds-cert come from the CA it runs with)'
        : '';
      this.o.log(`xds: stream to ${this.o.address} ended (${why})${tlsHint}; ${kept}, reconnecting in ${delay} ms`);
      this.backoffMs = Math.min(this.backoffMs * 2, this.o.maxBackoffMs ?? 30_000);
      this.reconnecting = true;
      this.timer = setTimeout(() => this.open(), delay);
    };
    call.on('data', (r: DiscoveryResponse) => {
      if (this.reconnecting) {
        this.reconnecting = false;
        this.o.log(`xds: stream to ${this.o.address} re-established`);
      }
      this.connected = true;
      this.everConnected = true;
      this.backoffMs = this.o.initialBackoffMs ?? 500;
      // One response at a time, in order: applying one may wait for listeners to bind.
      this.queue = this.queue.then(() => this.onResponse(r)).catch((e: Error) => {
        this.o.log(`xds: internal error handling ${r.typeUrl}: ${e.stack ?? e}`);
      });
    });
    call.on('metadata', (md: grpc.Metadata) => {
      const why = md.get(UNSERVED_METADATA)[0];
      if (why !== undefined) this.o.log(`xds: the control plane at ${this.o.address} serves node "${this.o.nodeId}" no config: ${Buffer.from(why).toString('utf8')}`);
    });
    call.on('status', (s: grpc.StatusObject) => end(`${grpc.status[s.code]}: ${s.details}`, s.code));
    call.on('error', (e: grpc.ServiceError) => end(e.code !== undefined ? `${grpc.status[e.code]}: ${e.details}` : e.message, e.code));
    call.on('end', () => end('server closed the stream'));
    // Every type is subscribed afresh on a new stream, carrying the version last accepted.
    for (const s of this.types.values()) s.sent = false;
    this.types.set(TYPE_URL.cluster, this.types.get(TYPE_URL.cluster) ?? { names: '*', nonce: '', sent: false });
    for (const s of this.types.values()) s.nonce = '';
    this.sync();
  }

  private versionOf(typeUrl: string): string {
    const kind = ConfigStore.kindOf(typeUrl);
    return (kind ? this.o.store.versions.get(kind) : this.extraVersions.get(typeUrl)) ?? '';
  }
  private readonly extraVersions = new Map<string, string>();

  private send(typeUrl: string, s: TypeState, errorDetail?: string): void {
    if (!this.call) return;
    const node = this.nodeSent ? undefined : {
      id: this.o.nodeId, cluster: this.o.nodeCluster ?? '', userAgentName: 'meshproof-proxy', locality: { region: '', zone: '' },
      metadata: { fields: Object.fromEntries(Object.entries(this.o.metadata ?? {}).map(([k, v]) => [k, { kind: { case: 'stringValue' as const, value: v } }])) },
    };
    this.nodeSent = true;
    const req = create(DiscoveryRequestSchema, {
      node, typeUrl, versionInfo: this.versionOf(typeUrl), responseNonce: s.nonce,
      resourceNames: s.names === '*' ? [] : s.names,
      ...(errorDetail !== undefined ? { errorDetail: { code: 3, message: errorDetail } } : {}),
    });
    s.sent = true;
    this.call.write(req);
  }

  /**
   * Brings subscriptions in line with the store: CDS first; EDS and LDS once clusters arrived; RDS
   * once listeners arrived; extra types when they name something. Sends a request only for a type
   * whose names changed or that was not yet subscribed on this stream.
   */
  private sync(): void {
    const want = new Map<string, string[] | '*'>([[TYPE_URL.cluster, '*']]);
    const cdsSeen = this.o.store.versions.has('cluster') || this.o.store.clusters.size > 0 || this.types.get(TYPE_URL.cluster)?.nonce;
    if (cdsSeen) {
      want.set(TYPE_URL.endpoint, this.o.store.endpointNames());
      want.set(TYPE_URL.listener, '*');
    }
    if (this.o.store.versions.has('listener') || this.o.store.listeners.size > 0 || this.types.get(TYPE_URL.listener)?.nonce) want.set(TYPE_URL.route, this.o.store.routeNames());
    const listeners = [...this.o.store.listeners.values()].map((a) => a.resource);
    const clusters = [...this.o.store.clusters.values()].map((a) => a.resource);
    for (const x of this.o.extraTypes) want.set(x.typeUrl, x.names(listeners, clusters).sort());
    for (const [typeUrl, names] of want) {
      const s = this.types.get(typeUrl);
      if (!s) {
        if (names !== '*' && names.length === 0) continue;
        const ns = { names, nonce: '', sent: false };
        this.types.set(typeUrl, ns);
        this.send(typeUrl, ns);
        continue;
      }
      const changed = names === '*' || s.names === '*' ? names !== s.names : names.join('\n') !== s.names.join('\n');
      if (!s.sent && names !== '*' && names.length === 0) { s.names = names; continue; }
      if (changed || !s.sent) {
        s.names = names;
        this.send(typeUrl, s);
      }
    }
  }

  private async onResponse(r: DiscoveryResponse): Promise<void> {
    const s = this.types.get(r.typeUrl);
    if (!s) return; // a type never subscribed: nothing to answer.
    s.nonce = r.nonce;
    const kind: Kind | undefined = ConfigStore.kindOf(r.typeUrl);
    let error: string | undefined;
    if (kind) {
      const before = this.o.store.versions.get(kind);
      const res = this.o.store.apply(kind, r.versionInfo, r.resources as Any[]);
      error = res.error;
      if (res.change.updated.length > 0 || res.change.removed.length > 0) {
        const late = await this.o.onChange(res.change);
        if (late && late.length > 0) {
          error = [...(error ? [error] : []), ...late].join('\n');
          if (before === undefined) this.o.store.versions.delete(kind); else this.o.store.versions.set(kind, before);
        }
      }
    } else {
      const x = this.o.extraTypes.find((t) => t.typeUrl === r.typeUrl);
      const errs = x ? x.apply(r.resources as Any[], r.versionInfo) : [];
      error = errs.length > 0 ? errs.join('\n') : undefined;
      if (!error) this.extraVersions.set(r.typeUrl, r.versionInfo);
      await this.o.onChange({ kind: 'listener', updated: [], removed: [] });
    }
    if (this.call === undefined) return;
    if (error) {
      this.o.log(`xds: NACK ${r.typeUrl} version ${r.versionInfo}: ${error}`);
      this.nacks.push({ typeUrl: r.typeUrl, version: r.versionInfo, nonce: r.nonce, message: error, at: new Date() });
      if (this.nacks.length > 50) this.nacks.shift();
    }
    // ACK or NACK this response first (same names), then any subscription changes it caused.
    this.send(r.typeUrl, s, error);
    this.sync();
  }
}
