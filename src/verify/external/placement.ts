/**
 * Where a proxy of an external runtime stands, as its ADS node id says (`meshproof xds serve` reads
 * it): the workload whose per-proxy view it serves, then optional placement parameters in URL query
 * form, so one `meshproof proxy --node …` flag carries them and the proxy needs no other option:
 *
 * - `<ns>/<workload>?inbound=<pod ip>[&app=<ip>]`: the **inbound side** of the workload's sidecar,
 *   exactly as verify's embedded runtime serves it (`inboundResources`: the translated
 *   `virtualInbound` chains, one listener per inbound port on `<pod ip>`, the inbound clusters
 *   pointing at the app on `app`, default `127.0.0.1`, Istio's own inbound cluster address). In a
 *   pod the proxy takes the pod IP (downward API `status.podIP`) and the app listens on 127.0.0.1 on
 *   the same ports: two sockets on different addresses, no iptables.
 * - `<ns>/<workload>?bind=<ip>`: the **outbound side** only, its `0.0.0.0_<port>` listeners bound
 *   to `<ip>` instead (several callers on one host's loopback, as the embedded runtime's callers).
 * - neither: the whole sidecar, as `<ns>/<workload>` gets it (a caller in a pod of its own).
 * - `&as=<ns>/<service account>`: the SDS workload certificate of that identity instead of the
 *   workload's own (the embedded runtime's borrowed caller identity: a routing proof must not be
 *   answered 403 by default deny).
 *
 * Ids without `?` are not placements. The xDS server trusts node ids, as it trusts them for
 * `<ns>/<workload>` (no token review): it is a test runtime, never a production control plane.
 */
import { isIP } from 'node:net';
import { quote } from '../../quote.js';
import type { ResourceSet } from '../../xds/resources.js';
import { inboundResources } from '../runtime/inbound.js';

/** A parsed placement node id. */
export interface Placement {
  /** The whole node id (the snapshot-cache key). */
  readonly nodeId: string;
  readonly namespace: string;
  readonly workload: string;
  /** Inbound side: listeners on `address`, inbound clusters to `appAddress` (default `127.0.0.1`). */
  readonly inbound?: { readonly address: string; readonly appAddress: string };
  /** Outbound side with listeners bound to this address instead of `0.0.0.0`. */
  readonly bind?: string;
  /** SDS identity to hold instead of the workload's own service account. */
  readonly as?: { readonly namespace: string; readonly serviceAccount: string };
}

/** A node id with `?` that is not a valid placement: the message names the part and a valid form. */
export class PlacementError extends Error {
  readonly code = 'PLACEMENT_BAD_NODE_ID';
  constructor(nodeId: string, what: string) {
    super(`node id ${quote(nodeId)}: ${what}; expected <namespace>/<workload>?inbound=<pod ip>[&app=<ip>], ?bind=<ip>, ?as=<namespace>/<service account>, or bind= with &as=`);
    this.name = 'PlacementError';
  }
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The placement a node id asks for; `undefined` when it has no `?`. Throws {@link PlacementError} on a malformed one. */
export function parsePlacement(nodeId: string): Placement | undefined {
  const q = nodeId.indexOf('?');
  if (q < 0) return undefined;
  const [namespace, workload, ...rest] = nodeId.slice(0, q).split('/');
  if (!namespace || !workload || rest.length > 0 || !NAME.test(namespace) || !NAME.test(workload)) throw new PlacementError(nodeId, `${quote(nodeId.slice(0, q))} is not <namespace>/<workload>`);
  const params = new URLSearchParams(nodeId.slice(q + 1));
  for (const k of params.keys()) {
    if (!['inbound', 'app', 'bind', 'as'].includes(k)) throw new PlacementError(nodeId, `unknown parameter ${quote(k)}`);
    // get() reads the first; a second one would ride along unchecked in the node id.
    if (params.getAll(k).length > 1) throw new PlacementError(nodeId, `${k}= is given ${params.getAll(k).length} times`);
  }
  const ip = (k: string): string | undefined => {
    const v = params.get(k);
    if (v === null) return undefined;
    if (isIP(v) === 0) throw new PlacementError(nodeId, `${k}=${quote(v)} is not an IP address`);
    return v;
  };
  const inbound = ip('inbound');
  const app = ip('app');
  const bind = ip('bind');
  if (inbound !== undefined && bind !== undefined) throw new PlacementError(nodeId, 'give inbound= or bind=, not both');
  if (inbound === undefined && bind === undefined && params.get('as') === null) throw new PlacementError(nodeId, 'no placement parameter after "?"');
  if (app !== undefined && inbound === undefined) throw new PlacementError(nodeId, 'app= goes with inbound=');
  const asValue = params.get('as');
  let as: Placement['as'];
  if (asValue !== null) {
    const [ns, sa, ...more] = asValue.split('/');
    if (!ns || !sa || more.length > 0 || !NAME.test(ns) || !NAME.test(sa)) throw new PlacementError(nodeId, `as=${quote(asValue)} is not <namespace>/<service account>`);
    as = { namespace: ns, serviceAccount: sa };
  }
  return {
    nodeId, namespace, workload,
    ...(inbound !== undefined ? { inbound: { address: inbound, appAddress: app ?? '127.0.0.1' } } : {}),
    ...(bind !== undefined ? { bind } : {}),
    ...(as ? { as } : {}),
  };
}

/** The node id of a placement (the inverse of {@link parsePlacement}); parameters in a fixed order. */
export function placementNodeId(p: Omit<Placement, 'nodeId'>): string {
  const params: string[] = [];
  if (p.inbound) params.push(`inbound=${p.inbound.address}`, ...(p.inbound.appAddress !== '127.0.0.1' ? [`app=${p.inbound.appAddress}`] : []));
  if (p.bind) params.push(`bind=${p.bind}`);
  if (p.as) params.push(`as=${p.as.namespace}/${p.as.serviceAccount}`);
  return `${p.namespace}/${p.workload}${params.length > 0 ? `?${params.join('&')}` : ''}`;
}

/**
 * The resources of a placed proxy, from the workload's full translation `set`: the inbound side
 * (`inboundResources`, unchanged chains) or the outbound `0.0.0.0_<port>` listeners moved to `bind`
 * (the virtual listeners and the inbound clusters left out), or, with neither, `set` itself. Secrets are the caller's to add.
 */
export function placeResources(set: ResourceSet, p: Placement): ResourceSet {
  if (!p.inbound && !p.bind) return set;
  if (p.inbound) {
    const { listeners, clusters, endpoints } = inboundResources(set, p.inbound.address, p.inbound.appAddress);
    return { clusters, endpoints, listeners, routes: [] };
  }
  const listeners = set.listeners.filter((l) => l.name.startsWith('0.0.0.0_')).map((l) => {
    const sa = l.address?.address;
    if (sa?.case === 'socketAddress') sa.value.address = p.bind!;
    return l;
  });
  const clusters = set.clusters.filter((c) => !c.name.startsWith('inbound|') && c.name !== 'InboundPassthroughCluster');
  return { ...set, clusters, listeners };
}
