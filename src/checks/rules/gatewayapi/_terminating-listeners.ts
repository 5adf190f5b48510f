import { gatewayApiOf, gatewayHandledByIstiod } from '../../../mesh/gateway-api.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { MeshGraph } from '../../../mesh/graph.js';

/** One listener that terminates TLS on a Gateway istiod programs. */
export interface TerminatingListener {
  readonly gateway: MeshObject;
  readonly listener: Readonly<Record<string, unknown>>;
  /** Index in `spec.listeners`. */
  readonly index: number;
  /** `tls.certificateRefs` as written (entries not checked). */
  readonly refs: readonly unknown[];
  /** `Gateway listener "<name or index>"`, the way findings name it. */
  readonly where: string;
}

/**
 * The listeners of the Gateway API Gateways istiod programs (`gatewayHandledByIstiod`) whose `tls.mode` is
 * Terminate (the default when `tls` is given), in input and listener order: the listeners whose certificateRefs
 * istiod reads (conversion.go `buildTLS`).
 */
export function* terminatingListeners(graph: MeshGraph): Generator<TerminatingListener> {
  const k8s = gatewayApiOf(graph);
  for (const gateway of k8s.ofKind('Gateway')) {
    if (!gatewayHandledByIstiod(gateway, k8s)) continue;
    const listeners = Array.isArray(gateway.spec.listeners) ? gateway.spec.listeners : [];
    for (const [index, l] of listeners.entries()) {
      if (!isRecord(l) || !isRecord(l.tls) || (l.tls.mode !== undefined && l.tls.mode !== 'Terminate')) continue;
      const refs = Array.isArray(l.tls.certificateRefs) ? l.tls.certificateRefs : [];
      yield { gateway, listener: l, index, refs, where: `Gateway listener "${typeof l.name === 'string' ? l.name : index}"` };
    }
  }
}
