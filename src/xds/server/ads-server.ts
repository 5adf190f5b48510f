/**
 * The gRPC edge of the control plane: `envoy.service.discovery.v3.AggregatedDiscoveryService`
 * (State of the World only; Delta answers UNIMPLEMENTED) over `@grpc/grpc-js`, reading snapshots from
 * a {@link SnapshotCache}. Messages are (de)serialised with the generated @bufbuild/protobuf schemas,
 * so no .proto file is loaded at run time.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { AggregatedDiscoveryService } from '../gen/envoy/service/discovery/v3/ads_pb.js';
import { type DiscoveryRequest, DiscoveryRequestSchema, type DiscoveryResponse, DiscoveryResponseSchema } from '../gen/envoy/service/discovery/v3/discovery_pb.js';
import { PkiError, spiffeIdOfCertificate } from '../../pki/index.js';
import { UNSERVED_METADATA } from '../resources.js';
import type { SnapshotCache } from '../snapshot-cache.js';
import { type AdsFailure, type AdsLimits, AdsStream, DEFAULT_ADS_LIMITS, type NodeKeyFn, type SecretAccessFn } from './ads-stream.js';
import { StreamWriter } from './stream-writer.js';
import { type NodeRefusalRecord, type SecretRefusalRecord, XdsStatus } from './xds-status.js';
import { type TokenAuthenticator, TokenReviewError } from './token-review.js';
import type { Node } from '../gen/envoy/config/core/v3/base_pb.js';
import type { NodeClaim } from '../sds/node-identity.js';

const SOTW = AggregatedDiscoveryService.method.streamAggregatedResources;

/** What the deserializer hands on for bytes that are not a DiscoveryRequest. */
interface Undecodable { readonly undecodable: string }

/** Options of {@link AdsServer}. */
export interface AdsServerOptions {
  /** Where snapshots come from; the server never writes to it. */
  readonly cache: SnapshotCache;
  /** Where ACKs, NACKs and stream errors are recorded. @default a new XdsStatus */
  readonly status?: XdsStatus;
  readonly limits?: Partial<AdsLimits>;
  /** Maps a node to its snapshot-cache key (e.g. Istio node ids to `<namespace>/<workload>`). @default node.id */
  readonly nodeKey?: NodeKeyFn;
  /** Extra @grpc/grpc-js server options (e.g. `grpc.max_receive_message_length`, default 4 MiB). */
  readonly grpcOptions?: grpc.ServerOptions;
  /** Called when the last open stream of a node (by its snapshot-cache key) closes. */
  readonly onNodeGone?: (key: string) => void;
  /**
   * Why a node the cache holds no snapshot for gets nothing (undefined: no reason to tell), sent to
   * its client once, when its stream names the node, as initial metadata `UNSERVED_METADATA`
   * (UTF-8): the stream stays open, and a snapshot made later is still pushed. @default none told
   */
  readonly whyUnserved?: (key: string) => string | undefined;
  /**
   * Over mTLS ({@link AdsServer.listen} with `tls`): why the client, by the SPIFFE ID of its verified
   * certificate, may not receive an SDS secret of its node (undefined: it may). A refused secret is
   * left out of the response (NACK-free, as istiod's `filterAuthorizedResources`), recorded on the
   * status under the node (`refusedSecrets`) and passed to `onSecretRefused` once per name and
   * identity. Unused over plaintext. @default every secret served
   */
  readonly secretAccess?: SecretAccessFn;
  readonly onSecretRefused?: (record: SecretRefusalRecord) => void;
  /**
   * Over mTLS: who a node claims to be (its config namespace, and its service account when
   * `SERVICE_ACCOUNT` metadata says one). A stream whose first request names a node outside the
   * namespace of the client certificate's SPIFFE ID (or, when said, its service account) ends with
   * PERMISSION_DENIED and gets nothing, as istiod's `checkConnectionIdentity`; it is recorded on the
   * status (`refusedNodes`) and passed to `onNodeRefused` once per node id and identity. Unused over
   * plaintext. @default nodeClaim (src/xds/sds/node-identity.ts)
   */
  readonly nodeClaim?: (node: Node | undefined) => NodeClaim | undefined;
  readonly onNodeRefused?: (record: NodeRefusalRecord) => void;
  /**
   * Judges the bearer token of a stream when {@link AdsServer.listen} runs with `tls.clientAuth`
   * `'token'` (see token-review.ts: a Kubernetes TokenReview). The stream's identity is then
   * `spiffe://<trustDomain>/ns/<namespace>/sa/<service account>`, judged as a certificate's would be.
   */
  readonly tokenAuthenticator?: TokenAuthenticator;
  /** The trust domain of identities from tokens (a function: read per stream, e.g. after the mesh config is loaded). @default cluster.local */
  readonly trustDomain?: string | (() => string);
  /** Called when a stream is refused for its token (UNAUTHENTICATED); it is recorded on the status's errors too. */
  readonly onUnauthenticated?: (peer: string, message: string) => void;
}

/** Server side of mutual TLS, PEM: the server's certificate and key, and the roots client certificates must chain to. */
export interface AdsServerTls {
  /** Leaf then intermediates. */
  readonly certificateChainPem: string;
  /** PKCS#8 or SEC1 PEM. */
  readonly privateKeyPem: string;
  /** Client certificates must chain to one of these; a client without one is refused in the handshake. */
  readonly clientCaPem: string;
  /**
   * How clients authenticate: `'certificate'` (mutual TLS, the certificate's SPIFFE ID) or `'token'`
   * (TLS without client certificate; `authorization: Bearer <token>` metadata judged by
   * `AdsServerOptions.tokenAuthenticator`; istiod's port 15012 with a JWT). @default 'certificate'
   */
  readonly clientAuth?: 'certificate' | 'token';
}

/** Requests a stream may send while its token is being reviewed; more ends it RESOURCE_EXHAUSTED. */
const MAX_REQUESTS_BEFORE_AUTH = 64;

export class AdsServer {
  readonly status: XdsStatus;
  private readonly server: grpc.Server;
  private readonly streams = new Set<AdsStream>();
  private clientAuth: 'none' | 'certificate' | 'token' = 'none';

  constructor(private readonly options: AdsServerOptions) {
    this.status = options.status ?? new XdsStatus();
    this.server = new grpc.Server(options.grpcOptions);
    this.server.addService(this.serviceDefinition(), { [SOTW.localName]: this.handle.bind(this) });
  }

  /**
   * Listens on `address` (`host:port`; port 0 picks a free one): plaintext, or with `tls` mutual TLS
   * (TLS 1.2+, a client certificate chained to `tls.clientCaPem` required in the handshake). Resolves
   * with the bound port; rejects with grpc-js's error when the address is taken or invalid.
   */
  listen(address: string, tls?: AdsServerTls): Promise<number> {
    const byToken = tls?.clientAuth === 'token';
    if (byToken && !this.options.tokenAuthenticator) return Promise.reject(new Error('AdsServer.listen: tls.clientAuth "token" needs AdsServerOptions.tokenAuthenticator (e.g. kubeTokenReviewer)'));
    const credentials = tls
      ? grpc.ServerCredentials.createSsl(Buffer.from(tls.clientCaPem), [{ cert_chain: Buffer.from(tls.certificateChainPem), private_key: Buffer.from(tls.privateKeyPem) }], !byToken)
      : grpc.ServerCredentials.createInsecure();
    this.clientAuth = tls ? (byToken ? 'token' : 'certificate') : 'none';
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
    });
  }

  /** Open ADS streams. */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Whether a stream of the node with this snapshot-cache key is open. */
  hasStream(key: string): boolean {
    for (const s of this.streams) if (s.node === key) return true;
    return false;
  }

  /** Stops accepting streams and ends open ones after `graceMs` (default 1000 ms). */
  close(graceMs = 1000): Promise<void> {
    for (const s of this.streams) s.close();
    this.streams.clear();
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.server.forceShutdown(); resolve(); }, graceMs);
      this.server.tryShutdown(() => { clearTimeout(timer); resolve(); });
    });
  }

  private handle(call: grpc.ServerDuplexStream<DiscoveryRequest | Undecodable, Uint8Array>): void {
    if (this.clientAuth === 'token') return this.authenticateThenServe(call);
    this.serve(call, this.clientAuth === 'certificate' ? { spiffeId: peerSpiffeId(call) } : undefined);
  }

  /**
   * Reviews the stream's bearer token before anything else: requests that arrive meanwhile wait (at
   * most MAX_REQUESTS_BEFORE_AUTH), and a stream without an accepted token ends UNAUTHENTICATED saying
   * why, as istiod's `authenticate` (its message says what to fix; the server goes on serving others).
   */
  private authenticateThenServe(call: grpc.ServerDuplexStream<DiscoveryRequest | Undecodable, Uint8Array>): void {
    const peer = safePeer(call);
    const pending: (DiscoveryRequest | Undecodable)[] = [];
    let gone = false;
    const hold = (req: DiscoveryRequest | Undecodable) => {
      pending.push(req);
      if (pending.length > MAX_REQUESTS_BEFORE_AUTH) refuse('RESOURCE_EXHAUSTED', `more than ${MAX_REQUESTS_BEFORE_AUTH} requests arrived before the token was reviewed; send one and wait for the answer`);
    };
    const leave = () => { gone = true; };
    // A client that half-closes before its token is judged is answered with the end of the stream.
    const halfClosed = () => { if (!gone) { gone = true; call.end(); } };
    const listeners = [['data', hold], ['end', halfClosed], ['error', leave], ['cancelled', leave], ['close', leave]] as const;
    for (const [event, fn] of listeners) call.on(event, fn);
    const refuse = (code: 'UNAUTHENTICATED' | 'RESOURCE_EXHAUSTED', message: string) => {
      this.status.recordStreamError({ peer, code, message, at: new Date().toISOString() });
      if (code === 'UNAUTHENTICATED') this.options.onUnauthenticated?.(peer, message);
      if (!gone) { gone = true; call.emit('error', { code: grpc.status[code], details: message }); }
    };
    const values = call.metadata.get('authorization');
    const header = values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined;
    const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!token) {
      return refuse('UNAUTHENTICATED', `${values.length > 1 ? 'more than one' : header === undefined ? 'no' : 'a malformed'} authorization metadata: this server authenticates ADS clients by a Kubernetes service-account token, sent as gRPC metadata "authorization: Bearer <token>" `
        + '(meshproof proxy --xds-token <file>, e.g. a projected token with audience istio-ca at /var/run/secrets/tokens/istio-token)');
    }
    this.options.tokenAuthenticator!(token).then((id) => {
      if (gone) return;
      for (const [event, fn] of listeners) call.off(event, fn);
      const handler = this.serve(call, { spiffeId: `spiffe://${trustDomainOf(this.options.trustDomain)}/ns/${id.namespace}/sa/${id.serviceAccount}` });
      for (const req of pending.splice(0)) handler(req);
    }, (e: unknown) => {
      // Not judged (too many reviews waiting): not a bad token, so not UNAUTHENTICATED; the client retries.
      if (e instanceof TokenReviewError && e.code === 'TOKEN_REVIEWS_BUSY') return refuse('RESOURCE_EXHAUSTED', `the service-account token was not reviewed: ${e.message}`);
      refuse('UNAUTHENTICATED', `the service-account token was not accepted: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  /** Serves one stream whose client is `authenticated` (undefined over plaintext); returns its request handler. */
  private serve(call: grpc.ServerDuplexStream<DiscoveryRequest | Undecodable, Uint8Array>, authenticated: { readonly spiffeId: string | undefined } | undefined): (req: DiscoveryRequest | Undecodable) => void {
    const peer = safePeer(call);
    let ended = false;
    const limits = { ...DEFAULT_ADS_LIMITS, ...this.options.limits };
    const fail = (code: AdsFailure, message: string) => {
      if (ended) return;
      ended = true;
      writer.close();
      call.emit('error', { code: grpc.status[code], details: message });
    };
    // Backpressure: a client that stops reading gets at most one pending response per type, and is
    // cut off when it stays blocked for drainTimeoutMs (see stream-writer.ts).
    const writer = new StreamWriter(call, limits, (blockedMs) => {
      const message = `the client read nothing for ${blockedMs} ms while responses were pending (drainTimeoutMs ${limits.drainTimeoutMs}); stream closed`;
      this.status.recordStreamError({ peer, nodeId: stream.node, code: 'RESOURCE_EXHAUSTED', message, at: new Date().toISOString() });
      finish();
      fail('RESOURCE_EXHAUSTED', message);
    });
    const stream: AdsStream = new AdsStream({
      cache: this.options.cache,
      status: this.status,
      limits,
      ...(this.options.nodeKey ? { nodeKey: this.options.nodeKey } : {}),
      ...(this.options.whyUnserved ? { whyUnserved: this.options.whyUnserved } : {}),
      ...(authenticated ? { peer: authenticated } : {}),
      ...(this.options.secretAccess ? { secretAccess: this.options.secretAccess } : {}),
      ...(this.options.onSecretRefused ? { onSecretRefused: this.options.onSecretRefused } : {}),
      ...(this.options.nodeClaim ? { nodeClaim: this.options.nodeClaim } : {}),
      ...(this.options.onNodeRefused ? { onNodeRefused: this.options.onNodeRefused } : {}),
      notice: (message) => {
        if (ended) return;
        const md = new grpc.Metadata();
        md.set(UNSERVED_METADATA, Buffer.from(message, 'utf8'));
        call.sendMetadata(md);
      },
      send: (response, kind) => { if (!ended) writer.send(kind, response); },
      fail,
    }, peer);
    this.streams.add(stream);
    const finish = () => {
      writer.close();
      stream.close();
      if (!this.streams.delete(stream)) return;
      const key = stream.node;
      if (key !== undefined && this.options.onNodeGone && !this.hasStream(key)) this.options.onNodeGone(key);
    };
    const onData = (req: DiscoveryRequest | Undecodable) => {
      try {
        if ('undecodable' in req) stream.onUndecodable(req.undecodable);
        else stream.onRequest(req);
      } catch (err) {
        this.status.recordStreamError({ peer, code: 'INTERNAL', message: `server error handling ${'typeUrl' in req ? req.typeUrl : 'a request'}: ${(err as Error).message}`, at: new Date().toISOString() });
        finish();
        if (!ended) { ended = true; call.emit('error', { code: grpc.status.INTERNAL, details: 'internal error; see the server status' }); }
      }
    };
    call.on('data', onData);
    call.on('end', () => { finish(); if (!ended) { ended = true; call.end(); } });
    call.on('cancelled', finish);
    call.on('error', finish);
    call.on('close', finish);
    call.on('finish', finish);
    return onData;
  }

  private serviceDefinition(): grpc.ServiceDefinition {
    return {
      [SOTW.localName]: {
        path: `/${AggregatedDiscoveryService.typeName}/${SOTW.name}`,
        requestStream: true,
        responseStream: true,
        requestSerialize: (m: DiscoveryRequest) => Buffer.from(toBinary(DiscoveryRequestSchema, m)),
        // A throwing deserializer makes grpc-js end the call itself, with no detail for the client and
        // no event for the handler (the stream would leak). So undecodable input is passed on as a value.
        requestDeserialize: (b: Buffer): DiscoveryRequest | Undecodable => {
          try {
            return fromBinary(DiscoveryRequestSchema, b);
          } catch (err) {
            return { undecodable: `request is not an envoy.service.discovery.v3.DiscoveryRequest (${b.length} bytes): ${(err as Error).message}` };
          }
        },
        // AdsStream hands over encoded responses (see encodedBody in ads-stream.ts).
        responseSerialize: (m: Uint8Array) => Buffer.from(m.buffer, m.byteOffset, m.byteLength),
        responseDeserialize: (b: Buffer) => fromBinary(DiscoveryResponseSchema, b),
      },
    };
  }
}

function trustDomainOf(t: AdsServerOptions['trustDomain']): string {
  return (typeof t === 'function' ? t() : t) ?? 'cluster.local';
}

/** The SPIFFE ID (URI SAN) of the client's verified certificate, or undefined when it carries none. */
function peerSpiffeId(call: grpc.ServerDuplexStream<unknown, unknown>): string | undefined {
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  if (!raw) return undefined;
  try {
    return spiffeIdOfCertificate(raw);
  } catch (e) {
    if (e instanceof PkiError) return undefined;
    throw e;
  }
}

function safePeer(call: grpc.ServerDuplexStream<unknown, unknown>): string {
  try {
    return call.getPeer();
  } catch {
    return 'unknown';
  }
}
