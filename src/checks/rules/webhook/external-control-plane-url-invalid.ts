import { parseGoUrl } from '../../../mesh/go-url.js';
import type { Rule } from '../../rule.js';
import { controlPlaneWebhooks } from './_control-plane-webhooks.js';

/**
 * `webhook/external-control-plane-url-invalid` (IST0163): an Istio injector or validator webhook
 * has a `clientConfig.url` that is not a valid URL, or neither a url nor a service. Mirrors Istio's
 * `externalcontrolplane.ExternalControlPlaneAnalyzer` (analyzers/externalcontrolplane/externalcontrolplane.go).
 */
const externalControlPlaneUrlInvalid: Rule = {
  id: 'webhook/external-control-plane-url-invalid',
  istioCode: 'IST0163',
  severity: 'warning',
  summary: 'An Istio injector or validator webhook has a clientConfig.url that is not a valid URL, or neither a url nor a service.',
  docs: [
    'With an external control plane, the remote cluster\'s sidecar injector (MutatingWebhookConfiguration',
    '`istio-sidecar-injector*`) and validator (ValidatingWebhookConfiguration `istio-validator*` or',
    '`istiod-default-validator`) call istiod through the ingress gateway of the control plane cluster, by',
    '`clientConfig.url`. As `istioctl analyze` IST0163 (InvalidExternalControlPlaneConfig), a url that Go\'s',
    '`net/url` refuses (no scheme before a `host:port`, a bad port, a character not allowed in a host name, a bad',
    '%-escape) and a webhook with neither url nor service are reported. A host name is taken as written: it is',
    'never resolved (Istio stopped resolving it in 1.22, istio/istio#50528, and a check must not depend on the',
    'network it runs in), so a name that does not resolve is not found here. Fix: write',
    '`https://<ingress host>:15017/inject/...` (or `/validate`) as the Istio remote profile does.',
  ].join(' '),
  kinds: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
  check(graph, ctx) {
    for (const w of controlPlaneWebhooks(graph)) {
      if (w.url !== undefined) {
        const parsed = parseGoUrl(w.url);
        if (parsed.ok) continue;
        ctx.report(w.config, `webhook ${w.name} clientConfig.url ${JSON.stringify(w.url)} is not a valid URL (${parsed.error}), so the API server cannot reach istiod ` +
          'on the external control plane: write it as https://<ingress gateway host>:15017/<path>', { path: [...w.path, 'clientConfig', 'url'] });
      } else if (!w.service) {
        ctx.report(w.config, `webhook ${w.name} has neither clientConfig.url nor clientConfig.service, so the API server has nowhere to send its requests: ` +
          'set url to the external control plane\'s ingress gateway (https://<host>:15017/<path>) or service to the local istiod', { path: [...w.path] });
      }
    }
  },
};

export default externalControlPlaneUrlInvalid;
