/**
 * One State-of-the-World ADS stream: subscriptions per type, nonces, ACK/NACK, and pushes when the
 * node's snapshot changes. Free of sockets: `ads-server.ts` feeds it decoded requests and gives it
 * `send`/`fail`, so the protocol is testable without gRPC.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { Any } from '@bufbuild/protobuf/wkt';
import type { Node } from '../gen/envoy/config/core/v3/base_pb.js';
import { type DiscoveryRequest, DiscoveryResponseSchema } from '../gen/envoy/service/discovery/v3/discovery_pb.js';
import { PUSH_ORDER, type ResourceKind, SERVED_TYPE_URL, WILDCARD_KINDS, kindOfTypeUrl } from '../resources.js';
import type { SnapshotCache } from '../snapshot-cache.js';
import type { Snapshot, TypeSnapshot } from '../snapshot.js';
import { type NodeClaim, nodeClaim } from '../sds/node-identity.js';
import { nodeIdentityRefusal } from './node-authorization.js';
import type { NodeRefusalRecord, SecretRefusalRecord, XdsStatus } from './xds-status.js';

/** Limits on what one client may ask for. */
export interface AdsLimits {
  /** Most `resource_names` accepted in one request; more ends the stream with RESOURCE_EXHAUSTED. @default 10000 */
  readonly maxResourceNames: number;
  /** How long a stream whose client does not read may stay blocked (responses pending) before it is closed, ms. @default 30000 */
  readonly drainTimeoutMs: number;
  /** Bytes written to a stream but not yet flushed above which further responses wait (one per type). @default 1048576 */
  readonly maxInFlightBytes: number;
}
export const DEFAULT_ADS_LIMITS: AdsLimits = { maxResourceNames: 10_000, drainTimeoutMs: 30_000, maxInFlightBytes: 1 << 20 };

/**
 * Maps a node to its snapshot-cache key (go-control-plane's `NodeHash`); `known` tells whether the
 * cache holds a snapshot for a key. @default the node's id
 */
/**
 * The snapshot-cache key of a node (go-control-plane's `NodeHash`); `known(key)` says whether the cache
 * holds a snapshot for a key. Throws (an Error whose message says what is wrong and which forms are
 * accepted) for an id that can never name a node: the stream then ends with INVALID_ARGUMENT.
 */
export type NodeKeyFn = (node: Node | undefined, known: (key: string) => boolean) => string;

/** gRPC status names the stream can end with (mapped to codes by the server). */
export type AdsFailure = 'INVALID_ARGUMENT' | 'RESOURCE_EXHAUSTED' | 'PERMISSION_DENIED';

export interface AdsStreamIo {
  readonly cache: SnapshotCache;
  readonly status: XdsStatus;
  readonly limits: AdsLimits;
  readonly nodeKey?: NodeKeyFn;
  /** Writes one encoded `DiscoveryResponse` of `kind` on the stream. */
  send(response: Uint8Array, kind: ResourceKind): void;
  /** Ends the stream with an error status; no further calls follow. */
  fail(code: AdsFailure, message: string): void;
  /** Why a node without a snapshot gets nothing (`AdsServerOptions.whyUnserved`). @default none */
  readonly whyUnserved?: (key: string) => string | undefined;
  /** Tells the client `message` before any response (initial metadata). @default not told */
  notice?(message: string): void;
  /**
   * The client authenticated with a certificate (mTLS): the SPIFFE ID in it (undefined when it has
   * none). With `secretAccess`, SDS secrets are then filtered for it. @default not authenticated
   */
  readonly peer?: { readonly spiffeId: string | undefined };
  /** Why the authenticated peer may not have a secret of the node (undefined: it may); the secret is left out of responses. @default every secret served */
  readonly secretAccess?: SecretAccessFn;
  /** Called the first time a secret is withheld from an identity on a node (the record is on the status too). */
  onSecretRefused?(record: SecretRefusalRecord): void;
  /**
   * Who a node claims to be, judged against the authenticated peer at the stream's first request
   * (`node-authorization.ts`); undefined: no namespace to compare, as istiod skips an empty
   * ConfigNamespace. @default {@link nodeClaim}
   */
  readonly nodeClaim?: (node: Node | undefined) => NodeClaim | undefined;
  /** Called the first time an identity is refused a node (the record is on the status too). */
  onNodeRefused?(record: NodeRefusalRecord): void;
}

/**
 * Why the client authenticated as `peerIdentity` (its certificate's SPIFFE ID, undefined when it has
 * none) may not receive the SDS secret `name` of node `nodeKey`, or undefined when it may.
 */
export type SecretAccessFn = (peerIdentity: string | undefined, nodeKey: string, name: string, resource: Any) => string | undefined;

interface Subscription {
  readonly wildcard: boolean;
  readonly names: ReadonlySet<string>;
  readonly legacyWildcard?: boolean;
  /** Identifies the selection, for the encoded-response cache. */
  key?: string;
}

/**
 * Encoded `DiscoveryResponse`s without nonce, per type snapshot and subscription: a push to a thousand
 * streams with the same subscription encodes the resources once. Each stream appends its own nonce
 * (concatenated protobuf encodings of one message merge, and the body has no nonce field).
 */
const encodedBodies = new WeakMap<TypeSnapshot, Map<string, Uint8Array>>();

interface TypeState {
  sub: Subscription;
  sentVersion?: string;
  sentNonce?: string;
}

const NONE: Subscription = { wildcard: false, names: new Set() };
const LEGACY_WILDCARD: Subscription = { wildcard: true, names: new Set(), legacyWildcard: true };

export class AdsStream {
  /** The snapshot-cache key of the node (its id unless `io.nodeKey` maps it). */
  private nodeId: string | undefined;
  private rawNodeId: string | undefined;
  private readonly types = new Map<ResourceKind, TypeState>();
  private nonce = 0;
  private unwatch: (() => void) | undefined;
  private closed = false;

  constructor(private readonly io: AdsStreamIo, private readonly peer: string) {
    io.status.streamOpened();
  }

  /** The node's snapshot-cache key, once the first request named it. */
  get node(): string | undefined {
    return this.nodeId;
  }

  /** Handles one request. Returns after any responses it causes were passed to `send`. */
  onRequest(req: DiscoveryRequest): void {
    if (this.closed) return;
    const nodeId = this.identify(req);
    if (nodeId === undefined) return;
    const kind = kindOfTypeUrl(req.typeUrl);
    // An unknown type (SDS secrets, a future type) is ignored, not fatal: ending the stream would also
    // cut the client off from the types it does understand.
    if (kind === undefined) return this.io.status.recordUnknownType(nodeId, req.typeUrl);
    if (req.resourceNames.length > this.io.limits.maxResourceNames) {
      return this.failWith('RESOURCE_EXHAUSTED', `DiscoveryRequest for ${req.typeUrl} names ${req.resourceNames.length} resources; this server accepts at most ${this.io.limits.maxResourceNames} per request`);
    }
    const known = this.types.get(kind);
    if (req.responseNonce !== '' && req.responseNonce !== known?.sentNonce) {
      // Stale: answers a response that a newer one has replaced; its names and error are out of date.
      return this.io.status.recordStale(nodeId);
    }
    const state = known ?? { sub: NONE };
    if (!known) this.types.set(kind, state);
    if (req.responseNonce !== '') this.recordAckOrNack(nodeId, kind, state, req);
    const next = subscriptionOf(kind, req.resourceNames, state.sub, known === undefined);
    const changed = !sameSubscription(state.sub, next);
    state.sub = next;
    // A pure ACK or NACK (answered nonce, same names) gets no reply: replying would loop forever.
    if (req.responseNonce === '' || changed) this.respond(kind, state);
  }

  /** Ends the stream with INVALID_ARGUMENT for a message that did not decode as a DiscoveryRequest. */
  onUndecodable(message: string): void {
    if (!this.closed) this.failWith('INVALID_ARGUMENT', message);
  }

  /** Pushes each subscribed type whose version changed, in CDS → EDS → LDS → RDS order (PUSH_ORDER). */
  pushChanged(snapshot: Snapshot): void {
    if (this.closed) return;
    for (const kind of PUSH_ORDER) {
      const state = this.types.get(kind);
      if (state && state.sentVersion !== snapshot.types[kind].version) this.respond(kind, state, snapshot);
    }
  }

  /** Releases the watch and the status entry; safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unwatch?.();
    this.unwatch = undefined;
    this.io.status.streamClosed(this.nodeId);
  }

  private identify(req: DiscoveryRequest): string | undefined {
    const id = req.node?.id ?? '';
    if (this.nodeId === undefined) {
      if (!id) {
        this.failWith('INVALID_ARGUMENT', 'the first DiscoveryRequest on a stream must carry node.id (Envoy: --service-node or bootstrap node.id; gRPC: bootstrap "node": {"id": …})');
        return undefined;
      }
      if (id.length > 1024) {
        this.failWith('INVALID_ARGUMENT', `node.id is ${id.length} characters; at most 1024 are accepted`);
        return undefined;
      }
      // Judged before the node key is made: making it may start work for the node (a placed proxy's certificate).
      if (this.io.peer && this.refuseNode(req.node, id)) return undefined;
      let key = id;
      if (this.io.nodeKey) {
        try {
          key = this.io.nodeKey(req.node, (k) => this.io.cache.getSnapshot(k) !== undefined);
        } catch (e) {
          // A node id that can never name a node: the client is told why, not left waiting.
          this.failWith('INVALID_ARGUMENT', e instanceof Error ? e.message : String(e));
          return undefined;
        }
      }
      this.rawNodeId = id;
      this.nodeId = key;
      this.io.status.nodeIdentified(key);
      if (this.io.peer?.spiffeId !== undefined) this.io.status.recordPeerIdentity(key, this.io.peer.spiffeId);
      if (this.io.cache.getSnapshot(key) === undefined) {
        const why = this.io.whyUnserved?.(key);
        if (why !== undefined) this.io.notice?.(why);
      }
      this.unwatch = this.io.cache.watch(key, (s) => this.pushChanged(s));
      return key;
    }
    if (id && id !== this.rawNodeId) {
      this.failWith('INVALID_ARGUMENT', `node.id changed on one stream from "${this.rawNodeId}" to "${id.slice(0, 100)}"; open one stream per node`);
      return undefined;
    }
    return this.nodeId;
  }

  /**
   * Ends the stream with PERMISSION_DENIED when the authenticated peer may not name this node (istiod's
   * `authorize` at `initConnection`); true when it did. The node is fixed by the first request, so this is
   * judged once per stream: a later request naming another node ends the stream (see identify).
   */
  private refuseNode(node: Node | undefined, id: string): boolean {
    const claim = (this.io.nodeClaim ?? nodeClaim)(node);
    if (claim === undefined) return false;
    const peerIdentity = this.io.peer!.spiffeId;
    const reason = nodeIdentityRefusal(peerIdentity, claim);
    if (reason === undefined) return false;
    const record: NodeRefusalRecord = {
      peer: this.peer, nodeId: id.slice(0, 300), namespace: claim.namespace, ...(claim.serviceAccount !== undefined ? { serviceAccount: claim.serviceAccount } : {}),
      peerIdentity: peerIdentity ?? '', reason, at: new Date().toISOString(),
    };
    if (this.io.status.recordNodeRefused(record)) this.io.onNodeRefused?.(record);
    this.failWith('PERMISSION_DENIED', `node.id ${JSON.stringify(record.nodeId)} is not served to this client: ${reason}`);
    return true;
  }

  private recordAckOrNack(nodeId: string, kind: ResourceKind, state: TypeState, req: DiscoveryRequest): void {
    if (req.errorDetail) {
      this.io.status.recordNack(kind, {
        nodeId, typeUrl: req.typeUrl, rejectedVersion: state.sentVersion ?? '', clientVersion: req.versionInfo, nonce: req.responseNonce,
        errorDetail: { code: req.errorDetail.code, message: req.errorDetail.message.slice(0, 4096) }, at: new Date().toISOString(),
      });
    } else {
      this.io.status.recordAck(nodeId, kind, req.versionInfo);
    }
  }

  private respond(kind: ResourceKind, state: TypeState, snapshot = this.io.cache.getSnapshot(this.nodeId!)): void {
    // No snapshot yet: the watch sends one when the node's first snapshot is published.
    if (!snapshot) return;
    if (!state.sub.wildcard && state.sub.names.size === 0) return;
    const typeSnapshot = snapshot.types[kind];
    const nonce = String(++this.nonce);
    state.sentVersion = typeSnapshot.version;
    state.sentNonce = nonce;
    this.io.status.recordSent(this.nodeId!, kind, typeSnapshot.version);
    const body = kind === 'secret' && this.io.peer && this.io.secretAccess ? this.authorizedSecrets(typeSnapshot, state.sub) : encodedBody(kind, typeSnapshot, state.sub);
    const tail = toBinary(DiscoveryResponseSchema, create(DiscoveryResponseSchema, { nonce }));
    const bytes = new Uint8Array(body.length + tail.length);
    bytes.set(body);
    bytes.set(tail, body.length);
    this.io.send(bytes, kind);
  }

  /**
   * The secrets of the subscription the authenticated peer may have, encoded (not cached: the
   * selection depends on the peer). The version is the type's: a secret withheld is never sent, so
   * the client simply lacks it (NACK-free, as istiod).
   */
  private authorizedSecrets(typeSnapshot: TypeSnapshot, sub: Subscription): Uint8Array {
    const named = sub.wildcard ? [...typeSnapshot.resources] : [...sub.names].sort().flatMap((n) => { const r = typeSnapshot.resources.get(n); return r ? [[n, r] as const] : []; });
    const peer = this.io.peer!.spiffeId;
    const resources = named.filter(([name, resource]) => {
      const reason = this.io.secretAccess!(peer, this.nodeId!, name, resource);
      if (reason === undefined) return true;
      const record = { nodeId: this.nodeId!, name, peerIdentity: peer ?? '', reason, at: new Date().toISOString() };
      if (this.io.status.recordSecretRefused(record)) this.io.onSecretRefused?.(record);
      return false;
    }).map(([, r]) => r);
    return toBinary(DiscoveryResponseSchema, create(DiscoveryResponseSchema, { versionInfo: typeSnapshot.version, resources, typeUrl: SERVED_TYPE_URL.secret }));
  }

  private failWith(code: AdsFailure, message: string): void {
    this.io.status.recordStreamError({ peer: this.peer, nodeId: this.nodeId, code, message, at: new Date().toISOString() });
    this.close();
    this.io.fail(code, message);
  }
}

/**
 * The subscription a request asks for. `*` is an explicit wildcard. For LDS and CDS a first request
 * with no names is a (legacy) wildcard, and stays one while later requests carry no names (Envoy ACKs
 * that way). Otherwise an empty list unsubscribes from everything: after explicit names for any type,
 * and always for RDS and EDS (grpc-js-xds sends it when its last watcher goes).
 */
function subscriptionOf(kind: ResourceKind, names: readonly string[], prev: Subscription, first: boolean): Subscription {
  if (names.includes('*')) return { wildcard: true, names: new Set(names.filter((n) => n !== '*')) };
  if (names.length === 0) return (first && WILDCARD_KINDS.has(kind)) || prev.legacyWildcard ? LEGACY_WILDCARD : NONE;
  return { wildcard: false, names: new Set(names) };
}

function encodedBody(kind: ResourceKind, typeSnapshot: TypeSnapshot, sub: Subscription): Uint8Array {
  sub.key ??= sub.wildcard ? `*\n${[...sub.names].sort().join('\n')}` : [...sub.names].sort().join('\n');
  let bodies = encodedBodies.get(typeSnapshot);
  if (!bodies) encodedBodies.set(typeSnapshot, (bodies = new Map()));
  let body = bodies.get(sub.key);
  if (!body) {
    const resources = sub.wildcard
      ? [...typeSnapshot.resources.values()]
      : [...sub.names].sort().flatMap((n) => typeSnapshot.resources.get(n) ?? []);
    body = toBinary(DiscoveryResponseSchema, create(DiscoveryResponseSchema, { versionInfo: typeSnapshot.version, resources, typeUrl: SERVED_TYPE_URL[kind] }));
    // Bounded: one entry per distinct subscription; a client churning names cannot grow it without limit.
    if (bodies.size < 1024) bodies.set(sub.key, body);
  }
  return body;
}

function sameSubscription(a: Subscription, b: Subscription): boolean {
  if (a.wildcard !== b.wildcard || a.legacyWildcard !== b.legacyWildcard || a.names.size !== b.names.size) return false;
  for (const n of a.names) if (!b.names.has(n)) return false;
  return true;
}
