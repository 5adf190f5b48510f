import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

/** The UID the sidecar runs as; iptables lets its traffic bypass the proxy. */
const PROXY_UID = 1337;
const EXEMPT_CONTAINERS = new Set(['istio-proxy', 'istio-operator']);

/** `deployment/invalid-application-uid` (IST0144): an application container runs as the proxy's UID 1337. */
const invalidApplicationUid: Rule = {
  id: 'deployment/invalid-application-uid',
  istioCode: 'IST0144',
  severity: 'warning',
  summary: 'A Pod or Deployment runs an application container as UID 1337, the UID reserved for the Istio proxy.',
  docs: [
    'The sidecar\'s iptables rules exempt traffic from UID 1337 so the proxy\'s own connections are not captured. An',
    'application running as 1337 therefore bypasses the proxy entirely: no mTLS, no routing, no policy, and inbound',
    'traffic may loop. As `istioctl analyze` IST0144 (InvalidApplicationUID): `runAsUser: 1337` at pod level, or on any',
    'container other than `istio-proxy` / `istio-operator`, of a Pod or Deployment (or Argo Rollout template) that is not part of the Istio',
    'control plane (labelled `istio` or `release: istio`). Fix: run the application as another UID.',
  ].join(' '),
  kinds: ['Pod', 'Deployment', 'Rollout'],
  check(graph, ctx) {
    for (const o of [...graph.ofKind('Pod'), ...graph.ofKind('Deployment'), ...graph.ofKind('Rollout')]) {
      if (o.labels.istio !== undefined || o.labels.release === 'istio') continue;
      const base: FieldPath = o.kind === 'Pod' ? ['spec'] : ['spec', 'template', 'spec'];
      let spec: unknown = o.body;
      for (const p of base) spec = isRecord(spec) ? spec[p as string] : undefined;
      if (!isRecord(spec)) continue;
      const uidAt = (sc: unknown) => isRecord(sc) && sc.runAsUser === PROXY_UID;
      if (uidAt(spec.securityContext)) {
        ctx.report(o, `User ID (UID) ${PROXY_UID} is reserved for the sidecar proxy, but the pod's securityContext runs as it: the application's traffic bypasses the proxy; use another runAsUser`, { path: [...base, 'securityContext', 'runAsUser'] });
      }
      (Array.isArray(spec.containers) ? spec.containers : []).forEach((c, i) => {
        if (!isRecord(c) || EXEMPT_CONTAINERS.has(c.name as string) || !uidAt(c.securityContext)) return;
        ctx.report(o, `User ID (UID) ${PROXY_UID} is reserved for the sidecar proxy, but container ${String(c.name)} runs as it: its traffic bypasses the proxy; use another runAsUser`, { path: [...base, 'containers', i, 'securityContext', 'runAsUser'] });
      });
    }
  },
};

export default invalidApplicationUid;
