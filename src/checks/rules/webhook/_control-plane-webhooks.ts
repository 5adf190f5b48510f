import { webhooksOf, type AdmissionWebhook } from '../../../mesh/admission-webhooks.js';
import type { MeshGraph } from '../../../mesh/graph.js';
import { isIstioControlPlaneWebhookConfiguration } from '../../../mesh/istio-webhooks.js';

/** The webhooks of the injector and validator configurations Istio's external control plane analyzer reads, input order (validators first, as Istio). */
export function controlPlaneWebhooks(graph: MeshGraph): AdmissionWebhook[] {
  return [...graph.ofKind('ValidatingWebhookConfiguration'), ...graph.ofKind('MutatingWebhookConfiguration')]
    .filter(isIstioControlPlaneWebhookConfiguration)
    .flatMap((c) => {
      const read = webhooksOf(c);
      return 'webhooks' in read ? read.webhooks : [];
    });
}
