/**
 * What the ADS server knows about its clients: per node, what was sent, ACKed and NACKed (with the
 * client's `error_detail`), plus recent stream-level errors. Read through {@link XdsStatus.report}, or
 * over HTTP with `status-http.ts`. Bounded: a node's entry is dropped when its last stream closes,
 * unless it holds NACKs; NACK and error histories are ring buffers.
 */
import type { ResourceKind } from '../resources.js';

/** One NACK: the client refused `rejectedVersion` of `typeUrl` and keeps `clientVersion` (its last good). */
export interface NackRecord {
  readonly nodeId: string;
  readonly typeUrl: string;
  /** The version the server sent and the client refused. */
  readonly rejectedVersion: string;
  /** `DiscoveryRequest.version_info` of the NACK: the version the client still uses ('' if none yet). */
  readonly clientVersion: string;
  readonly nonce: string;
  /** `DiscoveryRequest.error_detail` (google.rpc.Status): gRPC code and the client's message. */
  readonly errorDetail: { readonly code: number; readonly message: string };
  /** ISO-8601 time the NACK arrived. */
  readonly at: string;
}

/** Per node and type: the last version sent and the last version the client ACKed. */
export interface TypeStatus {
  sentVersion?: string;
  ackedVersion?: string;
  lastNack?: NackRecord;
}

export interface NodeStatus {
  readonly nodeId: string;
  streams: number;
  readonly types: Partial<Record<ResourceKind, TypeStatus>>;
  /** Most recent NACKs, oldest first (at most {@link MAX_NACKS_PER_NODE}). */
  readonly nacks: NackRecord[];
  /** Type URLs the node asked for that this server does not serve (ignored, not fatal). */
  readonly unknownTypeUrls: string[];
  /** Requests ignored because their `response_nonce` was not the latest sent for the type. */
  staleNonces: number;
  /** SPIFFE IDs the node's streams authenticated as (client certificates, `xds serve --tls`); absent over plaintext. */
  peerIdentities?: string[];
  /** SDS secrets withheld from the node, newest last (at most {@link MAX_REFUSED_SECRETS}); absent when none. */
  refusedSecrets?: SecretRefusalRecord[];
}

/** An SDS secret the server left out of a response: the client's identity may not have it. */
export interface SecretRefusalRecord {
  readonly nodeId: string;
  /** The SDS resource name, e.g. `default`. */
  readonly name: string;
  /** The SPIFFE ID the client authenticated as ('' when its certificate carries none). */
  readonly peerIdentity: string;
  readonly reason: string;
  /** ISO-8601 time of the first refusal of this name to this identity on the node. */
  readonly at: string;
}

/**
 * A stream refused because its authenticated client may not name the node (`xds serve --tls`;
 * istiod's identity check): it ends with PERMISSION_DENIED and gets nothing.
 */
export interface NodeRefusalRecord {
  /** The client's address. */
  readonly peer: string;
  /** `node.id` of the refused request (at most 300 characters). */
  readonly nodeId: string;
  /** The namespace the node is served in (its config namespace). */
  readonly namespace: string;
  /** The service account the node said (metadata SERVICE_ACCOUNT); absent when it said none. */
  readonly serviceAccount?: string;
  /** The SPIFFE ID the client authenticated as ('' when its certificate carries none). */
  readonly peerIdentity: string;
  readonly reason: string;
  /** ISO-8601 time of the first refusal of this node to this identity. */
  readonly at: string;
  /** Refusals of this node to this identity so far (a refused proxy keeps reconnecting). */
  count?: number;
}

/** A stream the server ended because of the client's input. */
export interface StreamErrorRecord {
  readonly peer: string;
  readonly nodeId?: string;
  /** gRPC status name, e.g. `INVALID_ARGUMENT`. */
  readonly code: string;
  readonly message: string;
  readonly at: string;
}

export interface XdsStatusReport {
  readonly streams: number;
  readonly nodes: NodeStatus[];
  readonly errors: StreamErrorRecord[];
  /** Streams refused because the client may not name the node, oldest first (at most {@link MAX_REFUSED_NODES}); absent when none. */
  readonly refusedNodes?: NodeRefusalRecord[];
}

export const MAX_NACKS_PER_NODE = 16;
export const MAX_REFUSED_SECRETS = 16;
export const MAX_REFUSED_NODES = 64;
const MAX_PEER_IDENTITIES = 8;
const MAX_ERRORS = 64;
const MAX_UNKNOWN_TYPES = 8;

export class XdsStatus {
  private readonly nodes = new Map<string, NodeStatus>();
  private readonly errors: StreamErrorRecord[] = [];
  private readonly refusedNodes: NodeRefusalRecord[] = [];
  private openStreams = 0;

  streamOpened(): void { this.openStreams++; }
  streamClosed(nodeId: string | undefined): void {
    this.openStreams--;
    if (nodeId === undefined) return;
    const n = this.nodes.get(nodeId);
    if (!n) return;
    n.streams--;
    if (n.streams <= 0 && n.nacks.length === 0) this.nodes.delete(nodeId);
  }
  nodeIdentified(nodeId: string): void { this.node(nodeId).streams++; }

  recordSent(nodeId: string, kind: ResourceKind, version: string): void { this.type(nodeId, kind).sentVersion = version; }
  recordAck(nodeId: string, kind: ResourceKind, version: string): void { this.type(nodeId, kind).ackedVersion = version; }
  recordNack(kind: ResourceKind, nack: NackRecord): void {
    const n = this.node(nack.nodeId);
    this.type(nack.nodeId, kind).lastNack = nack;
    n.nacks.push(nack);
    if (n.nacks.length > MAX_NACKS_PER_NODE) n.nacks.shift();
  }
  recordUnknownType(nodeId: string, typeUrl: string): void {
    const u = this.node(nodeId).unknownTypeUrls;
    if (!u.includes(typeUrl) && u.length < MAX_UNKNOWN_TYPES) u.push(typeUrl.slice(0, 200));
  }
  recordStale(nodeId: string): void { this.node(nodeId).staleNonces++; }
  recordPeerIdentity(nodeId: string, spiffeId: string): void {
    const ids = (this.node(nodeId).peerIdentities ??= []);
    if (!ids.includes(spiffeId) && ids.length < MAX_PEER_IDENTITIES) ids.push(spiffeId.slice(0, 300));
  }
  /** Records a withheld secret; false when the same name was already refused to the same identity on the node (say it once). */
  recordSecretRefused(r: SecretRefusalRecord): boolean {
    const list = (this.node(r.nodeId).refusedSecrets ??= []);
    if (list.some((x) => x.name === r.name && x.peerIdentity === r.peerIdentity)) return false;
    list.push(r);
    if (list.length > MAX_REFUSED_SECRETS) list.shift();
    return true;
  }
  /** Records a refused node; false when the same node id was already refused to the same identity (counted, say it once). */
  recordNodeRefused(r: NodeRefusalRecord): boolean {
    const seen = this.refusedNodes.find((x) => x.nodeId === r.nodeId && x.peerIdentity === r.peerIdentity);
    if (seen) {
      seen.count = (seen.count ?? 1) + 1;
      return false;
    }
    this.refusedNodes.push({ ...r, count: 1 });
    if (this.refusedNodes.length > MAX_REFUSED_NODES) this.refusedNodes.shift();
    return true;
  }
  recordStreamError(e: StreamErrorRecord): void {
    this.errors.push(e);
    if (this.errors.length > MAX_ERRORS) this.errors.shift();
  }

  /** NACKs of one node (or of all nodes), oldest first. */
  nacks(nodeId?: string): NackRecord[] {
    if (nodeId !== undefined) return [...(this.nodes.get(nodeId)?.nacks ?? [])];
    return [...this.nodes.values()].flatMap((n) => n.nacks).sort((a, b) => a.at.localeCompare(b.at));
  }

  /** Status of one node, or `undefined` when it has no open stream and no NACK. */
  node(nodeId: string): NodeStatus;
  node(nodeId: string, create: false): NodeStatus | undefined;
  node(nodeId: string, create = true): NodeStatus | undefined {
    let n = this.nodes.get(nodeId);
    if (!n && create) this.nodes.set(nodeId, (n = { nodeId, streams: 0, types: {}, nacks: [], unknownTypeUrls: [], staleNonces: 0 }));
    return n;
  }

  /** A JSON-ready copy of everything: open streams, nodes sorted by id, recent stream errors. */
  report(): XdsStatusReport {
    const nodes = [...this.nodes.values()].sort((a, b) => a.nodeId.localeCompare(b.nodeId));
    return structuredClone({ streams: this.openStreams, nodes, errors: this.errors, ...(this.refusedNodes.length > 0 ? { refusedNodes: this.refusedNodes } : {}) });
  }

  private type(nodeId: string, kind: ResourceKind): TypeStatus {
    const n = this.node(nodeId);
    return (n.types[kind] ??= {});
  }
}
