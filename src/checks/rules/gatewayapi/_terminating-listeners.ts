import { gatewayApiOf, gatewayHandledByIstiod } from '../../../mesh/gateway-api.js';
import { listenerSetAttachment } from '../../../mesh/gateway-api-listener-sets.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { MeshGraph } from '../../../mesh/graph.js';

/** One listener that terminates TLS on a Gateway istiod programs, written on the Gateway or on a ListenerSet it accepts. */
export interface TerminatingListener {
  /** The object that writes the listener (a Gateway or a ListenerSet): findings go on it, and a ReferenceGrant must name its kind. */
  readonly gateway: MeshObject;
  readonly listener: Readonly<Record<string, unknown>>;
  /** Index in `spec.listeners`. */
  readonly index: number;
  /** `tls.certificateRefs` as written (entries not checked). */
  readonly refs: readonly unknown[];
  /** `Gateway listener "<name or index>"` (or `ListenerSet listener …`), the way findings name it. */
  readonly where: string;
}

/**
 * The listeners of the Gateway API Gateways istiod programs (`gatewayHandledByIstiod`) whose `tls.mode` is
 * Terminate (the default when `tls` is given), in input and listener order: the listeners whose certificateRefs
 * istiod reads (conversion.go `buildTLS`); then those of the ListenerSets istiod accepts (`gateway-api-listener-sets.ts`).
 */
export function* terminatingListeners(graph: MeshGraph): Generator<TerminatingListener> {
  const k8s = gatewayApiOf(graph);
  const sets = k8s.ofKind('ListenerSet').filter((s) => listenerSetAttachment(graph, s).status === 'accepted');
  for (const gateway of [...k8s.ofKind('Gateway'), ...sets]) {
    if (gateway.kind === 'Gateway' && !gatewayHandledByIstiod(gateway, k8s)) continue;
    const listeners = Array.isArray(gateway.spec.listeners) ? gateway.spec.listeners : [];
    for (const [index, l] of listeners.entries()) {
      if (!isRecord(l) || !isRecord(l.tls) || (l.tls.mode !== undefined && l.tls.mode !== 'Terminate')) continue;
      const refs = Array.isArray(l.tls.certificateRefs) ? l.tls.certificateRefs : [];
      yield { gateway, listener: l, index, refs, where: `${gateway.kind} listener "${typeof l.name === 'string' ? l.name : index}"` };
    }
  }
}
