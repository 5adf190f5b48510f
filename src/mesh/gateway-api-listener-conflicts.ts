/**
 * Conflicting listeners of a Gateway API Gateway, as istiod's gateway controller judges them
 * (pilot/pkg/config/kube/gatewaycommon/listener_conflict.go `ComputeGatewayListenerConflicts`): listeners are
 * taken in order, and one that is not distinct from an earlier listener that won is Conflicted
 * (`ListenerConditionConflicted` True, Accepted and Programmed False): istiod builds no server for it
 * (gateway_collection.go skips it), so its port serves only the winner, and routes attached only to it are never
 * served. A conflicted listener frees its slot: it blocks nobody after it.
 *
 * Two listeners on one port are distinct when both are HTTP, HTTPS or TLS with different hostnames (unset: `*`),
 * and never when one is TCP or UDP and the other HTTP-like, or both are TCP/UDP; else when their protocols differ.
 * The reason is ProtocolConflict when the protocols differ or both are TCP/UDP, else HostnameConflict.
 *
 * The listeners of the ListenerSets istiod programs on the Gateway (`gateway-api-listener-sets.ts`) come after the
 * Gateway's, set by set in creation order (`orderedMergedListeners`), a port-less one on 80 (HTTP) or 443 (HTTPS).
 *
 * Read from istio/istio at 86c9f01f (2026-08-22). Pure data.
 */
import { listenerEntryPort } from './gateway-api-listener-sets.js';
import { isRecord, type MeshObject } from './object.js';

/** The Gateway API listener condition reason of a conflict (`ListenerReasonProtocolConflict`, `ListenerReasonHostnameConflict`). */
export type ListenerConflictReason = 'ProtocolConflict' | 'HostnameConflict';

/** A listener that loses to an earlier one. */
export interface ListenerConflict {
  /** The Gateway or ListenerSet that writes the conflicted listener. */
  readonly owner: MeshObject;
  /** Index of the conflicted listener in its owner's `spec.listeners`. */
  readonly listener: number;
  /** The Gateway or ListenerSet that writes the earlier listener it conflicts with (the first that won). */
  readonly winnerOwner: MeshObject;
  /** Index of that listener in its owner's `spec.listeners`. */
  readonly winner: number;
  readonly reason: ListenerConflictReason;
}

interface Entry {
  readonly owner: MeshObject;
  readonly index: number;
  readonly port: unknown;
  readonly protocol: string;
  readonly hostname: string;
}

const isTcpUdp = (p: string): boolean => p === 'TCP' || p === 'UDP';
const isHttpLike = (p: string): boolean => p === 'HTTP' || p === 'HTTPS' || p === 'TLS';

/** `listenersDistinct`: whether two listeners may share the Gateway. */
function distinct(a: Entry, b: Entry): boolean {
  if (a.port !== b.port) return true;
  if ((isTcpUdp(a.protocol) && isHttpLike(b.protocol)) || (isHttpLike(a.protocol) && isTcpUdp(b.protocol))) return false;
  if (isTcpUdp(a.protocol) && isTcpUdp(b.protocol)) return false;
  if (isHttpLike(a.protocol) && isHttpLike(b.protocol)) return a.hostname !== b.hostname;
  return a.protocol !== b.protocol;
}

/** `listenerConflictReason`. */
function reasonOf(a: Entry, b: Entry): ListenerConflictReason {
  if (isTcpUdp(a.protocol) && isTcpUdp(b.protocol)) return 'ProtocolConflict';
  return a.protocol !== b.protocol ? 'ProtocolConflict' : 'HostnameConflict';
}

/**
 * The conflicted listeners of `gateway` and of `listenerSets` (the ListenerSets istiod programs on it, in their
 * conflict order), in that order (see the module comment); [] when none.
 */
export function listenerConflicts(gateway: MeshObject, listenerSets: readonly MeshObject[] = []): ListenerConflict[] {
  const accepted: Entry[] = [];
  const out: ListenerConflict[] = [];
  for (const owner of [gateway, ...listenerSets]) {
    const listeners = Array.isArray(owner.spec.listeners) ? owner.spec.listeners : [];
    listeners.forEach((l, index) => {
      if (!isRecord(l)) return;
      const entry: Entry = {
        owner, index, port: owner === gateway ? l.port : listenerEntryPort(l) ?? l.port, protocol: typeof l.protocol === 'string' ? l.protocol : '',
        hostname: typeof l.hostname === 'string' && l.hostname !== '' ? l.hostname : '*',
      };
      const prior = accepted.find((p) => !distinct(entry, p));
      if (prior) out.push({ owner, listener: index, winnerOwner: prior.owner, winner: prior.index, reason: reasonOf(entry, prior) });
      else accepted.push(entry);
    });
  }
  return out;
}
