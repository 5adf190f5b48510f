/**
 * Argo CD sync waves for the synthesized manifests (`argocd.argoproj.io/sync-wave`). Argo CD applies
 * a sync wave by wave, and inside a wave by kind, then name; but every Istio kind is a custom
 * resource, so by kind alone a VirtualService could land before the DestinationRule that defines
 * its subsets (requests to an unknown subset fail with 503 NR until it arrives) or the Gateway it
 * binds to. The waves:
 *
 * | wave | kinds |
 * |---|---|
 * | -2 | Namespace (everything else lives in one) |
 * | -1 | DestinationRule, Gateway (Istio and Gateway API), ServiceEntry, WorkloadEntry, Sidecar, PeerAuthentication |
 * |  0 | everything else: workloads, Services, VirtualService, AuthorizationPolicy, HTTPRoute… |
 *
 * An annotation the app already set wins.
 */
import { ApiObject, type App } from 'cdk8s';

export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

const WAVES: Readonly<Record<string, string>> = {
  Namespace: '-2',
  DestinationRule: '-1',
  Gateway: '-1',
  ServiceEntry: '-1',
  WorkloadEntry: '-1',
  Sidecar: '-1',
  PeerAuthentication: '-1',
};

/** The wave of a kind, or undefined for wave 0 (no annotation written). */
export function syncWaveOf(kind: string): string | undefined {
  return WAVES[kind];
}

/** Annotates every ApiObject of the app whose kind has a wave. */
export function addSyncWaves(app: App): void {
  for (const c of app.node.findAll()) {
    if (!ApiObject.isApiObject(c)) continue;
    const wave = syncWaveOf(c.kind);
    if (wave === undefined || (c.metadata.toJson() as { annotations?: Record<string, string> }).annotations?.[SYNC_WAVE_ANNOTATION] !== undefined) continue;
    c.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, wave);
  }
}
