/**
 * Which proxy an ADS node is: meshproof's own node ids (`<namespace>/<workload>`, `grpc:<namespace>/<workload>`)
 * or Istio's (`<type>~<ip>~<pod>.<namespace>~<namespace>.svc.<domain>`, with `WORKLOAD_NAME`,
 * `NAMESPACE` and `GENERATOR` in `node.metadata`, as istio-agent and proxyless gRPC bootstraps set them).
 */
import type { Node } from '../gen/envoy/config/core/v3/base_pb.js';

/** An Istio node id, parsed (istio `pilot/pkg/model` `ParseServiceNodeWithMetadata`). */
export interface IstioNodeId {
  /** `sidecar` or `router`. */
  readonly type: string;
  readonly ip: string;
  readonly podName: string;
  readonly namespace: string;
  /** The `<namespace>.svc.<domain>` part. */
  readonly dnsDomain: string;
}

/** Parses `<type>~<ip>~<pod>.<namespace>~<domain>`; `undefined` when `id` has another shape. */
export function parseIstioNodeId(id: string): IstioNodeId | undefined {
  const parts = id.split('~');
  if (parts.length !== 4) return undefined;
  const [type, ip, podDotNs, dnsDomain] = parts as [string, string, string, string];
  if (type !== 'sidecar' && type !== 'router') return undefined;
  const dot = podDotNs.indexOf('.');
  if (dot <= 0 || dot === podDotNs.length - 1) return undefined;
  return { type, ip, podName: podDotNs.slice(0, dot), namespace: podDotNs.slice(dot + 1), dnsDomain };
}

/** A string field of `node.metadata` (a google.protobuf.Struct), or `undefined`. */
export function nodeMetadataString(node: Node | undefined, key: string): string | undefined {
  const v = node?.metadata?.[key];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The snapshot-cache key of a node (go-control-plane's `NodeHash`): meshproof ids as they are; an
 * Istio id becomes `[grpc:]<namespace>/<workload>`, the first candidate `known(key)` accepts of: the
 * pod name (a StatefulSet pod with a proxy of its own), `WORKLOAD_NAME`, the pod name with up to two
 * generated suffixes removed (`reviews-v1-7f9c6d-x2x4z` → `reviews-v1`); `grpc:` when `GENERATOR` is `grpc` (proxyless). Any other id
 * is its own key.
 */
export function nodeCacheKey(node: Node | undefined, known: (key: string) => boolean): string {
  const id = node?.id ?? '';
  const istio = parseIstioNodeId(id);
  if (!istio) return id;
  const prefix = nodeMetadataString(node, 'GENERATOR') === 'grpc' ? 'grpc:' : '';
  const ns = istioConfigNamespace(node, istio);
  const segments = istio.podName.split('-');
  // The pod's own name first: a StatefulSet whose pods policies tell apart has a proxy per pod.
  const candidates = [istio.podName, nodeMetadataString(node, 'WORKLOAD_NAME'), segments.slice(0, -1).join('-'), segments.slice(0, -2).join('-')]
    .filter((c): c is string => !!c);
  for (const c of candidates) if (known(`${prefix}${ns}/${c}`)) return `${prefix}${ns}/${c}`;
  return `${prefix}${ns}/${candidates[0] ?? istio.podName}`;
}


/** The namespace whose config an Istio node gets: `NAMESPACE` in `node.metadata`, else the one in its id (as {@link nodeCacheKey} keys it). */
function istioConfigNamespace(node: Node | undefined, istio: IstioNodeId): string {
  return nodeMetadataString(node, 'NAMESPACE') || istio.namespace;
}

/**
 * Who a node says it is, for the identity check of authenticated streams (istiod's
 * `checkConnectionIdentity` compares `proxy.ConfigNamespace` and `proxy.Metadata.ServiceAccount`).
 */
export interface NodeClaim {
  /** The namespace whose config the node is served: the namespace of its snapshot-cache key. */
  readonly namespace: string;
  /** `SERVICE_ACCOUNT` in `node.metadata` (istio-agent's `ISTIO_META_SERVICE_ACCOUNT`); absent when not given. */
  readonly serviceAccount?: string;
}

/**
 * The identity a node claims: the namespace of the snapshot-cache key it is served under (an Istio id:
 * `NAMESPACE` metadata, else its `<pod>.<namespace>`; `[grpc:]<namespace>/<workload>[?placement]`: the
 * part before the first `/`) and the `SERVICE_ACCOUNT` metadata. `undefined` for an id that names no
 * namespace (it names no node either, and the node key refuses it).
 */
export function nodeClaim(node: Node | undefined): NodeClaim | undefined {
  const id = node?.id ?? '';
  const istio = parseIstioNodeId(id);
  const slash = id.indexOf('/');
  const namespace = istio ? istioConfigNamespace(node, istio) : slash > 0 ? id.slice(0, slash).replace(/^grpc:/, '') : '';
  if (!namespace) return undefined;
  const serviceAccount = nodeMetadataString(node, 'SERVICE_ACCOUNT');
  return { namespace, ...(serviceAccount ? { serviceAccount } : {}) };
}
